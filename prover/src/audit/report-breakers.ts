/**
 * Circuit breakers in the audit report: the oracle's rule (its immutable bound and cool-down)
 * and every trip the audit found walking the rule over the oracle's rounds (./events.ts), with
 * the trade batches settled while a market was reduce-only. Shown in the terminal and as a
 * section of the HTML page.
 */
import type { Progress } from "./progress.ts";
import { h, type Safe } from "../report/markup.ts";

export interface BreakersReport {
  /** The rule, as the oracle states it; null before the audit read it. */
  readonly rule: { readonly moveBps: string; readonly cooldownSeconds: string } | null;
  /** Whether the audit saw every round from round 1 (else masks are the oracle's, unchecked). */
  readonly walked: boolean;
  readonly trips: readonly {
    readonly market: number;
    readonly roundId: string;
    readonly previousPrice: string;
    readonly price: string;
    /** Until when (round time, unix seconds) the market was reduce-only. */
    readonly until: number;
  }[];
}

export function breakersReport(p: Progress): BreakersReport {
  const b = p.breaker;
  return {
    rule: b ? { moveBps: b.moveBps.toString(), cooldownSeconds: b.cooldown.toString() } : null,
    walked: b?.last !== null && b?.last !== undefined,
    trips: (p.breakerTrips ?? []).map((t) => ({
      market: t.market,
      roundId: t.roundId.toString(),
      previousPrice: t.previousPrice.toString(),
      price: t.price.toString(),
      until: Number(t.until),
    })),
  };
}

const moveText = (from: string, to: string) => {
  const f = Number(from);
  return f > 0 ? `${(((Number(to) - f) / f) * 100).toFixed(1)} %` : "";
};

/** The terminal's lines: the rule and each trip (the last `max`). */
export function breakerLines(r: BreakersReport, markets: readonly string[], max = 20): string[] {
  if (!r.rule) return [];
  const name = (j: number) => markets[j] ?? `market ${j}`;
  const lines = [
    `circuit breakers: a move above ${r.rule.moveBps} bps from one round to the next makes a market reduce-only for ${r.rule.cooldownSeconds} s; ${r.trips.length} trip(s)` +
      (r.walked
        ? ""
        : " (the audit did not see every round from round 1: the oracle's masks were taken as recorded, unchecked)"),
  ];
  for (const t of r.trips.slice(-max))
    lines.push(
      `  round ${t.roundId}: ${name(t.market)} ${t.previousPrice} -> ${t.price} (${moveText(t.previousPrice, t.price)}), reduce-only until ${new Date(t.until * 1000).toISOString()}`,
    );
  return lines;
}

/** The HTML section: the rule, then one row per trip. */
export function breakersSection(r: BreakersReport, markets: readonly string[]): Safe {
  const name = (j: number) => markets[j] ?? `market ${j}`;
  if (!r.rule)
    return h`<section><h2>Circuit breakers</h2><p class="none">The oracle's rule was not read.</p></section>`;
  const rule = h`<p>A round that moves a market by more than ${r.rule.moveBps} bps of the previous round's price makes it reduce-only for ${r.rule.cooldownSeconds} s of round time (PriceOracle, immutable). ${
    r.walked
      ? "The audit walked the rule over every round and checked the oracle's masks against it."
      : "The audit did not see every round from round 1: the oracle's masks were taken as recorded."
  }</p>`;
  const trips = r.trips.length
    ? h`<table class="findings breakers"><thead><tr><th>round</th><th>market</th><th>from</th><th>to</th><th>move</th><th>reduce-only until</th></tr></thead><tbody>${r.trips.map(
        (t) =>
          h`<tr data-trip="${t.roundId}-${String(t.market)}"><td>${t.roundId}</td><td>${name(t.market)}</td><td class="num">${t.previousPrice}</td><td class="num">${t.price}</td><td class="num">${moveText(t.previousPrice, t.price)}</td><td>${new Date(t.until * 1000).toISOString()}</td></tr>`,
      )}</tbody></table>`
    : h`<p class="none">No breaker tripped.</p>`;
  return h`<section><h2>Circuit breakers</h2>${rule}${trips}</section>`;
}
