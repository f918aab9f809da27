import { ZkClearError, type CodeOf } from "../domain/errors.ts";

/**
 * Solidity's SMTChecker driven through solc's standard JSON, with the SMT queries answered
 * by the caller. solc (the `solc` npm package, 0.8.28) is asked for `solvers: ["smtlib2"]`:
 * it then hands each query, as an SMT-LIB 2 script, to the `smtSolver` callback and reads
 * the verdict from the answer. The compiler and the solver are passed in: this file only
 * builds the input, runs the compilation and reads the verdicts.
 */
export class SmtCheckerError extends ZkClearError<CodeOf<"verify">> {}

/** The SMTChecker's verification targets (solc's names), with the words of its messages. */
export const TARGETS = {
  assert: "Assertion violation",
  underflow: "Underflow",
  overflow: "Overflow",
  divByZero: "Division by zero",
  constantCondition: "Condition is always",
  popEmptyArray: 'Empty array "pop"',
  outOfBounds: "Out of bounds access",
  balance: "Insufficient funds",
} as const;
export type Target = keyof typeof TARGETS;
export const TARGET_NAMES = Object.keys(TARGETS) as Target[];

export type Engine = "chc" | "bmc" | "all";
/** safe: proved; violated: solc found an execution; unknown: the solver did not decide. */
export type Verdict = "safe" | "violated" | "unknown";

export interface CheckerOptions {
  engine: Engine;
  targets: readonly Target[];
  /** solc's per-query timeout, written into each query as `(set-option :timeout ms)`. */
  timeoutMs: number;
  /** BMC loop unrolling (solc's default is 1). */
  bmcLoopIterations?: number;
}

/** One contract to check: its file (a source key) and name. */
export interface ContractRef {
  file: string;
  name: string;
}

/** solc's standard-JSON input asking the SMTChecker about one contract. */
export function checkerInput(
  sources: Readonly<Record<string, string>>,
  contract: ContractRef,
  opts: CheckerOptions,
): SolcInput {
  return {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, { content: v }])),
    settings: {
      evmVersion: "cancun",
      modelChecker: {
        engine: opts.engine,
        contracts: { [contract.file]: [contract.name] },
        solvers: ["smtlib2"],
        targets: [...opts.targets],
        timeout: opts.timeoutMs,
        showProvedSafe: true,
        showUnproved: true,
        showUnsupported: true,
        ...(opts.bmcLoopIterations ? { bmcLoopIterations: opts.bmcLoopIterations } : {}),
      },
      outputSelection: {},
    },
  };
}

export interface SolcInput {
  language: "Solidity";
  sources: Record<string, { content: string }>;
  settings: Record<string, unknown>;
}

export interface SolcMessage {
  severity: string;
  type?: string;
  errorCode?: string;
  message: string;
  formattedMessage: string;
  sourceLocation?: { file: string; start: number; end: number };
}

export interface SolcOutput {
  errors?: SolcMessage[];
}

/** What answered one query, for the report. */
export interface QueryRecord {
  bytes: number;
  ms: number;
  /** the first word of the answer: sat, unsat, unknown, error or timeout */
  answer: string;
  /** the solver's complaint, when it refused the query */
  error?: string;
}

/** Answers one SMT-LIB 2 query with the solver's output (`sat`, `unsat`, `unknown` first). */
export type Answer = (query: string) => { output: string; timedOut: boolean };

/** solc's standard-JSON compile with callbacks (solc-js's `compile(input, callbacks)`). */
export type Compile = (
  input: string,
  callbacks: { smtSolver: (query: string) => { contents: string } | { error: string } },
) => string;

export interface CheckerRun {
  output: SolcOutput;
  queries: QueryRecord[];
}

/**
 * One compilation with the SMTChecker on, each query answered as solc asks it (solc-js's
 * `smtSolver` callback, kind "smt-query"). Answering between compilations instead
 * (`auxiliaryInputRequested` / `auxiliaryInput.smtlib2responses`) does not settle on
 * zkclear's contracts: solc's later queries depend on the earlier answers, so each
 * compilation asks new ones (docs/verification.md).
 */
export function runModelChecker(
  compile: Compile,
  input: SolcInput,
  answer: Answer,
  opts: { onQuery?: (q: QueryRecord, query: string) => void } = {},
): CheckerRun {
  const queries: QueryRecord[] = [];
  const smtSolver = (query: string) => {
    const t0 = Date.now();
    const { output, timedOut } = answer(query);
    const record: QueryRecord = {
      bytes: query.length,
      ms: Date.now() - t0,
      answer: timedOut ? "timeout" : firstWord(output),
    };
    const complaint = /\(error "([^"]*)"/.exec(output);
    if (record.answer === "error" && complaint) record.error = complaint[1].slice(0, 300);
    queries.push(record);
    opts.onQuery?.(record, query);
    // solc reads the first word: sat, unsat or unknown (anything else is an error)
    return { contents: timedOut ? "unknown\n" : output };
  };
  const output = JSON.parse(compile(JSON.stringify(input), { smtSolver })) as SolcOutput;
  const fatal = (output.errors ?? []).filter((e) => e.severity === "error");
  if (fatal.length)
    throw new SmtCheckerError(
      "SMTCHECKER_COMPILE",
      `solc refused the input: ${fatal.map((e) => e.formattedMessage || e.message).join("\n")}`,
    );
  return { output, queries };
}

function firstWord(s: string): string {
  const w = s.trimStart().split(/[\s(]/, 1)[0];
  return w === "" ? "error" : ["sat", "unsat", "unknown"].includes(w) ? w : "error";
}

/** One verdict solc reported, on one target at one place. */
export interface Finding {
  engine: "CHC" | "BMC";
  target: Target;
  verdict: Verdict;
  file: string;
  line: number;
  /** offset in the file (two checks on one line are two findings) */
  start: number;
  message: string;
  /** solc's counterexample and transaction trace, as it prints them */
  counterexample?: string;
}

/** A message about the checker itself (an unsupported construct, a solver error). */
export interface CheckerNote {
  message: string;
  file?: string;
  line?: number;
}

/**
 * The verdicts in solc's messages: "CHC: Overflow (...) check is safe!" is safe,
 * "... happens here." violated (with a counterexample), "... might happen here." unknown.
 * `lineOf` gives a source's text to turn offsets into line numbers.
 */
export function readFindings(
  output: SolcOutput,
  lineOf: (file: string, offset: number) => number,
): { findings: Finding[]; notes: CheckerNote[] } {
  const findings: Finding[] = [];
  const notes: CheckerNote[] = [];
  for (const e of output.errors ?? []) {
    const loc = e.sourceLocation;
    const at = loc ? { file: loc.file, line: lineOf(loc.file, loc.start) } : {};
    const m = /^(CHC|BMC): (.*)$/s.exec(e.message);
    const target = m ? TARGET_NAMES.find((t) => m[2].startsWith(TARGETS[t])) : undefined;
    const verdict: Verdict | undefined = !m
      ? undefined
      : /check is safe!/.test(m[2])
        ? "safe"
        : /might happen here/.test(m[2])
          ? "unknown"
          : /happens here|is always (true|false)/.test(m[2])
            ? "violated"
            : undefined;
    if (!m || !target || !verdict || !loc) {
      if (e.severity !== "info" || !/proved safe/.test(e.message))
        notes.push({ message: e.message, ...at });
      continue;
    }
    const cex = counterexampleOf(e.formattedMessage);
    findings.push({
      engine: m[1] as "CHC" | "BMC",
      target,
      verdict,
      file: loc.file,
      line: at.line!,
      start: loc.start,
      message: m[2].trim(),
      ...(verdict === "violated" && cex ? { counterexample: cex } : {}),
    });
  }
  return { findings, notes };
}

/** The counterexample block of a formatted message, without source snippets. */
export function counterexampleOf(formatted: string): string | undefined {
  const i = formatted.indexOf("Counterexample:");
  if (i < 0) return undefined;
  const lines = formatted
    .slice(i)
    .split("\n")
    .filter((l) => !/^\s*(-->|\d*\s*\|)/.test(l))
    .map((l) => l.replace(/^Note:\s?/, "").trimEnd())
    .filter((l) => l !== "");
  return lines.join("\n");
}

/** Line (1-based) of an offset in a text. */
export function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

export interface TargetRow {
  target: Target;
  checked: number;
  safe: number;
  violated: number;
  unknown: number;
}

/**
 * One finding per place and target, the best verdict of the engines: a CHC proof settles
 * what BMC left unknown, and a violation found by either is one.
 */
export function settled(findings: readonly Finding[]): Finding[] {
  const best = new Map<string, Finding>();
  const rank: Record<Verdict, number> = { violated: 2, safe: 1, unknown: 0 };
  for (const f of findings) {
    const k = `${f.target}@${f.file}:${f.start}`;
    const prev = best.get(k);
    if (!prev || rank[f.verdict] > rank[prev.verdict]) best.set(k, f);
  }
  return [...best.values()].sort((a, b) => a.file.localeCompare(b.file) || a.start - b.start);
}

/** Counts per target, over `settled` findings. */
export function tally(findings: readonly Finding[]): TargetRow[] {
  const rows = new Map<Target, TargetRow>();
  for (const f of settled(findings)) {
    const row = rows.get(f.target) ?? {
      target: f.target,
      checked: 0,
      safe: 0,
      violated: 0,
      unknown: 0,
    };
    row.checked++;
    row[f.verdict]++;
    rows.set(f.target, row);
  }
  return TARGET_NAMES.filter((t) => rows.has(t)).map((t) => rows.get(t)!);
}
