import { poseidon } from "./hash.ts";
import { MarketConfigError } from "./market.ts";

/**
 * Circuit breakers: a market whose oracle price moves too far from one round to the next
 * is reduce-only for a cool-down. The rule lives in PriceOracle (`_breakers`), which records
 * each round's reduce-only markets; this file is its TypeScript twin (the auditor recomputes
 * every round's mask from the oracle's RoundFinalized events) and the trades' binding.
 *
 * The rule, per market m, for round r > 1 with timestamp t and price p, the previous round's
 * price being q:
 * - |p - q| * 10,000 > moveBps * q trips m: m is reduce-only until t + cooldown;
 * - round r's mask has bit m set when t < until(m) (after round r's own trip).
 * Round 1 has no previous round and trips nothing.
 */
export interface BreakerRule {
  /** The largest move, basis points of the previous round's price, that trips nothing. */
  readonly moveBps: bigint;
  /** Seconds of round time a tripped market stays reduce-only. */
  readonly cooldown: bigint;
}

/** PriceOracle's limits on the rule (MAX_BREAKER_MOVE_BPS, MAX_BREAKER_COOLDOWN). */
export const MAX_BREAKER_MOVE_BPS = 10_000;
export const MAX_BREAKER_COOLDOWN = 86_400;

/** What is wrong with a breaker rule PriceOracle would refuse (InvalidBreaker), or null. */
export function breakerProblem(moveBps: number, cooldown: number): string | null {
  if (!Number.isSafeInteger(moveBps) || moveBps < 1 || moveBps > MAX_BREAKER_MOVE_BPS)
    return `the breaker's bound must be 1..${MAX_BREAKER_MOVE_BPS} basis points, got ${moveBps}`;
  if (!Number.isSafeInteger(cooldown) || cooldown < 1 || cooldown > MAX_BREAKER_COOLDOWN)
    return `the breaker's cool-down must be 1..${MAX_BREAKER_COOLDOWN} seconds, got ${cooldown}`;
  return null;
}

/** One oracle round as the breaker rule reads it. */
export interface BreakerRound {
  readonly roundId: bigint;
  readonly timestamp: bigint;
  readonly prices: readonly bigint[];
}

/** A market's trip: which round moved it, from what to what, and until when. */
export interface BreakerTrip {
  readonly market: number;
  readonly roundId: bigint;
  readonly previousPrice: bigint;
  readonly price: bigint;
  readonly until: bigint;
}

/** Whether a move from `previous` to `price` trips a breaker of bound `moveBps`. */
export function trips(previous: bigint, price: bigint, moveBps: bigint): boolean {
  const move = price > previous ? price - previous : previous - price;
  return move * 10_000n > moveBps * previous;
}

/** The breaker rule's memory between rounds: each market's end of cool-down, the last round. */
export interface BreakerState {
  until: bigint[];
  last: BreakerRound | null;
}

/** The state before round 1. */
export function breakerStart(): BreakerState {
  return { until: [], last: null };
}

/**
 * Applies round `r` to `state` (the rule above) and returns its mask and trips, or undefined
 * when `r` does not follow the state's last round (an observer that did not see every round
 * from round 1 cannot know the mask; the state is then left as it was).
 */
export function breakerStep(
  rule: BreakerRule,
  state: BreakerState,
  r: BreakerRound,
): { mask: bigint; trips: BreakerTrip[] } | undefined {
  const previous = state.last;
  if (r.roundId !== (previous ? previous.roundId + 1n : 1n)) return undefined;
  if (state.until.length === 0) state.until = r.prices.map(() => 0n);
  const found: BreakerTrip[] = [];
  let mask = 0n;
  r.prices.forEach((p, m) => {
    const q = previous?.prices[m];
    if (q !== undefined && trips(q, p, rule.moveBps)) {
      state.until[m] = r.timestamp + rule.cooldown;
      found.push({
        market: m,
        roundId: r.roundId,
        previousPrice: q,
        price: p,
        until: state.until[m],
      });
    }
    if (r.timestamp < state.until[m]) mask |= 1n << BigInt(m);
  });
  state.last = { roundId: r.roundId, timestamp: r.timestamp, prices: [...r.prices] };
  return { mask, trips: found };
}

/**
 * Walks rounds 1, 2, ... in order (as PriceOracle finalises them) and returns every round's
 * reduce-only mask and the trips. The rounds must be consecutive from round 1.
 */
export function breakerMasks(
  rule: BreakerRule,
  rounds: readonly BreakerRound[],
): { masks: Map<bigint, bigint>; trips: BreakerTrip[] } {
  const masks = new Map<bigint, bigint>();
  const found: BreakerTrip[] = [];
  const state = breakerStart();
  for (const r of rounds) {
    const step = breakerStep(rule, state, r);
    if (!step)
      throw new MarketConfigError(
        "REDUCE_ONLY_MASK",
        `breaker rounds must be consecutive from round 1: round ${r.roundId} after ${state.last?.roundId ?? "none"}`,
      );
    masks.set(r.roundId, step.mask);
    found.push(...step.trips);
  }
  return { masks, trips: found };
}

/** Whether market `market` is reduce-only under `mask`. */
export function isReduceOnly(mask: bigint, market: number): boolean {
  return ((mask >> BigInt(market)) & 1n) === 1n;
}

/** The markets (of `markets`) reduce-only under `mask`, in order. */
export function reduceOnlyMarkets(mask: bigint, markets: number): number[] {
  return Array.from({ length: markets }, (_, j) => j).filter((j) => isReduceOnly(mask, j));
}

/** Checks a reduce-only mask: one bit per market, none beyond the market count. */
export function checkReduceOnly(mask: bigint, markets: number): bigint {
  if (mask < 0n || mask >> BigInt(markets) !== 0n)
    throw new MarketConfigError(
      "REDUCE_ONLY_MASK",
      `reduce-only mask ${mask} has bits beyond the ${markets} markets`,
    );
  return mask;
}

/**
 * Poseidon(2)(priceConfigHash, reduceOnly): a trade batch's binding, SettleTrades'
 * tradeBinding (Settlement.roundTradeBinding computes it per round).
 */
export function tradeBinding(priceBinding: bigint, reduceOnly: bigint, markets: number): bigint {
  return poseidon([priceBinding, checkReduceOnly(reduceOnly, markets)]);
}
