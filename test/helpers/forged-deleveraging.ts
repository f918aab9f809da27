import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import type { BatchData, BatchDataOf } from "../../prover/src/domain/batch.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { submitProven } from "../../prover/src/service/pipeline.ts";
import { liquidate, type LiquidationResult } from "../../prover/src/engine/liquidations.ts";
import { signers } from "./chain.ts";

/**
 * A real chain where a dishonest operator settles a deleveraging that leaves the top-ranked
 * account out (test/contracts/skip-challenge.test.ts, test/cli/prove-skip.test.ts).
 */

const P = PARAM_SETS.test;
export const MARKS = [60_000_00n, 3_000_00n];
export const CRASH = [40_000_00n, 3_000_00n];

export interface CrashWorld {
  readonly w: World;
  /** Long 2 BTC on 13,000.00: bankrupt after the crash. */
  readonly thin: bigint;
  /** Short 1 BTC on 1,000,000.00: ranks second (less leverage). */
  readonly richShort: bigint;
  /** Short 1 BTC on 20,000.00: ranks first. */
  readonly leveredShort: bigint;
  /** Every settled batch's data, by batch number. */
  readonly settled: BatchData[];
  /** The trade batch's number. */
  readonly tradeBatch: bigint;
}

const batchCount = async (w: World) => (await w.d.settlement.getFunction("batchCount")()) as bigint;

/** Thin buys a BTC lot from each short at 60,000.00; then BTC crashes to 40,000.00. */
export async function crashWorld(): Promise<CrashWorld> {
  const s = await signers(4);
  // a 33 % move: the breaker is not what these tests are about
  const w = await setupWorld(P, s[0], [s[1], s[2], s[3]], { breakerMoveBps: 10_000 });
  const [thin, richShort, levered] = w.participants;
  const settled: BatchData[] = [];
  await deposit(w, thin, 1_300_000n);
  await deposit(w, richShort, 100_000_000n);
  await deposit(w, levered, 2_000_000n);
  while (w.pending.length > 0) settled.push((await settleDeposits(w)).data);
  await postRound(w, MARKS);
  const t = (x: typeof thin) => ({ index: x.account!, keys: x.keys });
  const tradeBatch = await batchCount(w);
  const trades = await settleTradeBatch(
    w,
    [richShort, levered].map((seller, i) => ({
      buy: order(w, t(thin), {
        market: 0,
        side: "buy",
        nonce: 1n,
        amount: 2n,
        limitPrice: MARKS[0],
      }),
      sell: order(w, t(seller), {
        market: 0,
        side: "sell",
        nonce: 1n + BigInt(i),
        amount: 1n,
        limitPrice: MARKS[0],
      }),
      qty: 1n,
      price: MARKS[0],
      takerIsBuyer: true,
    })),
  );
  settled.push(trades.data);
  await postRound(w, CRASH);
  return {
    w,
    thin: thin.account!,
    richShort: richShort.account!,
    leveredShort: levered.account!,
    settled,
    tradeBatch,
  };
}

/**
 * The operator liquidates thin and deleverages the ranking without its first (the levered
 * short), proves it (the circuit cannot see completeness) and settles it. `undo` puts the
 * world's state back where the batch was proven from.
 */
export async function settleForgedDeleveraging(cw: CrashWorld): Promise<{
  n: bigint;
  data: BatchDataOf<"liquidations">;
  r: LiquidationResult;
  undo: () => void;
}> {
  const { w } = cw;
  w.state.startJournal();
  const r = liquidate(
    w.state,
    [cw.thin],
    w.marks,
    P.liquidations,
    {
      unchecked: true,
      deleverages: P.deleverages,
      forgeDeleverage: { markets: [0], ranking: (rk) => rk.slice(1) },
    },
    w.fundingIndices,
    w.margins,
  );
  const journal = w.state.stopJournal();
  const data: BatchDataOf<"liquidations"> = {
    kind: "liquidations",
    accounts: [cw.thin],
    takers: [null],
    marks: w.marks,
    round: w.round,
    fundingIndices: w.fundingIndices,
    margins: w.margins,
    oldRoot: r.oldRoot,
    newRoot: r.newRoot,
    dataCommitment: r.dataCommitment,
    deleveraged: r.deleveraged,
    funding: [],
  };
  const proof = await w.prover.prove(
    "liquidate_batch",
    CIRCUITS.liquidate_batch.toSignals(r.input),
  );
  const n = await batchCount(w);
  await submitProven(w.chain, data, proof);
  cw.settled.push(data);
  return { n, data, r, undo: () => w.state.rollback(journal) };
}
