/**
 * The audit report as one self-contained HTML page: verdict, checklist, findings, final
 * books, four inline SVG charts (report/svg-chart.ts; no charting library, no script needed
 * to draw them) and the per-batch table (report-sections.ts). Nothing is loaded from
 * elsewhere; a Content Security Policy in the page forbids it, too.
 */
import { createHash } from "node:crypto";
import type { AuditReport } from "./auditor.ts";
import { reportSections } from "./report-sections.ts";
import { h, Safe } from "../report/markup.ts";
import { CHART_CSS } from "../report/svg-chart.ts";

const STYLE = `
:root { color-scheme: light; --pass: #1a7f37; --fail: #c62828; --skip: #8a6d00; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; }
main { max-width: 1040px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { margin: 0 0 16px; font-size: 28px; }
h2 { margin: 28px 0 10px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 18px 0 8px; font-size: 16px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.wrap { word-break: break-all; }
.verdict { display: flex; align-items: baseline; gap: 18px; padding: 18px 24px; border-radius: 8px; color: #fff; }
.verdict strong { font-size: 44px; letter-spacing: 2px; }
.verdict span { font-size: 20px; }
.verdict.pass { background: var(--pass); }
.verdict.fail { background: var(--fail); }
table { border-collapse: collapse; margin: 6px 0; }
th, td { padding: 4px 10px; border: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: #f0f3f6; }
table.facts th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
table.checks, table.findings, table.batches { width: 100%; }
table.findings td:last-child { word-break: break-word; }
table.batches td, .num { font-variant-numeric: tabular-nums; }
.books { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; font-weight: 600; color: #fff; background: #6e7781; }
.badge.pass { background: var(--pass); }
.badge.fail { background: var(--fail); }
.badge.skipped { background: var(--skip); }
.none { color: #57606a; font-style: italic; }
figure { margin: 0 0 18px; }
${CHART_CSS}details summary { cursor: pointer; margin: 6px 0; }
@media print { body { background: #fff; } main { padding: 0; } }
`;

/**
 * Counts the charts that really rendered (a non-empty bounding box) into
 * body[data-charts-rendered], for headless-browser tests; the page does not need it.
 */
const SCRIPT = `addEventListener("load", function () {
  var n = 0;
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var box = svg.getBBox();
    if (box.width > 0 && box.height > 0) n++;
  });
  document.body.dataset.chartsRendered = String(n);
});`;

/** The report as one self-contained HTML document. */
export function renderHtmlReport(report: AuditReport): string {
  const scriptHash = createHash("sha256").update(SCRIPT).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; base-uri 'none'; form-action 'none'`;
  const page = h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="zkclear audit">
<title>zkclear audit report: ${report.ok ? "PASS" : "FAIL"}</title>
<style>${new Safe(STYLE)}</style>
</head>
<body>
<main>
<h1>zkclear audit report</h1>
${reportSections(report).map((s) => h`${s}\n`)}</main>
<script>${new Safe(SCRIPT)}</script>
</body>
</html>
`;
  return page.html;
}
