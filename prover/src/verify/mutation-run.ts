import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import { ROOT } from "../proving/paths.ts";
import { applyMutant, mutantsOf, type Mutant } from "./mutants.ts";

/**
 * Runs the circuit tests against mutants of circuits/src. Each mutant is a copy of the
 * sources under artifacts/mutants/ with one statement changed; the tests build and read
 * it through ZKCLEAR_CIRCUIT_SOURCES / ZKCLEAR_CIRCUIT_BUILDS (prover/src/proving/paths.ts),
 * so circuits/src is never edited. Only the test files whose builds include the mutated
 * file run (found once, by running each test file on an unmutated copy), fastest first,
 * stopping at the first failure. Results are kept in a JSON report and a rerun skips the
 * mutants already decided for the same sources and tests.
 */
export class MutationError extends ZkClearError<CodeOf<"verify">> {}

export type Outcome = "killed" | "survived" | "invalid" | "timeout";

export interface MutantResult {
  readonly outcome: Outcome;
  readonly seconds: number;
  /** The first failing test (killed) or the compiler's complaint (invalid). */
  readonly detail?: string;
}

export interface MutationReport {
  /** Hash of circuits/src and the circuit test files: results are valid for these. */
  readonly sourceHash: string;
  readonly baseline: Record<string, { deps: string[]; seconds: number }>;
  readonly mutants: Record<string, Omit<Mutant, "start" | "end">>;
  readonly results: Record<string, MutantResult>;
}

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
  /** Per mutant (default 20 minutes). */
  readonly timeoutSeconds?: number;
  readonly reportFile?: string;
  readonly log?: (s: string) => void;
}

const SOURCES = path.join(ROOT, "circuits", "src");
const TESTS = path.join(ROOT, "test", "circuits");
const WORK = path.join(ROOT, "artifacts", "mutants");
export const DEFAULT_REPORT = path.join(ROOT, "artifacts", "mutation", "report.json");
const require = createRequire(import.meta.url);
const MOCHA = require.resolve("mocha/bin/mocha.js");

const circomFiles = () =>
  fs
    .readdirSync(SOURCES)
    .filter((f) => f.endsWith(".circom"))
    .sort();
const testFiles = () =>
  fs
    .readdirSync(TESTS)
    .filter((f) => f.endsWith(".test.ts"))
    .sort()
    .map((f) => path.join("test", "circuits", f));

function inputsHash(): string {
  const h = createHash("sha256");
  for (const f of circomFiles()) h.update(f).update(fs.readFileSync(path.join(SOURCES, f)));
  for (const f of testFiles()) h.update(f).update(fs.readFileSync(path.join(ROOT, f)));
  const verify = path.join("prover", "src", "verify");
  const tools = fs.readdirSync(path.join(ROOT, verify)).map((f) => path.join(verify, f));
  for (const f of ["test/helpers/circuit.ts", "prover/src/proving/build.ts", ...tools.sort()])
    h.update(fs.readFileSync(path.join(ROOT, f)));
  return h.digest("hex").slice(0, 16);
}

/** Every mutant of circuits/src, filtered by the options. */
export function allMutants(
  opts: Pick<MutationOptions, "files" | "templates" | "ids"> = {},
): Mutant[] {
  const out: Mutant[] = [];
  for (const f of circomFiles()) {
    if (opts.files?.length && !opts.files.includes(f)) continue;
    for (const m of mutantsOf(f, fs.readFileSync(path.join(SOURCES, f), "utf8"))) {
      if (opts.templates?.length && !opts.templates.includes(m.template)) continue;
      if (opts.ids?.length && !opts.ids.includes(m.id)) continue;
      out.push(m);
    }
  }
  if (opts.ids?.length && out.length !== opts.ids.length) {
    const known = new Set(out.map((m) => m.id));
    const missing = opts.ids.filter((id) => !known.has(id));
    throw new MutationError("MUTANT_UNKNOWN", `no such mutant: ${missing.join(", ")}`);
  }
  return out;
}

/** The zkclear source files a circom file includes, transitively (circomlib's are left out). */
function includeClosure(file: string, srcDir: string, seen = new Set<string>()): Set<string> {
  const text = fs.readFileSync(file, "utf8");
  for (const m of text.matchAll(/include\s+"([^"]+)"/g)) {
    const target = path.resolve(path.dirname(file), m[1]);
    if (path.dirname(target) !== srcDir || seen.has(path.basename(target))) continue;
    seen.add(path.basename(target));
    includeClosure(target, srcDir, seen);
  }
  return seen;
}

function listCircom(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .flatMap((e) =>
      e.isFile() && e.name.endsWith(".circom") ? [path.join(e.parentPath, e.name)] : [],
    );
}

interface RunResult {
  readonly code: number | null;
  readonly out: string;
  readonly seconds: number;
  readonly timedOut: boolean;
}

function runTests(
  files: readonly string[],
  srcDir: string,
  buildDir: string,
  timeoutSeconds: number,
): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        MOCHA,
        "--no-config",
        "--timeout",
        "600000",
        "--exit",
        "--bail",
        "--reporter",
        "spec",
        ...files,
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ZKCLEAR_CIRCUIT_SOURCES: path.relative(ROOT, srcDir),
          ZKCLEAR_CIRCUIT_BUILDS: path.relative(ROOT, buildDir),
        },
        detached: true,
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    }, timeoutSeconds * 1000);
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code, out, seconds: (performance.now() - t0) / 1000, timedOut }),
    );
    child.on("exit", () => clearTimeout(timer));
  });
}

/** The first failing test's title, from mocha's spec output. */
function firstFailure(out: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = out.replace(/\x1b\[[0-9;]*m/g, "");
  const m = /\n\s+1\) (.+)\n(?:\s+(.+)\n)?/.exec(clean.slice(clean.lastIndexOf("failing")));
  return m ? `${m[1]}${m[2] ? ` ${m[2]}` : ""}`.trim() : clean.slice(-300).trim();
}

function readReport(file: string, hash: string): MutationReport {
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8")) as MutationReport;
    if (r.sourceHash === hash) return r;
  } catch {
    // no report yet
  }
  return { sourceHash: hash, baseline: {}, mutants: {}, results: {} };
}

function writeReport(file: string, r: MutationReport): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(r, null, 1));
}

/**
 * Runs every test file on an unmutated copy (they must pass) and records which source
 * files each one's builds include.
 */
async function baseline(
  report: MutationReport,
  timeoutSeconds: number,
  log: (s: string) => void,
): Promise<void> {
  const src = path.join(WORK, "baseline", "src");
  fs.rmSync(path.join(WORK, "baseline"), { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  for (const f of circomFiles()) fs.copyFileSync(path.join(SOURCES, f), path.join(src, f));
  for (const t of testFiles()) {
    if (report.baseline[t]) continue;
    const build = path.join(WORK, "baseline", path.basename(t, ".test.ts"));
    log(`baseline: ${t} ...`);
    const r = await runTests([t], src, build, timeoutSeconds);
    if (r.code !== 0)
      throw new MutationError(
        "MUTATION_BASELINE_FAILS",
        `${t} fails on the unmutated circuits, so no mutant can be judged by it:\n${firstFailure(r.out)}`,
      );
    const deps = new Set<string>();
    for (const main of listCircom(build)) {
      for (const d of includeClosure(main, src)) deps.add(d);
    }
    report.baseline[t] = { deps: [...deps].sort(), seconds: Math.round(r.seconds) };
    log(`baseline: ${t} passes in ${r.seconds.toFixed(0)} s, uses ${[...deps].join(", ")}`);
  }
}

export async function runMutants(opts: MutationOptions = {}): Promise<MutationReport> {
  const log = opts.log ?? (() => {});
  const timeoutSeconds = opts.timeoutSeconds ?? 1200;
  const reportFile = opts.reportFile ?? DEFAULT_REPORT;
  const hash = inputsHash();
  const report = readReport(reportFile, hash);
  await baseline(report, timeoutSeconds, log);
  writeReport(reportFile, report);
  const todo = allMutants(opts).filter((m) => opts.again || !report.results[m.id]);
  log(`${todo.length} mutants to run (${Object.keys(report.results).length} already decided)`);
  const jobs = Math.max(1, opts.jobs ?? 2);
  let next = 0;
  let done = 0;
  const worker = async (slot: number) => {
    const dir = path.join(WORK, `slot${slot}`);
    for (;;) {
      const m = todo[next++];
      if (!m) return;
      const tests = Object.entries(report.baseline)
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
      if (tests.length === 0) {
        result = { outcome: "survived", seconds: 0, detail: "no circuit test builds this file" };
      } else {
        fs.rmSync(dir, { recursive: true, force: true });
        const src = path.join(dir, "src");
        fs.mkdirSync(src, { recursive: true });
        for (const f of circomFiles()) fs.copyFileSync(path.join(SOURCES, f), path.join(src, f));
        const original = fs.readFileSync(path.join(SOURCES, m.file), "utf8");
        fs.writeFileSync(path.join(src, m.file), applyMutant(original, m));
        const r = await runTests(tests, src, path.join(dir, "build"), timeoutSeconds);
        const seconds = Math.round(r.seconds);
        if (r.timedOut) result = { outcome: "timeout", seconds };
        else if (r.code === 0) result = { outcome: "survived", seconds };
        else if (/circom exited with/.test(r.out)) {
          // eslint-disable-next-line no-control-regex
          const err = /error\[[^\]]*\]: ?(.*)/.exec(r.out.replace(/\x1b\[[0-9;]*m/g, ""));
          result = { outcome: "invalid", seconds, detail: err?.[1] ?? "does not compile" };
        } else result = { outcome: "killed", seconds, detail: firstFailure(r.out) };
      }
      report.results[m.id] = result;
      writeReport(reportFile, report);
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

export interface TemplateScore {
  readonly file: string;
  readonly template: string;
  readonly mutants: number;
  readonly killed: number;
  readonly survived: number;
  readonly invalid: number;
  readonly timeout: number;
}

/** Per template: mutants run, killed, survived (a timeout counts as neither). */
export function scores(report: MutationReport): TemplateScore[] {
  const by = new Map<string, { -readonly [K in keyof TemplateScore]: TemplateScore[K] }>();
  for (const [id, r] of Object.entries(report.results)) {
    const m = report.mutants[id];
    if (!m) continue;
    const key = `${m.file}\u0000${m.template}`;
    const s = by.get(key) ?? {
      file: m.file,
      template: m.template,
      mutants: 0,
      killed: 0,
      survived: 0,
      invalid: 0,
      timeout: 0,
    };
    s.mutants++;
    s[r.outcome]++;
    by.set(key, s);
  }
  return [...by.values()].sort(
    (a, b) => a.file.localeCompare(b.file) || a.template.localeCompare(b.template),
  );
}
