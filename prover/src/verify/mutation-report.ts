import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "../proving/paths.ts";
import { withFileLock } from "./file-lock.ts";
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
  /**
   * Hash of circuits/src, of what the determinism stage reads (STAGE_INPUTS) and of the
   * versions of the packages it runs (circom2, circomlib, z3-solver): every result is valid
   * for these.
   */
  readonly sourceHash: string;
  /** {@link namedTestsHash} of every circuit test: the tests' results and baseline are valid for these. */
  testsHash: string;
  /** Per test file: the circuit sources its builds include, its time, and {@link namedTestsHash}. */
  baseline: Record<string, { deps: string[]; seconds: number; testsHash?: string }>;
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

/** Files under each entry (a file or a folder, relative to the root), in a stable order. */
function filesUnder(entries: readonly string[]): string[] {
  return entries.flatMap((e) => {
    const abs = path.join(ROOT, e);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) return [e];
    return fs
      .readdirSync(abs, { withFileTypes: true, recursive: true })
      .filter((d) => d.isFile())
      .map((d) => path.relative(ROOT, path.join(d.parentPath, d.name)))
      .sort();
  });
}

const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

/**
 * `files` (relative to the root) and every file they import by a relative path, transitively.
 * A file that is not there (renamed while a run hashes) is listed, and not read.
 */
export function importClosure(files: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    if (!fs.existsSync(path.join(ROOT, f))) return;
    const text = fs.readFileSync(path.join(ROOT, f), "utf8");
    for (const [, spec] of text.matchAll(RELATIVE_IMPORT))
      visit(path.relative(ROOT, path.resolve(ROOT, path.dirname(f), spec)));
  };
  for (const f of files) visit(f);
  return [...seen].sort();
}

/**
 * What test files read, hashed: themselves and what they import, transitively (the helpers,
 * the TypeScript twins), and {@link TESTS_ALSO_READ}; the circuits they build are the
 * report's sources.
 */
export function namedTestsHash(tests: readonly string[]): string {
  const closure = importClosure(tests);
  // a test file, or a file it imports, renamed or deleted since: nothing it decided holds
  if (closure.some((t) => !fs.existsSync(path.join(ROOT, t)))) return "missing";
  return inputsHash([...closure, ...TESTS_ALSO_READ]);
}

/**
 * What the circuit tests run besides their TypeScript: the packages (the lockfile) and the
 * native witness calculator's sources, which compute their witnesses where it builds.
 */
export const TESTS_ALSO_READ = ["package-lock.json", "native/src", "native/witness"];

/** A hash of the files under `entries` (files or folders, relative to the root), and of `also`. */
export function inputsHash(entries: readonly string[], also: readonly string[] = []): string {
  const h = createHash("sha256");
  for (const a of also) h.update(a).update("\0");
  for (const f of filesUnder(entries)) {
    const abs = path.join(ROOT, f);
    h.update(f).update(fs.existsSync(abs) ? fs.readFileSync(abs) : "\0missing");
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * Takes into `into` what `from` (a report on the same sources and tools) decided that still
 * holds for `into`'s tests: the determinism stage's verdicts always; the tests' verdicts and
 * baseline when the tests are the same, or when they name test files that, with what they
 * read, did not change; pending mutants always, less what other tests passed. A verdict
 * `into` already has is kept. `own` names the mutants the writing run decided, each with
 * the verdict its decision replaced (undefined if none): that verdict, still on file, does
 * not come back (a kill `--again` took back), but any other verdict there is another run's,
 * made since, and is taken (a tests run's kill of a mutant this run left pending).
 */
export type OwnDecisions = ReadonlyMap<string, MutantResult | undefined>;

const sameResult = (a: MutantResult | undefined, b: MutantResult | undefined) =>
  JSON.stringify(a) === JSON.stringify(b);

function carryOver(
  from: MutationReport,
  into: MutationReport,
  namedHash: (tests: readonly string[]) => string,
  own: OwnDecisions = new Map(),
): void {
  const sameTests = from.testsHash === into.testsHash;
  const pending = (into.pending ??= {});
  const take = (id: string) => {
    if (!into.mutants[id] && from.mutants[id]) into.mutants[id] = from.mutants[id];
  };
  // a verdict by named tests holds while they and what they read are the version it names
  const namedHolds = (res: MutantResult) =>
    res.tests !== undefined &&
    res.testsHash !== "missing" &&
    res.testsHash === namedHash(res.tests);
  for (const [id, res] of Object.entries(from.results)) {
    // `into`'s own verdict stands unless its tests changed since (a run holds its verdicts
    // for hours: a stale copy in memory must not replace the kill the new tests filed)
    const mine = into.results[id];
    if (mine && (mine.stage === "determinism" || mine.tests === undefined || namedHolds(mine)))
      continue;
    if (own.has(id) && sameResult(res, own.get(id))) continue;
    const holds = res.stage === "determinism" || sameTests || namedHolds(res);
    if (!holds) continue;
    into.results[id] = res;
    take(id);
    delete pending[id];
  }
  for (const [id, why] of Object.entries(from.pending ?? {})) {
    if (into.results[id] || id in pending || own.has(id)) continue;
    // what some of the old tests passed says nothing of the new ones
    pending[id] = sameTests ? why : why.replace(/; tests \(.*$/, "");
    take(id);
  }
  for (const [t, b] of Object.entries(from.baseline))
    if (
      !into.baseline[t] &&
      (sameTests || (b.testsHash && b.testsHash !== "missing" && b.testsHash === namedHash([t])))
    )
      into.baseline[t] = b;
  if (!into.determinism && from.determinism) into.determinism = from.determinism;
}

/** The report on file as written, whatever it was made for; undefined if none yet or unreadable. */
export function reportOnFile(file: string): MutationReport | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as MutationReport;
  } catch {
    return undefined;
  }
}

/**
 * The report for these inputs: what the one on file decided that holds for them (see
 * {@link carryOver}), or a fresh one if its sources or the stage's tools changed.
 */
export function readReport(
  file: string,
  sourceHash: string,
  testsHash: string,
  namedHash: (tests: readonly string[]) => string = namedTestsHash,
): MutationReport {
  const r = reportOnFile(file);
  const fresh: MutationReport = { sourceHash, testsHash, baseline: {}, mutants: {}, results: {} };
  if (r?.sourceHash !== sourceHash) return fresh;
  if (r.testsHash === testsHash) return r;
  carryOver(r, fresh, namedHash);
  return fresh;
}

const sortedKeys = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** `r` with its maps in key order: the committed file's diff shows what a run changed, not its order. */
export function sortedReport(r: MutationReport): MutationReport {
  return {
    ...r,
    baseline: sortedKeys(r.baseline),
    ...(r.pending ? { pending: sortedKeys(r.pending) } : {}),
    mutants: sortedKeys(r.mutants),
    results: sortedKeys(r.results),
  };
}

/**
 * Writes `r`, first taking in what another run on the same report (other mutants, the same
 * sources; its tests perhaps older or newer) wrote since and still holds for `r`, but for
 * the verdicts this run's own decisions replaced (`own`, see {@link carryOver}). The
 * file is replaced whole (a rename), so a reader never sees half of it.
 */
export function writeReport(
  file: string,
  r: MutationReport,
  namedHash: (tests: readonly string[]) => string = namedTestsHash,
  own: OwnDecisions = new Map(),
): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // a test file's hash once per write, not once per verdict it filed
  const hashes = new Map<string, string>();
  const hashOnce = (tests: readonly string[]) => {
    const k = tests.join("\n");
    if (!hashes.has(k)) hashes.set(k, namedHash(tests));
    return hashes.get(k)!;
  };
  // under the report's lock (file-lock.ts); taken over while this process paused, it merges
  // again with what the new holder wrote
  for (let written = false; !written; )
    withFileLock(`${file}.lock`, (mine) => {
      const disk = reportOnFile(file);
      if (disk?.sourceHash === r.sourceHash) carryOver(disk, r, hashOnce, own);
      const tmp = `${file}.${process.pid}`;
      fs.writeFileSync(tmp, JSON.stringify(sortedReport(r), null, 1));
      if (!mine()) return fs.rmSync(tmp, { force: true });
      fs.renameSync(tmp, file);
      written = true;
    });
}
