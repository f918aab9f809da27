/**
 * The project's one SVG chart drawer (no charting library, no script needed to draw): a chart
 * is a title, an optional legend and a grid of panels; a panel is a plot with its own axes,
 * lines (straight or steps), dots, point labels, dashed reference lines and notes. It draws
 * the audit report's charts inline in the page (styled by the page's CSS, which includes
 * `CHART_CSS`) and the benchmark's scaling chart as a standalone .svg file (`standalone`:
 * with its namespace, a white background and `CHART_CSS` in a <style> element).
 * Its axes (chart-axes.ts, exported from here too) carry the values' scale and ticks.
 */
import type { Axis } from "./chart-axes.ts";
import { h, Safe } from "./markup.ts";

export * from "./chart-axes.ts";

export interface Point<X, Y> {
  readonly x: X;
  readonly y: Y;
  /** Tooltip of the point's dot. */
  readonly tip?: string;
  /** Text written above the point. */
  readonly label?: string;
}

/** One line on a panel. */
export interface Series<X, Y> {
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point<X, Y>[];
}

/** One plot area with its own axes. */
export interface Panel<X, Y> {
  readonly title?: string;
  readonly x: Axis<X>;
  readonly y: Axis<Y>;
  readonly series: readonly Series<X, Y>[];
  readonly xCaption: string;
  /** Written vertically beside the y axis. */
  readonly yCaption?: string;
  /** Draw a step line (horizontal, then vertical) instead of straight segments. */
  readonly step?: boolean;
  /** Dashed horizontal lines, such as a goal; the label goes above the right end or below the left. */
  readonly references?: readonly { value: Y; label: string; place?: "end" | "start" }[];
  /** Notes at the foot of the plot, such as "not measured" at an x without a value. */
  readonly notes?: readonly { x: X; label: string }[];
}

export interface LegendItem {
  readonly label: string;
  readonly color: string;
}

export interface Chart<X, Y> {
  readonly title: string;
  readonly legend: readonly LegendItem[];
  readonly panels: readonly Panel<X, Y>[];
  readonly columns: number;
  readonly panelHeight: number;
  /** data-chart and data-points attributes, for tests. */
  readonly kind?: string;
  readonly points?: number;
  /** Default 960. */
  readonly width?: number;
  /** A file of its own rather than markup inside a page. */
  readonly standalone?: boolean;
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

const CHART_WIDTH = 960;
const MARGIN = { left: 76, right: 16, top: 26, bottom: 40 };

/** Series colours, reused in order. */
export const PALETTE = [
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

/** Rounds a pixel coordinate to 0.1 to keep the SVG small. */
const px = (v: number) => Math.round(v * 10) / 10;

/**
 * Thins a long series to at most a few points per pixel column (first, lowest, highest, last),
 * so that the page stays small for long histories without changing the picture.
 */
function thin<T extends { y: number }>(points: readonly T[], column: (p: T) => number): T[] {
  if (points.length <= 2000) return [...points];
  const out: T[] = [];
  let group: T[] = [];
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
    if (group.length && column(group[0]) !== column(p)) flush();
    group.push(p);
  }
  flush();
  return out;
}

/** Draws one panel (title, frame, grid, ticks, captions, references, lines, notes) into `box`. */
function drawPanel<X, Y>(panel: Panel<X, Y>, box: Box): Safe {
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
  if (!all.length && !panel.notes?.length) {
    parts.push(
      h`<text class="no-data" x="${px(plot.x + plot.w / 2)}" y="${px(plot.y + plot.h / 2)}">no data</text>`,
    );
    return h`<g class="panel">${parts}</g>`;
  }
  const sx = (f: number) => px(plot.x + plot.w * f);
  const sy = (f: number) => px(plot.y + plot.h * (1 - f));

  // Y ticks with grid lines.
  for (const t of panel.y.ticks) {
    const y = sy(t.at);
    parts.push(h`<line class="grid" x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}"/>`);
    const title = t.title === undefined ? "" : h`<title>${t.title}</title>`;
    parts.push(h`<text class="tick y" x="${plot.x - 6}" y="${y}">${title}${t.label}</text>`);
  }

  // X ticks, the captions.
  const bottom = plot.y + plot.h;
  for (const t of panel.x.ticks) {
    const x = sx(t.at);
    parts.push(h`<line class="axis" x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}"/>`);
    parts.push(
      h`<text class="tick x" x="${x}" y="${bottom + 16}" text-anchor="${t.anchor ?? "middle"}">${t.label}</text>`,
    );
  }
  parts.push(
    h`<text class="caption" x="${px(plot.x + plot.w / 2)}" y="${bottom + 32}">${panel.xCaption}</text>`,
  );
  if (panel.yCaption)
    parts.push(
      h`<text class="caption" transform="translate(${box.x + 14} ${px(plot.y + plot.h / 2)}) rotate(-90)">${panel.yCaption}</text>`,
    );

  for (const r of panel.references ?? []) {
    const y = sy(panel.y.at(r.value));
    parts.push(
      h`<line class="reference" x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}"/>`,
    );
    parts.push(
      r.place === "start"
        ? h`<text class="reference-label" x="${plot.x + 4}" y="${y + 14}">${r.label}</text>`
        : h`<text class="reference-label" x="${plot.x + plot.w - 4}" y="${y - 5}" text-anchor="end">${r.label}</text>`,
    );
  }

  // The lines; a lone point becomes a dot, short series get dots with tooltips. Step lines
  // often coincide (equal counts), so each is nudged a little to stay visible.
  const dots = !panel.step && all.length <= 60;
  const drawn = panel.series.filter((s) => s.points.length);
  drawn.forEach((s, i) => {
    const sorted = s.points
      .map((p) => ({ fx: panel.x.at(p.x), y: panel.y.at(p.y), p }))
      .sort((a, b) => a.fx - b.fx);
    const points = thin(sorted, (q) => Math.round(sx(q.fx)));
    const tip = (q: (typeof points)[number]) =>
      q.p.tip === undefined ? "" : h`<title>${q.p.tip}</title>`;
    const label = (q: (typeof points)[number]) =>
      q.p.label === undefined
        ? ""
        : h`<text class="point-label" x="${sx(q.fx)}" y="${px(sy(q.y) - 8)}">${q.p.label}</text>`;
    if (points.length === 1) {
      const q = points[0];
      parts.push(
        h`<circle class="dot" cx="${sx(q.fx)}" cy="${sy(q.y)}" r="3.5" fill="${s.color}">${tip(q)}</circle>${label(q)}`,
      );
      return;
    }
    let d = `M${sx(points[0].fx)},${sy(points[0].y)}`;
    for (const q of points.slice(1))
      d += panel.step ? `H${sx(q.fx)}V${sy(q.y)}` : `L${sx(q.fx)},${sy(q.y)}`;
    const nudge = panel.step ? px((i - (drawn.length - 1) / 2) * 2.5) : 0;
    const move = nudge ? h` transform="translate(0 ${nudge})"` : "";
    parts.push(
      h`<path class="line" d="${d}" stroke="${s.color}"${move}><title>${s.name}</title></path>`,
    );
    if (dots)
      for (const q of points)
        parts.push(
          h`<circle class="dot" cx="${sx(q.fx)}" cy="${sy(q.y)}" r="2.5" fill="${s.color}">${tip(q)}</circle>${label(q)}`,
        );
  });

  for (const n of panel.notes ?? [])
    parts.push(
      h`<text class="note" x="${sx(panel.x.at(n.x))}" y="${bottom - 8}">${n.label}</text>`,
    );
  return h`<g class="panel">${parts}</g>`;
}

/** Lays legend items out in rows across the chart; returns the markup and its height. */
function drawLegend(
  items: readonly LegendItem[],
  top: number,
  width: number,
): { svg: Safe; height: number } {
  const parts: Safe[] = [];
  let x = MARGIN.left;
  let row = 0;
  for (const item of items) {
    const w = 30 + item.label.length * 7;
    if (x + w > width - MARGIN.right && x > MARGIN.left) {
      x = MARGIN.left;
      row++;
    }
    const y = top + row * 20;
    parts.push(
      h`<g class="legend-item"><rect x="${x}" y="${y - 9}" width="14" height="10" rx="2" fill="${item.color}"/><text x="${x + 20}" y="${y}">${item.label}</text></g>`,
    );
    x += w;
  }
  return { svg: h`<g class="legend">${parts}</g>`, height: items.length ? (row + 1) * 20 : 0 };
}

/** A whole chart: one <svg class="chart"> with title, legend and a grid of panels. */
export function drawChart<X, Y>(chart: Chart<X, Y>): Safe {
  const width = chart.width ?? CHART_WIDTH;
  const legend = drawLegend(chart.legend, 50, width);
  const top = 36 + legend.height + 6;
  const columns = Math.max(1, Math.min(chart.columns, chart.panels.length));
  const rows = Math.ceil(chart.panels.length / columns);
  const panelWidth = width / columns;
  const height = top + rows * chart.panelHeight + 6;
  const panels = chart.panels.map((p, i) =>
    drawPanel(p, {
      x: (i % columns) * panelWidth,
      y: top + Math.floor(i / columns) * chart.panelHeight,
      w: panelWidth,
      h: chart.panelHeight,
    }),
  );
  const own = chart.standalone
    ? {
        ns: h` xmlns="http://www.w3.org/2000/svg"`,
        head: h`<style>${new Safe(CHART_CSS)}</style><rect width="${width}" height="${height}" fill="#fff"/>`,
      }
    : { ns: "", head: "" };
  const data =
    chart.kind === undefined
      ? ""
      : h` data-chart="${chart.kind}" data-points="${chart.points ?? 0}"`;
  return h`<svg${own.ns} class="chart"${data} viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${chart.title}"><title>${chart.title}</title>${own.head}<text class="chart-title" x="${MARGIN.left}" y="24">${chart.title}</text>${legend.svg}${panels}</svg>`;
}

/** The charts' styles: part of the report page's stylesheet, and inside a standalone chart. */
export const CHART_CSS = `svg.chart { display: block; width: 100%; height: auto; font-family: system-ui, sans-serif; }
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
svg .point-label { font-size: 10px; fill: #1f2328; text-anchor: middle; }
svg .reference { stroke: #b3261e; stroke-dasharray: 5 4; }
svg .reference-label, svg .note { font-size: 11px; fill: #b3261e; }
svg .note { text-anchor: middle; }
`;
