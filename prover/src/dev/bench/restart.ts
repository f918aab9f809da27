import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { zeroIndices } from "../../domain/funding.ts";
import { oneX } from "../../domain/volatility.ts";
import { defaultMarkets } from "../../domain/market.ts";
import { devKeyPair } from "../../domain/keys.ts";
import { devOwners } from "../../domain/owners.ts";
import { paramSet, type ParamSet } from "../../domain/params.ts";
import { signOrder } from "../../domain/order.ts";
import type { Round } from "../../domain/ports.ts";
import type { Deposit } from "../../domain/transfers.ts";
import { Store } from "../../store/store.ts";
import { ExchangeState } from "../../engine/state.ts";
import { Operator } from "../../service/operator.ts";
import { SNAPSHOT_EVERY } from "../../service/batcher.ts";
import { buildApi } from "../../service/api.ts";
import { RigError } from "../service-rig.ts";
import { standIns } from "./stand-ins.ts";

/**
 * Restart time and `GET /v1/batches` latency against history length. A history of real
 * engine batches (deposits, then trades between two traders) is made by the real operator
 * over a real SQLite store; only the chain and the prover are stand-ins here (they accept
 * every batch at once), since what is measured is what a restart reads and replays. At each
 * length the operator is opened again over the store, with its snapshots and without.
 */
export interface RestartRow {
  readonly batches: number;
  /** Operator.open with the latest snapshot (every SNAPSHOT_EVERY batches), ms (median of runs). */
  readonly openMs: number;
  readonly replayed: number;
  /** Operator.open replaying the whole history (no snapshot), ms; absent where skipped. */
  readonly openFullMs?: number;
  /** GET /v1/batches (the first page, and the page at the end), ms (median of 50). */
  readonly firstPageMs: number;
  readonly lastPageMs: number;
}

const DOMAIN = 1n;
/** Trade batches after the last snapshot: the restart replays these. */
const TRADES_AFTER = SNAPSHOT_EVERY - 1;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchRestart(
  lengths: readonly number[],
  opts: { params?: string; fullUpTo?: number; log?: (s: string) => void } = {},
): Promise<RestartRow[]> {
  const log = opts.log ?? (() => {});
  const p: ParamSet = paramSet(opts.params ?? "demo");
  const markets = defaultMarkets(p.markets);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-restart-"));
  const file = path.join(dir, "op.db");
  const keys = [devKeyPair("restart-0"), devKeyPair("restart-1")];
  const round: Round = {
    roundId: 1n,
    prices: markets.map((_, i) => (i === 0 ? 60_000_00n : 3_000_00n)),
    fundingIndices: zeroIndices(markets.length),
    margins: oneX(markets.length),
  };
  const deposits: Deposit[] = keys.map((k, i) => ({
    account: BigInt(3 + i),
    amount: 10n ** 15n,
    pubKey: k.publicKey,
  }));
  const { chain, prover } = standIns(
    ExchangeState.genesis(p.depth, markets, DOMAIN, devOwners()).root,
    round,
    deposits,
  );
  const open = (store: Store, snapshotEvery?: number) =>
    Operator.open({
      params: p,
      markets,
      domain: DOMAIN,
      owners: devOwners(),
      store,
      chain,
      prover,
      snapshotEvery,
    });
  let store = new Store(file);
  let op = open(store);
  await op.tick();
  let nonce = 0n;
  const rows: RestartRow[] = [];
  for (const target of [...lengths].sort((a, b) => a - b)) {
    const t0 = performance.now();
    // deposit batches (cheap to make) up to a snapshot, then TRADES_AFTER trade batches: the
    // restart replays those, the most a restart replays (a snapshot every SNAPSHOT_EVERY)
    const before = store.countBatches("settled");
    const dep = target - TRADES_AFTER - before;
    if (dep < SNAPSHOT_EVERY) throw new RigError("RIG_MISMATCH", `${target} batches is too few`);
    for (let i = 0; i < dep * p.deposits; i++)
      deposits.push({
        account: BigInt(3 + (i % 2)),
        amount: 1n,
        pubKey: keys[i % 2].publicKey,
      });
    await op.tick();
    while (store.countBatches("settled") < target) {
      for (let i = 0; i < p.batch; i++) {
        nonce++;
        const [s, b] = nonce % 2n === 0n ? [0, 1] : [1, 0];
        for (const [who, side] of [
          [s, "sell"],
          [b, "buy"],
        ] as const)
          op.submitOrder(
            signOrder(
              {
                account: BigInt(3 + who),
                market: 0,
                side,
                nonce,
                maxFeeBps: 10n,
                amount: 1n,
                limitPrice: round.prices[0],
              },
              keys[who].privateKey,
              p.markets,
              DOMAIN,
            ),
          );
      }
      await op.tick({ flushTrades: true });
    }
    const batches = store.countBatches("settled");
    log(`${batches} batches made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    store.close();
    // with snapshots
    const times: number[] = [];
    let replayed = 0;
    for (let run = 0; run < 3; run++) {
      store = new Store(file);
      const t = performance.now();
      op = open(store);
      times.push(performance.now() - t);
      replayed = op.replayedOnOpen;
      if (run < 2) store.close();
    }
    // without: the snapshots moved aside for the run
    let openFullMs: number | undefined;
    if (batches <= (opts.fullUpTo ?? 1000)) {
      store.close();
      const bare = path.join(dir, "bare.db");
      fs.copyFileSync(file, bare);
      const s2 = new Store(bare);
      s2.snapshots.clear();
      s2.close();
      const s3 = new Store(bare);
      const t = performance.now();
      open(s3, Number.MAX_SAFE_INTEGER);
      openFullMs = performance.now() - t;
      s3.close();
      fs.rmSync(bare);
      store = new Store(file);
      op = open(store);
    }
    const app = buildApi(op);
    await app.ready();
    const page = async (url: string) => {
      const ms: number[] = [];
      for (let i = 0; i < 50; i++) {
        const t = performance.now();
        const r = await app.inject({ method: "GET", url });
        if (r.statusCode !== 200) throw new RigError("RIG_MISMATCH", `GET ${url}: ${r.statusCode}`);
        ms.push(performance.now() - t);
      }
      return median(ms);
    };
    const firstPageMs = await page("/v1/batches");
    const lastPageMs = await page(`/v1/batches?after=${Math.max(0, batches - 50)}`);
    await app.close();
    const row = { batches, openMs: median(times), replayed, openFullMs, firstPageMs, lastPageMs };
    log(JSON.stringify(row));
    rows.push(row);
  }
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return rows;
}
