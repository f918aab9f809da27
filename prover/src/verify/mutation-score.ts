import type { MutationReport } from "./mutation-report.ts";
import { MUTANT_ARGUMENTS, type MutantArgument } from "./mutation-arguments.ts";

/** One template's mutants by outcome, in a mutation report (scripts/mutate-circuits.ts). */
export interface TemplateScore {
  readonly file: string;
  readonly template: string;
  /** Every mutant the report has met: decided and pending. */
  readonly mutants: number;
  readonly killed: number;
  /** Passed every test run against it, with no argument (mutation-arguments.ts) that none can kill it. */
  readonly survived: number;
  /** Not killed, and argued equivalent or redundant (mutation-arguments.ts): no test can kill it. */
  readonly explained: number;
  readonly invalid: number;
  readonly timeout: number;
  /** Left by the determinism stage (or passed by some of the tests): all the tests still to run. */
  readonly pending: number;
}

type Tally = { -readonly [K in keyof TemplateScore]: TemplateScore[K] };

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

/** The argument for the mutant `id` of the report, if one is made for its text as it is. */
export function argumentFor(
  report: MutationReport,
  id: string,
  args: readonly MutantArgument[] = MUTANT_ARGUMENTS,
): MutantArgument | undefined {
  const m = report.mutants[id];
  if (!m) return undefined;
  return args.find(
    (a) => a.id === id && a.before === collapse(m.before) && a.after === collapse(m.after),
  );
}

/**
 * Per template, sorted by file and template. A timeout counts as neither killed nor
 * survived; a survivor or a pending mutant with an argument counts as explained.
 */
export function scores(
  report: MutationReport,
  args: readonly MutantArgument[] = MUTANT_ARGUMENTS,
): TemplateScore[] {
  const by = new Map<string, Tally>();
  const tally = (id: string): Tally | undefined => {
    const m = report.mutants[id];
    if (!m) return undefined;
    const key = `${m.file}\u0000${m.template}`;
    let s = by.get(key);
    if (!s) {
      const zero = { killed: 0, survived: 0, explained: 0, invalid: 0, timeout: 0, pending: 0 };
      s = { file: m.file, template: m.template, mutants: 0, ...zero };
      by.set(key, s);
    }
    s.mutants++;
    return s;
  };
  const explained = (id: string) => argumentFor(report, id, args) !== undefined;
  for (const [id, r] of Object.entries(report.results)) {
    const s = tally(id);
    if (s) s[r.outcome === "survived" && explained(id) ? "explained" : r.outcome]++;
  }
  for (const id of Object.keys(report.pending ?? {})) {
    const s = report.results[id] ? undefined : tally(id);
    if (s) s[explained(id) ? "explained" : "pending"]++;
  }
  return [...by.values()].sort(
    (a, b) => a.file.localeCompare(b.file) || a.template.localeCompare(b.template),
  );
}

/**
 * Arguments that no longer hold as written: for a mutant the tools no longer make (its
 * statement or its line changed: `current` is every mutant of the sources today, by id),
 * or for one a test or the stage killed (the argument was wrong, or the test checks more
 * than the circuit's constraints).
 */
export function argumentProblems(
  report: MutationReport,
  current: ReadonlyMap<string, { before: string; after: string }>,
  args: readonly MutantArgument[] = MUTANT_ARGUMENTS,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const a of args) {
    if (seen.has(a.id)) out.push(`${a.id}: argued twice`);
    seen.add(a.id);
    const m = current.get(a.id);
    if (!m) out.push(`${a.id}: no such mutant today (its line moved, or the statement is gone)`);
    else if (collapse(m.before) !== a.before || collapse(m.after) !== a.after)
      out.push(`${a.id}: the statement changed since it was argued (now: ${collapse(m.before)})`);
    else if (report.results[a.id]?.outcome === "killed")
      out.push(`${a.id}: argued ${a.kind}, but killed (${report.results[a.id].detail ?? ""})`);
  }
  return out;
}

/** The per-template table (markdown), as docs/verification.md prints it. */
export function scoreTable(
  report: MutationReport,
  args: readonly MutantArgument[] = MUTANT_ARGUMENTS,
): string[] {
  const rows = scores(report, args).map((s) => {
    const judged = s.killed + s.survived;
    const score = judged ? `${((100 * s.killed) / judged).toFixed(0)}%` : "-";
    const cells = [s.file, s.template, s.mutants, s.killed, s.survived, s.explained, s.pending];
    return `| ${[...cells, s.invalid, s.timeout, score].join(" | ")} |`;
  });
  return [
    "| file | template | mutants | killed | survived | explained | pending | did not compile | timeout | killed of decided |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ];
}
