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
  a: { readonly positions: readonly { readonly size: bigint }[] },
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
   * The account's resources when negative (R < 0: a collateral negative beyond its open
   * markets' gains), and the market charged with them; null when R >= 0.
   */
  readonly negativeResources: { readonly amount: bigint; readonly market: number } | null;
}

/**
 * Splits a liquidated account's result for the fund, equity - kept - shares, by market
 * (docs/isolation.md, section 2). `a` is the account after its funding is settled; `shares`
 * the liquidator's share per market (0 where it takes nothing), each at most that market's
 * penalty. With u_j = size_j * mark_j - notional_j:
 *
 * - Each open market's loss is loss_j = max(0, -u_j). The account's resources are
 *   R = collateral + sum_j (u_j + loss_j): its collateral, its open markets' gains, and
 *   the result a flat market still holds in its notional (a liquidator's takeover can
 *   leave one). R - sum_j loss_j is the equity E.
 * - What is left of max(R, 0) covers the losses in market order, then pays the penalties
 *   in market order; what is left after both is what the account keeps, max(E - P, 0).
 * - d_j = paid_j - share_j - (loss_j - covered_j): a compartment earns the penalty of its
 *   market only when the account could pay it, and pays its own market's uncovered loss
 *   and the share of a liquidator who took its position. No market's loss pays another
 *   market's penalty.
 * - When R < 0 nothing is covered nor paid, and R is charged to the open market with the
 *   largest loss (the open market with the largest value at the mark when none has a
 *   loss, market 0 when none is open; ties to the lower index): nothing falls on the
 *   fund's reserve, and a small position cannot draw it to its market.
 * A flat market is charged only a liquidator's share, which it cannot have (a liquidator
 * takes positions). The charges add up to E - kept - sum_j share_j.
 * Twin of AttributeCharges (circuits/src/compartments.circom).
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
  const losses = results.map((u, j) => (open[j] && u < 0n ? -u : 0n));
  const equity = results.reduce((s, u) => s + u, a.collateral);
  const penalty = penalties.reduce((s, p) => s + p, 0n);
  const resources = results.reduce((r, u, j) => r + u + losses[j], a.collateral);
  let left = resources > 0n ? resources : 0n;
  const take = (want: bigint) => {
    const got = want < left ? want : left;
    left -= got;
    return got;
  };
  const covered = losses.map(take);
  const paid = penalties.map(take);
  const market = resources < 0n ? negativeMarket(a, marks, losses) : -1;
  const charges = paid.map(
    (p, j) => p - shares[j] - (losses[j] - covered[j]) + (j === market ? resources : 0n),
  );
  return {
    equity,
    penalty,
    kept: left,
    charges,
    negativeResources: market >= 0 ? { amount: -resources, market } : null,
  };
}

/**
 * The market charged with negative resources: the open market with the largest loss, else
 * the open market with the largest value at the mark, ties to the lower index. An account
 * below maintenance with no open position has negative equity in collateral alone; no rule
 * of the exchange leaves one (a flat account meets its requirement of 0 only with
 * collateral >= 0 after each trade, transfer and withdrawal), and it is charged to market 0.
 */
function negativeMarket(a: Account, marks: readonly bigint[], losses: readonly bigint[]): number {
  const largest = (key: (j: number) => bigint) =>
    a.positions.reduce(
      (best, p, j) => (p.size !== 0n && (best < 0 || key(j) > key(best)) ? j : best),
      -1,
    );
  if (losses.some((l) => l > 0n)) return largest((j) => losses[j]);
  const byValue = largest((j) => abs(a.positions[j].size) * marks[j]);
  return byValue >= 0 ? byValue : 0;
}
