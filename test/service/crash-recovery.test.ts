import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract, JsonRpcProvider, Wallet, type JsonRpcSigner } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { signOrder, type Side } from "../../prover/src/domain/order.ts";
import type { DeployedContracts } from "../../prover/src/chain/deploy.ts";
import { deployZkclear, saveDeployment } from "../../prover/src/deploy/deploy.ts";
import { devKeySet } from "../../prover/src/proving/key-sets.ts";
import { signReport, submitRoundArgs } from "../../prover/src/chain/oracle-reports.ts";
import { loadArtifact } from "../../prover/src/chain/artifacts.ts";
import { prepareTestContracts } from "../helpers/chain.ts";

/**
 * The real service, as separate processes: a `hardhat node` on 127.0.0.1 and
 * `zkclear serve`, killed with SIGKILL while it proves and while its transaction waits
 * to be mined, then restarted.
 */
const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const port = () => 20_000 + Math.floor(Math.random() * 20_000);

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

function kill(c: ChildProcess | undefined, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    c.once("exit", () => r());
    c.kill(signal);
  });
}

describe("operator service: crash recovery with SIGKILL (real processes)", function () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-crash-"));
  const rpcPort = port();
  const apiPort = port();
  const rpc = `http://127.0.0.1:${rpcPort}`;
  const api = `http://127.0.0.1:${apiPort}`;
  let node: ChildProcess | undefined;
  let service: ChildProcess | undefined;
  let provider: JsonRpcProvider;
  let d: DeployedContracts;
  let deploymentFile: string;
  let domain: bigint;
  const acked: string[] = [];
  const keys = [devKeyPair("crash-0"), devKeyPair("crash-1")];
  let nonce = 0n;

  function startService(): ChildProcess {
    const log = fs.openSync(path.join(dir, "service.log"), "a");
    const c = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "prover/src/cli/index.ts",
        "serve",
        "--rpc",
        rpc,
        "--deployment",
        deploymentFile,
        "--db",
        path.join(dir, "operator.db"),
        "--port",
        String(apiPort),
        "--batch-timeout",
        "300",
      ],
      { stdio: ["ignore", log, log] },
    );
    return c;
  }

  async function get(p: string) {
    const r = await fetch(`${api}${p}`);
    return { status: r.status, json: (await r.json()) as unknown };
  }

  type BatchRow = { id: number; kind: string; status: string; newRoot: string };
  async function batches() {
    const all: BatchRow[] = [];
    for (let after: number | null = 0; after !== null; ) {
      const page = (await get(`/v1/batches?after=${after}`)).json as {
        batches: BatchRow[];
        next: number | null;
      };
      all.push(...page.batches);
      after = page.next;
    }
    return all;
  }

  async function trade(qty: bigint) {
    // trader 0 sells, trader 1 buys, each with a fresh nonce
    nonce++;
    for (const [i, side] of [
      [0, "sell"],
      [1, "buy"],
    ] as [number, Side][]) {
      const so = signOrder(
        {
          account: BigInt(3 + i),
          market: 0,
          side,
          nonce,
          maxFeeBps: 10n,
          amount: qty,
          limitPrice: MARKS[0],
        },
        keys[i].privateKey,
        P.markets,
        domain,
      );
      const r = await fetch(`${api}/v1/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...so.order, signature: so.signature }, (_k, v) =>
          typeof v === "bigint" ? v.toString() : v,
        ),
      });
      assert.equal(r.status, 201, await r.clone().text());
      acked.push(((await r.json()) as { id: string }).id);
    }
  }

  before(async function () {
    await prepareTestContracts();
    node = spawn(
      process.execPath,
      [
        "node_modules/hardhat/internal/cli/cli.js",
        "node",
        "--hostname",
        "127.0.0.1",
        "--port",
        String(rpcPort),
      ],
      {
        stdio: ["ignore", fs.openSync(path.join(dir, "node.log"), "a"), "inherit"],
      },
    );
    provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true, pollingInterval: 100 });
    await until("the hardhat node", () => provider.send("eth_chainId", []));
    const deployer = await provider.getSigner(0);
    const oracles = [1, 2, 3].map(
      (i) => new Wallet(`0x${(0x2000 + i).toString(16).padStart(64, "0")}`),
    );
    const made = await deployZkclear(deployer, {
      params: P,
      keys: devKeySet(P),
      oracle: {
        signers: oracles.map((w) => w.address),
        quorum: 2,
        maxReportAge: 3600,
        bounds: MARKS.map(() => [1n, 1n << 63n] as const),
      },
    });
    d = made.contracts;
    domain = made.deployment.domain;
    deploymentFile = saveDeployment(path.join(dir, "deployment.json"), made.deployment);
    // two traders deposit and open accounts 3 and 4
    for (let i = 0; i < 2; i++) {
      const s: JsonRpcSigner = await provider.getSigner(1 + i);
      const token = new Contract(d.addresses.token, loadArtifact("TestToken").abi, s);
      const vault = new Contract(d.addresses.vault, loadArtifact("Vault").abi, s);
      await (await token.getFunction("mint")(await s.getAddress(), 10n ** 12n)).wait();
      await (await token.getFunction("approve")(d.addresses.vault, 10n ** 12n)).wait();
      await (
        await vault.getFunction("deposit")(
          0n,
          keys[i].publicKey.x,
          keys[i].publicKey.y,
          1_000_000_000n,
        )
      ).wait();
    }
    const block = await provider.getBlock("latest");
    const chainId = (await provider.getNetwork()).chainId;
    const signed = await Promise.all(
      oracles.map((w) =>
        signReport(w, d.addresses.oracle, chainId, {
          roundId: 1n,
          timestamp: BigInt(block!.timestamp),
          prices: MARKS,
        }),
      ),
    );
    const oracle = new Contract(d.addresses.oracle, loadArtifact("PriceOracle").abi, deployer);
    await (await oracle.getFunction("submitRound")(...submitRoundArgs(1n, signed))).wait();
    service = startService();
    await until("the service", async () =>
      (await get("/health")).status === 200 ? true : undefined,
    );
    await until("the deposit batch", async () =>
      (await batches()).some((b) => b.kind === "deposits" && b.status === "settled")
        ? true
        : undefined,
    );
  });

  after(async function () {
    await kill(service, "SIGTERM");
    await kill(node, "SIGTERM");
    provider?.destroy();
  });

  async function settledEverything() {
    await until("every batch settled", async () => {
      const bs = await batches();
      return bs.length > 0 && bs.every((b) => b.status === "settled") ? bs : undefined;
    });
    const bs = await batches();
    const settlement = new Contract(
      d.addresses.settlement,
      loadArtifact("Settlement").abi,
      provider,
    );
    assert.equal(
      Number(await settlement.getFunction("batchCount")()),
      bs.length,
      "each batch landed exactly once",
    );
    assert.equal(
      BigInt(await settlement.getFunction("stateRoot")()).toString(),
      bs[bs.length - 1].newRoot,
    );
    for (const id of acked)
      assert.equal(
        (await get(`/v1/orders/${id}`)).status,
        200,
        `acknowledged order ${id} is still known`,
      );
    assert.equal(((await get("/health")).json as { status: string }).status, "ok");
  }

  it("resumes after being killed while proving", async function () {
    await trade(1n);
    await until("a batch being proved", async () =>
      (await batches()).some((b) => b.status === "built") ? true : undefined,
    );
    await kill(service);
    service = startService();
    await settledEverything();
  });

  it("resumes after being killed while its transaction waits to be mined, without submitting twice", async function () {
    await provider.send("evm_setAutomine", [false]);
    await trade(1n);
    await until("a submitted batch", async () =>
      (await batches()).some((b) => b.status === "submitted") ? true : undefined,
    );
    await kill(service);
    await provider.send("evm_setAutomine", [true]);
    await provider.send("evm_mine", []);
    service = startService();
    await settledEverything();
  });
});
