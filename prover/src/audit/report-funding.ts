/**
 * Funding in the audit report: the ledger over the replayed history (what the accounts paid
 * and received, the rounding the system kept, the settlements) and each funding tick with
 * its rates and the rule's. Built from the audit's progress (./funding-checks.ts and
 * ./funding-ticks.ts keep it); shown in the terminal and as a section of the HTML page.
 */
import type { Progress } from "./progress.ts";
import { emptyLedger, roundingKept } from "./funding-checks.ts";
import { FUNDING_SCALE } from "../domain/constants.ts";
import { amount } from "./report-format.ts";
import { grouped, h, type Safe } from "../report/markup.ts";

export interface FundingReport {
  /** Over the replayed history (as far as it went); null without batch files. */
  readonly ledger: {
    /** Quote units paid by the accounts that owed funding. */
    readonly paid: string;
    /** Quote units credited to the accounts that were owed funding. */
    readonly received: string;
    /**
     * Funding the positions still owe, net, not settled yet (their accounts were not read
     * since): quote units, truncated toward zero. Payers settle it when next read.
     */
    readonly unsettled: string;
    /** paid − received − the exact funding settled: the rounding the system kept, rounded down. */
    readonly kept: string;
    readonly settlements: number;
  } | null;
  readonly ticks: readonly {
    readonly tick: number;
    readonly block: number;
    readonly priceRound: string;
    readonly prices: readonly string[];
    /** ppm per interval, by market. */
    readonly ratesPpm: readonly string[];
    /** The rule's rates; null when the window's trades were not all known. */
    readonly rulePpm: readonly string[] | null;
    /** The indices after the tick (2^-20 quote units per lot). */
    readonly indices: readonly string[];
  }[];
}

export function fundingReport(p: Progress): FundingReport {
  const l = p.funding ?? emptyLedger();
  const strings = (xs: readonly bigint[]) => xs.map(String);
  return {
    ledger:
      p.replay !== "off"
        ? {
            paid: l.paid.toString(),
            received: l.received.toString(),
            unsettled: (-(l.basis ?? 0n) / FUNDING_SCALE).toString(),
            kept: (roundingKept(l) / FUNDING_SCALE).toString(),
            settlements: l.settlements,
          }
        : null,
    ticks: (p.fundingTicks ?? []).map((t) => ({
      tick: t.tick,
      block: t.block,
      priceRound: t.priceRound.toString(),
      prices: strings(t.prices),
      ratesPpm: strings(t.ratesPpm),
      rulePpm: t.rulePpm ? strings(t.rulePpm) : null,
      indices: strings(t.indices),
    })),
  };
}

const differs = (t: FundingReport["ticks"][number]) =>
  t.rulePpm !== null && t.rulePpm.some((r, j) => r !== t.ratesPpm[j]);

/** The terminal's lines about funding (none when nothing was settled or ticked). */
export function fundingLines(f: FundingReport, markets: readonly string[], max = 20): string[] {
  const lines: string[] = [];
  const name = (j: number) => markets[j] ?? `market ${j}`;
  if (f.ledger && (f.ledger.settlements || f.ticks.length))
    lines.push(
      `funding: paid ${f.ledger.paid}, received ${f.ledger.received}, still owed by positions ` +
        `${f.ledger.unsettled}, rounding kept ${f.ledger.kept} over ${f.ledger.settlements} settlement(s)`,
    );
  if (f.ticks.length) {
    lines.push(
      `funding ticks (${f.ticks.length}), rate ppm by market (the rule's where it differs):`,
    );
    for (const t of f.ticks.slice(-max))
      lines.push(
        `  tick ${t.tick} block ${t.block} at round ${t.priceRound}: ` +
          t.ratesPpm
            .map(
              (r, j) =>
                `${name(j)} ${r}` +
                (t.rulePpm === null
                  ? " (rule unchecked)"
                  : t.rulePpm[j] !== r
                    ? ` (rule ${t.rulePpm[j]})`
                    : ""),
            )
            .join(", "),
      );
    if (f.ticks.length > max) lines.push(`  … the last ${max} shown (--json lists all)`);
  }
  return lines;
}

/** The HTML section: the ledger, then one row per tick. */
export function fundingSection(f: FundingReport, markets: readonly string[]): Safe {
  const name = (j: number) => markets[j] ?? `market ${j}`;
  const ledger = f.ledger
    ? h`<table class="facts"><tbody>${(
        [
          ["paid by the accounts that owed", amount(f.ledger.paid)],
          ["received by the accounts owed", amount(f.ledger.received)],
          ["still owed by positions, not settled yet", amount(f.ledger.unsettled)],
          ["rounding kept by the system", amount(f.ledger.kept)],
          ["settlements", grouped(f.ledger.settlements)],
        ] as const
      ).map(([k, v]) => h`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>`
    : h`<p class="none">Not available: no batch files, so the history was not replayed.</p>`;
  const m = f.ticks[0]?.ratesPpm.length ?? 0;
  const markets_ = Array.from({ length: m }, (_, j) => name(j));
  const ticks = f.ticks.length
    ? h`<table class="findings ticks"><thead><tr><th>tick</th><th>block</th><th>price round</th>${markets_.map(
        (s) => h`<th>${s} rate (ppm)</th><th>${s} rule (ppm)</th><th>${s} index</th>`,
      )}<th>rule</th></tr></thead><tbody>${f.ticks.map(
        (t) =>
          h`<tr><td>${t.tick}</td><td>${grouped(t.block)}</td><td>${t.priceRound}</td>${t.ratesPpm.map(
            (r, j) =>
              h`<td class="num">${r}</td><td class="num">${t.rulePpm?.[j] ?? "—"}</td><td>${amount(t.indices[j] ?? "")}</td>`,
          )}<td>${
            t.rulePpm === null
              ? h`<span class="badge skipped">unchecked</span>`
              : differs(t)
                ? h`<span class="badge fail">departs</span>`
                : h`<span class="badge pass">follows</span>`
          }</td></tr>`,
      )}</tbody></table>`
    : h`<p class="none">No funding tick.</p>`;
  return h`<section><h2>Funding</h2><h3>Ledger</h3>${ledger}<h3>Ticks</h3>${ticks}</section>`;
}
