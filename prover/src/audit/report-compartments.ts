/**
 * The insurance fund's compartments in the audit report (docs/isolation.md): the reserve and
 * each market's compartment at the end of the replay, and every batch that changed them as
 * the audit replayed it (./compartment-checks.ts): each market's change with the fund's
 * funding in it, the reserve's, and the fund owner's move. Shown in the terminal and as a
 * section of the HTML page.
 */
import type { Account } from "../domain/account.ts";
import { compartmentValues } from "../domain/compartments.ts";
import type { Progress } from "./progress.ts";
import { amount } from "./report-format.ts";
import { grouped, h, type Safe } from "../report/markup.ts";

export interface CompartmentsReport {
  /**
   * After the last replayed batch: the reserve and each C_j at the latest oracle round's
   * prices; null when the history was not replayed to the end.
   */
  readonly now: {
    readonly reserve: string;
    readonly roundId: string;
    readonly compartments: readonly string[];
  } | null;
  readonly changes: readonly {
    readonly batch: number;
    readonly kind: string;
    readonly roundId: string | null;
    readonly liquidated: number;
    /** What the batch deleveraged: per market, the price and each entry's account and lots. */
    readonly deleveraged: readonly {
      readonly market: number;
      readonly price: string;
      readonly entries: readonly { readonly account: string; readonly lots: string }[];
    }[];
    readonly reserve: string;
    readonly reserveDelta: string;
    /** At the batch's marks (null: a deposit batch, unpriced). */
    readonly compartments: readonly string[] | null;
    readonly deltas: readonly string[] | null;
    readonly funding: readonly string[] | null;
    readonly move: {
      readonly market: number;
      readonly amount: string;
      readonly toReserve: boolean;
    } | null;
  }[];
}

const strings = (xs: readonly bigint[] | null) => (xs ? xs.map(String) : null);

/**
 * The report's section from the progress; `fund` is the replayed fund (null when not
 * replayed to the end) and `latest` the latest round seen, to value its compartments at.
 */
export function compartmentsReport(
  p: Progress,
  fund: Account | null,
  latest: { readonly roundId: string; readonly prices: readonly bigint[] } | null,
): CompartmentsReport {
  return {
    now:
      fund && latest && latest.prices.length === fund.positions.length
        ? {
            reserve: fund.collateral.toString(),
            roundId: latest.roundId,
            compartments: compartmentValues(fund, latest.prices).map(String),
          }
        : null,
    changes: (p.compartmentChanges ?? []).map((c) => ({
      batch: c.batch,
      kind: c.kind,
      roundId: c.roundId === null ? null : c.roundId.toString(),
      liquidated: c.liquidated,
      deleveraged: c.deleveraged.map((m) => ({
        market: m.market,
        price: m.price.toString(),
        entries: m.entries.map((e) => ({ account: e.account.toString(), lots: e.lots.toString() })),
      })),
      reserve: c.reserve.toString(),
      reserveDelta: c.reserveDelta.toString(),
      compartments: strings(c.compartments),
      deltas: strings(c.deltas),
      funding: strings(c.funding),
      move: c.move ? { ...c.move, amount: c.move.amount.toString() } : null,
    })),
  };
}

const signed = (x: string) => (x.startsWith("-") ? x : `+${x}`);

type Change = CompartmentsReport["changes"][number];

const moveText = (m: NonNullable<Change["move"]>, name: (j: number) => string) =>
  m.toReserve
    ? `move ${m.amount} from ${name(m.market)} to the reserve`
    : `move ${m.amount} from the reserve to ${name(m.market)}`;

/** The terminal's lines: the compartments now, then each change (the last `max`). */
export function compartmentLines(
  r: CompartmentsReport,
  markets: readonly string[],
  max = 20,
): string[] {
  if (!r.now && !r.changes.length) return [];
  const name = (j: number) => markets[j] ?? `market ${j}`;
  const lines = [
    `insurance compartments: ${
      r.now
        ? `reserve ${r.now.reserve}; at round ${r.now.roundId}: ${r.now.compartments.map((c, j) => `${name(j)} ${c}`).join(", ")}`
        : "not replayed to the end"
    }; ${r.changes.length} batch(es) changed them`,
  ];
  for (const c of r.changes.slice(-max)) {
    const parts = (c.deltas ?? [])
      .map((d, j) =>
        d === "0"
          ? null
          : `${name(j)} ${signed(d)}${c.funding && c.funding[j] !== "0" ? ` (funding ${signed(c.funding[j])})` : ""}`,
      )
      .filter((x) => x !== null);
    if (c.reserveDelta !== "0") parts.push(`reserve ${signed(c.reserveDelta)}`);
    if (c.move) parts.push(moveText(c.move, name));
    for (const m of c.deleveraged) parts.push(deleveragedText(m, name));
    lines.push(
      `  batch ${c.batch} (${c.kind}${c.roundId ? `, round ${c.roundId}` : ""}${c.liquidated ? `, ${c.liquidated} liquidated` : ""}): ${parts.join("; ") || "no change"}`,
    );
  }
  if (r.changes.length > max) lines.push(`  … the last ${max} shown (--json lists all)`);
  return lines;
}

/** The HTML section: the compartments now, then one row per change (the last 50). */
export function compartmentsSection(r: CompartmentsReport, markets: readonly string[]): Safe {
  const name = (j: number) => markets[j] ?? `market ${j}`;
  const intro = h`<p>Each market's compartment is the fund's ledger there, C = size × mark − notional: its liquidations' penalties and shortfalls, the fund's funding in that market and the fund owner's moves. The audit compared the fund before and after every replayed batch: a batch changes a market's compartment only through that market, and a liquidation batch changes the reserve only by the owner's move.</p>`;
  const now = r.now
    ? h`<table class="facts"><tbody><tr><th>reserve</th><td>${amount(r.now.reserve)}</td></tr>${r.now.compartments.map(
        (c, j) => h`<tr><th>${name(j)} at round ${r.now!.roundId}</th><td>${amount(c)}</td></tr>`,
      )}</tbody></table>`
    : h`<p class="none">Not available: the history was not replayed to the end.</p>`;
  const m = r.now?.compartments.length ?? r.changes.find((c) => c.deltas)?.deltas?.length ?? 0;
  const cols = Array.from({ length: m }, (_, j) => name(j));
  const shown = r.changes.slice(-50);
  const rows = shown.length
    ? h`<table class="findings compartments"><thead><tr><th>batch</th><th>kind</th><th>round</th><th>liquidated</th>${cols.map(
        (s) => h`<th>${s} change</th><th>${s} after</th>`,
      )}<th>reserve change</th><th>reserve after</th><th>move</th><th>deleveraged</th></tr></thead><tbody>${shown.map(
        (c) =>
          h`<tr data-compartments="${String(c.batch)}"><td>${c.batch}</td><td>${c.kind}</td><td>${c.roundId ?? "—"}</td><td class="num">${grouped(c.liquidated)}</td>${cols.map(
            (_, j) =>
              h`<td>${c.deltas ? amount(c.deltas[j]) : "—"}${c.funding && c.funding[j] !== "0" ? h` <small>(funding ${signed(c.funding[j])})</small>` : ""}</td><td>${c.compartments ? amount(c.compartments[j]) : "—"}</td>`,
          )}<td>${amount(c.reserveDelta)}</td><td>${amount(c.reserve)}</td><td>${c.move ? moveText(c.move, name) : "—"}</td><td>${c.deleveraged.length ? c.deleveraged.map((m) => deleveragedText(m, name)).join("; ") : "—"}</td></tr>`,
      )}</tbody></table>`
    : h`<p class="none">No batch changed them.</p>`;
  return h`<section><h2>Insurance compartments</h2>${intro}${now}${rows}</section>`;
}

/** One market's deleveraging in a line: lots closed at the bankruptcy price, by account. */
function deleveragedText(
  m: CompartmentsReport["changes"][number]["deleveraged"][number],
  name: (j: number) => string,
): string {
  const lots = m.entries.reduce((n, e) => n + BigInt(e.lots), 0n);
  return m.entries.length
    ? `${name(m.market)} deleveraged: ${lots} lot(s) at ${m.price} (${m.entries.map((e) => `account ${e.account} ${e.lots}`).join(", ")})`
    : `${name(m.market)} left under water: nothing to close`;
}
