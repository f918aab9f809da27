import { FUNDING_SCALE, RATE_DENOMINATOR } from "./constants.ts";
import type { Trade } from "./batch.ts";

/**
 * The funding rate rule (README, "Funding"): at each tick, market j's rate, in parts per
 * million of the price per interval, is the volume-weighted premium of the exchange's
 * trades over the oracle, each trade's premium clamped to the cap first:
 *   premium_t = clamp(trunc((price_t - mark_t) * 10^6 / mark_t), -cap, cap)
 *   rate_j    = trunc(sum_t qty_t * premium_t / sum_t qty_t)
 * over market j's trades in the trade batches settled on-chain since the previous tick
 * (BatchSettled events after the previous FundingTicked event and before this one, in chain
 * order), mark_t being the mark price of the oracle round the trade's batch was proven at,
 * cap the Funding contract's maxRatePpm, trunc rounding toward zero. A market without
 * trades in the window gets 0. Clamping each trade before weighting keeps a small trade at
 * an extreme price from setting the rate: one lot at any price moves the rate by at most
 * cap / (lots traded in the window). The contract enforces the cap; the auditor recomputes
 * the rule from the batch files.
 */

/** What a funding window saw on one market: lots traded, and the sum of qty * premium (ppm). */
export interface MarketFlow {
  readonly qty: bigint;
  readonly premium: bigint;
}

/** One trade's premium over the mark its batch was proven at, in ppm, clamped to +-cap. */
export function tradePremiumPpm(price: bigint, mark: bigint, capPpm: bigint): bigint {
  if (mark <= 0n) return 0n;
  // BigInt division truncates toward zero
  const premium = ((price - mark) * RATE_DENOMINATOR) / mark;
  if (premium > capPpm) return capPpm;
  if (premium < -capPpm) return -capPpm;
  return premium;
}

/** The flows of one trade batch proven at `marks`, one per market. */
export function marketFlows(
  trades: Iterable<Trade>,
  marks: readonly bigint[],
  capPpm: bigint,
): MarketFlow[] {
  const flows = marks.map(() => ({ qty: 0n, premium: 0n }));
  for (const t of trades) {
    const j = t.buy.order.market;
    flows[j].qty += t.qty;
    flows[j].premium += t.qty * tradePremiumPpm(t.price, marks[j], capPpm);
  }
  return flows;
}

/** Two windows' (or batches') flows together. */
export function addFlows(a: readonly MarketFlow[], b: readonly MarketFlow[]): MarketFlow[] {
  return a.map((f, j) => ({ qty: f.qty + b[j].qty, premium: f.premium + b[j].premium }));
}

/** A market's rate under the rule, in ppm per interval (within +-cap, as each premium is). */
export function premiumRatePpm(flow: MarketFlow): bigint {
  return flow.qty === 0n ? 0n : flow.premium / flow.qty;
}

/** Every market's rate under the rule. */
export function fundingRates(flows: readonly MarketFlow[]): bigint[] {
  return flows.map(premiumRatePpm);
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
