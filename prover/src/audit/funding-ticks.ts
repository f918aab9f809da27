import type { Trade } from "../domain/batch.ts";
import { zeroIndices } from "../domain/funding.ts";
import { fundingRates, marketFlows, nextIndices, type MarketFlow } from "../domain/funding-rate.ts";
import type { ChainEvent } from "./chain-events.ts";
import type { Finding } from "./findings.ts";
import type { Progress } from "./progress.ts";

/**
 * The auditor's check of each funding tick (README, "Funding"; the rule is
 * domain/funding-rate.ts):
 * - the rates are the rule's: the premium of the trade batches settled since the previous
 *   tick (chain order: block, then log index) over the oracle prices of the tick's
 *   priceRound, capped by the Funding contract's maxRatePpm (FUNDING_RATE_RULE, naming the
 *   market, the tick's rate and the rule's). The operator may tick any rate within the cap:
 *   the contract cannot tell, the batch files can;
 * - the indices are the previous tick's plus indexStep(rate, price) (FUNDING_INDEX_MISMATCH:
 *   the contract guarantees it, so a mismatch means the Funding contract is not zkclear's).
 * The trade flows of the current window are kept in Progress (fundingFlows), so a
 * checkpointed audit resumes mid-window; null while a trade batch of the window could not
 * be read (no files, or the replay stopped): that tick's rule is then not checked.
 */

export type FundingTickedEvent = Extract<ChainEvent, { name: "FundingTicked" }>;

/** One tick as the audit saw it (Progress.fundingTicks, and the report). */
export interface TickRecord {
  readonly tick: number;
  readonly block: number;
  readonly priceRound: bigint;
  readonly prices: readonly bigint[];
  readonly ratesPpm: readonly bigint[];
  /** The rule's rates; null when the window's trades were not all known. */
  readonly rulePpm: readonly bigint[] | null;
  readonly indices: readonly bigint[];
}

/** The flows of a fresh window: known (all zero) when batch files are replayed. */
export function freshFlows(p: Pick<Progress, "replay">): MarketFlow[] | null {
  return p.replay === "on" ? [] : null;
}

/**
 * Adds a trade batch's trades to the current window (undefined: the batch's trades are not
 * known, so neither is the window's rate).
 */
export function addTradeFlows(
  p: Progress,
  trades: readonly Trade[] | undefined,
  marks: readonly bigint[],
  capPpm: bigint,
): void {
  const flows = p.fundingFlows;
  if (!flows) return;
  if (!trades) {
    p.fundingFlows = null;
    return;
  }
  const added = marketFlows(trades, marks, capPpm);
  p.fundingFlows = added.map((f, j) => ({
    qty: (flows[j]?.qty ?? 0n) + f.qty,
    premium: (flows[j]?.premium ?? 0n) + f.premium,
  }));
}

interface TickContext {
  readonly p: Progress;
  /** Market symbols, in market order. */
  readonly markets: readonly string[];
  find(f: Finding): void;
}

const list = (xs: readonly bigint[]) => `[${xs.join(", ")}]`;

/**
 * Checks one tick against the rule and the previous tick's indices, records it, and starts
 * the next window. `prices` are the oracle's at ev.priceRound; `capPpm` is Funding's maxRatePpm.
 */
export function checkTick(
  ctx: TickContext,
  ev: FundingTickedEvent,
  prices: readonly bigint[],
  capPpm: bigint,
): TickRecord {
  const p = ctx.p;
  const m = ctx.markets.length;
  const name = (j: number) => ctx.markets[j] ?? `market ${j}`;
  const ticks = (p.fundingTicks ??= []);
  const rates = Array.from({ length: m }, (_, j) => ev.ratesPpm[j] ?? 0n);

  // 1. the rule, from the window's trades
  const window = p.fundingFlows;
  const flows = window
    ? Array.from({ length: m }, (_, j) => window[j] ?? { qty: 0n, premium: 0n })
    : null;
  const rule = flows ? fundingRates(flows) : null;
  if (rule)
    rule.forEach((r, j) => {
      if (r === rates[j]) return;
      const f = flows![j];
      const traded = f.qty
        ? `${f.qty} lots traded since the previous tick at a volume-weighted premium of ${f.premium / f.qty} ppm over their batches' marks (each trade clamped to the cap)`
        : "no trade since the previous tick";
      ctx.find({
        code: "FUNDING_RATE_RULE",
        message:
          `funding tick ${ev.tick} (block ${ev.block}) set ${name(j)}'s rate to ${rates[j]} ppm; the rule gives ${r} ppm: ` +
          `${traded}, oracle price ${prices[j]} at round ${ev.priceRound}, cap ${capPpm} ppm`,
      });
    });

  // 2. the indices: the previous tick's plus rate x price (tick 0: every index 0)
  const last = ticks.at(-1);
  const previous = last ? last.indices : ev.tick === 1 ? zeroIndices(m) : undefined;
  if (previous && (!last || last.tick === ev.tick - 1)) {
    const expected = nextIndices(previous, rates, prices);
    const same = ev.indices.length === m && expected.every((x, j) => x === ev.indices[j]);
    if (!same)
      ctx.find({
        code: "FUNDING_INDEX_MISMATCH",
        message:
          `funding tick ${ev.tick} (block ${ev.block}) moved the indices to ${list(ev.indices)}; ` +
          `tick ${ev.tick - 1}'s ${list(previous)} plus rate x price (rates ${list(rates)} at round ${ev.priceRound}'s ` +
          `prices ${list(prices)}) gives ${list(expected)}: the Funding contract does not compute zkclear's indices`,
      });
  } else
    p.notes.push(
      `funding tick ${ev.tick}: the tick before it was not seen, so its index step was not checked`,
    );

  const record: TickRecord = {
    tick: ev.tick,
    block: ev.block,
    priceRound: ev.priceRound,
    prices: [...prices],
    ratesPpm: rates,
    rulePpm: rule,
    indices: [...ev.indices],
  };
  ticks.push(record);
  p.fundingFlows = freshFlows(p);
  return record;
}
