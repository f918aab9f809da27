import { BPS_DENOMINATOR } from "./constants.ts";
import { abs } from "./amounts.ts";
import type { Account } from "./account.ts";
import type { MarketParams } from "./market.ts";

export type MarginKind = "initial" | "maintenance";

/** equity = collateral + sum_j (size_j * mark_j - notional_j), in quote units. */
export function equity(a: Account, marks: readonly bigint[]): bigint {
  let e = a.collateral;
  a.positions.forEach((p, j) => {
    e += p.size * marks[j] - p.notional;
  });
  return e;
}

/**
 * The margin requirement scaled by 10^4: sum_j |size_j| * mark_j * rate_j, with the
 * initial or the maintenance rate. Compare with 10^4 * equity, as the circuit does,
 * so no rounding is involved.
 */
export function scaledRequirement(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
  kind: MarginKind,
): bigint {
  let r = 0n;
  a.positions.forEach((p, j) => {
    const rate = kind === "initial" ? markets[j].initialMarginBps : markets[j].maintenanceMarginBps;
    r += abs(p.size) * marks[j] * rate;
  });
  return r;
}

/** 10^4 * equity - requirement: non-negative iff the account meets the margin kind. */
export function marginSurplus(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
  kind: MarginKind,
): bigint {
  return BPS_DENOMINATOR * equity(a, marks) - scaledRequirement(a, marks, markets, kind);
}

export function meetsMargin(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
  kind: MarginKind,
): boolean {
  return marginSurplus(a, marks, markets, kind) >= 0n;
}

/**
 * Whether the account meets the margin kind with `floor` of equity to spare:
 * 10^4 * (equity - floor) >= requirement, MarginRequirement's check with its floor input
 * (the insurance fund's floor, so its value at the marks stays above it, not only its
 * collateral).
 */
export function meetsMarginAbove(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
  kind: MarginKind,
  floor: bigint,
): boolean {
  return marginSurplus(a, marks, markets, kind) >= BPS_DENOMINATOR * floor;
}

/** fee = floor(notional * rateBps / 10^4): the twin of TradingFee. */
export function tradingFee(notional: bigint, rateBps: bigint): bigint {
  return (notional * rateBps) / BPS_DENOMINATOR;
}
