/**
 * How the audit's HTML report writes the report's values: amounts are decimal strings of
 * bigints and stay exact; times are unix seconds shown in UTC.
 */
import type { AuditReport } from "./auditor.ts";
import { grouped, h, type Safe } from "../report/markup.ts";
import { BATCH_KIND_NAMES } from "../domain/batch-kinds.ts";

/** The batch kinds in the order the report lists them (their numbers' order). */
export const KINDS = BATCH_KIND_NAMES;

/** Parses a decimal integer string; null for null or anything that is not one. */
export function toBig(text: string | null | undefined): bigint | null {
  return typeof text === "string" && /^-?\d+$/.test(text) ? BigInt(text) : null;
}

/** A decimal string for a table: grouped, with the exact digits as a tooltip. */
export function amount(text: string): Safe {
  const b = toBig(text);
  return b === null ? h`${text}` : h`<span class="num" title="${text}">${grouped(b)}</span>`;
}

/** Milliseconds, one decimal below 10. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value < 10 ? value.toFixed(1) : grouped(Math.round(value));
}

/** A unix time (seconds) as ISO 8601 UTC without milliseconds; the raw number if invalid. */
export function isoTime(seconds: number): string {
  const t = seconds * 1000;
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) return String(seconds);
  return new Date(t).toISOString().replace(".000Z", "Z");
}

/** "1 finding", "3 findings", "2 batches". */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** Market j's name, or a placeholder when the report has fewer names than prices. */
export function marketName(report: AuditReport, j: number): string {
  return report.markets[j] ?? `market ${j}`;
}
