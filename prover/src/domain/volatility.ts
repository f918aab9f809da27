import { ZkClearError, type CodeOf } from "./errors.ts";
import type { BreakerRound } from "./breakers.ts";
import type { MarketParams } from "./market.ts";

/** A refusal of the volatility rule's twin (MARGIN_RULE). */
export class MarginRuleError extends ZkClearError<CodeOf<"market">> {}

/**
 * Margins that follow volatility: the TypeScript twin of contracts/VolatilityMargins.sol,
 * the rule PriceOracle applies to every round it finalises. Per round and market it gives
 * two multipliers of the configured margin rates, in basis points (10,000 = 1x): `mult`, for
 * new exposure and withdrawals, and `liqMult`, for liquidation, which follows `mult` down at
 * once and up only after `grace` seconds. The contract's description states the rule; the
 * auditor recomputes every round's multipliers here from the RoundFinalized events.
 */
export interface MarginRule {
  /** volSpan: rounds of the exponentially weighted window. */
  readonly span: bigint;
  /** volRefBps: the mean absolute move per round, bps, at which the multiplier is 1x. */
  readonly refBps: bigint;
  /** marginFloorBps: the lowest multiplier (at least 1x). */
  readonly floorBps: bigint;
  /** marginCeilBps: the highest multiplier. */
  readonly ceilBps: bigint;
  /** marginGrace: seconds a rise waits before liquidations use it. */
  readonly grace: bigint;
}

/** The rule's parameters as deployment files and the CLI give them (plain numbers). */
export type MarginRuleNumbers = { readonly [K in keyof MarginRule]: number };

/** A rule of plain numbers, as the twin computes with it. */
export function toMarginRule(n: MarginRuleNumbers): MarginRule {
  return {
    span: BigInt(n.span),
    refBps: BigInt(n.refBps),
    floorBps: BigInt(n.floorBps),
    ceilBps: BigInt(n.ceilBps),
    grace: BigInt(n.grace),
  };
}

/** VolatilityMargins' constants (ONE_X_BPS, MAX_*). */
export const ONE_X_BPS = 10_000n;
export const MAX_MARGIN_CEIL_BPS = 50_000n;
export const MAX_VOL_SPAN = 1_000n;
export const MAX_VOL_REF_BPS = 10_000n;
export const MAX_MARGIN_GRACE = 7n * 86_400n;
export const MAX_RETURN_BPS = 65_535n;

/** What is wrong with a rule VolatilityMargins would refuse (InvalidMarginRule), or null. */
export function marginRuleProblem(r: MarginRule): string | null {
  if (r.span < 1n || r.span > MAX_VOL_SPAN)
    return `the volatility span must be 1..${MAX_VOL_SPAN} rounds, got ${r.span}`;
  if (r.refBps < 1n || r.refBps > MAX_VOL_REF_BPS)
    return `the reference move must be 1..${MAX_VOL_REF_BPS} basis points, got ${r.refBps}`;
  if (r.floorBps < ONE_X_BPS)
    return `the margin floor must be at least ${ONE_X_BPS} basis points (1x), got ${r.floorBps}`;
  if (r.ceilBps < r.floorBps || r.ceilBps > MAX_MARGIN_CEIL_BPS)
    return `the margin ceiling must be ${r.floorBps}..${MAX_MARGIN_CEIL_BPS} basis points (floor..5x), got ${r.ceilBps}`;
  if (r.grace < 1n || r.grace > MAX_MARGIN_GRACE)
    return `the margin grace must be 1..${MAX_MARGIN_GRACE} seconds, got ${r.grace}`;
  return null;
}

/**
 * What is wrong with a rule for these markets, or null: at the ceiling, every market's
 * scaled initial and maintenance rate must stay below 2^16 (MarketBinding's ScaleBps
 * range-checks them; a round whose scaled rate did not fit could never be proven).
 */
export function marginCeilingProblem(
  rule: MarginRule,
  markets: readonly MarketParams[],
): string | null {
  for (const [j, m] of markets.entries())
    for (const rate of [m.initialMarginBps, m.maintenanceMarginBps])
      if (scaledBps(rate, rule.ceilBps) > 0xffffn)
        return `market ${j} (${m.symbol}): a margin rate of ${rate} bps at the ceiling ${rule.ceilBps} would be ${scaledBps(rate, rule.ceilBps)} bps, beyond 65535: lower the ceiling or the rate`;
  return null;
}

/**
 * One oracle round as the margin rule reads it: its prices and when it was posted (the time
 * of the block that finalised it: the grace runs in block time).
 */
export interface MarginRound extends BreakerRound {
  readonly postedAt: bigint;
}

/** One round's multipliers, per market. */
export interface RoundMargins {
  readonly mult: readonly bigint[];
  readonly liqMult: readonly bigint[];
}

/** One market's memory between rounds (VolatilityMargins.VolState). */
interface VolState {
  acc: bigint;
  mult: bigint;
  /** 0 until the market's first round. */
  liqMult: bigint;
  pendingMult: bigint;
  /** 0: no rise pending. */
  pendingSince: bigint;
}

/** The rule's memory: each market's state and the last round applied. */
export interface MarginState {
  markets: VolState[];
  last: BreakerRound | null;
}

/** The state before round 1. */
export function marginStart(): MarginState {
  return { markets: [], last: null };
}

/** Step 1: a round's absolute return in basis points, capped (0 without a previous price). */
export function absReturnBps(previous: bigint | undefined, price: bigint): bigint {
  if (previous === undefined) return 0n;
  const move = price > previous ? price - previous : previous - price;
  const ret = (move * 10_000n) / previous;
  return ret > MAX_RETURN_BPS ? MAX_RETURN_BPS : ret;
}

/** Step 3: the multiplier of an accumulator value, clamped to the rule's floor and ceiling. */
export function targetMultiplier(rule: MarginRule, acc: bigint): bigint {
  const m = (acc * 10_000n) / (rule.span * rule.refBps);
  return m < rule.floorBps ? rule.floorBps : m > rule.ceilBps ? rule.ceilBps : m;
}

/** Step 4: moves a market's liquidation multiplier towards `mult` at block time `t`. */
function grace(rule: MarginRule, s: VolState, mult: bigint, t: bigint): void {
  if (s.pendingSince !== 0n && t >= s.pendingSince + rule.grace) {
    s.liqMult = s.pendingMult;
    s.pendingSince = 0n;
  }
  if (mult <= s.liqMult || s.liqMult === 0n) {
    s.liqMult = mult;
    s.pendingSince = 0n;
  } else if (s.pendingSince === 0n) {
    s.pendingMult = mult;
    s.pendingSince = t;
  } else if (mult < s.pendingMult) {
    s.pendingMult = mult;
  }
}

/**
 * Applies round `r` to `state` and returns its multipliers, or undefined when `r` does not
 * follow the state's last round (the state is then left as it was).
 */
export function marginStep(
  rule: MarginRule,
  state: MarginState,
  r: MarginRound,
): RoundMargins | undefined {
  const previous = state.last;
  if (r.roundId !== (previous ? previous.roundId + 1n : 1n)) return undefined;
  if (state.markets.length === 0)
    state.markets = r.prices.map(() => ({
      acc: 0n,
      mult: 0n,
      liqMult: 0n,
      pendingMult: 0n,
      pendingSince: 0n,
    }));
  const mult: bigint[] = [];
  const liqMult: bigint[] = [];
  r.prices.forEach((p, m) => {
    const s = state.markets[m];
    s.acc = s.acc - s.acc / rule.span + absReturnBps(previous?.prices[m], p);
    s.mult = targetMultiplier(rule, s.acc);
    grace(rule, s, s.mult, r.postedAt);
    mult.push(s.mult);
    liqMult.push(s.liqMult);
  });
  state.last = { roundId: r.roundId, timestamp: r.timestamp, prices: [...r.prices] };
  return { mult, liqMult };
}

/**
 * Walks rounds 1, 2, ... in order and returns every round's multipliers. The rounds must be
 * consecutive from round 1.
 */
export function marginMultipliers(
  rule: MarginRule,
  rounds: readonly MarginRound[],
): Map<bigint, RoundMargins> {
  const out = new Map<bigint, RoundMargins>();
  const state = marginStart();
  for (const r of rounds) {
    const step = marginStep(rule, state, r);
    if (!step)
      throw new MarginRuleError(
        "MARGIN_RULE",
        `margin rounds must be consecutive from round 1: round ${r.roundId} after ${state.last?.roundId ?? "none"}`,
      );
    out.set(r.roundId, step);
  }
  return out;
}

/** VolatilityMargins' packed word of a round (bits [32m, 32m+16) mult, then liqMult). */
export function marginsWord(m: RoundMargins): bigint {
  return m.mult.reduce((w, x, j) => w | ((x | (m.liqMult[j] << 16n)) << (32n * BigInt(j))), 0n);
}

/** A margin rate scaled by a multiplier, rounded up: ceil(rateBps * mult / 10,000). */
export function scaledBps(rateBps: bigint, mult: bigint): bigint {
  return (rateBps * mult + ONE_X_BPS - 1n) / ONE_X_BPS;
}

/** The multipliers of a packed word (the inverse of marginsWord) for `markets` markets. */
export function unpackMarginsWord(word: bigint, markets: number): RoundMargins {
  const at = (m: number, shift: bigint) => (word >> (32n * BigInt(m) + shift)) & 0xffffn;
  const all = Array.from({ length: markets }, (_, m) => m);
  return { mult: all.map((m) => at(m, 0n)), liqMult: all.map((m) => at(m, 16n)) };
}

/** "mult/liqMult" per market, as x multiples: "1.00x/1.00x, 2.50x/1.00x". */
export function marginsText(m: RoundMargins): string {
  const x = (bps: bigint) => `${(Number(bps) / 10_000).toFixed(2)}x`;
  return m.mult.map((v, j) => `${x(v)}/${x(m.liqMult[j])}`).join(", ");
}

/** Every market at 1x: the multipliers of a round the rule left at its floor of 1x. */
export function oneX(markets: number): RoundMargins {
  const ones = Array.from({ length: markets }, () => ONE_X_BPS);
  return { mult: ones, liqMult: [...ones] };
}

/** Checks a round's multipliers: one pair per market, each 1x..2^16 - 1 (MarketBinding's). */
export function checkMargins(m: RoundMargins, markets: number): RoundMargins {
  if (m.mult.length !== markets || m.liqMult.length !== markets)
    throw new MarginRuleError(
      "MARGIN_RULE",
      `expected margin multipliers for ${markets} markets, got ${m.mult.length} and ${m.liqMult.length}`,
    );
  for (const x of [...m.mult, ...m.liqMult])
    if (x < ONE_X_BPS || x > 0xffffn)
      throw new MarginRuleError(
        "MARGIN_RULE",
        `a margin multiplier must be ${ONE_X_BPS}..65535 basis points, got ${x}`,
      );
  return m;
}

/**
 * The markets with their margin rates scaled by a round's multipliers, as MarketBinding
 * scales them: initial and maintenance rates by `mult` (the round's requirements), or, for
 * `use` "liquidation", the maintenance rate by `liqMult` (below it an account may be
 * liquidated; the initial rate stays the round's).
 */
export function scaledMarkets(
  markets: readonly MarketParams[],
  margins: RoundMargins,
  use: "requirement" | "liquidation" = "requirement",
): MarketParams[] {
  checkMargins(margins, markets.length);
  const fit = (rate: bigint, mult: bigint, j: number) => {
    const scaled = scaledBps(rate, mult);
    // MarketBinding's ScaleBps refuses more: no batch at this round could be proven
    if (scaled > 0xffffn)
      throw new MarginRuleError(
        "MARGIN_RULE",
        `market ${j}'s margin rate ${rate} bps at the multiplier ${mult} is ${scaled} bps, beyond 65535`,
      );
    return scaled;
  };
  return markets.map((m, j) => ({
    ...m,
    initialMarginBps: fit(m.initialMarginBps, margins.mult[j], j),
    maintenanceMarginBps: fit(
      m.maintenanceMarginBps,
      use === "liquidation" ? margins.liqMult[j] : margins.mult[j],
      j,
    ),
  }));
}
