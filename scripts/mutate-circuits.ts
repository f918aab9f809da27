// Mutation testing of zkclear's circuit templates (slow: hours; not part of npm test).
//   npm run mutate:circuits -- [--file merkle.circom ...] [--template TradingFee ...]
//                              [--id order.circom:94:delete ...] [--jobs 2] [--list] [--again]
//                              [--summary]   (the table from the report so far, running nothing)
//                              [--determinism-only]   (the determinism stage alone: minutes, not
//                              hours; a mutant it does not kill is left pending for the tests)
// Results accumulate in artifacts/mutation/report.json (a rerun skips decided mutants);
// the summary per template is printed at the end. See docs/verification.md.
import fs from "node:fs";
import {
  allMutants,
  DEFAULT_REPORT,
  runMutants,
  scores,
  type MutationReport,
} from "../prover/src/verify/mutation-run.ts";

const args = process.argv.slice(2);
const many = (flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? a.split(",") : []));
const opts = {
  files: many("--file"),
  templates: many("--template"),
  ids: many("--id"),
  jobs: Number(many("--jobs")[0] ?? 2),
  again: args.includes("--again"),
  determinismOnly: args.includes("--determinism-only"),
  log: (s: string) => console.log(s),
};
if (args.includes("--list")) {
  for (const m of allMutants(opts))
    console.log(
      `${m.id}\t${m.template}\t${m.before.replace(/\s+/g, " ")}  =>  ${m.after.replace(/\s+/g, " ")}`,
    );
} else {
  const report: MutationReport = args.includes("--summary")
    ? JSON.parse(fs.readFileSync(DEFAULT_REPORT, "utf8"))
    : await runMutants(opts);
  console.log(`\nreport: ${DEFAULT_REPORT}\n`);
  // per template: every mutant the report has met, by outcome; pending ones (left by the
  // determinism stage for the tests) count as not yet killed
  const pendingOf = new Map<string, number>();
  for (const id of Object.keys(report.pending ?? {})) {
    const m = report.mutants[id];
    if (m)
      pendingOf.set(
        `${m.file}\u0000${m.template}`,
        (pendingOf.get(`${m.file}\u0000${m.template}`) ?? 0) + 1,
      );
  }
  const rows = new Map(scores(report).map((s) => [`${s.file}\u0000${s.template}`, s]));
  for (const key of pendingOf.keys())
    if (!rows.has(key)) {
      const [file, template] = key.split("\u0000");
      rows.set(key, { file, template, mutants: 0, killed: 0, survived: 0, invalid: 0, timeout: 0 });
    }
  console.log(
    "| file | template | mutants | killed | survived | pending | did not compile | timeout | killed of decided |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const [key, s] of [...rows].sort((a, b) => a[0].localeCompare(b[0]))) {
    const pending = pendingOf.get(key) ?? 0;
    const judged = s.killed + s.survived;
    const score = judged ? `${((100 * s.killed) / judged).toFixed(0)}%` : "-";
    console.log(
      `| ${s.file} | ${s.template} | ${s.mutants + pending} | ${s.killed} | ${s.survived} | ${pending} | ${s.invalid} | ${s.timeout} | ${score} |`,
    );
  }
  const pending = Object.entries(report.pending ?? {});
  if (pending.length)
    console.log(
      `\n${pending.length} pending (the determinism stage did not kill them; their tests are still to run):`,
    );
  for (const [id, why] of pending) console.log(`pending: ${id} ${why.slice(0, 160)}`);
  for (const [id, r] of Object.entries(report.results))
    if (r.outcome === "survived" || r.outcome === "timeout")
      console.log(`${r.outcome}: ${id} ${report.mutants[id]?.before.replace(/\s+/g, " ")}`);
}
