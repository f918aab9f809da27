/**
 * Mutants of zkclear's own circuit templates, each one change to one statement:
 * - "delete": a constraint (`===`) or a check called for its constraints alone
 *   (`AssertBit()(x);`, `_ <== SignedRangeCheck(n)(x);`) is removed;
 * - "unconstrain": `x <== e` becomes `x <-- e` (assigned, no longer constrained);
 * - "narrow" / "widen": the bit width n of a RangeCheck, SignedRangeCheck or Num2Bits
 *   becomes n - 1 / n + 1.
 * A mutant that no test kills is a missing test or a redundant constraint. Templates
 * only: functions (constants, Poseidon's matrices) compute no constraints.
 */
export type MutationKind = "delete" | "unconstrain" | "narrow" | "widen";

export interface Mutant {
  /** Stable id: file:line:kind[:n] (n counts mutants of one kind on one line). */
  readonly id: string;
  readonly file: string;
  readonly template: string;
  readonly line: number;
  readonly kind: MutationKind;
  /** The statement before and after. */
  readonly before: string;
  readonly after: string;
  /** Offsets of the replaced text in the file. */
  readonly start: number;
  readonly end: number;
}

interface Statement {
  readonly template: string;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Statements (up to and including their `;`) inside template bodies, comments skipped. */
export function templateStatements(source: string): Statement[] {
  const out: Statement[] = [];
  let i = 0;
  let depth = 0; // braces
  let paren = 0;
  let template: string | undefined;
  let templateDepth = -1;
  let stmtStart = -1;
  const n = source.length;
  while (i < n) {
    const ch = source[i];
    if (ch === "/" && source[i + 1] === "/") {
      i = source.indexOf("\n", i);
      if (i < 0) break;
      continue;
    }
    if (ch === "/" && source[i + 1] === "*") {
      const e = source.indexOf("*/", i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (ch === '"') {
      const e = source.indexOf('"', i + 1);
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (template === undefined) {
      const m = /^template\s+(\w+)\s*\(/.exec(source.slice(i, i + 200));
      if (m && (i === 0 || /\s/.test(source[i - 1]))) {
        template = m[1];
        templateDepth = depth;
        i += m[0].length - 1; // the "(" is counted below
        continue;
      }
    }
    if (ch === "(" || ch === "[") {
      // a statement may open with a bracket: `(a - b) * c === 0;`
      if (stmtStart < 0 && paren === 0) stmtStart = i;
      paren++;
    } else if (ch === ")" || ch === "]") paren--;
    else if (ch === "{" && paren === 0) {
      depth++;
      stmtStart = -1;
    } else if (ch === "}" && paren === 0) {
      depth--;
      stmtStart = -1;
      if (template !== undefined && depth === templateDepth) template = undefined;
    } else if (ch === ";" && paren === 0) {
      if (template !== undefined && stmtStart >= 0 && depth > templateDepth) {
        out.push({ template, start: stmtStart, end: i + 1, text: source.slice(stmtStart, i + 1) });
      }
      stmtStart = -1;
    } else if (stmtStart < 0 && !/\s/.test(ch)) stmtStart = i;
    i++;
  }
  return out;
}

const CHECK_CALL = /^(?:_\s*<==\s*)?(\w+)\s*\([^;]*?\)\s*\([^;]*\)\s*;$/s;
const WIDTH = /\b(RangeCheck|SignedRangeCheck|Num2Bits)\s*\(/g;

/** Every mutant of one source file. */
export function mutantsOf(file: string, source: string): Mutant[] {
  const out: Mutant[] = [];
  const lineOf = (off: number) => source.slice(0, off).split("\n").length;
  const seen = new Map<string, number>();
  const add = (
    s: Statement,
    kind: MutationKind,
    start: number,
    end: number,
    before: string,
    after: string,
  ) => {
    const line = lineOf(start);
    const base = `${file}:${line}:${kind}`;
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    out.push({
      id: k === 0 ? base : `${base}:${k}`,
      file,
      template: s.template,
      line,
      kind,
      before,
      after,
      start,
      end,
    });
  };
  for (const s of templateStatements(source)) {
    const text = s.text;
    if (text.includes("===")) {
      add(s, "delete", s.start, s.end, text, `/* mutant: deleted */`);
    } else if (CHECK_CALL.test(text)) {
      add(s, "delete", s.start, s.end, text, `/* mutant: deleted */`);
    } else if (text.includes("<==")) {
      // `<--` cannot take a component call; declarations are split
      const rhs = text.slice(text.indexOf("<==") + 3);
      if (!/\w+\s*\([^;]*?\)\s*\(/.test(rhs)) {
        const decl = /^signal\s+(?:(?:input|output)\s+)?(\w+)\s*<==/.exec(text);
        const after = decl ? `signal ${decl[1]}; ${decl[1]} <--${rhs}` : text.replace("<==", "<--");
        add(s, "unconstrain", s.start, s.end, text, after);
      }
    }
    for (const m of text.matchAll(WIDTH)) {
      // the first argument, up to the matching parenthesis
      const open = (m.index ?? 0) + m[0].length;
      let d = 1;
      let j = open;
      while (j < text.length && d > 0) {
        if (text[j] === "(") d++;
        else if (text[j] === ")") d--;
        j++;
      }
      const arg = text.slice(open, j - 1);
      if (!arg.trim()) continue;
      for (const [kind, op] of [
        ["narrow", "-"],
        ["widen", "+"],
      ] as const) {
        const after = `${text.slice(0, open)}(${arg}) ${op} 1${text.slice(j - 1)}`;
        add(s, kind, s.start, s.end, text, after);
      }
    }
  }
  return out;
}

/** The file with the mutant applied. */
export function applyMutant(source: string, m: Mutant): string {
  return source.slice(0, m.start) + m.after + source.slice(m.end);
}
