import type { AuditReport, BatchPoint, Finding } from "./auditor.ts";
import { escapeLines } from "./report-escape.ts";
import { fundingLines } from "./report-funding.ts";
import { breakerLines } from "./report-breakers.ts";
import { marginLines } from "./report-margins.ts";
import { compartmentLines } from "./report-compartments.ts";

/** Terminal rendering of an audit: a progress bar while it runs, then the report. */

const MARK = { pass: "✓", fail: "✗", skipped: "–", partial: "~" } as const;

export function progressBar(done: number, total: number, width = 30): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(frac * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${done}/${total} batches`;
}

/** A progress line on stderr, redrawn in place; silent when stderr is not a terminal. */
export class ProgressLine {
  private last = "";
  private readonly t0 = Date.now();
  constructor(private readonly enabled: boolean) {}

  update(done: number, total: number, findings: number): void {
    if (!this.enabled) return;
    const s = (Date.now() - this.t0) / 1000;
    const rate = s > 0 ? (done / s).toFixed(1) : "0";
    const line = `${progressBar(done, total)}  ${rate}/s  findings: ${findings}`;
    if (line === this.last) return;
    this.last = line;
    process.stderr.write(`\r${line}`);
  }

  clear(): void {
    if (this.enabled && this.last) process.stderr.write(`\r${" ".repeat(this.last.length)}\r`);
    this.last = "";
  }
}

/** One line per audited batch (follow mode). */
export function batchLine(b: BatchPoint, findings: readonly Finding[]): string {
  const ops = b.ops === null ? "" : ` ${b.ops} op(s)`;
  const verdict = findings.length ? `✗ ${findings.map((f) => f.code).join(", ")}` : "✓";
  return `batch ${b.batch} ${b.kind}${ops} block ${b.block} ${b.ms} ms ${verdict}`;
}

export function renderTerminalReport(r: AuditReport, maxFindings = 20): string {
  const lines: string[] = [];
  lines.push(`zkclear audit of Settlement ${r.settlement} on chain ${r.chainId}`);
  lines.push(
    `parameter set ${r.paramSet} (${r.markets.join(", ")}); batch files: ${r.files ?? "none (chain and proofs only)"}`,
  );
  lines.push(`head: block ${r.head.block}, ${r.head.batches} batches, root ${r.head.root}`);
  const k = r.counts.byKind;
  lines.push(
    `audited ${r.counts.batches} batches (${k.trades} trades, ${k.deposits} deposits, ` +
      `${k.withdrawals} withdrawals, ${k.liquidations} liquidations, ${k.forced} forced): ${r.counts.proofsVerified} proofs verified, ` +
      `${r.counts.filesChecked} files checked, ${r.counts.replayed} replayed`,
  );
  lines.push("");
  for (const c of r.checks)
    lines.push(
      `  ${MARK[c.status]} ${c.name}${c.findings ? ` (${c.findings})` : ""}${c.status === "partial" ? " (until replay stopped)" : ""}`,
    );
  lines.push("");
  if (r.findings.length) {
    lines.push(`${r.findings.length} finding(s):`);
    for (const f of r.findings.slice(0, maxFindings))
      lines.push(`  ${f.batch === undefined ? "" : `batch ${f.batch}: `}${f.code}: ${f.message}`);
    if (r.findings.length > maxFindings)
      lines.push(`  … and ${r.findings.length - maxFindings} more (--json lists all)`);
    lines.push("");
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(...escapeLines(r.escape, maxFindings));
  if (r.final) {
    const f = r.final;
    lines.push(
      `books: ${f.accounts} accounts owed ${f.owedToAccounts} (insurance fund ${f.insuranceFund}, fees ${f.feeAccount}); ` +
        `Vault ${f.vaultBalance}, pending withdrawals ${f.pendingWithdrawals}, queued deposits ${f.queuedDeposits}`,
    );
    lines.push(
      `open interest: ${f.openInterest.map((x, j) => `${r.markets[j]} ${x.long} long / ${x.short} short`).join("; ")}`,
    );
  }
  lines.push(...fundingLines(r.funding, r.markets, maxFindings));
  lines.push(...compartmentLines(r.compartments, r.markets, maxFindings));
  lines.push(...breakerLines(r.breakers, r.markets, maxFindings));
  lines.push(...marginLines(r.margins, r.markets, maxFindings));
  const t = r.timing;
  lines.push(
    `time: ${(t.runMs / 1000).toFixed(1)} s for ${t.batchesThisRun} batches` +
      (t.msPerBatch === null ? "" : ` (${t.msPerBatch} ms per batch)`) +
      (t.resumedFrom === null ? "" : `, resumed at batch ${t.resumedFrom}`),
  );
  lines.push(r.ok ? "AUDIT PASSED" : `AUDIT FAILED: ${r.findings.length} finding(s)`);
  return lines.join("\n");
}
