import { BPS_DENOMINATOR } from "./constants.ts";
import { abs } from "./amounts.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import type { Account } from "./account.ts";
import type { MarketParams } from "./market.ts";

/**
 * The insurance fund's compartments and who pays a liquidation's result, market by market
 * (docs/isolation.md, sections 1 and 2). This is the rule LiquidateBatch's per-market
 * fund ledger will prove; it is written first, as the twin the circuit is checked against.
 *
 * Compartment j of the fund is its ledger in market j, C_j = size_j * mark_j - notional_j:
 * capital moved in lowers notional_j, penalties raise C_j, shortfalls lower it, positions
 * taken over at the mark leave it unchanged at that mark. The fund's collateral is its
 * reserve and never pays a liquidation.
 */
export class CompartmentError extends ZkClearError<CodeOf<"liquidation">> {}

/** The fund's compartments at `marks`: C_j = size_j * mark_j - notional_j. */
export function compartmentValues(fund: Account, marks: readonly bigint[]): bigint[] {
  return fund.positions.map((p, j) => p.size * marks[j] - p.notional);
}

/** Each market's penalty: floor(|size_j| * mark_j * penaltyBps_j / 10^4), 0 when flat. */
export function penaltiesByMarket(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
): bigint[] {
  return a.positions.map(
    (p, j) => (abs(p.size) * marks[j] * markets[j].liquidationPenaltyBps) / BPS_DENOMINATOR,
  );
}

/**
 * A liquidator's share in each market it takes:
 * floor(|size_j| * mark_j * discountBps_j / 10^4), 0 in a market it does not take.
 */
export function sharesByMarket(
  a: Account,
  marks: readonly bigint[],
  take: readonly boolean[],
  discountBps: readonly bigint[],
): bigint[] {
  return a.positions.map((p, j) =>
    take[j] ? (abs(p.size) * marks[j] * discountBps[j]) / BPS_DENOMINATOR : 0n,
  );
}

/** One liquidation's result for the fund, split by market. */
export interface Attribution {
  /** The account's equity at the marks (after its funding). */
  readonly equity: bigint;
  /** The penalty, sum_j penalty_j. */
  readonly penalty: bigint;
  /** What the account keeps: max(equity - penalty, 0). */
  readonly kept: bigint;
  /** d_j: what compartment j gains (negative: pays). sum_j d_j = equity - kept - sum_j share_j. */
  readonly charges: readonly bigint[];
  /**
   * The part of the account's collateral that was negative beyond its winning markets'
   * gains (R < 0), and the market charged with it; null when R >= 0 or the equity
   * covered the penalty.
   */
  readonly negativeResources: { readonly amount: bigint; readonly market: number } | null;
}

/**
 * Splits a liquidated account's result for the fund, equity - kept - shares, by market
 * (docs/isolation.md, section 2). `a` is the account after its funding is settled; `shares`
 * the liquidator's share per market (0 where it takes nothing), each at most that market's
 * penalty.
 *
 * - The account covers its penalty (E >= P): compartment j gets penalty_j - share_j.
 * - Otherwise each market needs need_j = max(0, penalty_j - u_j), and the account's
 *   resources are R = collateral + sum_j max(0, u_j - penalty_j). With R >= 0 they cover
 *   the needs in market order, and d_j = penalty_j - share_j - (need_j - covered_j). With
 *   R < 0 nothing is covered and -R is charged to the lowest open market with a need (the
 *   lowest open market when none has one): nothing falls on the fund's reserve.
 * A market with no position is never charged. The charges add up to E - kept - sum share.
 */
export function attributeLiquidation(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
  shares: readonly bigint[],
): Attribution {
  const penalties = penaltiesByMarket(a, marks, markets);
  penalties.forEach((p, j) => {
    if (shares[j] > p)
      throw new CompartmentError(
        "LIQUIDATOR_SHARE_ABOVE_PENALTY",
        `market ${j}: a liquidator's share of ${shares[j]} is above the market's penalty of ${p}`,
      );
  });
  const open = a.positions.map((p) => p.size !== 0n);
  const results = a.positions.map((p, j) => p.size * marks[j] - p.notional);
  const equity = results.reduce((s, u) => s + u, a.collateral);
  const penalty = penalties.reduce((s, p) => s + p, 0n);
  const net = penalties.map((p, j) => p - shares[j]);
  if (equity >= penalty)
    return { equity, penalty, kept: equity - penalty, charges: net, negativeResources: null };

  const needs = penalties.map((p, j) => (p > results[j] ? p - results[j] : 0n));
  const resources = penalties.reduce(
    (r, p, j) => (results[j] > p ? r + results[j] - p : r),
    a.collateral,
  );
  if (resources >= 0n) {
    let left = resources;
    const charges = net.map((n, j) => {
      const covered = needs[j] < left ? needs[j] : left;
      left -= covered;
      return n - (needs[j] - covered);
    });
    return { equity, penalty, kept: 0n, charges, negativeResources: null };
  }
  const market = negativeMarket(open, needs);
  const charges = net.map((n, j) => n - needs[j] + (j === market ? resources : 0n));
  return {
    equity,
    penalty,
    kept: 0n,
    charges,
    negativeResources: { amount: -resources, market },
  };
}

/**
 * The market charged with a negative collateral: the lowest open market with a need, else
 * the lowest open market. An account below maintenance with no open position has negative
 * equity in collateral alone; no rule of the exchange leaves one (a flat account meets
 * its requirement of 0 only with collateral >= 0 after each trade, transfer and
 * withdrawal), and it is charged to market 0.
 */
function negativeMarket(open: readonly boolean[], needs: readonly bigint[]): number {
  const needing = open.findIndex((o, j) => o && needs[j] > 0n);
  if (needing >= 0) return needing;
  const first = open.indexOf(true);
  return first >= 0 ? first : 0;
}

/** A slot's charges applied to the running compartments. */
export interface CompartmentStep {
  /** The compartments after the slot. */
  readonly after: readonly bigint[];
  /**
   * x_j: the part of a charge compartment j cannot pay, closed by deleveraging in market j
   * (section 3); 0 where the compartment pays in full or gains.
   */
  readonly deleverage: readonly bigint[];
}

/**
 * Applies one liquidation's charges to the running compartments (section 1, solvency per
 * slot). A compartment pays what it has: for a charge d_j < 0 the excess
 * x_j = min(-d_j, max(0, -(C_j + d_j))) is deleveraged, so C_j ends at
 * max(C_j + d_j, 0) when it started at or above 0, and unchanged when it was already below
 * 0 (a compartment under water pays no part of a new charge). Gains (d_j >= 0) are added.
 * The amount is a function of the queue, not a choice: grouping the same slots into other
 * batches deleverages the same amounts.
 */
export function chargeCompartments(
  compartments: readonly bigint[],
  charges: readonly bigint[],
): CompartmentStep {
  const deleverage = charges.map((d, j) => {
    if (d >= 0n) return 0n;
    const short = -(compartments[j] + d);
    const excess = short > 0n ? short : 0n;
    return excess < -d ? excess : -d;
  });
  const after = compartments.map((c, j) => c + charges[j] + deleverage[j]);
  return { after, deleverage };
}
