import { BPS_DENOMINATOR, PRICE_BITS } from "./constants.ts";
import { abs, encodeSigned, signedFloorDiv, ValueRangeError } from "./amounts.ts";
import { poseidon } from "./hash.ts";

/**
 * Auto-deleveraging (docs/isolation.md, section 3): the bankruptcy price, the published
 * ranking of opposing positions and how a bankrupt position is closed against it. The
 * deleveraging slots of LiquidateBatch will prove this rule; it is written first, as their
 * twin.
 */

/** pnlBps's bounds: a signed 32-bit value. The score, pnlBps * leverage, is below 2^62. */
export const SCORE_MIN = -(1n << 31n);
export const SCORE_MAX = (1n << 31n) - 1n;
/** The highest price a trade or a deleveraging may have (prices are 64-bit). */
export const PRICE_MAX = (1n << BigInt(PRICE_BITS)) - 1n;

const clamp = (x: bigint, lo: bigint, hi: bigint) => (x < lo ? lo : x > hi ? hi : x);
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

export interface BankruptcyPrice {
  /** The price the opposing positions close at. */
  readonly price: bigint;
  /**
   * What the price's bounds leave uncovered (the clamp at 1 for a bankrupt short, at
   * 2^64 - 1 for a bankrupt long); it stays with the compartment.
   */
  readonly uncovered: bigint;
}

/**
 * The price at which `lots` lots of a bankrupt position (its whole position in the market),
 * with an uncovered loss `x` at the mark, are closed so that the loss is covered: the
 * opposing shorts buy a bankrupt long's lots at mark + ceil(x / lots), at most 2^64 - 1;
 * the opposing longs sell to a bankrupt short at mark - ceil(x / lots), at least 1.
 * Rounding up favours the compartment by less than `lots` quote units.
 */
export function bankruptcyPrice(
  bankruptLong: boolean,
  mark: bigint,
  lots: bigint,
  x: bigint,
): BankruptcyPrice {
  if (lots <= 0n || mark <= 0n || mark > PRICE_MAX || x < 0n)
    throw new ValueRangeError(
      "VALUE_OUT_OF_RANGE",
      `a bankruptcy price needs lots > 0, 0 < mark < 2^64 and x >= 0 (lots ${lots}, mark ${mark}, x ${x})`,
    );
  const step = ceilDiv(x, lots);
  const price = bankruptLong
    ? clamp(mark + step, 1n, PRICE_MAX)
    : clamp(mark - step, 1n, PRICE_MAX);
  const covered = lots * abs(price - mark);
  return { price, uncovered: covered >= x ? 0n : x - covered };
}

/** An opposing position as the ranking sees it (after its funding, at the batch's marks). */
export interface RankedPosition {
  readonly account: bigint;
  /** Signed lots in the market. */
  readonly size: bigint;
  /** u_j = size * mark - notional: its result in the market since it was last flat. */
  readonly result: bigint;
  /** The account's equity at the marks (its cross equity, or its sub-account's). */
  readonly equity: bigint;
  /**
   * 10^4 * equity - its maintenance requirement (scaled by 10^4) at the liquidation rates:
   * at least 0 for a ranked account, and kept so by deleveraging.
   */
  readonly surplus: bigint;
}

/**
 * The published score of an open position with equity E > 0, at a mark > 0:
 *   value    = |size| * mark
 *   pnlBps   = clamp(floor(u * 10^4 / value), -2^31, 2^31 - 1)
 *   leverage = clamp(floor(value * 100 / E), 1, 2^31 - 1)        (in hundredths)
 *   score    = pnlBps * leverage when pnlBps > 0, else pnlBps
 * Profitable and leveraged positions rank first.
 */
export function deleverageScore(p: RankedPosition, mark: bigint): bigint {
  if (p.size === 0n || p.equity <= 0n || mark <= 0n)
    throw new ValueRangeError(
      "VALUE_OUT_OF_RANGE",
      `account ${p.account}: only an open position with equity > 0 at a mark > 0 is ranked`,
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
 * side with equity above 0 that `eligible` admits (the caller's rule: at or above
 * maintenance at the liquidation rates, not the fund, not the bankrupt account), scored and
 * in strict order.
 */
export function rankOpposing(
  positions: readonly RankedPosition[],
  bankruptLong: boolean,
  mark: bigint,
  eligible: (p: RankedPosition) => boolean,
): (RankedPosition & { score: bigint })[] {
  return positions
    .filter((p) => (bankruptLong ? p.size < 0n : p.size > 0n) && p.equity > 0n && eligible(p))
    .map((p) => ({ ...p, score: deleverageScore(p, mark) }))
    .sort((a, b) => (ranksBefore(a, b) ? -1 : ranksBefore(b, a) ? 1 : 0));
}

export interface Deleveraged {
  readonly account: bigint;
  readonly score: bigint;
  /** Lots closed (at least 1): the position moves this many lots towards zero. */
  readonly lots: bigint;
}

export interface DeleveragePlan {
  readonly price: bigint;
  /**
   * The ranked entries that close lots, in order, each with its lots (entries that cannot
   * afford a lot are passed over): the list the batch publishes.
   */
  readonly examined: readonly Deleveraged[];
  /** The first ranked entry the plan did not reach: null when none is left. */
  readonly cutOff: { readonly account: bigint; readonly score: bigint } | null;
  /** Lots no ranked position could take: the fund takes them at the mark. */
  readonly unplaced: bigint;
  /** What the closed lots bring the compartment: sum of lots * |price - mark|. */
  readonly recovered: bigint;
  /**
   * x - recovered: above 0, what stays with the compartment as a deficit (unplaced lots,
   * the price's bounds); below 0, the rounding's gain (less than one unit per lot).
   */
  readonly shortfall: bigint;
}

/**
 * The lots one ranked entry takes: the most it can, q = min(left, size, floor(surplus /
 * cost)) for cost > 0 (closing a lot costs it `cost` of maintenance surplus), min(left,
 * size) otherwise. Twin of DeleverageTake (circuits/src/deleveraging.circom), which checks
 * q <= left, q <= size, q * cost <= surplus, and that one more lot would break one of them.
 */
export function deleverageTake(left: bigint, size: bigint, surplus: bigint, cost: bigint): bigint {
  if (surplus < 0n || left < 0n || size < 0n)
    throw new ValueRangeError(
      "VALUE_OUT_OF_RANGE",
      `a ranked entry takes lots only at or above maintenance (surplus ${surplus}, left ${left}, size ${size})`,
    );
  const affordable = cost > 0n ? (surplus > 0n ? surplus / cost : 0n) : size;
  return [left, size, affordable].reduce((a, b) => (a < b ? a : b));
}

/**
 * Closes a bankrupt position of `lots` lots (its whole position in the market) with an
 * uncovered loss `x` against the ranking, in order, at the bankruptcy price. Each entry
 * takes the most it can, q = min(lots left, |size|, what keeps its maintenance surplus at
 * or above 0): closing q lots at a distance d from the mark costs it 10^4 * q * d of
 * surplus and frees q * mark * mmBps of requirement, so q <= floor(surplus / (10^4 * d -
 * mark * mmBps)) when that is positive. `mmBps` is the market's rate at the round's
 * liquidation multiplier (MarketBinding's liqMmBps), the one `surplus` is taken at. A
 * counterparty's position is only reduced, and it stays at or above maintenance, so
 * deleveraging never makes a new liquidation. An entry that cannot afford one lot is passed
 * over (DeleverageEntry refuses an entry of 0 lots).
 */
export function planDeleverage(
  ranking: readonly (RankedPosition & { score: bigint })[],
  bankruptLong: boolean,
  mark: bigint,
  mmBps: bigint,
  lots: bigint,
  x: bigint,
  limit = Number.MAX_SAFE_INTEGER,
): DeleveragePlan {
  const { price } = bankruptcyPrice(bankruptLong, mark, lots, x);
  const cost = BPS_DENOMINATOR * abs(price - mark) - mark * mmBps;
  const examined: Deleveraged[] = [];
  let left = lots;
  let i = 0;
  for (; i < ranking.length; i++) {
    if (left === 0n || examined.length === limit) break;
    const p = ranking[i];
    const q = deleverageTake(left, abs(p.size), p.surplus, cost);
    // an entry that cannot afford a lot is passed over: listing it would spend a slot and
    // close nothing (a batch of such entries would change nothing, again and again)
    if (q === 0n) continue;
    examined.push({ account: p.account, score: p.score, lots: q });
    left -= q;
  }
  const cut = ranking[i];
  const recovered = (lots - left) * abs(price - mark);
  return {
    price,
    examined,
    cutOff: cut ? { account: cut.account, score: cut.score } : null,
    unplaced: left,
    recovered,
    shortfall: x - recovered,
  };
}

/**
 * What a liquidation batch published of one market's deleveraging (an entry of the batch
 * file's `deleveraged` list): the market, the bankruptcy price (0 where the fund held no
 * position to close), the fund's signed position there before its entries (0: none), the
 * account-tree root its entries start from (what a skip proof reads an account on), and
 * every entry that closed lots, in the ranking's order, with its lots and score.
 */
export interface Deleveraging {
  readonly market: number;
  readonly price: bigint;
  readonly fundSize: bigint;
  readonly root: bigint;
  readonly entries: readonly Deleveraged[];
}

/** What tells a market's head from an entry in the commitment (Deleverage). */
const HEAD_TAG = 1n << 100n;

/**
 * A head's word in the commitment (Deleverage): 2^100 + market + |fundSize| * 2^8 +
 * 2^80 when the fund is long (|fundSize| <= 2^64, so an entry's word stays below 2^99).
 */
export function deleverageHeadWord(d: Pick<Deleveraging, "market" | "fundSize">): bigint {
  const lots = d.fundSize < 0n ? -d.fundSize : d.fundSize;
  return HEAD_TAG + BigInt(d.market) + (lots << 8n) + (d.fundSize > 0n ? 1n << 80n : 0n);
}

/** An entry's word in the commitment: account + lots * 2^32 + market * 2^96. */
export function deleverageEntryWord(market: number, e: Deleveraged): bigint {
  return e.account + (e.lots << 32n) + (BigInt(market) << 96n);
}

/**
 * Deleverage's part of LiquidateBatch's dataCommitment, from the liquidations' chain `c`:
 * c' = Poseidon(c, head word, price, root) per deleveraged market, ascending
 * (deleverageHeadWord), then c' = Poseidon(c, entry word, score) per entry, market by
 * market (the score as a field element). Heads hash four inputs, every other step of a
 * liquidation batch's chain three. Without a deleveraging: `c`.
 */
export function deleverageCommitment(c: bigint, list: readonly Deleveraging[] = []): bigint {
  let out = c;
  for (const d of list) out = poseidon([out, deleverageHeadWord(d), d.price, d.root]);
  for (const d of list)
    for (const e of d.entries)
      out = poseidon([out, deleverageEntryWord(d.market, e), encodeSigned(e.score)]);
  return out;
}
