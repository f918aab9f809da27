/**
 * Volatility margins in the audit report: the oracle's rule (its immutable window,
 * reference move, floor, ceiling and grace), the multipliers in effect at the last round,
 * and every change the audit found walking the rule over the oracle's rounds (./events.ts).
 * Shown in the terminal and as a section of the HTML page.
 */
import type { Progress } from "./progress.ts";
import { h, type Safe } from "../report/markup.ts";

export interface MarginsReport {
  /** The rule, as the oracle states it; null before the audit read it. */
  readonly rule: {
    readonly span: string;
    readonly refBps: string;
    readonly floorBps: string;
    readonly ceilBps: string;
    readonly graceSeconds: string;
  } | null;
  /** Whether the audit saw every round from round 1 (else nothing was recomputed). */
  readonly walked: boolean;
  /** Per market, the multipliers at the last round walked (basis points); empty if none. */
  readonly current: readonly { readonly mult: string; readonly liqMult: string }[];
  readonly changes: readonly {
    readonly roundId: string;
    readonly market: number;
    readonly mult: string;
    readonly liqMult: string;
  }[];
}

export function marginsReport(p: Progress): MarginsReport {
  const m = p.margins;
  return {
    rule: m
      ? {
          span: m.span.toString(),
          refBps: m.refBps.toString(),
          floorBps: m.floorBps.toString(),
          ceilBps: m.ceilBps.toString(),
          graceSeconds: m.grace.toString(),
        }
      : null,
    walked: m?.last !== null && m?.last !== undefined,
    current: (m?.markets ?? []).map((s) => ({
      mult: s.mult.toString(),
      liqMult: s.liqMult.toString(),
    })),
    changes: (p.marginChanges ?? []).map((c) => ({
      roundId: c.roundId.toString(),
      market: c.market,
      mult: c.mult.toString(),
      liqMult: c.liqMult.toString(),
    })),
  };
}

const times = (bps: string) => `${(Number(bps) / 10_000).toFixed(2)}x`;

const ruleText = (r: NonNullable<MarginsReport["rule"]>) =>
  `margin rates scale with each market's mean absolute move per round over a ${r.span}-round window (1x at ${r.refBps} bps), between ${times(r.floorBps)} and ${times(r.ceilBps)}; a rise reaches liquidations after ${r.graceSeconds} s`;

/** The terminal's lines: the rule, the current multipliers and each change (the last `max`). */
export function marginLines(r: MarginsReport, markets: readonly string[], max = 20): string[] {
  if (!r.rule) return [];
  const name = (j: number) => markets[j] ?? `market ${j}`;
  const lines = [
    `volatility margins: ${ruleText(r.rule)}; ${r.changes.length} change(s)` +
      (r.walked
        ? ""
        : " (the audit did not see every round from round 1: the oracle's multipliers were not recomputed)"),
  ];
  if (r.current.length)
    lines.push(
      `  now: ${r.current.map((c, j) => `${name(j)} ${times(c.mult)} (liquidation ${times(c.liqMult)})`).join("; ")}`,
    );
  for (const c of r.changes.slice(-max))
    lines.push(
      `  round ${c.roundId}: ${name(c.market)} ${times(c.mult)}, liquidation ${times(c.liqMult)}`,
    );
  return lines;
}

/** The HTML section: the rule, the current multipliers, then one row per change (the last 50). */
export function marginsSection(r: MarginsReport, markets: readonly string[]): Safe {
  const name = (j: number) => markets[j] ?? `market ${j}`;
  if (!r.rule)
    return h`<section><h2>Volatility margins</h2><p class="none">The oracle's rule was not read.</p></section>`;
  const rule = h`<p>The ${ruleText(r.rule)} (PriceOracle, immutable). ${
    r.walked
      ? "The audit walked the rule over every round and checked the oracle's multipliers at every priced batch's round against it."
      : "The audit did not see every round from round 1: the oracle's multipliers were not recomputed."
  }</p>`;
  const now = r.current.length
    ? h`<p>At the last round: ${r.current.map((c, j) => `${name(j)} ${times(c.mult)} (liquidation ${times(c.liqMult)})`).join("; ")}.</p>`
    : h``;
  const shown = r.changes.slice(-50);
  const rows = shown.length
    ? h`<table class="findings margins"><thead><tr><th>round</th><th>market</th><th>requirement</th><th>liquidation</th></tr></thead><tbody>${shown.map(
        (c) =>
          h`<tr data-margins="${c.roundId}-${String(c.market)}"><td>${c.roundId}</td><td>${name(c.market)}</td><td class="num">${times(c.mult)}</td><td class="num">${times(c.liqMult)}</td></tr>`,
      )}</tbody></table>`
    : h`<p class="none">No change.</p>`;
  return h`<section><h2>Volatility margins</h2>${rule}${now}${rows}</section>`;
}
