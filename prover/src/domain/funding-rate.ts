import { FUNDING_SCALE, RATE_DENOMINATOR } from "./constants.ts";
import type { Trade } from "./batch.ts";

/**
 * The funding rate rule (README, "Funding"): at each tick, market j's rate, in parts per
 * million of the oracle price per interval, is the premium of the exchange's prices over
 * the oracle's, capped:
 *   rate_j = clamp(trunc((vwap_j - index_j) * 10^6 / index_j), -cap, cap)
 * where vwap_j is the volume-weighted price of market j's trades in the trade batches
 * settled on-chain since the previous tick (BatchSettled events after the previous
 * FundingTicked event and before this one, in chain order), index_j is market j's price at
 * the oracle round the tick reads (its priceRound), cap is the Funding contract's
 * maxRatePpm, and trunc rounds toward zero. A market without trades in the window gets 0.
 * The contract enforces the cap; the auditor recomputes the rule from the batch files.
 */

/** What a funding window saw on one market: lots traded and their value. */
export interface MarketFlow {
  readonly qty: bigint;
  readonly notional: bigint;
}

/** Sums trades into one flow per market. */
export function marketFlows(trades: Iterable<Trade>, markets: number): MarketFlow[] {
  const flows = Array.from({ length: markets }, () => ({ qty: 0n, notional: 0n }));
  for (const t of trades) {
    const f = flows[t.buy.order.market];
    f.qty += t.qty;
    f.notional += t.qty * t.price;
  }
  return flows;
}

/** One market's rate under the rule, in ppm per interval. */
export function premiumRatePpm(flow: MarketFlow, indexPrice: bigint, capPpm: bigint): bigint {
  if (flow.qty === 0n || indexPrice <= 0n) return 0n;
  const base = flow.qty * indexPrice;
  // BigInt division truncates toward zero
  const premium = ((flow.notional - base) * RATE_DENOMINATOR) / base;
  if (premium > capPpm) return capPpm;
  if (premium < -capPpm) return -capPpm;
  return premium;
}

/** Every market's rate under the rule. */
export function fundingRates(
  flows: readonly MarketFlow[],
  indexPrices: readonly bigint[],
  capPpm: bigint,
): bigint[] {
  return flows.map((f, j) => premiumRatePpm(f, indexPrices[j], capPpm));
}

/**
 * What a tick adds to market j's index: trunc(rate_j * price_j * 2^20 / 10^6), in 2^-20
 * quote units per lot, as the Funding contract computes it (Solidity's division truncates
 * toward zero, as BigInt's does).
 */
export function indexStep(ratePpm: bigint, price: bigint): bigint {
  return (ratePpm * price * FUNDING_SCALE) / RATE_DENOMINATOR;
}

/** The indices after a tick at `ratesPpm` on `prices`. */
export function nextIndices(
  indices: readonly bigint[],
  ratesPpm: readonly bigint[],
  prices: readonly bigint[],
): bigint[] {
  return indices.map((x, j) => x + indexStep(ratesPpm[j], prices[j]));
}
