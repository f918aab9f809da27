/**
 * The batch-size sweep drawn as one self-contained SVG image (no fonts, scripts or
 * links from elsewhere): four panels against B on a log2 axis.
 */
import type { SweepPoint } from "./results.ts";

interface Series {
  readonly title: string;
  readonly unit: string;
  readonly values: readonly (number | null)[];
  readonly logY?: boolean;
  /** Horizontal reference lines, such as a goal. */
  readonly lines?: readonly {
    readonly value: number;
    readonly label: string;
    /** Where the label goes: above the line's right end (default) or below its left end. */
    readonly place?: "right-above" | "left-below";
  }[];
  readonly format: (v: number) => string;
}

const W = 460;
const H = 300;
const PAD = { left: 64, right: 18, top: 34, bottom: 42 };
const COLOR = "#1f5fa8";
const GOAL = "#b3261e";

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** Round numbers for an axis between lo and hi (linear), or powers of ten (log). */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo && v <= hi) out.push(v);
      }
    }
    return out;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

function shortNumber(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

function panel(batches: readonly number[], s: Series, x0: number, y0: number): string {
  const known = s.values.filter((v): v is number => v !== null && v > 0);
  const refs = (s.lines ?? []).map((l) => l.value);
  const all = [...known, ...refs];
  let lo = s.logY ? Math.min(...all) / 1.6 : 0;
  let hi = Math.max(...all) * (s.logY ? 1.6 : 1.15);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) {
    lo = s.logY ? 1 : 0;
    hi = lo + 1;
  }
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const lx = (b: number) => {
    const a = Math.log2(batches[0]);
    const z = Math.log2(batches[batches.length - 1]);
    return x0 + PAD.left + (z === a ? pw / 2 : ((Math.log2(b) - a) / (z - a)) * pw);
  };
  const ly = (v: number) => {
    const f = s.logY
      ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
      : (v - lo) / (hi - lo);
    return y0 + PAD.top + ph - f * ph;
  };
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + PAD.left}" y="${y0 + 20}" font-size="14" font-weight="bold">${esc(s.title)}</text>`,
  );
  parts.push(
    `<rect x="${x0 + PAD.left}" y="${y0 + PAD.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  );
  for (const t of ticks(lo, hi, s.logY ?? false)) {
    const y = ly(t);
    parts.push(
      `<line x1="${x0 + PAD.left}" x2="${x0 + PAD.left + pw}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${x0 + PAD.left - 6}" y="${y + 4}" font-size="11" text-anchor="end">${esc(shortNumber(t))}</text>`,
    );
  }
  for (const b of batches) {
    parts.push(
      `<text x="${lx(b)}" y="${y0 + PAD.top + ph + 16}" font-size="11" text-anchor="middle">${b}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + PAD.left + pw / 2}" y="${y0 + H - 6}" font-size="11" text-anchor="middle">trades per batch (B)</text>`,
    `<text transform="translate(${x0 + 14} ${y0 + PAD.top + ph / 2}) rotate(-90)" font-size="11" text-anchor="middle">${esc(s.unit)}</text>`,
  );
  for (const l of s.lines ?? []) {
    const y = ly(l.value);
    const label =
      l.place === "left-below"
        ? `<text x="${x0 + PAD.left + 4}" y="${y + 14}" font-size="11" fill="${GOAL}">${esc(l.label)}</text>`
        : `<text x="${x0 + PAD.left + pw - 4}" y="${y - 5}" font-size="11" fill="${GOAL}" text-anchor="end">${esc(l.label)}</text>`;
    parts.push(
      `<line x1="${x0 + PAD.left}" x2="${x0 + PAD.left + pw}" y1="${y}" y2="${y}" stroke="${GOAL}" stroke-dasharray="5 4"/>`,
      label,
    );
  }
  const pts = batches
    .map((b, i) => [b, s.values[i]] as const)
    .filter((p): p is readonly [number, number] => p[1] !== null && p[1] > 0);
  if (pts.length > 1) {
    const d = pts.map(([b, v], i) => `${i ? "L" : "M"}${lx(b).toFixed(1)} ${ly(v).toFixed(1)}`);
    parts.push(`<path d="${d.join(" ")}" fill="none" stroke="${COLOR}" stroke-width="2"/>`);
  }
  for (const [b, v] of pts) {
    parts.push(
      `<circle cx="${lx(b)}" cy="${ly(v)}" r="3.5" fill="${COLOR}"><title>B=${b}: ${esc(s.format(v))}</title></circle>`,
      `<text x="${lx(b)}" y="${ly(v) - 8}" font-size="10" text-anchor="middle">${esc(s.format(v))}</text>`,
    );
  }
  batches.forEach((b, i) => {
    if (s.values[i] === null)
      parts.push(
        `<text x="${lx(b)}" y="${y0 + PAD.top + ph - 8}" font-size="10" fill="${GOAL}" text-anchor="middle">not measured</text>`,
      );
  });
  return parts.join("\n");
}

const group = (n: number) => Math.round(n).toLocaleString("en-US");

/** The sweep's scaling curves: proving time per batch and per trade, gas and constraints per trade. */
export function scalingChart(points: readonly SweepPoint[], title: string): string {
  const batches = points.map((p) => p.batch);
  const f = points.map((p) => p.figures);
  const series: Series[] = [
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
      lines: [{ value: 17_000, label: "goal at B=16: 17,000", place: "left-below" }],
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
  const width = 2 * W;
  const height = 2 * H + 40;
  const body = series
    .map((s, i) => panel(batches, s, (i % 2) * W, 40 + Math.floor(i / 2) * H))
    .join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="24" font-size="16" font-weight="bold" text-anchor="middle">${esc(title)}</text>`,
    body,
    "</svg>",
    "",
  ].join("\n");
}
