/**
 * The sections of the audit's HTML report, in page order: verdict with deployment and run,
 * checks, findings and notes, final books, funding, the escape hatch, charts, and the batch table.
 */
import type { AuditReport } from "./auditor.ts";
import { auditCharts } from "./report-charts.ts";
import { amount, isoTime, KINDS, marketName, ms, plural } from "./report-format.ts";
import { grouped, h, type Safe } from "../report/markup.ts";
import { escapeSection } from "./report-escape.ts";
import { fundingSection } from "./report-funding.ts";
import { breakersSection } from "./report-breakers.ts";
import { marginsSection } from "./report-margins.ts";
import { compartmentsSection } from "./report-compartments.ts";

/** A table from a header row and rows of cells (escaped unless Safe). */
function table(head: readonly string[], rows: readonly (readonly unknown[])[], cls = ""): Safe {
  return h`<table class="${cls}"><thead><tr>${head.map((c) => h`<th>${c}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => h`<tr>${r.map((c) => h`<td>${c}</td>`)}</tr>`,
  )}</tbody></table>`;
}

/** A two-column key/value table. */
function facts(rows: readonly (readonly [string, unknown])[]): Safe {
  return h`<table class="facts"><tbody>${rows.map(([k, v]) => h`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>`;
}

const STATUS_CLASS: Record<string, string> = {
  pass: "pass",
  fail: "fail",
  skipped: "skipped",
  partial: "skipped",
};

function badge(status: string): Safe {
  return h`<span class="badge ${STATUS_CLASS[status] ?? "unknown"}">${status}</span>`;
}

/** 1. Verdict, deployment and run. */
function summarySection(r: AuditReport): Safe {
  const verdict = r.ok
    ? h`<div class="verdict pass"><strong>PASS</strong><span>no findings in ${plural(r.counts.batches, "batch", "batches")}</span></div>`
    : h`<div class="verdict fail"><strong>FAIL</strong><span>${plural(r.findings.length, "finding")}</span></div>`;
  const byKind = KINDS.map((k) => `${r.counts.byKind[k] ?? 0} ${k}`).join(", ");
  const phases = Object.entries(r.timing.phasesMs)
    .map(([k, v]) => `${k} ${ms(v)} ms`)
    .join(" · ");
  return h`${verdict}
<section><h2>Deployment</h2>${facts([
    ["chain id", r.chainId],
    ["Settlement", h`<code>${r.settlement}</code>`],
    ["parameter set", r.paramSet],
    ["markets", r.markets.length ? r.markets.join(", ") : "none"],
    ["head block", grouped(r.head.block)],
    ["head root", h`<code class="wrap">${r.head.root}</code>`],
    ["batches on chain", grouped(r.head.batches)],
    ["batch files", r.files ?? "none: chain and proofs only"],
  ])}</section>
<section><h2>Run</h2>${facts([
    ["batches audited", `${grouped(r.counts.batches)} (${byKind})`],
    ["proofs verified", grouped(r.counts.proofsVerified)],
    ["files checked", grouped(r.counts.filesChecked)],
    ["batches replayed", grouped(r.counts.replayed)],
    ["batches this run", grouped(r.timing.batchesThisRun)],
    ["run time", `${ms(r.timing.runMs)} ms`],
    ["per batch", r.timing.msPerBatch === null ? "—" : `${ms(r.timing.msPerBatch)} ms`],
    ["phases", phases || "—"],
    [
      "resumed",
      r.timing.resumedFrom === null
        ? "no: started from genesis"
        : `from batch ${r.timing.resumedFrom}`,
    ],
  ])}</section>`;
}

/** 2. The checklist. */
function checksSection(r: AuditReport): Safe {
  const rows = r.checks.map((c) => [c.name, badge(c.status), c.findings]);
  return h`<section><h2>Checks</h2>${table(["check", "status", "findings"], rows, "checks")}</section>`;
}

/** 3. Findings and notes. */
function findingsSection(r: AuditReport): Safe {
  const findings = r.findings.length
    ? table(
        ["batch", "code", "message"],
        r.findings.map((f) => [f.batch ?? "—", h`<code>${f.code}</code>`, f.message]),
        "findings",
      )
    : h`<p class="none">No findings.</p>`;
  const notes = r.notes.length
    ? h`<ul class="notes">${r.notes.map((n) => h`<li>${n}</li>`)}</ul>`
    : h`<p class="none">No notes.</p>`;
  return h`<section><h2>Findings</h2>${findings}<h3>Notes</h3>${notes}</section>`;
}

/** 4. The final books, when the history was replayed. */
function finalSection(r: AuditReport): Safe {
  const f = r.final;
  if (!f)
    return h`<section><h2>Final books</h2><p class="none">Not available: the history was not replayed to the end (no batch files, or the replay stopped at a finding).</p></section>`;
  const oi = f.openInterest.map((x, j) => [
    marketName(r, j),
    amount(x.long),
    amount(x.short),
    x.long === x.short
      ? h`<span class="badge pass">equal</span>`
      : h`<span class="badge fail">differ</span>`,
  ]);
  return h`<section><h2>Final books</h2><div class="books">${facts([
    ["accounts", grouped(f.accounts)],
    ["owed to accounts", amount(f.owedToAccounts)],
    ["insurance fund", amount(f.insuranceFund)],
    ["fee account", amount(f.feeAccount)],
    ["Vault balance", amount(f.vaultBalance)],
    ["pending withdrawals", amount(f.pendingWithdrawals)],
    ["queued deposits", amount(f.queuedDeposits)],
  ])}${oi.length ? table(["market", "long open interest", "short open interest", ""], oi, "oi") : ""}</div></section>`;
}

/** 5. The four charts. */
function chartsSection(r: AuditReport): Safe {
  const figures = auditCharts(r);
  return h`<section><h2>Charts</h2>${figures.map((f) => h`<figure>${f}</figure>`)}</section>`;
}

/** 6. One row per batch, folded away when long. */
function batchesSection(r: AuditReport): Safe {
  const rows = r.batches.map((b) => [
    b.batch,
    b.kind,
    grouped(b.block),
    isoTime(b.time),
    b.ops ?? "—",
    b.roundId ?? "—",
    ms(b.ms),
    b.findings ? h`<span class="badge fail">${b.findings}</span>` : 0,
  ]);
  const body = rows.length
    ? table(
        ["batch", "kind", "block", "time (UTC)", "ops", "round", "ms", "findings"],
        rows,
        "batches",
      )
    : h`<p class="none">No batches.</p>`;
  return h`<section><h2>Batches</h2>${
    rows.length > 50
      ? h`<details><summary>Show all ${rows.length} batches</summary>${body}</details>`
      : body
  }</section>`;
}

/** The whole report body, section after section. */
export function reportSections(r: AuditReport): Safe[] {
  return [
    summarySection(r),
    checksSection(r),
    findingsSection(r),
    finalSection(r),
    fundingSection(r.funding, r.markets),
    compartmentsSection(r.compartments, r.markets),
    breakersSection(r.breakers, r.markets),
    marginsSection(r.margins, r.markets),
    escapeSection(r.escape),
    chartsSection(r),
    batchesSection(r),
  ];
}
