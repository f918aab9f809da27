import type { BatchKind } from "../domain/batch.ts";
import type { Finding } from "./findings.ts";

/**
 * Settlement's price rule (contracts/Settlement.sol, "The price rule"), re-stated for the
 * auditor as a pure function of chain data: a batch proven at oracle round r (trades,
 * withdrawals, liquidations) was admissible when it landed if
 * 0. r was finalised: r <= the oracle's latest round;
 * 1. rounds never go backwards: r >= the round of the previous priced batch;
 * 2. if r is not the latest round, round r + 1 was posted (the time of the block that
 *    finalised it) less than roundGrace before the block's time (liquidations get no
 *    grace: they must use the latest round);
 * 3. r is fresh: block time - timestamp(r) <= maxPriceAge.
 * The auditor gathers the inputs from events (RoundFinalized, BatchSettled), block times
 * and Settlement's immutables; every broken rule is a ROUND_INADMISSIBLE finding.
 */

/** Settlement's immutables the rule uses, seconds. */
export interface RoundRuleParams {
  readonly maxPriceAge: bigint;
  readonly roundGrace: bigint;
}

/** A finalised oracle round: its id and timestamp (RoundFinalized). */
export interface RoundStamp {
  readonly id: bigint;
  readonly timestamp: bigint;
}

/** One priced batch and the oracle's history as it stood when the batch landed. */
export interface PricedBatchView {
  readonly batch: number;
  readonly kind: BatchKind;
  readonly roundId: bigint;
  /** The timestamp of the batch's block. */
  readonly blockTime: bigint;
  /** The oracle's latest round before the batch's log (null: none finalised yet). */
  readonly latest: RoundStamp | null;
  /** The round of the previous priced batch (0 before any, as Settlement starts). */
  readonly lastRoundUsed: bigint;
  /** A round's timestamp, for rounds finalised before the batch (undefined if unknown). */
  readonly timestampOf: (roundId: bigint) => bigint | undefined;
  /** When a round was posted (its block's time), for round r + 1 (undefined if unknown). */
  readonly postedAtOf: (roundId: bigint) => bigint | undefined;
}

/** The rules, by number, as the findings name them. */
export const ROUND_RULES = [
  "the round was finalised",
  "rounds never go backwards",
  "a superseded round only within the grace",
  "the round is fresh",
] as const;

export type RoundRule = 0 | 1 | 2 | 3;

export interface RoundBreach {
  readonly rule: RoundRule;
  readonly reason: string;
}

/** Every rule of the price rule that the batch breaks (none: it was admissible). */
export function roundBreaches(b: PricedBatchView, params: RoundRuleParams): RoundBreach[] {
  const out: RoundBreach[] = [];
  const r = b.roundId;
  const latest = b.latest;
  // only rounds finalised before the batch count
  const known = (id: bigint) =>
    latest !== null && id <= latest.id ? b.timestampOf(id) : undefined;
  const time = known(r);

  // 0. finalised
  if (latest === null || r > latest.id)
    out.push({
      rule: 0,
      reason:
        latest === null
          ? "no oracle round was finalised before the batch"
          : `the oracle's latest round before the batch was ${latest.id}`,
    });
  else if (time === undefined)
    out.push({ rule: 0, reason: `the oracle never finalised round ${r}` });

  // 1. never backwards
  if (r < b.lastRoundUsed)
    out.push({
      rule: 1,
      reason: `the previous priced batch used round ${b.lastRoundUsed}`,
    });

  // 2. superseded: round r + 1 posted less than the grace ago (no grace for liquidations)
  if (latest !== null && r < latest.id) {
    const grace = b.kind === "liquidations" ? 0n : params.roundGrace;
    const next = b.postedAtOf(r + 1n);
    if (next === undefined)
      out.push({
        rule: 2,
        reason: `round ${r + 1n} was finalised before the batch but when it was posted is unknown`,
      });
    else if (b.blockTime >= next + grace)
      out.push({
        rule: 2,
        reason:
          b.kind === "liquidations"
            ? `a liquidation must use the latest round, which was ${latest.id}`
            : `round ${r + 1n} (posted at ${next}) superseded it ${b.blockTime - next} s before ` +
              `the batch's block (time ${b.blockTime}), not less than the grace of ${grace} s; ` +
              `the latest round was ${latest.id}`,
      });
  }

  // 3. fresh
  if (time !== undefined && b.blockTime > time + params.maxPriceAge)
    out.push({
      rule: 3,
      reason:
        `round ${r} (timestamp ${time}) was ${b.blockTime - time} s old at the batch's block ` +
        `(time ${b.blockTime}), beyond maxPriceAge ${params.maxPriceAge} s`,
    });
  return out;
}

/** The finding of one broken rule: the batch, its round, the rule and why. */
export function roundFinding(b: PricedBatchView, breach: RoundBreach): Finding {
  return {
    code: "ROUND_INADMISSIBLE",
    batch: b.batch,
    message:
      `batch ${b.batch} (${b.kind}) used oracle round ${b.roundId}, which breaks price rule ` +
      `${breach.rule} (${ROUND_RULES[breach.rule]}): ${breach.reason}`,
  };
}
