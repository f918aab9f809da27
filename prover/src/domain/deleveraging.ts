import { BPS_DENOMINATOR } from "./constants.ts";
import { abs, ValueRangeError } from "./amounts.ts";

/**
 * Auto-deleveraging (docs/isolation.md, section 3): the bankruptcy price, the published
 * ranking of opposing positions and how a bankrupt position is closed against it. The
 * deleveraging slots of LiquidateBatch will prove this rule; it is written first, as their
 * twin.
 */

/** The score's bounds: a signed 32-bit value, so the circuit's comparisons are small. */
export const SCORE_MIN = -(1n << 31n);
export const SCORE_MAX = (1n << 31n) - 1n;

const clamp = (x: bigint, lo: bigint, hi: bigint) => (x < lo ? lo : x > hi ? hi : x);
/** floor(a / b) for b > 0 and a of either sign (BigInt division truncates towards 0). */
const signedFloorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

export interface BankruptcyPrice {
  /** The price the opposing positions close at. */
  readonly price: bigint;
  /** What the clamp at 1 leaves uncovered (a bankrupt short only), charged to the compartment. */
  readonly uncovered: bigint;
}

/**
 * The price at which `lots` lots of a bankrupt position, with an uncovered loss `x` at the
 * mark, are closed so that the loss is covered: the opposing shorts buy a bankrupt long's
 * lots at mark + ceil(x / lots); the opposing longs sell to a bankrupt short at
 * mark - ceil(x / lots), at least 1. Rounding up favours the compartment by less than `lots`
 * quote units.
 */
export function bankruptcyPrice(
  bankruptLong: boolean,
  mark: bigint,
  lots: bigint,
  x: bigint,
): BankruptcyPrice {
  if (lots <= 0n || mark <= 0n || x < 0n)
    throw new ValueRangeError(
      "VALUE_OUT_OF_RANGE",
      `a bankruptcy price needs lots > 0, mark > 0 and x >= 0 (lots ${lots}, mark ${mark}, x ${x})`,
    );
  const step = ceilDiv(x, lots);
  if (bankruptLong) return { price: mark + step, uncovered: 0n };
  if (mark - step >= 1n) return { price: mark - step, uncovered: 0n };
  return { price: 1n, uncovered: x - lots * (mark - 1n) };
}

/** An opposing position as the ranking sees it (after its funding, at the batch's marks). */
export interface RankedPosition {
  readonly account: bigint;
  /** Signed lots in the market. */
  readonly size: bigint;
  /** u_j = size * mark - notional: its result in the market since it was last flat. */
  readonly result: bigint;
  /** The account's cross equity at the marks. */
  readonly equity: bigint;
}

/**
 * The published score of an open position with equity E > 0:
 *   value    = |size| * mark
 *   pnlBps   = clamp(floor(u * 10^4 / value), -2^31, 2^31 - 1)
 *   leverage = clamp(floor(value * 100 / E), 1, 2^31 - 1)
 *   score    = pnlBps * leverage when pnlBps > 0, else pnlBps
 * Profitable and leveraged positions rank first.
 */
export function deleverageScore(p: RankedPosition, mark: bigint): bigint {
  if (p.size === 0n || p.equity <= 0n)
    throw new ValueRangeError(
      "VALUE_OUT_OF_RANGE",
      `account ${p.account}: only an open position with equity > 0 is ranked`,
    );
  const value = abs(p.size) * mark;
  const pnlBps = clamp(signedFloorDiv(p.result * BPS_DENOMINATOR, value), SCORE_MIN, SCORE_MAX);
  const leverage = clamp((value * 100n) / p.equity, 1n, SCORE_MAX);
  return pnlBps > 0n ? pnlBps * leverage : pnlBps;
}

/** Strict ranking order: score descending, then account index ascending. */
export function ranksBefore(
  a: { score: bigint; account: bigint },
  b: { score: bigint; account: bigint },
): boolean {
  return a.score > b.score || (a.score === b.score && a.account < b.account);
}

/**
 * The ranking of the positions opposing a bankrupt one in a market: those on the other
 * side, with equity above 0 and `eligible` (not below maintenance, not the fund, not the
 * bankrupt account), scored and in strict order.
 */
export function rankOpposing(
  positions: readonly RankedPosition[],
  bankruptLong: boolean,
  mark: bigint,
  eligible: (p: RankedPosition) => boolean = () => true,
): (RankedPosition & { score: bigint })[] {
  return positions
    .filter((p) => (bankruptLong ? p.size < 0n : p.size > 0n) && p.equity > 0n && eligible(p))
    .map((p) => ({ ...p, score: deleverageScore(p, mark) }))
    .sort((a, b) => (ranksBefore(a, b) ? -1 : ranksBefore(b, a) ? 1 : 0));
}

export interface Deleveraged {
  readonly account: bigint;
  /** Lots closed (positive): the position moves this many lots towards zero. */
  readonly lots: bigint;
  readonly price: bigint;
}

export interface DeleveragePlan {
  readonly price: bigint;
  readonly uncovered: bigint;
  readonly closed: readonly Deleveraged[];
  /** Lots no ranked position could take (the fund takes them at the mark). */
  readonly unplaced: bigint;
  /** The first ranked position not closed against: the published cut-off, null when none is left. */
  readonly cutOff: { readonly account: bigint; readonly score: bigint } | null;
}

/**
 * Closes `lots` lots of a bankrupt position with an uncovered loss `x` against the ranking,
 * in order, at the bankruptcy price. Each counterparty's position is only reduced, and by
 * at most what keeps its equity at or above zero: closing q lots at a price d away from the
 * mark costs it q * d, so q <= floor(E / d).
 */
export function planDeleverage(
  ranking: readonly (RankedPosition & { score: bigint })[],
  bankruptLong: boolean,
  mark: bigint,
  lots: bigint,
  x: bigint,
): DeleveragePlan {
  const { price, uncovered } = bankruptcyPrice(bankruptLong, mark, lots, x);
  const distance = price > mark ? price - mark : mark - price;
  const closed: Deleveraged[] = [];
  let left = lots;
  let next = 0;
  for (; next < ranking.length && left > 0n; next++) {
    const p = ranking[next];
    const affordable = distance === 0n ? abs(p.size) : p.equity / distance;
    let q = abs(p.size) < affordable ? abs(p.size) : affordable;
    if (q > left) q = left;
    if (q === 0n) continue;
    closed.push({ account: p.account, lots: q, price });
    left -= q;
  }
  const cut = ranking[next];
  return {
    price,
    uncovered,
    closed,
    unplaced: left,
    cutOff: cut ? { account: cut.account, score: cut.score } : null,
  };
}
