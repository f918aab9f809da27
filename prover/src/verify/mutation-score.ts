import type { MutationReport } from "./mutation-report.ts";

/** One template's mutants by outcome, in a mutation report (scripts/mutate-circuits.ts). */
export interface TemplateScore {
  readonly file: string;
  readonly template: string;
  /** Every mutant the report has met: decided and pending. */
  readonly mutants: number;
  readonly killed: number;
  readonly survived: number;
  readonly invalid: number;
  readonly timeout: number;
  /** Left by the determinism stage (or passed by some of the tests): all the tests still to run. */
  readonly pending: number;
}

type Tally = { -readonly [K in keyof TemplateScore]: TemplateScore[K] };

/** Per template, sorted by file and template. A timeout counts as neither killed nor survived. */
export function scores(report: MutationReport): TemplateScore[] {
  const by = new Map<string, Tally>();
  const tally = (id: string): Tally | undefined => {
    const m = report.mutants[id];
    if (!m) return undefined;
    const key = `${m.file}\u0000${m.template}`;
    let s = by.get(key);
    if (!s) {
      const zero = { mutants: 0, killed: 0, survived: 0, invalid: 0, timeout: 0, pending: 0 };
      s = { file: m.file, template: m.template, ...zero };
      by.set(key, s);
    }
    s.mutants++;
    return s;
  };
  for (const [id, r] of Object.entries(report.results)) {
    const s = tally(id);
    if (s) s[r.outcome]++;
  }
  for (const id of Object.keys(report.pending ?? {})) {
    const s = report.results[id] ? undefined : tally(id);
    if (s) s.pending++;
  }
  return [...by.values()].sort(
    (a, b) => a.file.localeCompare(b.file) || a.template.localeCompare(b.template),
  );
}

/** The per-template table (markdown), as docs/verification.md prints it. */
export function scoreTable(report: MutationReport): string[] {
  const rows = scores(report).map((s) => {
    const judged = s.killed + s.survived;
    const score = judged ? `${((100 * s.killed) / judged).toFixed(0)}%` : "-";
    const cells = [s.file, s.template, s.mutants, s.killed, s.survived, s.pending];
    return `| ${[...cells, s.invalid, s.timeout, score].join(" | ")} |`;
  });
  return [
    "| file | template | mutants | killed | survived | pending | did not compile | timeout | killed of decided |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ];
}
