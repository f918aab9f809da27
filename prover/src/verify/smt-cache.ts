import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Verdict } from "./smt.ts";

/**
 * A file of the solver's settled verdicts, so that a query asked again (a mutant's check
 * meets the same bit blocks as the unmutated circuit's, with its wires renumbered) is not
 * solved again. Keys are hashes of the query with its variables renamed in order of first
 * appearance: a consistent renaming does not change an SMT-LIB query's answer, so a hit is
 * the answer z3 gave. An "unknown" (z3 ran out of time) is kept with its time limit and
 * reused only for a limit no longer than that: a timeout never fixes a wire, so reusing
 * one can only leave a wire open, never close one. One JSON line per verdict, appended,
 * so that parallel runs can share the file.
 */
export function canonicalQuery(query: string): string {
  const names = new Map<string, string>();
  return query
    .split("\n")
    .filter((l) => !l.startsWith(";"))
    .join("\n")
    .replace(/\b[a-z]+\d+\b/g, (id) => {
      let n = names.get(id);
      if (n === undefined) {
        n = `v${names.size}`;
        names.set(id, n);
      }
      return n;
    });
}

const keyOf = (query: string) => createHash("sha256").update(canonicalQuery(query)).digest("hex");

export class VerdictCache {
  private readonly known = new Map<string, { v: Verdict; ms?: number }>();
  hits = 0;

  constructor(private readonly file: string) {
    let text = "";
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      return; // no cache yet
    }
    for (const line of text.split("\n")) {
      try {
        const { k, v, ms } = JSON.parse(line) as { k: string; v: Verdict; ms?: number };
        this.remember(k, { v, ms });
      } catch {
        // a line cut short by a killed run
      }
    }
  }

  /**
   * Keeps `e` unless it adds nothing: a settled verdict is never replaced, and a timeout
   * only by a settled verdict or a timeout at a longer limit. True when kept.
   */
  private remember(k: string, e: { v: Verdict; ms?: number }): boolean {
    const had = this.known.get(k);
    if (had && (had.v !== "unknown" || (e.v === "unknown" && (e.ms ?? 0) <= (had.ms ?? 0))))
      return false;
    this.known.set(k, e);
    return true;
  }

  get(query: string, timeoutMs: number): Verdict | undefined {
    const e = this.known.get(keyOf(query));
    if (!e || (e.v === "unknown" && (e.ms ?? 0) < timeoutMs)) return undefined;
    this.hits++;
    return e.v;
  }

  put(query: string, v: Verdict, timeoutMs: number): void {
    const k = keyOf(query);
    const e = v === "unknown" ? { v, ms: timeoutMs } : { v };
    if (!this.remember(k, e)) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, JSON.stringify({ k, ...e }) + "\n");
  }
}
