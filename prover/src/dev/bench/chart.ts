/**
 * The batch-size sweep drawn as one self-contained SVG image (no fonts, scripts or links from
 * elsewhere) by the project's SVG chart module: four panels against B on a log2 axis.
 */
import { drawChart, log2Axis, measureAxis, shortNumber } from "../../report/svg-chart.ts";
import type { Panel } from "../../report/svg-chart.ts";
import type { SweepPoint } from "./results.ts";

interface Measure {
  readonly title: string;
  readonly unit: string;
  readonly values: readonly (number | null)[];
  readonly logY?: boolean;
  /** Horizontal reference lines, such as a goal. */
  readonly lines?: readonly { value: number; label: string; place?: "end" | "start" }[];
  readonly format: (v: number) => string;
}

const COLOR = "#1f5fa8";

const group = (n: number) => Math.round(n).toLocaleString("en-US");

/** One measure against B: its points with their values written above, "not measured" where none. */
function panel(batches: readonly number[], m: Measure): Panel<number, number> {
  const known = batches
    .map((b, i) => ({ x: b, y: m.values[i] }))
    .filter((p): p is { x: number; y: number } => p.y !== null && p.y > 0);
  return {
    title: m.title,
    x: log2Axis(batches),
    y: measureAxis([...known.map((p) => p.y), ...(m.lines ?? []).map((l) => l.value)], m.logY),
    series: [
      {
        name: m.title,
        color: COLOR,
        points: known.map((p) => ({
          ...p,
          tip: `B=${p.x}: ${m.format(p.y)}`,
          label: m.format(p.y),
        })),
      },
    ],
    xCaption: "trades per batch (B)",
    yCaption: m.unit,
    references: m.lines,
    notes: batches.flatMap((b, i) =>
      m.values[i] === null ? [{ x: b, label: "not measured" }] : [],
    ),
  };
}

/** The sweep's scaling curves: proving time per batch and per trade, gas and constraints per trade. */
export function scalingChart(points: readonly SweepPoint[], title: string): string {
  const batches = points.map((p) => p.batch);
  const f = points.map((p) => p.figures);
  const measures: Measure[] = [
    {
      title: "Proving time per batch",
      unit: "seconds (witness + proof)",
      values: f.map((x) => (x ? (x.proof.witnessMs + x.proof.proveMs) / 1000 : null)),
      format: (v) => `${v.toFixed(1)} s`,
    },
    {
      title: "Proving time per trade",
      unit: "milliseconds",
      values: f.map((x) => (x ? (x.proof.witnessMs + x.proof.proveMs) / x.operations : null)),
      format: (v) => `${group(v)}`,
    },
    {
      title: "Gas per trade (log scale)",
      unit: "gas",
      logY: true,
      values: f.map((x) => (x ? x.proof.gas / x.operations : null)),
      lines: [{ value: 17_000, label: "goal at B=16: 17,000", place: "start" }],
      format: (v) => shortNumber(v),
    },
    {
      title: "Constraints per trade",
      unit: "constraints",
      values: f.map((x) => (x ? x.compile.constraints / x.operations : null)),
      lines: [{ value: 34_000, label: "goal: 34,000" }],
      format: (v) => shortNumber(v),
    },
  ];
  const chart = drawChart({
    title,
    legend: [],
    panels: measures.map((m) => panel(batches, m)),
    columns: 2,
    panelHeight: 300,
    width: 960,
    kind: "scaling",
    points: f.filter(Boolean).length,
    standalone: true,
  });
  return `${chart.html}\n`;
}
