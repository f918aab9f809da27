/**
 * solc 0.8.28's SMTChecker does not end a path at `revert CustomError(...)`: after
 * `if (a == 0) revert Zero(a);` it still considers a = 0, so `10 / a` is reported as a
 * division by zero, where `if (a == 0) revert();`, `revert("zero")` and
 * `require(a != 0, Zero(a))` are understood (test/verify/plain-reverts.test.ts shows both).
 * zkclear and OpenZeppelin guard almost everything with custom errors, so the checker is
 * run on a copy where each `revert Name(args);` is `revert();`. For the checker's targets
 * (arithmetic, division, bounds, asserts) the two are the same: the transaction reverts
 * there and nothing after it runs. What is lost is a check inside the error's arguments,
 * which zkclear's never compute. Line breaks inside the arguments are kept, so every line
 * number stays that of the original source.
 */
export function plainReverts(source: string): { text: string; count: number } {
  let out = "";
  let count = 0;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    // comments and strings are copied as they are
    if (c === "/" && source[i + 1] === "/") {
      const end = source.indexOf("\n", i);
      const stop = end < 0 ? n : end;
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      const stop = stringEnd(source, i);
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    const m = /^revert\s+([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*\(/.exec(
      source.slice(i, i + 200),
    );
    if (m && (i === 0 || !/[\w$.]/.test(source[i - 1]))) {
      const open = i + m[0].length - 1;
      const close = matchingParen(source, open);
      if (close > 0) {
        const newlines = source.slice(i, close + 1).replace(/[^\n]/g, "");
        out += `revert()${newlines}`;
        count++;
        i = close + 1;
        continue;
      }
    }
    out += c;
    i++;
  }
  return { text: out, count };
}

function stringEnd(s: string, start: number): number {
  const quote = s[start];
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === quote) return i + 1;
  }
  return s.length;
}

/** The index of the `)` closing the `(` at `open`, or -1. */
function matchingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      i = stringEnd(s, i) - 1;
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}
