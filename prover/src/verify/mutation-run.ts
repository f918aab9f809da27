import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import { ROOT } from "../proving/paths.ts";
import { applyMutant, mutantsOf, type Mutant } from "./mutants.ts";
import {
  compileError,
  determinismBaseline,
  determinismStage,
  includeClosure,
  plain,
  runWithSources,
  type ProcessResult,
  type StageResult,
} from "./mutation-determinism.ts";
import {
  importClosure,
  inputsHash,
  namedTestsHash,
  readReport,
  reportOnFile,
  STAGE_INPUTS,
  writeReport,
  type MutantResult,
  type MutationReport,
} from "./mutation-report.ts";
import { alive } from "./file-lock.ts";

/**
 * Runs the circuit tests against mutants of circuits/src. Each mutant is a copy of the
 * sources under artifacts/mutants/ with one statement changed; the tests build and read
 * it through ZKCLEAR_CIRCUIT_SOURCES / ZKCLEAR_CIRCUIT_BUILDS (prover/src/proving/paths.ts),
 * so circuits/src is never edited. First the determinism check runs on the cheapest
 * circuit that includes the mutated file (mutation-determinism.ts: seconds, and the only
 * test that can kill a `<==` made `<--`); a mutant it does not kill goes on to the test
 * files whose builds include the mutated file (found once, by running each test file on
 * an unmutated copy), fastest first, stopping at the first failure. Results are kept in a
 * JSON report and a rerun skips the mutants already decided for the same inputs: the
 * determinism stage's verdicts for the same sources and tools, the tests' verdicts for the
 * same tests too (so editing a test reruns only the mutants the tests decided).
 */
export class MutationError extends ZkClearError<CodeOf<"verify">> {}

export interface MutationOptions {
  /** Source files (basenames) to mutate; all of circuits/src when empty. */
  readonly files?: readonly string[];
  /** Templates to mutate; all when empty. */
  readonly templates?: readonly string[];
  /** Mutant ids to run (exactly these). */
  readonly ids?: readonly string[];
  /** Run the selected mutants again even if the report has decided them. */
  readonly again?: boolean;
  /** Parallel mutants (default 2). */
  readonly jobs?: number;
  /**
   * Run the determinism stage alone: a mutant it does not kill is recorded as pending, not
   * decided, and a later run without this option takes it to the tests.
   */
  readonly determinismOnly?: boolean;
  /**
   * The tests stage runs these test files only (relative to the root), not every circuit
   * test that builds the mutated file: a kill is recorded under the file that failed, a
   * mutant that passes them stays pending (all the tests are still to run), and is not run
   * on the same files again.
   */
  readonly tests?: readonly string[];
  /** Per test file a mutant runs, and per stage (default 20 minutes). */
  readonly timeoutSeconds?: number;
  readonly reportFile?: string;
  /**
   * Start the report afresh when the one on file was made for other sources, tools or
   * rules: without it such a run is refused, so that an experiment on edited circuits does
   * not replace the committed report.
   */
  readonly fresh?: boolean;
  readonly log?: (s: string) => void;
}

const SOURCES = path.join(ROOT, "circuits", "src");
const TESTS = path.join(ROOT, "test", "circuits");
const WORK = path.join(ROOT, "artifacts", "mutants");
/**
 * The report is committed: it is the evidence docs/verification.md's score is read from, an
 * auditor's clone reads it back (a verdict counts only while its inputs are the checkout's:
 * {@link currentReport}), and hours of runs are not lost with a machine's artifacts.
 */
export const DEFAULT_REPORT = path.join(ROOT, "docs", "mutation-report.json");
const require = createRequire(import.meta.url);
const MOCHA = require.resolve("mocha/bin/mocha.js");

const circomFiles = () =>
  fs
    .readdirSync(SOURCES)
    .filter((f) => f.endsWith(".circom"))
    .sort();
/**
 * The determinism test's check is the first stage's, which compares the solver's timeouts
 * with the unmutated circuit's. Run as a plain test it fails on any wire it cannot show
 * fixed, so a solver timeout (on a loaded machine, in a circuit the mutant does not even
 * touch) would count as a kill: the tests stage leaves it out.
 */
const STAGE_TEST = path.join("test", "circuits", "determinism.test.ts");

/** The circuit test files the tests stage runs. */
const testFiles = () =>
  fs
    .readdirSync(TESTS)
    .filter((f) => f.endsWith(".test.ts"))
    .sort()
    .map((f) => path.join("test", "circuits", f))
    .filter((f) => f !== STAGE_TEST);

/** Every mutant of circuits/src, filtered by the options. */
export function allMutants(
  opts: Pick<MutationOptions, "files" | "templates" | "ids"> = {},
): Mutant[] {
  const files = circomFiles();
  const strangers = (opts.files ?? []).filter((f) => !files.includes(f));
  if (strangers.length)
    throw new MutationError(
      "MUTANT_UNKNOWN",
      `no such circuit file in circuits/src: ${strangers.join(", ")} (a basename, such as merkle.circom)`,
    );
  const out: Mutant[] = [];
  const templates = new Set<string>();
  for (const f of files) {
    if (opts.files?.length && !opts.files.includes(f)) continue;
    for (const m of mutantsOf(f, fs.readFileSync(path.join(SOURCES, f), "utf8"))) {
      templates.add(m.template);
      if (opts.templates?.length && !opts.templates.includes(m.template)) continue;
      if (opts.ids?.length && !opts.ids.includes(m.id)) continue;
      out.push(m);
    }
  }
  const unknownTemplates = (opts.templates ?? []).filter((t) => !templates.has(t));
  if (unknownTemplates.length)
    throw new MutationError(
      "MUTANT_UNKNOWN",
      `no mutant in a template named ${unknownTemplates.join(", ")}${opts.files?.length ? ` in ${opts.files.join(", ")}` : ""}`,
    );
  if (opts.ids?.length && out.length !== opts.ids.length) {
    const known = new Set(out.map((m) => m.id));
    const missing = opts.ids.filter((id) => !known.has(id));
    throw new MutationError("MUTANT_UNKNOWN", `no such mutant: ${missing.join(", ")}`);
  }
  return out;
}

/** This run's suffix for its work folders: its pid, and the host it runs on. */
const RUN_TAG = `p${process.pid}-${os.hostname()}`;
/** A work folder of some run: `slot<k>`, `baseline` or `baseline-determinism`, then its tag. */
const WORK_FOLDER = /^(?:slot\d+|baseline|baseline-determinism)-p(\d+)-(.+)$/;

/**
 * Removes the work folders of runs on this host that are gone: a run killed or crashed
 * leaves its copies of the sources and their builds behind, gigabytes after a few. A live
 * run's folders, another host's (a shared disk: its processes cannot be seen from here),
 * and anything that is not a work folder (the solver cache, a note) are left.
 */
export function removeLeftovers(work: string = WORK, host: string = os.hostname()): string[] {
  if (!fs.existsSync(work)) return [];
  const removed: string[] = [];
  for (const e of fs.readdirSync(work)) {
    const m = WORK_FOLDER.exec(e);
    if (!m || m[2] !== host || alive(Number(m[1]))) continue;
    fs.rmSync(path.join(work, e), { recursive: true, force: true });
    removed.push(e);
  }
  return removed;
}

/** A fresh copy of circuits/src in `dir`, with `mutant` applied when given. */
function copySources(dir: string, mutant?: Mutant): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const f of circomFiles()) fs.copyFileSync(path.join(SOURCES, f), path.join(dir, f));
  if (mutant) {
    const original = fs.readFileSync(path.join(SOURCES, mutant.file), "utf8");
    fs.writeFileSync(path.join(dir, mutant.file), applyMutant(original, mutant));
  }
}

function listCircom(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .flatMap((e) =>
      e.isFile() && e.name.endsWith(".circom") ? [path.join(e.parentPath, e.name)] : [],
    );
}

function runTests(
  file: string,
  srcDir: string,
  buildDir: string,
  timeoutSeconds: number,
): Promise<ProcessResult> {
  // no per-test limit of mocha's (a slow build would fail as a kill): the run's own applies
  const args = [MOCHA, "--no-config", "--timeout", "0", "--exit", "--bail"];
  return runWithSources([...args, "--reporter", "spec", file], srcDir, buildDir, timeoutSeconds);
}

/**
 * The first failing test's title, from mocha's spec output: its describes and its own
 * title, one line each, up to the line that ends with ":".
 */
export function firstFailure(out: string): string {
  const clean = plain(out);
  const tail = clean.slice(clean.lastIndexOf("failing"));
  const at = tail.search(/\n\s+1\) /);
  if (at < 0) return clean.slice(-300).trim();
  const title: string[] = [];
  for (const line of tail
    .slice(at)
    .replace(/^\n\s+1\) /, "")
    .split("\n")) {
    title.push(line.trim());
    if (line.trimEnd().endsWith(":") || title.length === 6) break;
  }
  return title.join(" ");
}

/**
 * Runs every test file on an unmutated copy (they must pass) and records which source
 * files each one's builds include.
 */
async function baseline(
  report: MutationReport,
  files: readonly string[],
  timeoutSeconds: number,
  log: (s: string) => void,
): Promise<void> {
  const todo = files.filter((t) => !report.baseline[t]);
  if (todo.length === 0) return;
  // per process: another run sharing the report may be running its own baselines
  const dir = path.join(WORK, `baseline-${RUN_TAG}`);
  const src = path.join(dir, "src");
  copySources(src);
  for (const t of todo) {
    const build = path.join(dir, path.basename(t, ".test.ts"));
    log(`baseline: ${t} ...`);
    const r = await runTests(t, src, build, timeoutSeconds);
    if (r.code !== 0)
      throw new MutationError(
        "MUTATION_BASELINE_FAILS",
        `${t} fails on the unmutated circuits, so no mutant can be judged by it:\n${firstFailure(r.out)}`,
      );
    const deps = new Set<string>();
    for (const main of listCircom(build)) {
      for (const d of includeClosure(main, src)) deps.add(d);
    }
    report.baseline[t] = {
      deps: [...deps].sort(),
      seconds: Math.round(r.seconds),
      testsHash: namedTestsHash([t]),
    };
    log(`baseline: ${t} passes in ${r.seconds.toFixed(0)} s, uses ${[...deps].join(", ")}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** What the determinism stage said of a mutant it did not kill, as the report keeps it. */
const stageSaid = (s: StageResult) =>
  `determinism (${s.circuit}) ${s.outcome}${s.detail ? `: ${s.detail}` : ""}`;

/**
 * The tests stage of one mutant: each file in turn, until one fails. A verdict names the
 * file that gave it and that file's hash (what it read) from before it ran, so it holds
 * while that file and its imports are unchanged, whatever happens to the other tests; a
 * file edited while it ran gives no verdict.
 */
export async function testsStage(
  tests: readonly string[],
  src: string,
  build: string,
  timeoutSeconds: number,
  baselineHash: (file: string) => string | undefined = () => undefined,
): Promise<{
  verdict: "killed" | "invalid" | "timeout" | "passed" | "changed";
  seconds: number;
  file?: string;
  testsHash?: string;
  detail?: string;
}> {
  let seconds = 0;
  for (const file of tests) {
    // a file gone (renamed, deleted) or not the version its baseline passed with gives no
    // verdict: its failure would say nothing of the mutant
    const testsHash = namedTestsHash([file]);
    const known = baselineHash(file);
    if (testsHash === "missing" || (known !== undefined && known !== testsHash))
      return { verdict: "changed", seconds, file };
    const r = await runTests(file, src, build, timeoutSeconds);
    seconds += Math.round(r.seconds);
    if (namedTestsHash([file]) !== testsHash) return { verdict: "changed", seconds, file };
    if (r.timedOut || /Timeout of \d+ms exceeded/.test(r.out))
      return { verdict: "timeout", seconds, file, testsHash };
    if (r.code === 0) continue;
    const invalid = compileError(r.out);
    return invalid
      ? { verdict: "invalid", seconds, file, testsHash, detail: invalid }
      : { verdict: "killed", seconds, file, testsHash, detail: firstFailure(r.out) };
  }
  return { verdict: "passed", seconds };
}

/** The packages the stage's verdicts rest on too: the compiler, the templates circuits include, the solver. */
export const STAGE_PACKAGES = ["circom2", "circomlib", "z3-solver"];
/**
 * The version of the runner's own rules for a verdict (what the stages count as a kill,
 * an inconclusive or a pass): bump it when they change, and every verdict is made again.
 */
export const RULES_VERSION = 1;
/** Read from disk each time (require caches): an upgrade mid-run shows. */
const packageVersions = () =>
  STAGE_PACKAGES.map((p) => {
    const file = require.resolve(`${p}/package.json`);
    return `${p}@${(JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version}`;
  });
/**
 * What every verdict rests on: the circuit sources (the .circom files, not whatever else
 * a folder holds), the stage's own files, its packages' versions and the runner's rules.
 */
export const sourceHashNow = (): string =>
  inputsHash(
    [...circomFiles().map((f) => path.join("circuits", "src", f)), ...importClosure(STAGE_INPUTS)],
    [...packageVersions(), `rules@${RULES_VERSION}`],
  );

/** Refuses to start on a report made for other sources, unless told to start it afresh. */
function refuseOtherSources(file: string, sourceHash: string, fresh: boolean): void {
  const onFile = reportOnFile(file);
  if (!onFile || fresh || onFile.sourceHash === sourceHash) return;
  const n = Object.keys(onFile.results ?? {}).length;
  throw new MutationError(
    "MUTATION_OTHER_SOURCES",
    `the report on file (${path.relative(ROOT, file)}, ${n} verdicts) was made for other circuit sources, stage tools or rules: run on the checkout it was made for, or pass --fresh to start it again`,
  );
}

/** What the report on file decided that holds for this checkout's sources and tests. */
export function currentReport(file: string = DEFAULT_REPORT): MutationReport {
  return readReport(file, sourceHashNow(), namedTestsHash(testFiles()));
}

export async function runMutants(opts: MutationOptions = {}): Promise<MutationReport> {
  const log = opts.log ?? (() => {});
  const timeoutSeconds = opts.timeoutSeconds ?? 1200;
  const reportFile = opts.reportFile ?? DEFAULT_REPORT;
  const sourceHash = sourceHashNow;
  refuseOtherSources(reportFile, sourceHash(), opts.fresh ?? false);
  const report = currentReport(reportFile);
  const named = opts.tests?.map((t) => path.normalize(t));
  if (named?.length === 0)
    throw new MutationError("MUTATION_BAD_TESTS", "--tests names no test file");
  // the named files as a set, for the note a pass leaves (their order is only the order run)
  const namedSet = named && [...named].sort().join(", ");
  const known = testFiles();
  for (const t of named ?? [])
    if (!known.includes(t))
      throw new MutationError(
        "MUTATION_BAD_TESTS",
        t === STAGE_TEST
          ? `${t} is the determinism stage's check, which the tests stage does not run (a solver timeout would count as a kill)`
          : `${t} is not a test file of test/circuits`,
      );
  // the selection first: a misspelt file, template or id is refused before any baseline runs
  const selected = allMutants(opts);
  const removed = removeLeftovers();
  if (removed.length) log(`removed the work folders of runs that are gone: ${removed.join(", ")}`);
  if (!opts.determinismOnly) await baseline(report, named ?? known, timeoutSeconds, log);
  if (!report.determinism) {
    const dir = path.join(WORK, `baseline-determinism-${RUN_TAG}`);
    fs.rmSync(dir, { recursive: true, force: true });
    copySources(path.join(dir, "src"));
    report.determinism = await determinismBaseline(path.join(dir, "src"), dir, timeoutSeconds, log);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const detBaseline = report.determinism;
  report.pending ??= {};
  const pending = report.pending;
  // what this run decides wins over another run's older copy when the report is written
  // (each with the verdict on file it replaced: that one must not come back, another run's
  // newer one must be taken in)
  const decided = new Map<string, MutantResult | undefined>();
  // a run whose sources or stage tools changed under it stops without writing: its verdicts
  // would be filed under a label that no longer describes them (and replace a newer report)
  let stale = false;
  const write = () => {
    if (stale) return;
    if (sourceHash() !== report.sourceHash) {
      stale = true;
      log("circuits/src or the stage's tools changed since this run began: it stops here");
      return;
    }
    writeReport(reportFile, report, namedTestsHash, decided);
  };
  write();
  // a pending mutant these named files already passed (the report's tests unchanged since:
  // readReport drops what other tests said) is not run again
  const passedThese = namedSet && `; tests (${namedSet}) passed`;
  const todo = selected.filter(
    (m) =>
      opts.again ||
      ((!report.results[m.id] || report.results[m.id].outcome === "timeout") &&
        !(opts.determinismOnly && pending[m.id] !== undefined) &&
        !(passedThese && pending[m.id]?.endsWith(passedThese))),
  );
  log(`${todo.length} mutants to run (${Object.keys(report.results).length} already decided)`);
  const jobs = Math.max(1, opts.jobs ?? 2);
  let next = 0;
  let done = 0;
  const worker = async (slot: number) => {
    // per process too: another run (other mutants, the same report) may be working alongside
    const dir = path.join(WORK, `slot${slot}-${RUN_TAG}`);
    for (;;) {
      const m = stale ? undefined : todo[next++];
      if (!m) {
        fs.rmSync(dir, { recursive: true, force: true });
        return;
      }
      const tests =
        named ??
        Object.entries(report.baseline)
          .filter(([, b]) => b.deps.includes(m.file))
          .sort((a, b) => a[1].seconds - b[1].seconds)
          .map(([t]) => t);
      const rest: Omit<Mutant, "start" | "end"> = {
        id: m.id,
        file: m.file,
        template: m.template,
        line: m.line,
        kind: m.kind,
        before: m.before,
        after: m.after,
      };
      report.mutants[m.id] = rest;
      let result: MutantResult;
      const src = path.join(dir, "src");
      const build = path.join(dir, "build");
      fs.rmSync(dir, { recursive: true, force: true });
      copySources(src, m);
      // a mutant the stage left pending (same sources: the report says so) skips it; its
      // verdict on file is kept with what follows
      const before = pending[m.id];
      const passed = before?.startsWith("determinism") && !opts.again;
      const stage = passed
        ? undefined
        : await determinismStage(m.template, m.before, detBaseline, src, build, timeoutSeconds);
      if (stage?.outcome === "killed" || stage?.outcome === "invalid")
        result = {
          outcome: stage.outcome,
          stage: "determinism",
          seconds: stage.seconds,
          detail: stage.detail,
        };
      else if (opts.determinismOnly) {
        if (!decided.has(m.id)) decided.set(m.id, report.results[m.id]);
        delete report.results[m.id];
        pending[m.id] = stage ? stageSaid(stage) : "no circuit instantiates this template";
        write();
        done++;
        log(
          `[${done}/${todo.length}] ${m.id} (${m.template}) pending: ${pending[m.id].slice(0, 120)}`,
        );
        continue;
      } else if (tests.length === 0) {
        result = {
          outcome: "survived",
          stage: "tests",
          seconds: 0,
          detail: "no circuit test builds this file",
        };
      } else {
        const r = await testsStage(
          tests,
          src,
          build,
          timeoutSeconds,
          (f) => report.baseline[f]?.testsHash,
        );
        const seconds = r.seconds + (stage?.seconds ?? 0);
        if (r.verdict === "changed") {
          log(`[${++done}/${todo.length}] ${m.id}: no verdict, ${r.file} is gone or changed`);
          continue;
        }
        // what the stage said, this run's verdict if it ran, without what tests said before
        const stageOnly = ((stage ? stageSaid(stage) : before) ?? "").replace(/; tests \(.*$/, "");
        // a timeout says nothing of the mutant (a loaded machine): it stays pending, as does
        // one that passed some of the tests (not a survivor until all of them have run)
        const notYet =
          r.verdict === "timeout"
            ? `tests (${r.file}) timed out after ${timeoutSeconds} s`
            : r.verdict === "passed" && named
              ? `tests (${namedSet}) passed`
              : undefined;
        if (notYet) {
          // a verdict on file (another run's, or this mutant's before --again) stands; an
          // old-format timeout is no verdict
          if (report.results[m.id]?.outcome === "timeout") delete report.results[m.id];
          pending[m.id] = `${stageOnly}; ${notYet}`;
          write();
          done++;
          log(`[${done}/${todo.length}] ${m.id} (${m.template}) pending: ${notYet}`);
          continue;
        } else if (r.verdict === "passed") {
          // a survivor the stage called inconclusive may still be one only it can kill
          result = { outcome: "survived", stage: "tests", seconds, detail: stageOnly };
        } else {
          const by = { tests: [r.file!], testsHash: r.testsHash };
          result = { outcome: r.verdict, stage: "tests", seconds, detail: r.detail, ...by };
        }
      }
      delete pending[m.id];
      if (!decided.has(m.id)) decided.set(m.id, report.results[m.id]);
      report.results[m.id] = result;
      write();
      done++;
      log(
        `[${done}/${todo.length}] ${m.id} (${m.template}) ${result.outcome} in ${result.seconds} s` +
          (result.detail ? `: ${result.detail.slice(0, 120)}` : ""),
      );
    }
  };
  await Promise.all(Array.from({ length: jobs }, (_, i) => worker(i)));
  return report;
}
