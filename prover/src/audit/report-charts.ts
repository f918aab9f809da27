/**
 * The audit report's four charts, drawn by the shared SVG chart module (report/svg-chart.ts)
 * from the report's numbers: oracle prices and open interest per market (small multiples, one
 * panel per market), the insurance fund after each batch, and the batches over time by kind.
 */
import type { AuditReport } from "./auditor.ts";
import { isoTime, KINDS, marketName, toBig } from "./report-format.ts";
import type { Safe } from "../report/markup.ts";
import {
  bigintAxis,
  drawChart,
  endsAxis,
  PALETTE,
  type Panel,
  type Point,
  type Series,
} from "../report/svg-chart.ts";

type ChartKind = "prices" | "fund" | "open-interest" | "batches";

const KIND_COLOR: Record<(typeof KINDS)[number], string> = {
  trades: "#1f77b4",
  deposits: "#2ca02c",
  withdrawals: "#ff7f0e",
  liquidations: "#d62728",
  forced: "#9467bd",
};

/** Colour of market j: the same on every chart. */
const marketColor = (j: number) => PALETTE[j % PALETTE.length];

const axisTime = (t: number) => isoTime(t).replace("T", " ").replace("Z", "");
const axisBatch = (b: number) => `#${b}`;

/** x from the least to the greatest of the points' x. */
function xRange(points: readonly { x: number }[]): [number, number] {
  const range: [number, number] = [Infinity, -Infinity];
  for (const p of points) {
    range[0] = Math.min(range[0], p.x);
    range[1] = Math.max(range[1], p.x);
  }
  return range;
}

/** A series whose points carry their tooltips: "name: x → exact y". */
function series(
  name: string,
  color: string,
  points: readonly { x: number; y: bigint }[],
  formatX: (x: number) => string,
): Series<number, bigint> {
  const tipped: Point<number, bigint>[] = points.map((p) => ({
    ...p,
    tip: `${name}: ${formatX(p.x)} → ${p.y.toString()}`,
  }));
  return { name, color, points: tipped };
}

/** Every market's value at one x (a round, or a batch); null when not known there. */
interface Sample {
  readonly x: number;
  readonly values: readonly string[] | null;
}

/**
 * Small multiples: one panel per market sharing the x range, each with its own y axis, since
 * markets differ by orders of magnitude (and in units). One "no data" panel when there is
 * nothing to draw at all.
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
  const x = endsAxis(xRange(samples), chart.formatX);
  let count = 0;
  const panels: Panel<number, bigint>[] = [];
  for (let j = 0; j < n; j++) {
    const points: { x: number; y: bigint }[] = [];
    for (const s of samples) {
      const y = toBig(s.values?.[j]);
      if (y !== null) points.push({ x: s.x, y });
    }
    count += points.length;
    const name = marketName(report, j);
    panels.push({
      title: name,
      x,
      y: bigintAxis(
        points.map((p) => p.y),
        chart.zeroBased,
      ),
      series: [series(name, marketColor(j), points, chart.formatX)],
      xCaption: chart.xCaption,
    });
  }
  if (!count)
    panels.splice(0, panels.length, { x, y: bigintAxis([]), series: [], xCaption: chart.xCaption });
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
  const points: { x: number; y: bigint }[] = [];
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
        x: endsAxis(xRange(points), axisBatch),
        y: bigintAxis(points.map((p) => p.y)),
        series: [series("insurance fund", "#17becf", points, axisBatch)],
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
  const lines: Series<number, bigint>[] = [];
  if (batches.length) {
    const start = batches[0].time;
    const end = batches[batches.length - 1].time;
    for (const kind of KINDS) {
      const points = [{ x: start, y: 0n }];
      let count = 0n;
      for (const b of batches) if (b.kind === kind) points.push({ x: b.time, y: ++count });
      if (!count) continue;
      points.push({ x: end, y: count });
      lines.push(series(`${kind} (${count})`, KIND_COLOR[kind], points, axisTime));
    }
  }
  const all = lines.flatMap((s) => s.points);
  return drawChart({
    kind: "batches",
    title: "Batches over time (cumulative, by kind)",
    legend: lines.map((s) => ({ label: s.name, color: s.color })),
    panels: [
      {
        x: endsAxis(xRange(all), axisTime),
        y: bigintAxis(
          all.map((p) => p.y),
          true,
        ),
        series: lines,
        xCaption: "block time (UTC)",
        step: true,
      },
    ],
    columns: 1,
    panelHeight: 280,
    points: batches.length,
  });
}

/** The four charts, in the report's order. */
export function auditCharts(report: AuditReport): Safe[] {
  return [pricesChart(report), fundChart(report), openInterestChart(report), batchesChart(report)];
}
