/**
 * JSON for values holding bigints: a bigint is written as the string "<digits>n" and read
 * back as a bigint, so stored batches and orders round-trip exactly.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_k, v) =>
    typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as T;
}
