import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import {
  Contract,
  JsonRpcProvider,
  Wallet,
  ZeroHash,
  toBeHex,
  zeroPadValue,
  type JsonRpcSigner,
} from "ethers";
import { DEFAULT_MARKS } from "../domain/market.ts";
import { PARAM_SETS, type ParamSet } from "../domain/params.ts";
import { devKeyPair, sign, type KeyPair } from "../domain/keys.ts";
import { signOrder, type Side } from "../domain/order.ts";
import { cancelMessage } from "../domain/messages.ts";
import { signWithdrawal } from "../domain/transfers.ts";
import type { DeployedContracts } from "../chain/deploy.ts";
import { defaultMaxReportAge, devCommittee, prepareContracts } from "../chain/deploy.ts";
import { loadArtifact } from "../chain/artifacts.ts";
import { signReport, submitRoundArgs } from "../chain/oracle-reports.ts";
import { deployZkclear, saveDeployment } from "../deploy/deploy.ts";
import { devKeySet, ensureDevKeySet } from "../proving/key-sets.ts";
import { ROOT } from "../domain/paths.ts";
import { RigError, freePort, stop, until } from "./processes.ts";

export { RigError, freePort, stop, until };

/**
 * The real service as separate processes, for tests and the chaos run: a `hardhat node` on
 * a free loopback port, zkclear deployed on it with INSECURE development keys (governance
 * timelocks without delay, so a test can act as governance), traders with deposits, an
 * oracle round, and `zkclear serve` started, killed (SIGKILL) and restarted at will.
 */
export interface RigOptions {
  readonly params?: ParamSet;
  readonly traders?: number;
  /** Collateral each trader deposits (token units), or trader i's at index i. */
  readonly deposit?: bigint | readonly bigint[];
  /** `serve --batch-timeout`, ms: how long a partial trade batch waits. */
  readonly batchTimeoutMs?: number;
  readonly marks?: readonly bigint[];
  readonly log?: (s: string) => void;
  /**
   * Data committee replicas to run (`zkclear replica`, development members 0..n-1), which
   * the service asks for attestations; 0 (default): the service signs with the development
   * committee keys itself.
   */
  readonly replicas?: number;
  /** More `zkclear serve` arguments, at every start (e.g. --queue, --provers). */
  readonly serveArgs?: readonly string[];
  /** Runs after the deployment, before the service starts (e.g. starting prover workers). */
  readonly beforeService?: (rig: ServiceRig) => Promise<void>;
}

export type Json = Record<string, unknown>;
export interface Reply {
  readonly status: number;
  readonly json: Json;
}
export interface BatchRow {
  readonly id: number;
  readonly kind: string;
  readonly status: string;
  readonly newRoot: string;
}

const text = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

export class ServiceRig {
  readonly p: ParamSet;
  readonly marks: bigint[];
  /** Trader i's Baby Jubjub keys; its account is `accounts[i]`. */
  readonly keys: KeyPair[] = [];
  readonly accounts: bigint[] = [];
  /** Ethereum address of trader i (recipient of its withdrawals). */
  readonly addresses: string[] = [];
  service: ChildProcess | undefined;
  /** The replicas (their URLs and processes), when RigOptions.replicas asked for them. */
  readonly replicas: { url: string; port: number; proc: ChildProcess | undefined }[] = [];
  deploymentFile = "";
  domain = 0n;
  d!: DeployedContracts;
  private roundId = 0n;
  private proposals = 0;
  private lastTs = 0n;
  private readonly oracles = [1, 2, 3].map(
    (i) => new Wallet(`0x${(0x2000 + i).toString(16).padStart(64, "0")}`),
  );

  private constructor(
    readonly dir: string,
    readonly rpc: string,
    readonly api: string,
    readonly provider: JsonRpcProvider,
    private readonly node: ChildProcess,
    private readonly o: RigOptions,
  ) {
    this.p = o.params ?? PARAM_SETS.test;
    this.marks = [...(o.marks ?? DEFAULT_MARKS.slice(0, this.p.markets))];
  }

  /** Starts the node, deploys, funds the traders, posts prices and starts the service. */
  static async start(o: RigOptions = {}): Promise<ServiceRig> {
    const p = o.params ?? PARAM_SETS.test;
    await ensureDevKeySet(p);
    await prepareContracts();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-rig-"));
    const [rpcPort, apiPort] = [await freePort(), await freePort()];
    const require = createRequire(import.meta.url);
    const cli = path.join(
      path.dirname(require.resolve("hardhat/package.json")),
      "internal/cli/cli.js",
    );
    const node = spawn(
      process.execPath,
      [cli, "node", "--hostname", "127.0.0.1", "--port", String(rpcPort)],
      { cwd: ROOT, stdio: ["ignore", fs.openSync(path.join(dir, "node.log"), "a"), "inherit"] },
    );
    const rpc = `http://127.0.0.1:${rpcPort}`;
    const provider = new JsonRpcProvider(rpc, undefined, {
      staticNetwork: true,
      pollingInterval: 100,
    });
    const rig = new ServiceRig(dir, rpc, `http://127.0.0.1:${apiPort}`, provider, node, o);
    try {
      await rig.boot();
      return rig;
    } catch (e) {
      // the caller never gets the rig to close: stop what was started (no orphan node)
      await rig.close();
      throw e;
    }
  }

  /** Deploys, starts the replicas and the service, and waits for the first deposit batch. */
  private async boot(): Promise<void> {
    const o = this.o;
    await until("the hardhat node", () => this.provider.send("eth_chainId", []));
    await this.deploy();
    for (let i = 0; i < (o.replicas ?? 0); i++) {
      const port = await freePort();
      this.replicas.push({ url: `http://127.0.0.1:${port}`, port, proc: undefined });
      this.startReplica(i);
    }
    for (const r of this.replicas)
      await until(`replica ${r.url}`, () => fetch(`${r.url}/health`).catch(() => undefined));
    await o.beforeService?.(this);
    this.service = this.startService(
      this.replicas.length ? ["--replicas", this.replicas.map((r) => r.url).join(",")] : [],
    );
    await this.healthy();
    await until("the deposit batch", async () =>
      (await this.batches()).some((b) => b.kind === "deposits" && b.status === "settled")
        ? true
        : undefined,
    );
  }

  private async deploy(): Promise<void> {
    const deployer = await this.provider.getSigner(0);
    const made = await deployZkclear(deployer, {
      params: this.p,
      keys: devKeySet(this.p),
      timelockDelay: 0,
      // a run without new rounds for longer than the default 5 minutes stays within age
      maxPriceAge: 3600,
      committee: devCommittee(),
      oracle: {
        signers: this.oracles.map((w) => w.address),
        quorum: 3,
        maxReportAge: defaultMaxReportAge(3600),
        bounds: this.marks.map(() => [1n, 1n << 63n] as const),
      },
    });
    this.d = made.contracts;
    this.domain = made.deployment.domain;
    this.deploymentFile = saveDeployment(path.join(this.dir, "deployment.json"), made.deployment);
    const n = this.o.traders ?? 2;
    for (let i = 0; i < n; i++) {
      const s: JsonRpcSigner = await this.provider.getSigner(1 + i);
      const keys = devKeyPair(`rig-${i}`);
      const token = new Contract(this.d.addresses.token, loadArtifact("TestToken").abi, s);
      const vault = new Contract(this.d.addresses.vault, loadArtifact("Vault").abi, s);
      const d = this.o.deposit ?? 1_000_000_000n;
      const amount = typeof d === "bigint" ? d : d[i];
      await (await token.getFunction("mint")(await s.getAddress(), amount)).wait();
      await (await token.getFunction("approve")(this.d.addresses.vault, amount)).wait();
      await (
        await vault.getFunction("deposit")(0n, keys.publicKey.x, keys.publicKey.y, amount)
      ).wait();
      this.keys.push(keys);
      // accounts 0-2 are the system's; the Vault numbers new accounts in deposit order
      this.accounts.push(BigInt(3 + i));
      this.addresses.push(await s.getAddress());
    }
    await this.postRound(this.marks);
  }

  /**
   * Posts the next oracle round (signed by the three oracle signers: the quorum). Each
   * signer reports `prices`, or signer i `reports[i]` when given (the oracle stores their
   * medians, which `prices` must then be: the rig's marks).
   */
  async postRound(
    prices: readonly bigint[],
    reports?: readonly (readonly bigint[])[],
  ): Promise<bigint> {
    const block = await this.provider.getBlock("latest");
    let ts = BigInt(block!.timestamp);
    if (ts <= this.lastTs) {
      await this.provider.send("evm_increaseTime", [Number(this.lastTs - ts) + 1]);
      await this.provider.send("evm_mine", []);
      ts = BigInt((await this.provider.getBlock("latest"))!.timestamp);
    }
    this.lastTs = ts;
    const roundId = ++this.roundId;
    const chainId = this.d.chainId;
    const signed = await Promise.all(
      this.oracles.slice(0, 3).map((w, i) =>
        signReport(w, this.d.addresses.oracle, chainId, {
          roundId,
          timestamp: ts,
          prices: reports?.[i] ?? prices,
        }),
      ),
    );
    const oracle = new Contract(
      this.d.addresses.oracle,
      loadArtifact("PriceOracle").abi,
      await this.provider.getSigner(0),
    );
    await (await oracle.getFunction("submitRound")(...submitRoundArgs(roundId, signed))).wait();
    this.marks.splice(0, this.marks.length, ...prices);
    return roundId;
  }

  startService(extra: string[] = []): ChildProcess {
    const log = fs.openSync(path.join(this.dir, "service.log"), "a");
    return spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "prover/src/cli/index.ts",
        "serve",
        "--rpc",
        this.rpc,
        "--deployment",
        this.deploymentFile,
        "--db",
        path.join(this.dir, "operator.db"),
        "--port",
        new URL(this.api).port,
        "--batch-timeout",
        String(this.o.batchTimeoutMs ?? 300),
        ...(this.o.serveArgs ?? []),
        ...extra,
      ],
      { cwd: ROOT, stdio: ["ignore", log, log] },
    );
  }

  /**
   * Starts replica i (development committee member i) following the operator's published
   * files, or `source` (another replica's), with its database in the rig's directory.
   */
  startReplica(i: number, source = `${this.api}/v1/published`): ChildProcess {
    const r = this.replicas[i];
    const log = fs.openSync(path.join(this.dir, `replica-${i}.log`), "a");
    r.proc = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "prover/src/cli/index.ts",
        "replica",
        "--rpc",
        this.rpc,
        "--deployment",
        this.deploymentFile,
        "--source",
        source,
        "--db",
        path.join(this.dir, `replica-${i}.db`),
        "--key",
        `dev:${i}`,
        // the operator (and its config.json) may not be up yet: the rig's parameter set
        "--params",
        this.p.name,
        "--port",
        String(r.port),
      ],
      { cwd: ROOT, stdio: ["ignore", log, log] },
    );
    return r.proc;
  }

  /** Kills the service (SIGKILL by default) and starts it again. */
  async restart(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await stop(this.service, signal);
    this.service = this.startService();
  }

  /** Waits until the API answers (any status). */
  healthy(): Promise<Reply> {
    return until("the service's API", async () => this.get("/health"));
  }

  serviceLog(): string {
    return fs.readFileSync(path.join(this.dir, "service.log"), "utf8");
  }

  async get(p: string): Promise<Reply> {
    const r = await fetch(`${this.api}${p}`);
    return { status: r.status, json: (await r.json()) as Json };
  }

  async send(method: string, p: string, body: unknown, type = "application/json"): Promise<Reply> {
    const r = await fetch(`${this.api}${p}`, {
      method,
      headers: { "content-type": type },
      body: typeof body === "string" ? body : text(body),
    });
    return { status: r.status, json: (await r.json()) as Json };
  }

  /** Trader i's signed order as the API takes it. */
  order(
    i: number,
    o: { market?: number; side: Side; nonce: bigint; amount: bigint; limitPrice?: bigint },
  ): Json {
    const market = o.market ?? 0;
    const so = signOrder(
      {
        account: this.accounts[i],
        market,
        side: o.side,
        nonce: o.nonce,
        maxFeeBps: 10n,
        amount: o.amount,
        limitPrice: o.limitPrice ?? this.marks[market],
      },
      this.keys[i].privateKey,
      this.p.markets,
      this.domain,
    );
    return { ...so.order, signature: so.signature };
  }

  postOrder(body: Json): Promise<Reply> {
    return this.send("POST", "/v1/orders", body);
  }

  /** Cancels order `id` of trader i (signed over the order it names). */
  async cancel(i: number, id: string): Promise<Reply> {
    const o = (await this.get(`/v1/orders/${id}`)).json.order as Json;
    const order = Object.fromEntries(
      Object.entries(o).map(([k, v]) => [k, k === "side" ? v : BigInt(v as string)]),
    ) as unknown as Parameters<typeof cancelMessage>[0];
    const signature = sign(this.keys[i].privateKey, cancelMessage(order, this.domain));
    return this.send("DELETE", `/v1/orders/${id}`, { signature });
  }

  /** Trader i's signed withdrawal request, paid to its own address. */
  withdrawal(i: number, nonce: bigint, amount: bigint): Json {
    const recipient = this.addresses[i];
    const sw = signWithdrawal(
      { account: this.accounts[i], nonce, amount, recipient: BigInt(recipient) },
      this.keys[i].privateKey,
      this.domain,
    );
    return { ...sw.withdrawal, recipient, signature: sw.signature };
  }

  /** Every batch, page by page. */
  async batches(): Promise<BatchRow[]> {
    const all: BatchRow[] = [];
    for (let after: number | null = 0; after !== null; ) {
      const page = (await this.get(`/v1/batches?after=${after}`)).json as unknown as {
        batches: BatchRow[];
        next: number | null;
      };
      all.push(...page.batches);
      after = page.next;
    }
    return all;
  }

  settlement(): Contract {
    return new Contract(this.d.addresses.settlement, loadArtifact("Settlement").abi, this.provider);
  }

  /**
   * Waits until every batch settled, then checks the chain holds each exactly once and is
   * at the last one's root; returns the batches.
   */
  async settledEverything(ms = 300_000): Promise<BatchRow[]> {
    const bs = await until(
      "every batch settled",
      async () => {
        const all = await this.batches();
        const open = all.filter((b) => b.status !== "settled" && b.status !== "dropped");
        return all.length > 0 && open.length === 0 ? all : undefined;
      },
      ms,
    );
    const settled = bs.filter((b) => b.status === "settled");
    const s = this.settlement();
    const count = Number(await s.getFunction("batchCount")());
    if (count !== settled.length)
      throw new RigError(
        "RIG_MISMATCH",
        `the chain holds ${count} batches, the service settled ${settled.length}`,
      );
    const root = BigInt(await s.getFunction("stateRoot")()).toString();
    if (root !== settled[settled.length - 1].newRoot)
      throw new RigError(
        "RIG_MISMATCH",
        `the chain's root ${root} is not the last settled batch's`,
      );
    return bs;
  }

  /** Governance (the deployer proposes and executes through the zero-delay timelock). */
  async govern(target: string, data: string): Promise<void> {
    const t = new Contract(
      await this.d.timelock.getAddress(),
      loadArtifact("Timelock").abi,
      await this.provider.getSigner(0),
    );
    const salt = zeroPadValue(toBeHex(++this.proposals), 32);
    await (await t.getFunction("schedule")(target, 0n, data, ZeroHash, salt, 0n)).wait();
    await (await t.getFunction("execute")(target, 0n, data, ZeroHash, salt)).wait();
  }

  /** `zkclear audit` against the node and the service's published files (or a copy). */
  audit(files = path.join(this.dir, "published")): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [
          "--import",
          "tsx",
          "prover/src/cli/index.ts",
          "audit",
          "--rpc",
          this.rpc,
          "--settlement",
          this.d.addresses.settlement,
          "--files",
          files,
        ],
        { cwd: ROOT, maxBuffer: 1 << 24 },
        (e, stdout, stderr) =>
          resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
  }

  async close(): Promise<void> {
    await stop(this.service, "SIGTERM");
    for (const r of this.replicas) await stop(r.proc, "SIGTERM");
    await stop(this.node, "SIGTERM");
    this.provider.destroy();
  }
}
