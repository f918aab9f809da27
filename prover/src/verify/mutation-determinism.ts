import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CIRCUITS } from "../domain/circuits.ts";
import { ROOT } from "../proving/paths.ts";
import { templateStatements } from "./mutants.ts";

/**
 * The mutation runner's first stage: the determinism check of test/circuits/determinism.test.ts
 * (`verify:circuits --fast` at the test parameters) on the cheapest circuit instance whose
 * sources include the mutated file, compiled to its r1cs and .sym alone. That takes seconds
 * (about a minute for the liquidation batch), where the circuit tests' full builds, with
 * both witness calculators, take minutes per mutant. A `<==` made `<--` can only be killed
 * by this check: the witness calculator computes the same values, so every example test
 * passes. A mutant this stage does not kill goes on to the circuit tests.
 */

export interface ProcessResult {
  readonly code: number | null;
  readonly out: string;
  readonly seconds: number;
  readonly timedOut: boolean;
}

/** Runs node with `args` in the project root, reading the circuit sources and builds from the given folders. */
export function runWithSources(
  args: readonly string[],
  srcDir: string,
  buildDir: string,
  timeoutSeconds: number,
): Promise<ProcessResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        ZKCLEAR_CIRCUIT_SOURCES: path.relative(ROOT, srcDir),
        ZKCLEAR_CIRCUIT_BUILDS: path.relative(ROOT, buildDir),
      },
      detached: true,
    });
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

/** The zkclear source files a circom file includes, transitively (circomlib's are left out). */
export function includeClosure(
  file: string,
  srcDir: string,
  seen = new Set<string>(),
): Set<string> {
  const text = fs.readFileSync(file, "utf8");
  for (const m of text.matchAll(/include\s+"([^"]+)"/g)) {
    const target = path.resolve(path.dirname(file), m[1]);
    if (path.dirname(target) !== srcDir || seen.has(path.basename(target))) continue;
    seen.add(path.basename(target));
    includeClosure(target, srcDir, seen);
  }
  return seen;
}

/** Per circuit: the zkclear templates it instantiates, and what its check took unmutated. */
export type DeterminismBaseline = Record<
  string,
  {
    templates: string[];
    seconds: number;
    /** solver queries that ran out of time */
    timeouts: number;
  }
>;

/**
 * Which names each zkclear template calls in its statements (`T(...)`, `T()(...)`): the
 * template call graph of the sources in `srcDir`.
 */
export function templateCalls(srcDir: string): Map<string, Set<string>> {
  const calls = new Map<string, Set<string>>();
  for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith(".circom"))) {
    for (const st of templateStatements(fs.readFileSync(path.join(srcDir, f), "utf8"))) {
      const set = calls.get(st.template) ?? new Set<string>();
      for (const m of st.text.matchAll(/\b([A-Z]\w*)\s*\(/g)) set.add(m[1]);
      calls.set(st.template, set);
    }
  }
  return calls;
}

/**
 * The zkclear templates `main` instantiates, transitively. A mutant of a template no
 * circuit instantiates changes no circuit; template names are unique, so this also says
 * which circuits read the mutated file.
 */
export function templatesUsed(calls: Map<string, Set<string>>, main: string): Set<string> {
  const used = new Set<string>();
  const visit = (t: string) => {
    if (used.has(t) || !calls.has(t)) return;
    used.add(t);
    for (const c of calls.get(t)!) visit(c);
  };
  visit(main);
  return used;
}

const solverTimeouts = (out: string) =>
  [...out.matchAll(/(\d+) undecided \(timeout\)/g)].reduce((n, m) => n + Number(m[1]), 0);

export type StageOutcome = "killed" | "invalid" | "passed" | "inconclusive";

export interface StageResult {
  readonly outcome: StageOutcome;
  readonly circuit: string;
  readonly seconds: number;
  readonly detail?: string;
}

const VERIFY = path.join("scripts", "verify-circuits.ts");
/** The solver's verdicts, shared by every mutant's check (most bit blocks are the unmutated ones). */
const SMT_CACHE = path.join("artifacts", "mutants", "smt-cache.jsonl");

function check(id: string, srcDir: string, buildDir: string, timeoutSeconds: number) {
  return runWithSources(
    [
      VERIFY,
      "--fast",
      "--analysis-only",
      "--params",
      "test",
      "--circuit",
      id,
      "--json",
      path.join(path.relative(ROOT, buildDir), "determinism.json"),
      "--smt-cache",
      SMT_CACHE,
    ],
    srcDir,
    buildDir,
    timeoutSeconds,
  );
}

/** A child's output without its terminal colours. */
// eslint-disable-next-line no-control-regex
export const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

/** The compiler's complaint when a child failed because circom refused the mutant, else undefined. */
export function compileError(out: string): string | undefined {
  const text = plain(out);
  if (!/circom exited with/.test(text)) return undefined;
  return /error\[[^\]]*\]: ?(.*)/.exec(text)?.[1] ?? "does not compile";
}

/** Every circuit's check on the unmutated sources: each must pass, or no mutant can be judged by it. */
export async function determinismBaseline(
  srcDir: string,
  workDir: string,
  timeoutSeconds: number,
  log: (s: string) => void,
): Promise<DeterminismBaseline> {
  const out: DeterminismBaseline = {};
  const calls = templateCalls(srcDir);
  for (const [id, spec] of Object.entries(CIRCUITS)) {
    const r = await check(id, srcDir, path.join(workDir, "determinism"), timeoutSeconds);
    if (r.code !== 0) {
      log(`determinism baseline: ${id} fails unmutated, not used:\n${plain(r.out).slice(-600)}`);
      continue;
    }
    const timeouts = solverTimeouts(plain(r.out));
    const templates = [...templatesUsed(calls, spec.template)].sort();
    out[id] = { templates, seconds: Math.round(r.seconds), timeouts };
    log(`determinism baseline: ${id} passes in ${r.seconds.toFixed(0)} s`);
  }
  return out;
}

/**
 * The check on each circuit that instantiates the mutated template, cheapest first, until
 * one kills the mutant; undefined when no circuit instantiates it.
 */
export async function determinismStage(
  template: string,
  before: string,
  baseline: DeterminismBaseline,
  srcDir: string,
  buildDir: string,
  timeoutSeconds: number,
): Promise<StageResult | undefined> {
  const ids = Object.entries(baseline)
    .filter(([, b]) => b.templates.includes(template))
    .sort((a, b) => a[1].seconds - b[1].seconds)
    .map(([id]) => id);
  let last: StageResult | undefined;
  let seconds = 0;
  for (const id of ids) {
    const r = await check(id, srcDir, buildDir, timeoutSeconds);
    seconds += Math.round(r.seconds);
    const v = stageVerdict(id, r, before, baseline[id].timeouts);
    if (v.outcome === "killed" || v.outcome === "invalid") return { ...v, seconds };
    // an inconclusive circuit is the verdict unless a later one kills the mutant
    if (last?.outcome !== "inconclusive") last = v;
  }
  if (!last) return undefined;
  return last.outcome === "passed"
    ? { ...last, circuit: ids.join(","), seconds }
    : { ...last, seconds };
}

/** One circuit's check, read from the output of verify-circuits. */
export function stageVerdict(
  id: string,
  r: ProcessResult,
  before: string,
  baselineTimeouts = 0,
): StageResult {
  const seconds = Math.round(r.seconds);
  const out = plain(r.out);
  if (r.timedOut) return { outcome: "inconclusive", circuit: id, seconds, detail: "timed out" };
  if (r.code === 0) return { outcome: "passed", circuit: id, seconds };
  const invalid = compileError(out);
  if (invalid) return { outcome: "invalid", circuit: id, seconds, detail: invalid };
  if (!out.includes("NOT EXPLAINED"))
    return { outcome: "inconclusive", circuit: id, seconds, detail: out.slice(-300).trim() };
  const groups = out
    .slice(out.indexOf("NOT EXPLAINED"))
    .split("\n")
    .slice(1)
    .map((l) => /^\s+\d+\s+(\S+)/.exec(l)?.[1])
    .filter((g): g is string => g !== undefined);
  const detail = `determinism (${id}, test): open ${groups.slice(0, 3).join("; ")}`;
  if (solverTimeouts(out) <= baselineTimeouts)
    return { outcome: "killed", circuit: id, seconds, detail };
  // The solver ran out of time on more blocks than in the unmutated circuit, which a
  // loaded machine can cause too: a verdict only if the wire the mutant unconstrained is open.
  const lhs = assignedSignal(before);
  if (lhs && groups.some((g) => g.replace(/\[\]/g, "").endsWith(`.${lhs}`)))
    return { outcome: "killed", circuit: id, seconds, detail: `${detail} (and solver timeouts)` };
  return { outcome: "inconclusive", circuit: id, seconds, detail: `solver timeouts; ${detail}` };
}

/** The signal a `x <== e` statement assigns, without indices (`old.word`, `term`). */
export function assignedSignal(statement: string): string | undefined {
  const m = /^(?:signal\s+)?([\w.[\]\s+*-]+?)\s*<==/.exec(statement.trim());
  return m?.[1].replace(/\[[^\]]*\]/g, "").trim();
}
