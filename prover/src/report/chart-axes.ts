/**
 * Axes of the SVG charts (svg-chart.ts): each turns values into positions (0 at the start of
 * the plot, 1 at its end) and carries its ticks, so that a panel draws values of any type:
 * exact bigints (amounts beyond 2^53), numbers on a linear or a log scale, sizes on a log2 scale.
 */
import { grouped } from "./markup.ts";

/** A tick of an axis: where (0..1), its label and an optional tooltip. */
export interface Tick {
  readonly at: number;
  readonly label: string;
  readonly title?: string;
  /** text-anchor of an x tick label (default middle). */
  readonly anchor?: "start" | "middle" | "end";
}

export interface Axis<V> {
  /** Where v lies: 0 at the start of the plot, 1 at its end (0.5 when the range is one value). */
  readonly at: (v: V) => number;
  readonly ticks: readonly Tick[];
}

/** x from lo to hi, ticks at the two ends (one in the middle when lo = hi). */
export function endsAxis(
  domain: readonly [number, number],
  format: (x: number) => string,
): Axis<number> {
  const [lo, hi] = domain;
  const span = hi - lo;
  return {
    at: (x) => (span > 0 ? (x - lo) / span : 0.5),
    ticks:
      span > 0
        ? [
            { at: 0, label: format(lo), anchor: "start" },
            { at: 1, label: format(hi), anchor: "end" },
          ]
        : [{ at: 0.5, label: format(lo), anchor: "middle" }],
  };
}

/**
 * num / den as a float for drawing, den > 0. Both are shifted right together first so that
 * values beyond 2^53 (or even 2^1024) still give a sensible ratio; the precision lost is far
 * below a pixel.
 */
function fraction(num: bigint, den: bigint): number {
  const shift = BigInt(Math.max(0, den.toString(2).length - 52));
  return Number(num >> shift) / Number(den >> shift);
}

/**
 * Formats the tick labels of one axis: exact grouped digits for small values, else scientific
 * notation with just enough digits for distinct ticks to get distinct labels.
 */
function bigintTickFormat(ticks: readonly bigint[]): (v: bigint) => string {
  const small = (v: bigint) => (v < 0n ? -v : v) < 10_000_000n;
  if (ticks.every(small)) return grouped;
  let digits = 3;
  const sci = (v: bigint) => Number(v).toExponential(digits).replace("e+", "e");
  const format = (v: bigint) => (small(v) ? grouped(v) : sci(v));
  while (digits < 15 && new Set(ticks.map(format)).size < new Set(ticks).size) digits++;
  return format;
}

/**
 * Exact integers from their least to their greatest (and 0, if `zeroBased`); ticks at the
 * minimum, the middle and the maximum (one when constant), each with its exact digits as a tooltip.
 */
export function bigintAxis(values: readonly bigint[], zeroBased = false): Axis<bigint> {
  if (!values.length) return { at: () => 0.5, ticks: [] };
  let lo = values[0];
  let hi = values[0];
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (zeroBased) {
    if (lo > 0n) lo = 0n;
    if (hi < 0n) hi = 0n;
  }
  const span = hi - lo;
  const at = (v: bigint) => (span > 0n ? fraction(v - lo, span) : 0.5);
  const ticks = span > 0n ? [lo, lo + span / 2n, hi] : [lo];
  const format = bigintTickFormat(ticks);
  return { at, ticks: ticks.map((v) => ({ at: at(v), label: format(v), title: v.toString() })) };
}

/** 1.2M, 35k, 0.25. */
export function shortNumber(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

/** Round numbers between lo and hi (linear), or 1, 2, 5 times powers of ten (log). */
function roundTicks(lo: number, hi: number, log: boolean): number[] {
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

/**
 * Positive measurements: from 0 to a little above the greatest (linear), or from a little
 * below the least to a little above the greatest (log), with round ticks labelled short.
 */
export function measureAxis(values: readonly number[], log = false): Axis<number> {
  const known = values.filter((v) => Number.isFinite(v) && v > 0);
  let lo = log ? Math.min(...known) / 1.6 : 0;
  let hi = Math.max(...known) * (log ? 1.6 : 1.15);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) {
    lo = log ? 1 : 0;
    hi = lo + 1;
  }
  const at = log
    ? (v: number) => (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
    : (v: number) => (v - lo) / (hi - lo);
  return { at, ticks: roundTicks(lo, hi, log).map((v) => ({ at: at(v), label: shortNumber(v) })) };
}

/** Positive values on a log2 scale, a tick at each (sizes such as 1, 2, 4, … 64). */
export function log2Axis(values: readonly number[]): Axis<number> {
  const lo = Math.log2(Math.min(...values));
  const hi = Math.log2(Math.max(...values));
  const at = (v: number) => (hi > lo ? (Math.log2(v) - lo) / (hi - lo) : 0.5);
  return { at, ticks: values.map((v) => ({ at: at(v), label: String(v) })) };
}
