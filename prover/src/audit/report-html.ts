/**
 * The audit report as one self-contained HTML page: verdict, checklist, findings, final
 * books, four inline SVG charts drawn here (no charting library, no script needed to
 * draw them) and the per-batch table. Nothing is loaded from elsewhere; a Content
 * Security Policy in the page forbids it, too.
 */
import { createHash } from "node:crypto";
import type { AuditReport } from "./auditor.ts";

// ---------------------------------------------------------------------------------------
// HTML building: every interpolated value is escaped unless it is already `Safe` markup.

/** Markup that is already escaped and may be inserted as it is. */
class Safe {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Renders one interpolated value: Safe as it is, arrays joined, nothing for null. */
function fragment(value: unknown): string {
  if (value instanceof Safe) return value.html;
  if (Array.isArray(value)) return value.map(fragment).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/** Tagged template for HTML and SVG: escapes what it interpolates. */
function h(strings: TemplateStringsArray, ...values: unknown[]): Safe {
  let out = strings[0];
  values.forEach((v, i) => (out += fragment(v) + strings[i + 1]));
  return new Safe(out);
}

// ---------------------------------------------------------------------------------------
// Numbers: report values are decimal strings of bigints; keep them exact for display.

/** Parses a decimal integer string; null for null or anything that is not one. */
function toBig(text: string | null | undefined): bigint | null {
  return typeof text === "string" && /^-?\d+$/.test(text) ? BigInt(text) : null;
}

/** Digits grouped by thousands: "-1234567" → "-1,234,567". */
function grouped(value: bigint | number): string {
  const s = value.toString();
  const sign = s.startsWith("-") ? "-" : "";
  return sign + s.slice(sign.length).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A decimal string for a table: grouped, with the exact digits as a tooltip. */
function amount(text: string): Safe {
  const b = toBig(text);
  return b === null ? h`${text}` : h`<span class="num" title="${text}">${grouped(b)}</span>`;
}

/** Milliseconds, one decimal below 10. */
function ms(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value < 10 ? value.toFixed(1) : grouped(Math.round(value));
}

/** A unix time (seconds) as ISO 8601 UTC without milliseconds; the raw number if invalid. */
function isoTime(seconds: number): string {
  const t = seconds * 1000;
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) return String(seconds);
  return new Date(t).toISOString().replace(".000Z", "Z");
}

/** "1 finding", "3 findings", "2 batches". */
function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/**
 * num / den as a float for drawing, den > 0. Both are shifted right together first so
 * that values beyond 2^53 (or even 2^1024) still give a sensible ratio; the precision
 * lost is far below a pixel.
 */
function fraction(num: bigint, den: bigint): number {
  const shift = BigInt(Math.max(0, den.toString(2).length - 52));
  return Number(num >> shift) / Number(den >> shift);
}

/**
 * Formats the y tick labels of one axis: exact grouped digits for small values, else
 * scientific notation with just enough digits for distinct ticks to get distinct labels.
 */
function yTickFormat(ticks: readonly bigint[]): (v: bigint) => string {
  const small = (v: bigint) => (v < 0n ? -v : v) < 10_000_000n;
  if (ticks.every(small)) return grouped;
  let digits = 3;
  const sci = (v: bigint) => Number(v).toExponential(digits).replace("e+", "e");
  const format = (v: bigint) => (small(v) ? grouped(v) : sci(v));
  while (digits < 15 && new Set(ticks.map(format)).size < new Set(ticks).size) digits++;
  return format;
}

// ---------------------------------------------------------------------------------------
// Charts: inline SVG, laid out in a fixed viewBox and scaled to the page width by CSS.

type ChartKind = "prices" | "fund" | "open-interest" | "batches";

interface Point {
  readonly x: number;
  readonly y: bigint;
}

/** One line on a panel. */
interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point[];
}

/** One plot area with its own axes. */
interface Panel {
  readonly title?: string;
  readonly series: readonly Series[];
  readonly formatX: (x: number) => string;
  readonly xCaption: string;
  /** Shared x range across panels (small multiples); else the panel's own. */
  readonly xDomain?: readonly [number, number];
  /** Include 0 in the y range (amounts and counts, not prices). */
  readonly zeroBased?: boolean;
  /** Draw a step line (horizontal, then vertical) instead of straight segments. */
  readonly step?: boolean;
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

interface LegendItem {
  readonly label: string;
  readonly color: string;
}

const CHART_WIDTH = 960;
const MARGIN = { left: 76, right: 16, top: 26, bottom: 40 };
/** Series colours, reused in order; market j gets PALETTE[j] on every chart. */
const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#7f7f7f",
  "#bcbd22",
];
const KINDS = ["trades", "deposits", "withdrawals", "liquidations"] as const;
const KIND_COLOR: Record<(typeof KINDS)[number], string> = {
  trades: "#1f77b4",
  deposits: "#2ca02c",
  withdrawals: "#ff7f0e",
  liquidations: "#d62728",
};

/** Rounds a pixel coordinate to 0.1 to keep the SVG small. */
const px = (v: number) => Math.round(v * 10) / 10;

/** Colour of market j. */
const marketColor = (j: number) => PALETTE[j % PALETTE.length];

/**
 * Thins a long series to at most a few points per pixel column (first, lowest, highest,
 * last), so that the page stays small for long histories without changing the picture.
 */
function thin(points: readonly Point[], column: (x: number) => number): Point[] {
  if (points.length <= 2000) return [...points];
  const out: Point[] = [];
  let group: Point[] = [];
  const flush = () => {
    if (!group.length) return;
    let lo = group[0];
    let hi = group[0];
    for (const p of group) {
      if (p.y < lo.y) lo = p;
      if (p.y > hi.y) hi = p;
    }
    const keep = new Set([group[0], lo, hi, group[group.length - 1]]);
    out.push(...group.filter((p) => keep.has(p)));
    group = [];
  };
  for (const p of points) {
    if (group.length && column(group[0].x) !== column(p.x)) flush();
    group.push(p);
  }
  flush();
  return out;
}

/** Draws one panel (title, frame, grid, ticks, lines) into `box`. */
function drawPanel(panel: Panel, box: Box): Safe {
  const plot: Box = {
    x: box.x + MARGIN.left,
    y: box.y + MARGIN.top,
    w: box.w - MARGIN.left - MARGIN.right,
    h: box.h - MARGIN.top - MARGIN.bottom,
  };
  const parts: Safe[] = [];
  if (panel.title)
    parts.push(h`<text class="panel-title" x="${plot.x}" y="${box.y + 16}">${panel.title}</text>`);
  parts.push(
    h`<rect class="plot" x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}"/>`,
  );
  const all = panel.series.flatMap((s) => s.points);
  if (!all.length) {
    parts.push(
      h`<text class="no-data" x="${px(plot.x + plot.w / 2)}" y="${px(plot.y + plot.h / 2)}">no data</text>`,
    );
    return h`<g class="panel">${parts}</g>`;
  }

  // Ranges. A zero span (one point, or a constant series) puts it in the middle.
  let [xMin, xMax] = panel.xDomain ?? [Infinity, -Infinity];
  if (!panel.xDomain)
    for (const p of all) {
      xMin = Math.min(xMin, p.x);
      xMax = Math.max(xMax, p.x);
    }
  let yMin = all[0].y;
  let yMax = all[0].y;
  for (const p of all) {
    if (p.y < yMin) yMin = p.y;
    if (p.y > yMax) yMax = p.y;
  }
  if (panel.zeroBased) {
    if (yMin > 0n) yMin = 0n;
    if (yMax < 0n) yMax = 0n;
  }
  const xSpan = xMax - xMin;
  const ySpan = yMax - yMin;
  const sx = (x: number) =>
    px(xSpan > 0 ? plot.x + (plot.w * (x - xMin)) / xSpan : plot.x + plot.w / 2);
  const sy = (y: bigint) =>
    px(ySpan > 0n ? plot.y + plot.h * (1 - fraction(y - yMin, ySpan)) : plot.y + plot.h / 2);

  // Y ticks with grid lines: min, middle and max (one tick when constant).
  const yTicks = ySpan > 0n ? [yMin, yMin + ySpan / 2n, yMax] : [yMin];
  const formatY = yTickFormat(yTicks);
  for (const v of yTicks) {
    const y = sy(v);
    parts.push(h`<line class="grid" x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}"/>`);
    parts.push(
      h`<text class="tick y" x="${plot.x - 6}" y="${y}"><title>${v.toString()}</title>${formatY(v)}</text>`,
    );
  }

  // X ticks: the ends of the range (one tick when it is a single x).
  const bottom = plot.y + plot.h;
  const xTicks: [number, string][] =
    xSpan > 0
      ? [
          [xMin, "start"],
          [xMax, "end"],
        ]
      : [[xMin, "middle"]];
  for (const [v, anchor] of xTicks) {
    const x = sx(v);
    parts.push(h`<line class="axis" x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}"/>`);
    parts.push(
      h`<text class="tick x" x="${x}" y="${bottom + 16}" text-anchor="${anchor}">${panel.formatX(v)}</text>`,
    );
  }
  parts.push(
    h`<text class="caption" x="${px(plot.x + plot.w / 2)}" y="${bottom + 32}">${panel.xCaption}</text>`,
  );

  // The lines; a lone point becomes a dot, short series get dots with tooltips. Step
  // lines often coincide (equal counts), so each is nudged a little to stay visible.
  const dots = !panel.step && all.length <= 60;
  const drawn = panel.series.filter((s) => s.points.length);
  drawn.forEach((s, i) => {
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const points = thin(sorted, (x) => Math.round(sx(x)));
    const tip = (p: Point) =>
      h`<title>${s.name}: ${panel.formatX(p.x)} → ${p.y.toString()}</title>`;
    if (points.length === 1) {
      const p = points[0];
      parts.push(
        h`<circle class="dot" cx="${sx(p.x)}" cy="${sy(p.y)}" r="3.5" fill="${s.color}">${tip(p)}</circle>`,
      );
      return;
    }
    let d = `M${sx(points[0].x)},${sy(points[0].y)}`;
    for (const p of points.slice(1))
      d += panel.step ? `H${sx(p.x)}V${sy(p.y)}` : `L${sx(p.x)},${sy(p.y)}`;
    const nudge = panel.step ? px((i - (drawn.length - 1) / 2) * 2.5) : 0;
    const move = nudge ? h` transform="translate(0 ${nudge})"` : "";
    parts.push(
      h`<path class="line" d="${d}" stroke="${s.color}"${move}><title>${s.name}</title></path>`,
    );
    if (dots)
      for (const p of points)
        parts.push(
          h`<circle class="dot" cx="${sx(p.x)}" cy="${sy(p.y)}" r="2.5" fill="${s.color}">${tip(p)}</circle>`,
        );
  });
  return h`<g class="panel">${parts}</g>`;
}

/** Lays legend items out in rows across the chart; returns the markup and its height. */
function drawLegend(items: readonly LegendItem[], top: number): { svg: Safe; height: number } {
  const parts: Safe[] = [];
  let x = MARGIN.left;
  let row = 0;
  for (const item of items) {
    const width = 30 + item.label.length * 7;
    if (x + width > CHART_WIDTH - MARGIN.right && x > MARGIN.left) {
      x = MARGIN.left;
      row++;
    }
    const y = top + row * 20;
    parts.push(
      h`<g class="legend-item"><rect x="${x}" y="${y - 9}" width="14" height="10" rx="2" fill="${item.color}"/><text x="${x + 20}" y="${y}">${item.label}</text></g>`,
    );
    x += width;
  }
  return { svg: h`<g class="legend">${parts}</g>`, height: items.length ? (row + 1) * 20 : 0 };
}

/** A whole chart: one <svg class="chart"> with title, legend and a grid of panels. */
function drawChart(chart: {
  readonly kind: ChartKind;
  readonly title: string;
  readonly legend: readonly LegendItem[];
  readonly panels: readonly Panel[];
  readonly columns: number;
  readonly panelHeight: number;
  readonly points: number;
}): Safe {
  const legend = drawLegend(chart.legend, 50);
  const top = 36 + legend.height + 6;
  const columns = Math.max(1, Math.min(chart.columns, chart.panels.length));
  const rows = Math.ceil(chart.panels.length / columns);
  const panelWidth = CHART_WIDTH / columns;
  const height = top + rows * chart.panelHeight + 6;
  const panels = chart.panels.map((p, i) =>
    drawPanel(p, {
      x: (i % columns) * panelWidth,
      y: top + Math.floor(i / columns) * chart.panelHeight,
      w: panelWidth,
      h: chart.panelHeight,
    }),
  );
  return h`<svg class="chart" data-chart="${chart.kind}" data-points="${chart.points}" viewBox="0 0 ${CHART_WIDTH} ${height}" width="${CHART_WIDTH}" height="${height}" role="img" aria-label="${chart.title}"><title>${chart.title}</title><text class="chart-title" x="${MARGIN.left}" y="24">${chart.title}</text>${legend.svg}${panels}</svg>`;
}

/** Market j's name, or a placeholder when the report has fewer names than prices. */
function marketName(report: AuditReport, j: number): string {
  return report.markets[j] ?? `market ${j}`;
}

const axisTime = (t: number) => isoTime(t).replace("T", " ").replace("Z", "");
const axisBatch = (b: number) => `#${b}`;

/** Every market's value at one x (a round, or a batch); null when not known there. */
interface Sample {
  readonly x: number;
  readonly values: readonly string[] | null;
}

/**
 * Small multiples: one panel per market sharing the x range, each with its own y axis,
 * since markets differ by orders of magnitude (and in units). One "no data" panel when
 * there is nothing to draw at all.
 */
function perMarketChart(
  report: AuditReport,
  chart: {
    readonly kind: ChartKind;
    readonly title: string;
    readonly samples: readonly Sample[];
    readonly formatX: (x: number) => string;
    readonly xCaption: string;
    readonly zeroBased?: boolean;
  },
): Safe {
  const samples = chart.samples.filter((s) => s.values && Number.isFinite(s.x));
  const n = samples.reduce((m, s) => Math.max(m, s.values?.length ?? 0), report.markets.length);
  const domain: [number, number] = [Infinity, -Infinity];
  for (const s of samples) {
    domain[0] = Math.min(domain[0], s.x);
    domain[1] = Math.max(domain[1], s.x);
  }
  let count = 0;
  const panels: Panel[] = [];
  for (let j = 0; j < n; j++) {
    const points: Point[] = [];
    for (const s of samples) {
      const y = toBig(s.values?.[j]);
      if (y !== null) points.push({ x: s.x, y });
    }
    count += points.length;
    const name = marketName(report, j);
    panels.push({
      title: name,
      series: [{ name, color: marketColor(j), points }],
      formatX: chart.formatX,
      xCaption: chart.xCaption,
      xDomain: domain,
      zeroBased: chart.zeroBased,
    });
  }
  if (!count)
    panels.splice(0, panels.length, {
      series: [],
      formatX: chart.formatX,
      xCaption: chart.xCaption,
    });
  return drawChart({
    kind: chart.kind,
    title: chart.title,
    legend: [],
    panels,
    columns: panels.length === 1 ? 1 : panels.length <= 4 ? 2 : 3,
    panelHeight: panels.length === 1 ? 260 : 210,
    points: count,
  });
}

/** (a) Oracle prices per market over time. */
function pricesChart(report: AuditReport): Safe {
  return perMarketChart(report, {
    kind: "prices",
    title: "Oracle prices per market",
    samples: report.rounds.map((r) => ({ x: r.time, values: r.prices })),
    formatX: axisTime,
    xCaption: "round time (UTC)",
  });
}

/** (b) Insurance fund after each replayed batch. */
function fundChart(report: AuditReport): Safe {
  const points: Point[] = [];
  for (const b of report.batches) {
    const y = toBig(b.insuranceFund);
    if (y !== null) points.push({ x: b.batch, y });
  }
  return drawChart({
    kind: "fund",
    title: "Insurance fund after each batch",
    legend: [],
    panels: [
      {
        series: [{ name: "insurance fund", color: "#17becf", points }],
        formatX: axisBatch,
        xCaption: "batch",
      },
    ],
    columns: 1,
    panelHeight: 260,
    points: points.length,
  });
}

/** (c) Open interest per market after each replayed batch. */
function openInterestChart(report: AuditReport): Safe {
  return perMarketChart(report, {
    kind: "open-interest",
    title: "Open interest per market after each batch",
    samples: report.batches.map((b) => ({ x: b.batch, values: b.openInterest })),
    formatX: axisBatch,
    xCaption: "batch",
    zeroBased: true,
  });
}

/** (d) Cumulative batches by kind over time, as step lines. */
function batchesChart(report: AuditReport): Safe {
  const batches = report.batches
    .filter((b) => Number.isFinite(b.time))
    .sort((a, b) => a.time - b.time || a.batch - b.batch);
  const series: Series[] = [];
  if (batches.length) {
    const start = batches[0].time;
    const end = batches[batches.length - 1].time;
    for (const kind of KINDS) {
      const points: Point[] = [{ x: start, y: 0n }];
      let count = 0n;
      for (const b of batches) if (b.kind === kind) points.push({ x: b.time, y: ++count });
      if (!count) continue;
      points.push({ x: end, y: count });
      series.push({ name: `${kind} (${count})`, color: KIND_COLOR[kind], points });
    }
  }
  return drawChart({
    kind: "batches",
    title: "Batches over time (cumulative, by kind)",
    legend: series.map((s) => ({ label: s.name, color: s.color })),
    panels: [
      { series, formatX: axisTime, xCaption: "block time (UTC)", zeroBased: true, step: true },
    ],
    columns: 1,
    panelHeight: 280,
    points: batches.length,
  });
}

// ---------------------------------------------------------------------------------------
// Page sections.

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
  const figures = [pricesChart(r), fundChart(r), openInterestChart(r), batchesChart(r)];
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
svg.chart { display: block; width: 100%; height: auto; font-family: system-ui, sans-serif; }
svg .chart-title { font-size: 17px; font-weight: 600; fill: #1f2328; }
svg .panel-title { font-size: 13px; font-weight: 600; fill: #1f2328; }
svg .plot { fill: #fbfcfd; stroke: #afb8c1; }
svg .grid { stroke: #e6eaef; }
svg .axis { stroke: #6e7781; }
svg .tick { font-size: 11px; fill: #57606a; }
svg .tick.y { text-anchor: end; dominant-baseline: middle; }
svg .caption { font-size: 11px; fill: #57606a; text-anchor: middle; }
svg .no-data { font-size: 16px; fill: #8c959f; text-anchor: middle; dominant-baseline: middle; }
svg .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg .legend text { font-size: 12px; fill: #1f2328; }
details summary { cursor: pointer; margin: 6px 0; }
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
${summarySection(report)}
${checksSection(report)}
${findingsSection(report)}
${finalSection(report)}
${chartsSection(report)}
${batchesSection(report)}
</main>
<script>${new Safe(SCRIPT)}</script>
</body>
</html>
`;
  return page.html;
}
