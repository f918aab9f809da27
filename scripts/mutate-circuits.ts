// Mutation testing of zkclear's circuit templates (slow: hours; not part of npm test).
//   npm run mutate:circuits -- [--file merkle.circom ...] [--template TradingFee ...]
//                              [--id order.circom:94:delete ...] [--jobs 2] [--list] [--again]
//                              [--summary]   (the table from the report so far, running nothing)
//                              [--fresh]   (start the report again when it was made for other
//                              sources or tools; without it such a run is refused)
//                              [--tests test/circuits/a.test.ts,...]   (the tests stage runs
//                              these files only: a kill is recorded, a pass leaves it pending)
//                              [--determinism-only]   (the determinism stage alone: minutes, not
//                              hours; a mutant it does not kill is left pending for the tests)
// Results accumulate in docs/mutation-report.json, which is committed (a rerun skips decided
// mutants); the summary per template is printed at the end. See docs/verification.md.
import {
  allMutants,
  currentReport,
  DEFAULT_REPORT,
  runMutants,
} from "../prover/src/verify/mutation-run.ts";
import { reportOnFile, type MutationReport } from "../prover/src/verify/mutation-report.ts";
import {
  argumentFor,
  argumentProblems,
  scores,
  scoreTable,
  type TemplateScore,
} from "../prover/src/verify/mutation-score.ts";

const args = process.argv.slice(2);
const many = (flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? a.split(",") : []));
const opts = {
  files: many("--file"),
  templates: many("--template"),
  ids: many("--id"),
  tests: args.includes("--tests") ? many("--tests") : undefined,
  jobs: Number(many("--jobs")[0] ?? 2),
  again: args.includes("--again"),
  determinismOnly: args.includes("--determinism-only"),
  fresh: args.includes("--fresh"),
  log: (s: string) => console.log(s),
};
if (args.includes("--list")) {
  for (const m of allMutants(opts))
    console.log(
      `${m.id}\t${m.template}\t${m.before.replace(/\s+/g, " ")}  =>  ${m.after.replace(/\s+/g, " ")}`,
    );
} else {
  const report: MutationReport = args.includes("--summary")
    ? currentReport()
    : await runMutants(opts);
  console.log(`\nreport: ${DEFAULT_REPORT}\n`);
  if (args.includes("--summary")) {
    // what the file holds that this checkout's sources, tools or tests no longer support
    const onFile = reportOnFile(DEFAULT_REPORT);
    if (!onFile) console.log("no report on file yet");
    const held = Object.keys(report.results).length;
    const filed = Object.keys(onFile?.results ?? {}).length;
    if (onFile && onFile.sourceHash !== report.sourceHash)
      console.log(
        `the report on file was made for other circuit sources, stage tools or packages: none of its ${filed} verdicts is shown\n`,
      );
    else if (filed > held)
      console.log(
        `${filed - held} of the ${filed} verdicts on file were made by tests that changed since: not shown\n`,
      );
  }
  const current = new Map(allMutants().map((m) => [m.id, m]));
  const table = scores(report);
  for (const line of scoreTable(report)) console.log(line);
  const sum = (k: keyof TemplateScore) => table.reduce((n, s) => n + Number(s[k]), 0);
  console.log(
    `\n${sum("mutants")} of ${current.size} mutants met: ${sum("killed")} killed, ` +
      `${sum("survived")} survived, ${sum("explained")} explained and ${sum("assumed")} assumed ` +
      `(survivors argued in mutation-arguments.ts), ${sum("invalid")} did not compile, ` +
      `${sum("timeout")} timed out, ${sum("pending")} pending (${sum("pendingArgued")} of them argued)`,
  );
  const pending = Object.entries(report.pending ?? {}).filter(([id]) => !report.results[id]);
  if (pending.length)
    console.log(
      `\n${pending.length} pending (the determinism stage did not kill them; all their tests are still to run):`,
    );
  for (const [id, why] of pending) {
    const a = argumentFor(report, id);
    console.log(`pending: ${id}${a ? ` (argued ${a.kind})` : ""} ${why.slice(0, 160)}`);
  }
  for (const [id, r] of Object.entries(report.results))
    if (r.outcome === "survived" || r.outcome === "timeout") {
      const a = r.outcome === "survived" ? argumentFor(report, id) : undefined;
      const what = a ? `${r.outcome} (${a.kind})` : r.outcome;
      console.log(`${what}: ${id} ${report.mutants[id]?.before.replace(/\s+/g, " ")}`);
    }
  for (const p of argumentProblems(report, current)) console.log(`argument void: ${p}`);
}
