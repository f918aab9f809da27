/**
 * Building HTML and SVG text safely: every value interpolated by the `h` template is escaped
 * unless it is already `Safe` markup. Used by the audit's HTML report and by the SVG charts.
 */

/** Markup that is already escaped and may be inserted as it is. */
export class Safe {
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
export function h(strings: TemplateStringsArray, ...values: unknown[]): Safe {
  let out = strings[0];
  values.forEach((v, i) => (out += fragment(v) + strings[i + 1]));
  return new Safe(out);
}

/** Digits grouped by thousands: "-1234567" → "-1,234,567". */
export function grouped(value: bigint | number): string {
  const s = value.toString();
  const sign = s.startsWith("-") ? "-" : "";
  return sign + s.slice(sign.length).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
