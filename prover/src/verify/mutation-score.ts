import { inputsHash, type MutationReport } from "./mutation-report.ts";
import { ARGUED_AGAINST, MUTANT_ARGUMENTS, type MutantArgument } from "./mutation-arguments.ts";

/** The arguments, and the versions of their premises' files they were made against. */
export interface Arguments {
  readonly list: readonly MutantArgument[];
  readonly against: typeof ARGUED_AGAINST;
}
const ARGUMENTS: Arguments = { list: MUTANT_ARGUMENTS, against: ARGUED_AGAINST };

/**
 * Per circuit file, whether its arguments' premises are the versions they were made
 * against (their {@link inputsHash}); each file's premises are read once per Arguments.
 */
const premisesMemo = new WeakMap<Arguments, (file: string) => boolean>();
function premisesHold(args: Arguments): (file: string) => boolean {
  let holds = premisesMemo.get(args);
  if (!holds) {
    const memo = new Map<string, boolean>();
    holds = (file) => {
      let ok = memo.get(file);
      if (ok === undefined) {
        const a = args.against[file];
        ok = a !== undefined && inputsHash(a.premises) === a.hash;
        memo.set(file, ok);
      }
      return ok;
    };
    premisesMemo.set(args, holds);
  }
  return holds;
}

/** One template's mutants by outcome, in a mutation report (scripts/mutate-circuits.ts). */
export interface TemplateScore {
  readonly file: string;
  readonly template: string;
  /** Every mutant the report has met: decided and pending. */
  readonly mutants: number;
  readonly killed: number;
  /** Passed every test run against it, with no argument (mutation-arguments.ts) that none can kill it. */
  readonly survived: number;
  /** Survived every test, and argued equivalent or redundant (mutation-arguments.ts): none can kill it. */
  readonly explained: number;
  /** Survived every test, and holds only under a precondition the callers enforce ("assumed"). */
  readonly assumed: number;
  readonly invalid: number;
  readonly timeout: number;
  /** Left by the determinism stage (or passed by some of the tests): all the tests still to run. */
  readonly pending: number;
  /** Of the pending, those with an argument: it counts once every test has run and passed. */
  readonly pendingArgued: number;
}

type Tally = { -readonly [K in keyof TemplateScore]: TemplateScore[K] };

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

/** The argument for the mutant `id` of the report, if one holds for it as it is. */
export function argumentFor(
  report: MutationReport,
  id: string,
  args: Arguments = ARGUMENTS,
): MutantArgument | undefined {
  const m = report.mutants[id];
  if (!m || !premisesHold(args)(m.file)) return undefined;
  return args.list.find(
    (a) => a.id === id && a.before === collapse(m.before) && a.after === collapse(m.after),
  );
}

/**
 * Per template, sorted by file and template. A timeout counts as neither killed nor
 * survived; a survivor with an argument counts as explained (or assumed); a pending mutant
 * with one stays pending (its tests are still to run), counted apart.
 */
export function scores(report: MutationReport, args: Arguments = ARGUMENTS): TemplateScore[] {
  const by = new Map<string, Tally>();
  const tally = (id: string): Tally | undefined => {
    const m = report.mutants[id];
    if (!m) return undefined;
    const key = `${m.file}\u0000${m.template}`;
    let s = by.get(key);
    if (!s) {
      const zero = {
        killed: 0,
        survived: 0,
        explained: 0,
        assumed: 0,
        invalid: 0,
        timeout: 0,
        pending: 0,
        pendingArgued: 0,
      };
      s = { file: m.file, template: m.template, mutants: 0, ...zero };
      by.set(key, s);
    }
    s.mutants++;
    return s;
  };
  for (const [id, r] of Object.entries(report.results)) {
    const s = tally(id);
    if (!s) continue;
    const a = r.outcome === "survived" ? argumentFor(report, id, args) : undefined;
    s[a ? (a.kind === "assumed" ? "assumed" : "explained") : r.outcome]++;
  }
  for (const id of Object.keys(report.pending ?? {})) {
    const s = report.results[id] ? undefined : tally(id);
    if (!s) continue;
    s.pending++;
    if (argumentFor(report, id, args)) s.pendingArgued++;
  }
  return [...by.values()].sort(
    (a, b) => a.file.localeCompare(b.file) || a.template.localeCompare(b.template),
  );
}

/**
 * Arguments that do not hold as written: for a mutant the tools no longer make (its
 * statement or its line changed: `current` is every mutant of the sources today, by id), in
 * a file whose premises changed since they were checked, or for a mutant the report has
 * killed or found not to compile (the argument was wrong, or a test checks more than the
 * circuit's constraints).
 */
export function argumentProblems(
  report: MutationReport,
  current: ReadonlyMap<string, { before: string; after: string }>,
  args: Arguments = ARGUMENTS,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const holds = premisesHold(args);
  for (const file of new Set(args.list.map((a) => a.id.split(":")[0])))
    if (!holds(file))
      out.push(
        args.against[file]
          ? `${file}: its arguments' premises (${args.against[file].premises.join(", ")}) changed since they were checked`
          : `${file}: no premises recorded in ARGUED_AGAINST`,
      );
  for (const a of args.list) {
    if (seen.has(a.id)) out.push(`${a.id}: argued twice`);
    seen.add(a.id);
    const m = current.get(a.id);
    const r = report.results[a.id];
    if (!m) out.push(`${a.id}: no such mutant today (its line moved, or the statement is gone)`);
    else if (collapse(m.before) !== a.before || collapse(m.after) !== a.after)
      out.push(`${a.id}: the statement changed since it was argued (now: ${collapse(m.before)})`);
    else if (r?.outcome === "killed" || r?.outcome === "invalid")
      out.push(`${a.id}: argued ${a.kind}, but ${r.outcome} (${r.detail ?? ""})`);
  }
  return out;
}

/** The per-template table (markdown), as docs/verification.md prints it. */
export function scoreTable(report: MutationReport, args: Arguments = ARGUMENTS): string[] {
  const rows = scores(report, args).map((s) => {
    const judged = s.killed + s.survived;
    const score = judged ? `${((100 * s.killed) / judged).toFixed(0)}%` : "-";
    const pending = s.pendingArgued ? `${s.pending} (${s.pendingArgued} argued)` : s.pending;
    const cells = [s.file, s.template, s.mutants, s.killed, s.survived, s.explained, s.assumed];
    return `| ${[...cells, pending, s.invalid, s.timeout, score].join(" | ")} |`;
  });
  return [
    "| file | template | mutants | killed | survived | explained | assumed | pending | did not compile | timeout | killed of judged |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ];
}
