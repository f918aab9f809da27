import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { Contract, JsonRpcProvider, getAddress, id } from "ethers";
import type { ParamSet } from "../domain/params.ts";
import { devKeyPair, type KeyPair } from "../domain/keys.ts";
import { signOrder, type Side } from "../domain/order.ts";
import { signWithdrawal } from "../domain/transfers.ts";
import { loadArtifact } from "../chain/artifacts.ts";
import {
  defaultMaxReportAge,
  devCommittee,
  DEPLOY_DEFAULTS,
  prepareContracts,
} from "../chain/deploy.ts";
import { deployZkclear, loadDeployment, saveDeployment } from "../deploy/deploy.ts";
import { startService } from "../service/serve.ts";
import { startPostgres } from "./postgres.ts";
import { startProverWorkers } from "./queue-rig.ts";
import { devOracleWallets, PriceFeeder, randomWalk, scriptedPath } from "../service/feeder.ts";
import type { BatchBody } from "../service/operator.ts";
import type { StoredBatch } from "../store/store.ts";
import type { AuditReport } from "../audit/auditor.ts";
import type { FundingTickView, ProofResult } from "../domain/ports.ts";
import { FundingClient } from "../chain/funding.ts";
import { ARTIFACTS, ROOT } from "../domain/paths.ts";
import { DEFAULT_MARKS } from "../domain/market.ts";
import { ensureDevKeySet } from "../proving/key-sets.ts";
import { encryptKey } from "../domain/keystore.ts";
import { equity } from "../domain/margin.ts";
import { settleFunding } from "../domain/funding.ts";
import { liquidatorShare } from "../engine/liquidations.ts";
import { devOwnerKeys } from "../domain/owners.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { sign } from "../domain/keys.ts";
import { cancelMessage } from "../domain/messages.ts";
import { crashDay, type CrashDayReport } from "./crash-day.ts";
import { compartmentValues } from "../domain/compartments.ts";

export interface ServiceDemoRow {
  readonly id: number;
  readonly kind: string;
  readonly items: number;
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly proveMs: number;
  readonly gasUsed: bigint;
}

export interface ServiceDemoReport {
  readonly rows: ServiceDemoRow[];
  readonly ordersSent: number;
  readonly latenciesMs: number[];
  readonly tradesSettled: number;
  /** From the first order sent to the last trade batch settled. */
  readonly tradingSeconds: number;
  readonly rootsEqual: boolean;
  readonly rounds: bigint;
  /** From posting the crash round to its liquidation settled on-chain. */
  readonly liquidationSeconds: number;
  /**
   * The liquidator: its standing offer (posted with `zkclear liquidator offer` before the
   * crash), what it took of the crashed account, the share it was paid, and its equity
   * before the crash (at the marks then) and after the liquidation (at the crash's marks).
   */
  readonly liquidator: {
    readonly account: bigint;
    readonly market: string;
    readonly maxSize: bigint;
    readonly discountBps: bigint;
    readonly took: readonly {
      readonly market: string;
      readonly size: bigint;
      readonly mark: bigint;
    }[];
    readonly share: bigint;
    readonly equityBefore: bigint;
    readonly equityAfter: bigint;
  };
  /**
   * Funding: the ticks the service made (two intervals, the chain's time moved to each
   * tick time) and what each account paid and received, from the settled batches' funding
   * records (what the published batch files carry).
   */
  readonly funding: {
    readonly interval: bigint;
    readonly maxRatePpm: bigint;
    readonly ticks: readonly FundingTickView[];
    readonly byAccount: readonly {
      readonly who: string;
      readonly account: bigint;
      readonly paid: bigint;
      readonly received: bigint;
    }[];
    /** Wall time spent moving the chain to the tick times and waiting for the ticks. */
    readonly seconds: number;
  };
  /**
   * The fee owner's withdrawal of the fees collected, to a treasury address: proven,
   * settled, and paid by the Vault (the treasury's token balance after claimFor).
   */
  readonly feeWithdrawal: {
    readonly treasury: string;
    readonly amount: bigint;
    readonly treasuryBalance: bigint;
  };
  /** The crash day: a 40% fall trips market 0's circuit breaker (./crash-day.ts). */
  readonly crashDay: CrashDayReport;
  /** `zkclear audit` of the whole history, as an outsider runs it. */
  readonly audit: {
    readonly ok: boolean;
    readonly batches: number;
    readonly findings: number;
    readonly msPerBatch: number | null;
    readonly seconds: number;
    readonly html: string;
  };
}

/** Runs bin/zkclear (without blocking: this process may be serving what it reads). */
function zkclear(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, "bin", "zkclear"),
      args,
      { cwd: ROOT, maxBuffer: 64 << 20 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const require = createRequire(import.meta.url);
/** The insurance fund's top-up (100,000.00); half of it goes into the compartments. */
const FUND_TOP_UP = 10_000_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  ms = 600_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * The full demo: a `hardhat node` on 127.0.0.1, the contracts deployed with INSECURE
 * development keys, the operator service (HTTP API, SQLite store, prover process, chain
 * submitter), a development price feeder, traders who deposit, send a few dozen signed
 * orders through the API and withdraw. Every batch is verified on-chain.
 */
export async function runServiceDemo(
  p: ParamSet,
  log: (s: string) => void,
  opts: { traders?: number; orders?: number; workers?: number } = {},
): Promise<ServiceDemoReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-demo-"));
  const rpcPort = 20_000 + Math.floor(Math.random() * 20_000);
  const rpc = `http://127.0.0.1:${rpcPort}`;
  const keys = await ensureDevKeySet(p, log);
  await prepareContracts(log);
  log(`starting a hardhat node on ${rpc}`);
  const cli = path.join(
    path.dirname(require.resolve("hardhat/package.json")),
    "internal",
    "cli",
    "cli.js",
  );
  const node: ChildProcess = spawn(
    process.execPath,
    [cli, "node", "--hostname", "127.0.0.1", "--port", String(rpcPort)],
    {
      cwd: ROOT,
      stdio: ["ignore", fs.openSync(path.join(dir, "node.log"), "a"), "inherit"],
    },
  );
  const provider = new JsonRpcProvider(rpc, 31337, { staticNetwork: true, pollingInterval: 100 });
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  // with workers: a PostgreSQL job queue of the demo's own and prover worker processes
  const pg = opts.workers ? await startPostgres() : undefined;
  let workers: ReturnType<typeof startProverWorkers> | undefined;
  try {
    await until("the chain", () => provider.send("eth_chainId", []).catch(() => undefined));
    // the deployment at the start of a funding period: no tick is due before the demo
    // moves the chain's time to the next tick time
    const interval = BigInt(DEPLOY_DEFAULTS.fundingInterval);
    const start = BigInt((await provider.getBlock("latest"))!.timestamp);
    await provider.send("evm_setNextBlockTimestamp", [Number((start / interval + 1n) * interval)]);
    await provider.send("evm_mine", []);
    const deployer = await provider.getSigner(0);
    const oracles = devOracleWallets(DEPLOY_DEFAULTS.devOracleSigners);
    const quorum = DEPLOY_DEFAULTS.devOracleQuorum;
    const { deployment, contracts: d } = await deployZkclear(deployer, {
      params: p,
      keys,
      log,
      committee: devCommittee(),
      oracle: {
        signers: oracles.map((w) => w.address),
        quorum,
        maxReportAge: defaultMaxReportAge(DEPLOY_DEFAULTS.maxPriceAge),
        bounds: DEFAULT_MARKS.slice(0, p.markets).map(() => [1n, 1n << 63n] as const),
      },
    });
    const file = saveDeployment(path.join(dir, "deployment.json"), deployment);
    log(`deployed: Settlement ${d.addresses.settlement}`);
    const feeder = new PriceFeeder(
      d.addresses.oracle,
      await provider.getSigner(9),
      oracles,
      quorum,
      randomWalk(DEFAULT_MARKS.slice(0, p.markets), 30, 7),
    );
    let round = await feeder.postNext();
    log(`oracle round ${round.roundId}: ${round.prices.join(", ")}`);
    const apiPort = rpcPort + 1;
    if (pg) {
      workers = startProverWorkers({ dir, deploymentFile: file }, pg.url, opts.workers!);
      log(`job queue: PostgreSQL on ${pg.url}; ${opts.workers} prover workers (logs in ${dir})`);
    }
    service = await startService({
      ...(pg ? { queue: pg.url, queueMaintenanceSeconds: 2 } : {}),
      rpc,
      deployment: loadDeployment(file),
      db: path.join(dir, "operator.db"),
      port: apiPort,
      tickMs: 250,
      batchTimeoutMs: 1500,
      log,
    });
    const api = service.url;

    const n = opts.traders ?? 6;
    const traders: { keys: KeyPair; account: bigint }[] = [];
    for (let i = 0; i < n; i++) {
      const s = await provider.getSigner(1 + i);
      const keys = devKeyPair(`demo-trader-${i}`);
      const token = new Contract(d.addresses.token, loadArtifact("TestToken").abi, s);
      const vault = new Contract(d.addresses.vault, loadArtifact("Vault").abi, s);
      await (await token.getFunction("mint")(await s.getAddress(), 10n ** 12n)).wait();
      await (await token.getFunction("approve")(d.addresses.vault, 10n ** 12n)).wait();
      const rc = await (
        await vault.getFunction("deposit")(0n, keys.publicKey.x, keys.publicKey.y, 10n ** 11n)
      ).wait();
      const ev = rc.logs
        .map((l: { topics: string[]; data: string }) => vault.interface.parseLog(l))
        .find((e: { name: string } | null) => e?.name === "Deposited");
      traders.push({ keys, account: BigInt(ev.args.account) });
    }
    // one thin trader (10,000.00 of collateral) and a top-up of the insurance fund
    const thinSigner = await provider.getSigner(1 + n);
    const thinKeys = devKeyPair("demo-thin-trader");
    {
      const token = new Contract(d.addresses.token, loadArtifact("TestToken").abi, thinSigner);
      const vault = new Contract(d.addresses.vault, loadArtifact("Vault").abi, thinSigner);
      await (await token.getFunction("mint")(await thinSigner.getAddress(), 20_000_000n)).wait();
      await (await token.getFunction("approve")(d.addresses.vault, 20_000_000n)).wait();
      const rc = await (
        await vault.getFunction("deposit")(
          0n,
          thinKeys.publicKey.x,
          thinKeys.publicKey.y,
          1_000_000n,
        )
      ).wait();
      const ev = rc.logs
        .map((l: { topics: string[]; data: string }) => vault.interface.parseLog(l))
        .find((e: { name: string } | null) => e?.name === "Deposited");
      traders.push({ keys: thinKeys, account: BigInt(ev.args.account) });
      await (await vault.getFunction("deposit")(2n, 0n, 0n, FUND_TOP_UP)).wait();
    }
    const thin = traders.pop()!;
    // a liquidator (50,000.00 of collateral) that will take over the thin trader's position
    // a new account of signer k with the development key `name`, `amount` deposited
    const openAccount = async (k: number, name: string, amount: bigint) => {
      const signer = await provider.getSigner(k);
      const keys = devKeyPair(name);
      const token = new Contract(d.addresses.token, loadArtifact("TestToken").abi, signer);
      const vault = new Contract(d.addresses.vault, loadArtifact("Vault").abi, signer);
      await (await token.getFunction("mint")(await signer.getAddress(), amount)).wait();
      await (await token.getFunction("approve")(d.addresses.vault, amount)).wait();
      const rc = await (
        await vault.getFunction("deposit")(0n, keys.publicKey.x, keys.publicKey.y, amount)
      ).wait();
      const ev = rc.logs
        .map((l: { topics: string[]; data: string }) => vault.interface.parseLog(l))
        .find((e: { name: string } | null) => e?.name === "Deposited");
      return { keys, account: BigInt(ev.args.account) };
    };
    const { keys: liqKeys, account: liqAccount } = await openAccount(
      2 + n,
      "demo-liquidator",
      5_000_000n,
    );
    log(
      `${n} traders, a thin trader (account ${thin.account}) and a liquidator (account ${liqAccount}) deposited; the insurance fund topped up`,
    );
    const op = service.operator;
    await until("the thin trader credited", () =>
      op.state.hasAccount(thin.account) ? true : undefined,
    );
    await until("the deposits credited", () =>
      traders.every((t) => op.state.hasAccount(t.account)) && op.state.hasAccount(liqAccount)
        ? true
        : undefined,
    );
    await until("the insurance fund's top-up credited", () =>
      op.state.getAccount(INSURANCE_ACCOUNT).collateral >= FUND_TOP_UP ? true : undefined,
    );
    // the fund owner moves capital from the fund's reserve into each market's compartment
    // with the CLI (a market's liquidation losses are paid by its compartment only)
    const fundPassphrase = "demo fund owner passphrase (INSECURE)";
    const fundKeystore = path.join(dir, "fund-owner.key.json");
    fs.writeFileSync(fundKeystore, JSON.stringify(encryptKey(devOwnerKeys().fund, fundPassphrase)));
    // the fund's next withdrawal nonce: each move spends one (the first may land before the
    // second is signed)
    const fundNonce = op.state.getAccount(INSURANCE_ACCOUNT).withdrawNonce;
    for (let j = 0; j < p.markets; j++) {
      const moved = await zkclear([
        "fund",
        "move",
        "--key",
        fundKeystore,
        "--passphrase",
        fundPassphrase,
        "--market",
        String(j),
        "--amount",
        String(FUND_TOP_UP / BigInt(2 * p.markets)),
        "--nonce",
        String(fundNonce + BigInt(j)),
        "--deployment",
        file,
        "--api",
        api,
      ]);
      if (moved.code !== 0) throw new Error(`zkclear fund move failed: ${moved.stderr}`);
      log(moved.stdout.trim());
    }

    // funding: the chain's time moves to the next tick time, a round is posted there, the
    // service ticks at the rule's rates; a round after it makes batches settle funding
    const fundingClient = new FundingClient(d.addresses.funding, provider);
    let fundingMs = 0;
    const fundingTick = async (n: number) => {
      const f0 = performance.now();
      const next = await fundingClient.nextTickTime();
      const block = (await provider.send("eth_getBlockByNumber", ["latest", false])) as {
        timestamp: string;
      };
      if (BigInt(block.timestamp) < next) {
        await provider.send("evm_setNextBlockTimestamp", [Number(next)]);
        await provider.send("evm_mine", []);
      }
      // the tick reads a round at the prices the traders traded against: their premium
      round = await new PriceFeeder(
        d.addresses.oracle,
        await provider.getSigner(9),
        oracles,
        quorum,
        scriptedPath([round.prices]),
      ).postNext();
      log(`funding interval ${n}: chain time ${next}; oracle round ${round.roundId}`);
      await until(`funding tick ${n}`, () =>
        (op.funding?.current.tick ?? 0) >= n ? true : undefined,
      );
      round = await feeder.postNext();
      log(`oracle round ${round.roundId}: ${round.prices.join(", ")} (settles funding tick ${n})`);
      fundingMs += performance.now() - f0;
    };

    // each phase's orders are signed first, so the timings below measure the service, not
    // the client; traders pay a premium (sells at +0.05%, buys up to +0.1% over the oracle
    // price), so longs pay funding
    const total = opts.orders ?? 36;
    const nonces = new Map<string, bigint>();
    const signAt = (k: number) => {
      const t = traders[k % n];
      const market = Math.floor(k / 2) % p.markets;
      const side: Side = k % 2 === 0 ? "sell" : "buy";
      const key = `${t.account}/${market}`;
      const nonce = (nonces.get(key) ?? 0n) + 1n;
      nonces.set(key, nonce);
      const mark = round.prices[market];
      const limit = side === "buy" ? mark + mark / 1000n : mark + mark / 2000n;
      const amount = BigInt(1 + (k % 3));
      return signOrder(
        { account: t.account, market, side, nonce, maxFeeBps: 10n, amount, limitPrice: limit },
        t.keys.privateKey,
        p.markets,
        deployment.domain,
      );
    };
    const latencies: number[] = [];
    const drained = async () => {
      await op.idle();
      const w = op.pendingWork();
      return w.matches + w.withdrawals + w.deposits + w.batches === 0 ? true : undefined;
    };
    // the orders the service took (id, order, its trader's keys): the crash day cancels what
    // still rests of them
    const taken: { id: string; so: ReturnType<typeof signOrder>; keys: KeyPair }[] = [];
    const sendOrders = async (from: number, to: number) => {
      const signed = Array.from({ length: to - from }, (_, i) => signAt(from + i));
      for (const [i, so] of signed.entries()) {
        const t0 = performance.now();
        const res = await fetch(`${api}/v1/orders`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...so.order, signature: so.signature }, (_k, v) =>
            typeof v === "bigint" ? v.toString() : v,
          ),
        });
        latencies.push(performance.now() - t0);
        if (res.status !== 201) log(`order refused: ${await res.text()}`);
        else
          taken.push({
            id: ((await res.json()) as { id: string }).id,
            so,
            keys: traders[(from + i) % n].keys,
          });
      }
      log(`${to - from} orders sent; waiting for the trade batches to settle`);
      await until("trades to settle", drained);
    };
    const started = performance.now();
    await sendOrders(0, Math.floor(total / 2));
    await fundingTick(1);
    await sendOrders(Math.floor(total / 2), total);
    const tradingSeconds = (performance.now() - started - fundingMs) / 1000;
    await fundingTick(2);
    for (const t of traders.slice(0, p.withdrawals)) {
      const to = BigInt(await (await provider.getSigner(1 + traders.indexOf(t))).getAddress());
      const nonce = op.state.getAccount(t.account).withdrawNonce;
      const sw = signWithdrawal(
        { account: t.account, nonce, amount: 1_000_000n, recipient: to },
        t.keys.privateKey,
        deployment.domain,
      );
      op.requestWithdrawal(sw);
    }
    await until("the withdrawals to settle", drained);

    // the thin trader goes long one lot of market 0 at the mark; then the price crashes
    const post = async (so: ReturnType<typeof signOrder>) => {
      const res = await fetch(`${api}/v1/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...so.order, signature: so.signature }, (_k, v) =>
          typeof v === "bigint" ? v.toString() : v,
        ),
      });
      if (res.status !== 201) log(`order refused: ${await res.text()}`);
    };
    // the thin trader bids above every resting bid, so it buys from the book or, failing
    // that, from trader 0's ask at the same price
    const px = round.prices[0] + round.prices[0] / 100n;
    await post(
      signOrder(
        {
          account: thin.account,
          market: 0,
          side: "buy",
          nonce: 1n,
          maxFeeBps: 10n,
          amount: 1n,
          limitPrice: px,
        },
        thin.keys.privateKey,
        p.markets,
        deployment.domain,
      ),
    );
    await post(
      signOrder(
        {
          account: traders[0].account,
          market: 0,
          side: "sell",
          nonce: 1000n,
          maxFeeBps: 10n,
          amount: 1n,
          limitPrice: px,
        },
        traders[0].keys.privateKey,
        p.markets,
        deployment.domain,
      ),
    );
    await until("the thin trader's trade to settle", drained);
    if (!op.state.getAccount(thin.account).positions[0].size)
      throw new Error("the thin trader did not get a position");
    // the liquidator posts its standing offer with the CLI: up to 5 lots of market 0 at a
    // discount of half the penalty
    const market0 = deployment.markets[0];
    const offer = { maxSize: 5n, discountBps: market0.liquidationPenaltyBps / 2n };
    const passphrase = "demo liquidator passphrase (INSECURE)";
    const keystore = path.join(dir, "liquidator.key.json");
    fs.writeFileSync(keystore, JSON.stringify(encryptKey(liqKeys, passphrase)));
    const posted = await zkclear([
      "liquidator",
      "offer",
      "--account",
      String(liqAccount),
      "--key",
      keystore,
      "--passphrase",
      passphrase,
      "--market",
      `${market0.symbol}:${offer.maxSize}:${offer.discountBps}`,
      "--deployment",
      file,
      "--api",
      api,
    ]);
    if (posted.code !== 0) throw new Error(`zkclear liquidator offer failed: ${posted.stderr}`);
    log(posted.stdout.trim());
    const thinBefore = op.state.getAccount(thin.account);
    const liqBefore = op.state.getAccount(liqAccount);
    const equityBefore = equity(liqBefore, round.prices);
    const crash = round.prices.map((q, j) => (j === 0 ? (q * 85n) / 100n : q));
    const crashFeeder = new PriceFeeder(
      d.addresses.oracle,
      await provider.getSigner(9),
      oracles,
      quorum,
      scriptedPath([crash]),
    );
    const crashedAt = performance.now();
    round = await crashFeeder.postNext();
    log(`oracle round ${round.roundId}: market 0 falls 15% to ${round.prices[0]}`);
    // the liquidation batch of the thin trader (the fund owner's moves came in others)
    const liquidationOfThin = (b: StoredBatch<BatchBody>) =>
      b.body.kind === "liquidations" && b.body.accounts.includes(thin.account);
    await until("the liquidation to settle", () =>
      op.batches().some((b) => liquidationOfThin(b) && b.status === "settled") ? true : undefined,
    );
    const liquidationSeconds = (performance.now() - crashedAt) / 1000;
    await until("everything to settle", drained);
    if (op.halted) throw new Error(op.halted);
    // the liquidation was taken by the liquidator
    const liqBatch = op.batches().find((b) => liquidationOfThin(b) && b.status === "settled")!;
    const taker =
      liqBatch.body.kind === "liquidations"
        ? liqBatch.body.takers?.[liqBatch.body.accounts.indexOf(thin.account)]
        : undefined;
    if (taker?.offer.offer.account !== liqAccount)
      throw new Error("the liquidator did not take the thin trader's position");
    const liqAfter = op.state.getAccount(liqAccount);
    const indices = liqBatch.body.kind === "liquidations" ? liqBatch.body.fundingIndices : [];
    const settledBefore = settleFunding(liqBefore, indices).account;
    const share = liquidatorShare(
      thinBefore.positions.map((p) => p.size),
      round.prices,
      taker.take,
      taker.offer.offer.terms.map((t) => t.discountBps),
    );
    // what the batch paid it: its collateral after, less before (its funding settled first)
    if (liqAfter.collateral - settledBefore.collateral !== share)
      throw new Error("the liquidator was not paid its share");
    const liquidator = {
      account: liqAccount,
      market: market0.symbol,
      ...offer,
      took: thinBefore.positions.flatMap((p, j) =>
        taker.take[j]
          ? [{ market: deployment.markets[j].symbol, size: p.size, mark: round.prices[j] }]
          : [],
      ),
      share,
      equityBefore,
      equityAfter: equity(liqAfter, round.prices),
    };

    // the crash day: market 0 falls 40%, its circuit breaker trips (./crash-day.ts)
    for (const t of taken)
      if (op.getOrder(t.id)?.status === "open")
        op.cancelOrder(t.id, sign(t.keys.privateKey, cancelMessage(t.so.order, deployment.domain)));
    // a thin long in market 0 (60,000.00 of collateral, 5 lots bought from trader 0 at the
    // mark): the 40% fall makes it bankrupt beyond market 0's insurance compartment
    const crashLong = await openAccount(3 + n, "demo-crash-long", 6_000_000n);
    await until("the thin long credited", () =>
      op.state.hasAccount(crashLong.account) ? true : undefined,
    );
    for (const [t, side, nonce] of [
      [traders[0], "sell", 4_001n],
      [crashLong, "buy", 1n],
    ] as const) {
      const mark = round.prices[0];
      const so = signOrder(
        {
          account: t.account,
          market: 0,
          side,
          nonce,
          maxFeeBps: 10n,
          amount: 5n,
          limitPrice: side === "buy" ? mark + mark / 1000n : mark,
        },
        t.keys.privateKey,
        p.markets,
        deployment.domain,
      );
      const res = await fetch(`${api}/v1/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...so.order, signature: so.signature }, (_k, v) =>
          typeof v === "bigint" ? v.toString() : v,
        ),
      });
      if (res.status !== 201)
        throw new Error(`the thin long's order was refused: ${await res.text()}`);
    }
    await until("the thin long's trade to settle", drained);
    if (op.state.getAccount(crashLong.account).positions[0].size !== 5n)
      throw new Error("the thin long did not buy its 5 lots");
    log(`account ${crashLong.account} bought 5 lots of market 0 on 60,000.00 of collateral`);
    const crashDayReport = await crashDay(
      {
        api,
        markets: p.markets,
        domain: deployment.domain,
        oracle: new Contract(d.addresses.oracle, loadArtifact("PriceOracle").abi, provider),
        traders,
        bankrupt: crashLong,
        account: (i) => op.state.getAccount(i),
        fund: (prices) => {
          const f = op.state.getAccount(INSURANCE_ACCOUNT);
          return { reserve: f.collateral, compartments: compartmentValues(f, prices) };
        },
        liquidationBatches: () =>
          op.batches().flatMap((b) =>
            b.body.kind === "liquidations"
              ? [
                  {
                    id: b.id,
                    status: b.status,
                    round: b.body.round,
                    accounts: b.body.accounts,
                    deleveraged: b.body.deleveraged ?? [],
                  },
                ]
              : [],
          ),
        postRound: async (prices) => {
          round = await new PriceFeeder(
            d.addresses.oracle,
            await provider.getSigner(9),
            oracles,
            quorum,
            scriptedPath([prices]),
          ).postNext();
          return round;
        },
        tradeBatches: () =>
          op
            .batches()
            .filter((b) => b.body.kind === "trades")
            .map((b) => ({
              id: b.id,
              status: b.status,
              round: "round" in b.body ? b.body.round : 0n,
              markets: b.body.kind === "trades" ? b.body.trades.map((t) => t.buy.order.market) : [],
            })),
        drained: () => until("everything to settle", drained).then(() => undefined),
        log,
      },
      round.prices,
    );
    if (op.halted) throw new Error(op.halted);

    // the fee owner withdraws the fees collected to the treasury in a proven withdrawal
    // batch (signed with the fee account's key, the INSECURE development fee owner's), and
    // anyone may have the Vault pay the treasury
    const treasury = getAddress(id("zkclear demo treasury").slice(0, 42));
    const fees = op.state.getAccount(FEE_ACCOUNT).collateral;
    if (fees <= 0n) throw new Error("the demo's trades collected no fees");
    op.requestWithdrawal(
      signWithdrawal(
        {
          account: FEE_ACCOUNT,
          nonce: op.state.getAccount(FEE_ACCOUNT).withdrawNonce,
          amount: fees,
          recipient: BigInt(treasury),
        },
        devOwnerKeys().fee.privateKey,
        deployment.domain,
      ),
    );
    await until("the fee withdrawal to settle", drained);
    const vault = new Contract(d.addresses.vault, loadArtifact("Vault").abi, deployer);
    await (await vault.getFunction("claimFor")(treasury)).wait();
    const token = new Contract(d.addresses.token, loadArtifact("TestToken").abi, provider);
    const treasuryBalance = BigInt(await token.getFunction("balanceOf")(treasury));
    if (treasuryBalance !== fees) throw new Error("the treasury was not paid the fees");
    log(`fee owner withdrew ${fees} in fees to the treasury ${treasury}`);
    const feeWithdrawal = { treasury, amount: fees, treasuryBalance };

    // funding per account, from the settled batches' funding records
    const names = new Map<bigint, string>([
      ...traders.map((t, i) => [t.account, `trader ${i}`] as const),
      [thin.account, "thin trader"],
      [liqAccount, "liquidator"],
    ]);
    const sums = new Map<bigint, { paid: bigint; received: bigint }>();
    for (const b of op.batches()) {
      if (b.status !== "settled" || !("funding" in b.body)) continue;
      for (const f of b.body.funding) {
        const x = sums.get(f.account) ?? { paid: 0n, received: 0n };
        if (f.payment > 0n) x.paid += f.payment;
        else x.received -= f.payment;
        sums.set(f.account, x);
      }
    }
    const fundingView = op.funding;
    if (!fundingView || fundingView.current.tick < 2)
      throw new Error("the service made fewer than two funding ticks");

    const rows: ServiceDemoRow[] = [];
    for (const b of op.batches()) {
      const rc = b.txHash ? await provider.getTransactionReceipt(b.txHash) : null;
      const body = b.body as BatchBody;
      const items =
        body.kind === "trades"
          ? body.trades.length
          : body.kind === "deposits"
            ? body.deposits.length
            : body.kind === "liquidations"
              ? body.accounts.length
              : body.kind === "forced"
                ? body.requests.length
                : body.withdrawals.length;
      rows.push({
        id: b.id,
        kind: b.kind,
        items,
        oldRoot: b.oldRoot,
        newRoot: b.newRoot,
        proveMs: (b.proof as ProofResult).proveMs,
        gasUsed: rc?.gasUsed ?? 0n,
      });
    }
    const settlement = new Contract(
      d.addresses.settlement,
      loadArtifact("Settlement").abi,
      provider,
    );
    const chainRoot = BigInt(await settlement.getFunction("stateRoot")());

    // the auditor: only the chain and the files the service publishes over HTTP
    const html = path.join(ARTIFACTS, "audit-report.html");
    log(`auditing the whole history: zkclear audit --files ${api}/v1/published`);
    const t0 = performance.now();
    const run = await zkclear([
      "--json",
      "audit",
      "--rpc",
      rpc,
      "--settlement",
      d.addresses.settlement,
      "--files",
      `${api}/v1/published`,
      "--html",
      html,
    ]);
    const seconds = (performance.now() - t0) / 1000;
    if (run.code === 2 || !run.stdout.trim().startsWith("{"))
      throw new Error(`zkclear audit failed to run: ${run.stderr || run.stdout}`);
    const report = JSON.parse(run.stdout) as AuditReport;
    for (const f of report.findings)
      log(`audit finding: batch ${f.batch ?? "-"} ${f.code}: ${f.message}`);
    return {
      rows,
      ordersSent: total,
      tradingSeconds,
      latenciesMs: latencies,
      tradesSettled: rows.filter((r) => r.kind === "trades").reduce((a, r) => a + r.items, 0),
      rootsEqual: chainRoot === op.state.root,
      liquidationSeconds,
      liquidator,
      rounds: round.roundId,
      funding: {
        interval: fundingView.interval,
        maxRatePpm: fundingView.maxRatePpm,
        ticks: fundingView.ticks,
        byAccount: [...sums]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([account, x]) => ({
            who: names.get(account) ?? `account ${account}`,
            account,
            ...x,
          })),
        seconds: fundingMs / 1000,
      },
      feeWithdrawal,
      crashDay: crashDayReport,
      audit: {
        ok: report.ok,
        batches: report.counts.batches,
        findings: report.findings.length,
        msPerBatch: report.timing.msPerBatch,
        seconds,
        html,
      },
    };
  } finally {
    await service?.stop();
    await workers?.stop();
    await pg?.close();
    provider.destroy();
    await new Promise<void>((r) => {
      if (node.exitCode !== null) return r();
      node.once("exit", () => r());
      node.kill("SIGTERM");
    });
  }
}
