/**
 * The escape hatch in the audit report: each forced request with its deadline and answer,
 * the freeze, and each exit. Built from the audit's progress (./escape.ts books it); shown
 * in the terminal and as one HTML section.
 */
import type { Progress } from "./progress.ts";
import { amount, isoTime } from "./report-format.ts";
import { h, type Safe } from "../report/markup.ts";

/** How a forced request stands at the audited head. */
export type ForcedStatus =
  | "answered" // in time
  | "answered late"
  | "pending" // not yet due
  | "overdue" // due, unanswered, not frozen: the freeze is due
  | "unanswered at the freeze";

export interface ForcedRow {
  readonly index: number;
  readonly account: string;
  readonly amount: string;
  readonly recipient: string;
  readonly requester: string;
  /** Block time of the request, and when it was due (null: no deadline known). */
  readonly requestedAt: number;
  readonly dueAt: number | null;
  readonly batch: number | null;
  readonly answeredAt: number | null;
  /** paid, bad_signature, cannot_pay, no_account (null: unanswered, or an unknown code). */
  readonly outcome: string | null;
  readonly status: ForcedStatus;
}

export interface EscapeReport {
  readonly forcedDeadline: string | null;
  readonly forced: readonly ForcedRow[];
  readonly freeze: {
    readonly block: number;
    readonly time: number;
    readonly by: string;
    readonly root: string;
    readonly batches: number;
    readonly roundId: string;
    /** What the auditor's books held for the accounts at the freeze. */
    readonly backing: string;
  } | null;
  readonly exits: readonly {
    readonly account: number;
    readonly recipient: string;
    readonly payout: string;
    /** null: claimed in the window, not yet settled. */
    readonly paid: string | null;
  }[];
}

export function escapeReport(
  p: Progress,
  forcedDeadline: bigint | null,
  headTime: number,
): EscapeReport {
  const f = p.freeze;
  return {
    forcedDeadline: forcedDeadline === null ? null : forcedDeadline.toString(),
    forced: (p.forced ?? []).map((r) => {
      const dueAt = forcedDeadline === null ? null : r.time + Number(forcedDeadline);
      const a = r.answer;
      const status: ForcedStatus = a
        ? dueAt !== null && a.time > dueAt
          ? "answered late"
          : "answered"
        : f
          ? "unanswered at the freeze"
          : dueAt !== null && headTime >= dueAt
            ? "overdue"
            : "pending";
      return {
        index: r.index,
        account: r.account.toString(),
        amount: r.amount.toString(),
        recipient: r.recipient,
        requester: r.requester,
        requestedAt: r.time,
        dueAt,
        batch: a?.batch ?? null,
        answeredAt: a?.time ?? null,
        outcome: a?.outcome ?? null,
        status,
      };
    }),
    freeze: f
      ? {
          block: f.block,
          time: f.time,
          by: f.by,
          root: f.root.toString(),
          batches: f.batches,
          roundId: f.roundId.toString(),
          backing: f.backing.toString(),
        }
      : null,
    exits: (p.exits ?? []).map((x) => ({
      account: x.account,
      recipient: x.recipient,
      payout: x.payout.toString(),
      paid: x.paid === undefined ? null : x.paid.toString(),
    })),
  };
}

/** The terminal's lines about the escape hatch (none when it was never used). */
export function escapeLines(e: EscapeReport, max = 20): string[] {
  const lines: string[] = [];
  if (e.forced.length) {
    lines.push(`forced requests (deadline ${e.forcedDeadline ?? "?"} s):`);
    for (const r of e.forced.slice(0, max))
      lines.push(
        `  #${r.index} account ${r.account} ${r.amount} → ${r.recipient}: requested ${isoTime(r.requestedAt)}` +
          (r.dueAt === null ? "" : `, due ${isoTime(r.dueAt)}`) +
          (r.batch === null
            ? `: ${r.status}`
            : `: ${r.outcome ?? "unknown outcome"} in batch ${r.batch} at ${isoTime(r.answeredAt!)}${r.status === "answered late" ? " (late)" : ""}`),
      );
    if (e.forced.length > max) lines.push(`  … and ${e.forced.length - max} more (--json)`);
  }
  const f = e.freeze;
  if (f)
    lines.push(
      `frozen at block ${f.block} (${isoTime(f.time)}) by ${f.by}: root ${f.root} after ${f.batches} batches, exit prices of round ${f.roundId}; held for the accounts ${f.backing}`,
    );
  if (e.exits.length) {
    lines.push(`exits (${e.exits.length}):`);
    for (const x of e.exits.slice(0, max))
      lines.push(
        `  account ${x.account} → ${x.recipient}: payout ${x.payout}, ${x.paid === null ? "claimed, not yet paid" : `paid ${x.paid}`}`,
      );
  }
  return lines;
}

/** The HTML section (forced requests, freeze, exits). */
export function escapeSection(e: EscapeReport): Safe {
  if (!e.forced.length && !e.freeze && !e.exits.length)
    return h`<section><h2>Escape hatch</h2><p class="none">No forced request, no freeze, no exit.</p></section>`;
  const row = (cells: readonly unknown[]) => h`<tr>${cells.map((c) => h`<td>${c}</td>`)}</tr>`;
  const head = (cells: readonly string[]) =>
    h`<thead><tr>${cells.map((c) => h`<th>${c}</th>`)}</tr></thead>`;
  const forced = e.forced.length
    ? h`<table class="findings">${head(["#", "account", "amount", "recipient", "requested (UTC)", "due (UTC)", "answered", "outcome", "status"])}<tbody>${e.forced.map(
        (r) =>
          row([
            r.index,
            r.account,
            amount(r.amount),
            h`<code>${r.recipient}</code>`,
            isoTime(r.requestedAt),
            r.dueAt === null ? "—" : isoTime(r.dueAt),
            r.batch === null ? "—" : `batch ${r.batch}, ${isoTime(r.answeredAt!)}`,
            r.outcome ?? "—",
            h`<span class="badge ${r.status === "answered" || r.status === "pending" ? "pass" : "fail"}">${r.status}</span>`,
          ]),
      )}</tbody></table>`
    : h`<p class="none">No forced request.</p>`;
  const f = e.freeze;
  const freeze = f
    ? h`<p>Frozen at block ${f.block} (${isoTime(f.time)}) by <code>${f.by}</code>: root <code class="wrap">${f.root}</code> after ${f.batches} batches; exit prices of oracle round ${f.roundId}; held for the accounts: ${amount(f.backing)}.</p>`
    : h`<p class="none">Not frozen.</p>`;
  const exits = e.exits.length
    ? h`<table class="findings">${head(["account", "recipient", "payout", "paid"])}<tbody>${e.exits.map(
        (x) =>
          row([
            x.account,
            h`<code>${x.recipient}</code>`,
            amount(x.payout),
            x.paid === null ? "claimed, not yet paid" : amount(x.paid),
          ]),
      )}</tbody></table>`
    : h`<p class="none">No exit.</p>`;
  return h`<section><h2>Escape hatch</h2><h3>Forced requests${e.forcedDeadline === null ? "" : ` (deadline ${e.forcedDeadline} s)`}</h3>${forced}<h3>Freeze</h3>${freeze}<h3>Exits</h3>${exits}</section>`;
}
