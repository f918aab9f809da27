import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "../proving/paths.ts";
import type { Mutant } from "./mutants.ts";
import type { DeterminismBaseline } from "./mutation-determinism.ts";

// The mutation runner's report (mutation-run.ts): what each mutant's run decided, kept in
// a JSON file across runs for as long as the inputs it was decided on are the same, and
// shared by runs of other mutants at the same time.

export type Outcome = "killed" | "survived" | "invalid" | "timeout";

export interface MutantResult {
  readonly outcome: Outcome;
  /** Which stage decided it: the determinism check, or the circuit tests. */
  readonly stage: "determinism" | "tests";
  readonly seconds: number;
  /** The first failing test (killed) or the compiler's complaint (invalid). */
  readonly detail?: string;
  /** The test files run, when a run named them (`tests`): a kill by some of the tests. */
  readonly tests?: readonly string[];
  /** With `tests`: the hash of those files and what every test reads ({@link namedTestsHash}). */
  readonly testsHash?: string;
}

export interface MutationReport {
  /** Hash of circuits/src and of what the determinism stage reads (STAGE_INPUTS): every result is valid for these. */
  readonly sourceHash: string;
  /** Hash of what the circuit tests read (TEST_INPUTS): the tests' results and baseline are valid for these. */
  testsHash: string;
  baseline: Record<string, { deps: string[]; seconds: number }>;
  /** The determinism stage's circuits (absent in a report from before the stage). */
  determinism?: DeterminismBaseline;
  /** Mutants the determinism stage left, in a run with `determinismOnly`: tests still to run. */
  pending?: Record<string, string>;
  readonly mutants: Record<string, Omit<Mutant, "start" | "end">>;
  readonly results: Record<string, MutantResult>;
}

/**
 * What the determinism stage reads besides circuits/src: scripts/verify-circuits.ts, the
 * stage itself, and every file they import, transitively (their import closure: the
 * runner's own files are not in it, so editing them keeps the stage's verdicts).
 */
export const STAGE_INPUTS = [
  "scripts/verify-circuits.ts",
  "prover/src/verify/mutation-determinism.ts",
];
/** What the circuit tests read besides circuits/src: the tests, their helpers, the TypeScript twins. */
export const TEST_INPUTS = ["test/circuits", "test/helpers", "prover/src"];

/** Files under each entry (a file or a folder, relative to the root), in a stable order. */
function filesUnder(entries: readonly string[]): string[] {
  return entries.flatMap((e) => {
    const abs = path.join(ROOT, e);
    if (!fs.statSync(abs).isDirectory()) return [e];
    return fs
      .readdirSync(abs, { withFileTypes: true, recursive: true })
      .filter((d) => d.isFile())
      .map((d) => path.relative(ROOT, path.join(d.parentPath, d.name)))
      .sort();
  });
}

const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

/** `files` (relative to the root) and every file they import by a relative path, transitively. */
export function importClosure(files: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const text = fs.readFileSync(path.join(ROOT, f), "utf8");
    for (const [, spec] of text.matchAll(RELATIVE_IMPORT))
      visit(path.relative(ROOT, path.resolve(ROOT, path.dirname(f), spec)));
  };
  for (const f of files) visit(f);
  return [...seen].sort();
}

/** What named test files read: themselves, what they import, the helpers and the twins. */
export function namedTestsHash(tests: readonly string[]): string {
  return inputsHash([...importClosure(tests), "test/helpers", "prover/src"]);
}

/** A hash of the files under `entries` (files or folders, relative to the root). */
export function inputsHash(entries: readonly string[]): string {
  const h = createHash("sha256");
  for (const f of filesUnder(entries)) h.update(f).update(fs.readFileSync(path.join(ROOT, f)));
  return h.digest("hex").slice(0, 16);
}

/**
 * The report for these inputs: the one on file if its sources and tools are the same, less
 * the tests' verdicts (and their baseline) if the tests changed, but for the kills by named
 * test files that did not; otherwise a fresh one.
 */
export function readReport(
  file: string,
  sourceHash: string,
  testsHash: string,
  namedHash: (tests: readonly string[]) => string = namedTestsHash,
): MutationReport {
  let r: MutationReport | undefined;
  try {
    r = JSON.parse(fs.readFileSync(file, "utf8")) as MutationReport;
  } catch {
    // no report yet
  }
  if (r?.sourceHash !== sourceHash)
    return { sourceHash, testsHash, baseline: {}, mutants: {}, results: {} };
  if (r.testsHash !== testsHash) {
    // a kill by named test files stands while they and what they read are the same
    for (const [id, res] of Object.entries(r.results))
      if (res.stage !== "determinism" && !(res.tests && res.testsHash === namedHash(res.tests)))
        delete r.results[id];
    // what some of the old tests passed says nothing of the new ones
    for (const [id, why] of Object.entries(r.pending ?? {}))
      r.pending![id] = why.replace(/; tests \(.*$/, "");
    r.baseline = {};
    r.testsHash = testsHash;
  }
  return r;
}

/**
 * Writes `r`, first taking in what another run on the same report (other mutants, the same
 * inputs) wrote since: its verdicts, its pending mutants and its baseline. The file is
 * replaced whole (a rename), so a reader never sees half of it.
 */
export function writeReport(file: string, r: MutationReport): void {
  let disk: MutationReport | undefined;
  try {
    disk = JSON.parse(fs.readFileSync(file, "utf8")) as MutationReport;
  } catch {
    // none yet
  }
  if (disk?.sourceHash === r.sourceHash && disk.testsHash === r.testsHash) {
    const pending = (r.pending ??= {});
    const take = (id: string) => {
      if (!r.mutants[id] && disk.mutants[id]) r.mutants[id] = disk.mutants[id];
    };
    for (const [id, res] of Object.entries(disk.results)) {
      if (r.results[id]) continue;
      r.results[id] = res;
      take(id);
      delete pending[id];
    }
    for (const [id, why] of Object.entries(disk.pending ?? {})) {
      if (r.results[id] || id in pending) continue;
      pending[id] = why;
      take(id);
    }
    for (const [t, b] of Object.entries(disk.baseline)) r.baseline[t] ??= b;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(r, null, 1));
  fs.renameSync(tmp, file);
}
