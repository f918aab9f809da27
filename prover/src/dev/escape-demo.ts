import fs from "node:fs";
import path from "node:path";
import { execFile } from "node:child_process";
import { Contract, getAddress, id } from "ethers";
import type { ParamSet } from "../domain/params.ts";
import { encryptKey } from "../domain/keystore.ts";
import { devKeyPair } from "../domain/keys.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { shareExitPool } from "../domain/exit.ts";
import { devOwnerKeys } from "../domain/owners.ts";
import { loadArtifact } from "../chain/artifacts.ts";
import { devWallet } from "../service/serve.ts";
import { RigError, ServiceRig, stop, until } from "./service-rig.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const PASS = "escape-demo";

/** What the escape demo saw, for scripts/demo.ts to print. */
export interface EscapeDemoReport {
  readonly pool: bigint;
  readonly exits: readonly {
    readonly who: string;
    readonly account: bigint;
    readonly payout: bigint;
    readonly paid: bigint;
    readonly proveMs: number;
  }[];
  /** The system accounts' exits, signed by their owners to `treasury`, fees first. */
  readonly system: readonly {
    readonly who: string;
    readonly payout: bigint;
    readonly paid: bigint;
  }[];
  readonly treasury: string;
  readonly reclaimed: bigint;
  readonly vaultLeft: bigint;
  readonly expectedLeft: bigint;
  readonly audit: { readonly ok: boolean; readonly findings: number; readonly out: string };
  /** What a replica's explorer page shows at the end. */
  readonly explorer: { readonly url: string; readonly frozen: boolean; readonly exits: number };
}

interface Cli {
  readonly code: number;
  readonly json: Record<string, unknown>;
  readonly text: string;
}

/** Runs `zkclear --json <args>` as a user would, and parses its answer. */
function zkclear(args: readonly string[]): Promise<Cli> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, "bin", "zkclear"),
      ["--json", ...args],
      { cwd: ROOT, maxBuffer: 64 << 20, env: { ...process.env, ZKCLEAR_PASSPHRASE: PASS } },
      (e, stdout, stderr) => {
        const line = stdout.trim().split("\n").pop() ?? "";
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(line) as Record<string, unknown>;
        } catch {
          // not JSON: the text says why
        }
        resolve({
          code: e ? ((e as { code?: number }).code ?? 1) : 0,
          json,
          text: stdout + stderr,
        });
      },
    );
  });
}

async function must(what: string, args: readonly string[]): Promise<Record<string, unknown>> {
  const r = await zkclear(args);
  if (r.code !== 0) throw new RigError("DEMO_STEP_FAILED", `${what} failed: ${r.text}`);
  return r.json;
}

/**
 * `npm run demo -- --escape`: users leave without the operator. Traders trade through the
 * operator service; then the operator goes dark, ignoring everyone (a withdrawal gets no
 * answer, a deposit is never credited); the oracle crashes market 0, leaving one trader
 * under water; a trader's forced request expires; anyone freezes; every trader exits with
 * a proof made by the CLI from the data a committee replica serves (the data committee is
 * two replicas, `zkclear replica`, which attested every batch before it landed); the depositor
 * reclaims; the system accounts exit last, their owners signing their exits to a treasury;
 * the Vault ends with what the rules leave in it, and the audit passes. A hardhat node on 127.0.0.1, INSECURE development keys.
 */
export async function runEscapeDemo(
  p: ParamSet,
  log: (s: string) => void,
): Promise<EscapeDemoReport> {
  const names = ["ana", "ben", "cleo", "dev"];
  const rig = await ServiceRig.start({
    params: p,
    traders: names.length,
    // ana is thin (she goes long one lot at 10% margin), ben is rich (he sells it)
    deposit: [1_000_000n, 1_000_000_000n, 100_000_000n, 100_000_000n],
    // the data committee: two replicas, each attesting every batch before it lands
    replicas: 2,
    log,
  });
  try {
    return await story(rig, names, log);
  } finally {
    await rig.close();
  }
}

async function story(
  rig: ServiceRig,
  names: readonly string[],
  log: (s: string) => void,
): Promise<EscapeDemoReport> {
  const d = rig.deploymentFile;
  const common = ["--rpc", rig.rpc, "--deployment", d];
  const settlement = rig.settlement();
  const keyFile = (i: number) => {
    const f = path.join(rig.dir, `${names[i]}.key.json`);
    if (!fs.existsSync(f)) fs.writeFileSync(f, JSON.stringify(encryptKey(rig.keys[i], PASS)));
    return f;
  };
  const ethKey = (i: number) => devWallet(i).privateKey;

  log(`traders ${names.join(", ")} deposited; ana buys one lot of market 0 from ben`);
  const order = (i: number, side: "buy" | "sell") =>
    rig.postOrder(rig.order(i, { side, nonce: 1n, amount: 1n }));
  for (const r of [await order(0, "buy"), await order(1, "sell")])
    if (r.status >= 300)
      throw new RigError("DEMO_STEP_FAILED", `order refused: ${JSON.stringify(r.json)}`);
  await until("the trade batch", async () =>
    (await rig.batches()).some((b) => b.kind === "trades" && b.status === "settled")
      ? true
      : undefined,
  );
  await rig.settledEverything();
  // the committee's copy: the second replica's published files (what it attested and replayed)
  const replica = `${rig.replicas[1].url}/v1/published`;
  const held = await until("the replicas", async () => {
    const counts = await Promise.all(
      rig.replicas.map(
        async (r) =>
          ((await (await fetch(`${r.url}/v1/replica`)).json()) as { batches: number }).batches,
      ),
    );
    const settled = (await rig.batches()).filter((b) => b.status === "settled").length;
    return counts.every((c) => c === settled) ? settled : undefined;
  });
  log(`both committee replicas hold and replayed all ${held} batches (each attested the trades)`);

  log("the operator goes dark: from now on it answers nobody, and its files are gone with it");
  await stop(rig.service, "SIGKILL");
  rig.service = undefined;
  fs.rmSync(path.join(rig.dir, "published"), { recursive: true, force: true });
  const w = await fetch(`${rig.api}/v1/withdrawals`, { method: "POST" }).catch(() => undefined);
  log(`cleo asks the operator for a withdrawal: ${w ? `HTTP ${w.status}` : "no answer"}`);

  // a deposit nobody will credit
  const eve = await rig.provider.getSigner(names.length + 1);
  const token = new Contract(rig.d.addresses.token, loadArtifact("TestToken").abi, eve);
  const vault = new Contract(rig.d.addresses.vault, loadArtifact("Vault").abi, eve);
  const eveKeys = devKeyPair("escape-demo-eve");
  await (await token.getFunction("mint")(await eve.getAddress(), 7_000_000n)).wait();
  await (await token.getFunction("approve")(rig.d.addresses.vault, 7_000_000n)).wait();
  await (
    await vault.getFunction("deposit")(0n, eveKeys.publicKey.x, eveKeys.publicKey.y, 7_000_000n)
  ).wait();
  const eveIndex = BigInt(await vault.getFunction("depositCount")()) - 1n;
  log(`eve deposits 7,000,000 (queue position ${eveIndex}); nobody credits it`);

  const crash = [(rig.marks[0] * 80n) / 100n, rig.marks[1]];
  await rig.postRound(crash);
  log(`the oracle posts a 20% crash of market 0: ana is under water`);

  const forced = await must("force-withdraw", [
    "force-withdraw",
    "--key",
    keyFile(2),
    "--account",
    String(rig.accounts[2]),
    "--amount",
    "5000000",
    "--to",
    rig.addresses[2],
    // the withdrawal nonce from a committee replica (cleo never withdrew: 0)
    "--from",
    replica,
    "--eth-key",
    ethKey(3),
    ...common,
  ]);
  log(`cleo puts a forced withdrawal on-chain: ${JSON.stringify(forced)}`);
  const early = await zkclear(["freeze", "--eth-key", ethKey(9), ...common]);
  log(`a freeze now is refused (exit code ${early.code}): ${String(early.json.message ?? "")}`);

  const deadline = Number(await settlement.getFunction("forcedDeadline")());
  await rig.provider.send("evm_increaseTime", [deadline + 1]);
  await rig.provider.send("evm_mine", []);
  await must("freeze", ["freeze", "--eth-key", ethKey(9), ...common]);
  const [pool, , , windowEnd] = [...(await settlement.getFunction("exitInfo")())].map(BigInt);
  log(
    `${deadline / 86_400} days later nobody has answered: a stranger freezes; the pool is ${pool}`,
  );

  await must("reclaim-deposit", [
    "reclaim-deposit",
    "--index",
    String(eveIndex),
    "--eth-key",
    ethKey(names.length + 1),
    ...common,
  ]);
  log("eve reclaims her deposit");

  const exits: { who: string; account: bigint; payout: bigint; paid: bigint; proveMs: number }[] =
    [];
  const exitOf = async (i: number) => {
    const data = path.join(rig.dir, `${names[i]}.exit.json`);
    await must("exit-data", [
      "exit-data",
      "--account",
      String(rig.accounts[i]),
      "--from",
      replica,
      "--out",
      data,
      ...common,
    ]);
    const r = await must("exit", [
      "exit",
      "--key",
      keyFile(i),
      "--account",
      String(rig.accounts[i]),
      "--to",
      rig.addresses[i],
      "--data",
      data,
      "--eth-key",
      ethKey(1 + i),
      ...common,
    ]);
    exits.push({
      who: names[i],
      account: rig.accounts[i],
      payout: BigInt(String(r.payout)),
      paid: 0n,
      proveMs: Number(r.proveMs ?? 0),
    });
  };
  for (const i of [0, 1, 2]) await exitOf(i);
  log(`ana, ben and cleo prove their exits with data from a replica, in the window (claims)`);

  const now = (await rig.provider.getBlock("latest"))!.timestamp;
  await rig.provider.send("evm_increaseTime", [Number(windowEnd) - now + 1]);
  await rig.provider.send("evm_mine", []);
  for (const i of [0, 1, 2])
    await must("settle-exit", [
      "exit",
      "--settle",
      "--account",
      String(rig.accounts[i]),
      "--eth-key",
      ethKey(9),
      ...common,
    ]);
  await exitOf(3);
  log("after the window: the claims are settled pro rata; dev exits late, paid from what is left");

  // the system accounts: after the second window their owners sign their exits to a
  // treasury (the INSECURE development owners' keys here), the fee account's first; anyone
  // sends them
  const exitWindow = Number(await settlement.getFunction("exitWindow")());
  await rig.provider.send("evm_increaseTime", [exitWindow + 1]);
  await rig.provider.send("evm_mine", []);
  const treasury = getAddress(id("zkclear demo treasury").slice(0, 42));
  const owners = devOwnerKeys();
  const system: { who: string; payout: bigint; paid: bigint }[] = [];
  for (const [who, account, owner] of [
    ["fee account", FEE_ACCOUNT, owners.fee],
    ["insurance fund", INSURANCE_ACCOUNT, owners.fund],
  ] as const) {
    const data = path.join(rig.dir, `system-${account}.exit.json`);
    await must("exit-data", [
      "exit-data",
      "--account",
      String(account),
      "--from",
      replica,
      "--out",
      data,
      ...common,
    ]);
    const ownerKey = path.join(rig.dir, `owner-${account}.key.json`);
    fs.writeFileSync(ownerKey, JSON.stringify(encryptKey(owner, PASS)));
    const r = await must(`exit (${who})`, [
      "exit",
      "--key",
      ownerKey,
      "--account",
      String(account),
      "--to",
      treasury,
      "--data",
      data,
      "--eth-key",
      ethKey(9),
      ...common,
    ]);
    system.push({ who, payout: BigInt(String(r.payout)), paid: BigInt(String(r.paid)) });
  }
  log(
    `after the second window the fee owner, then the fund owner, sign their accounts' exits to the treasury ${treasury}`,
  );

  for (const e of exits) {
    const [, , , paid] = [...(await settlement.getFunction("exitOf")(e.account))].map(BigInt);
    e.paid = paid;
  }
  const expected = shareExitPool(
    pool,
    exits.slice(0, 3).map((e) => e.payout),
    [exits[3].payout, ...system.map((x) => x.payout)],
  );
  // everyone claims what the Vault owes them
  const claimer = await rig.provider.getSigner(0);
  const v = new Contract(rig.d.addresses.vault, loadArtifact("Vault").abi, claimer);
  for (const to of new Set([...rig.addresses, treasury]))
    if (BigInt(await v.getFunction("owed")(to)) > 0n)
      await (await v.getFunction("claimFor")(to)).wait();
  const vaultLeft = BigInt(
    await new Contract(
      rig.d.addresses.token,
      loadArtifact("TestToken").abi,
      rig.provider,
    ).getFunction("balanceOf")(rig.d.addresses.vault),
  );

  // the explorer page of the other replica shows the freeze and the exits, once the replica
  // (which follows the chain by polling) has seen the last of them
  type Page = { freeze: { exits: number; batches: number } | null };
  const everyExit = exits.length + system.length;
  const page = await until("the replica's explorer to show every exit", async () => {
    const p = (await (await fetch(`${rig.replicas[0].url}/v1/explorer`)).json()) as Page;
    return (p.freeze?.exits ?? 0) >= everyExit ? p : undefined;
  });
  const explorer = {
    url: `${rig.replicas[0].url}/explorer`,
    frozen: page.freeze !== null,
    exits: page.freeze?.exits ?? 0,
  };
  log(`replica ${rig.replicas[0].url}/explorer shows the freeze and ${explorer.exits} exits`);

  log("the audit replays a replica's files and checks the freeze and every exit");
  const run = await rig.audit(replica);
  const audit = {
    ok: run.code === 0,
    findings: (run.out.match(/finding/gi) ?? []).length,
    out: run.out,
  };
  return {
    pool,
    exits,
    system,
    treasury,
    reclaimed: 7_000_000n,
    explorer,
    vaultLeft,
    // every payment owed was claimed: what is left is the pool less what the exits were paid
    expectedLeft: [...expected.window, ...expected.late].reduce((a, b) => a - b, pool),
    audit,
  };
}
