// Mutation testing of zkclear's circuit templates (slow: hours; not part of npm test).
//   npm run mutate:circuits -- [--help] [--file merkle.circom ...] [--template TradingFee ...]
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
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  allMutants,
  currentReport,
  DEFAULT_REPORT,
  runMutants,
} from "../prover/src/verify/mutation-run.ts";
import { ZkClearError } from "../prover/src/domain/errors.ts";
import { reportOnFile, type MutationReport } from "../prover/src/verify/mutation-report.ts";
import {
  argumentFor,
  argumentProblems,
  scores,
  scoreTable,
  type TemplateScore,
} from "../prover/src/verify/mutation-score.ts";

// a refusal (an unknown mutant, a report made for other sources) prints its code and reason,
// not a stack trace
process.on("uncaughtException", (e) => {
  console.error(e instanceof ZkClearError ? `mutate:circuits: ${e.code}: ${e.message}` : e);
  process.exit(1);
});

// Flags are parsed strictly: a misspelt flag (or a --help) must not start an hours-long run
// over every mutant
const header = readFileSync(fileURLToPath(import.meta.url), "utf8")
  .split("\n")
  .slice(1);
const USAGE = header
  .slice(
    0,
    header.findIndex((l) => !l.startsWith("//")),
  )
  .map((l) => l.slice(3))
  .join("\n");
const OPTIONS = {
  file: { type: "string", multiple: true },
  template: { type: "string", multiple: true },
  id: { type: "string", multiple: true },
  tests: { type: "string", multiple: true },
  jobs: { type: "string" },
  list: { type: "boolean" },
  again: { type: "boolean" },
  summary: { type: "boolean" },
  fresh: { type: "boolean" },
  "determinism-only": { type: "boolean" },
  help: { type: "boolean" },
} as const;
// npm keeps a flag written before `--` for itself (`npm run mutate:circuits --summary` sets
// npm_config_summary and passes nothing on), which would start a run over every mutant
const keptByNpm = Object.keys(OPTIONS).filter(
  (f) => process.env[`npm_config_${f.replace(/-/g, "_")}`] !== undefined,
);
/** Refuses the command line, before anything runs. */
function refuse(why: string): never {
  console.error(`mutate:circuits: ${why}`);
  process.exit(2);
}
if (keptByNpm.length)
  refuse(
    `npm kept ${keptByNpm.map((f) => `--${f}`).join(", ")} for itself: ` +
      `write the flags after \`--\`, as in \`npm run mutate:circuits -- --summary\``,
  );
let parsed;
try {
  parsed = parseArgs({ options: OPTIONS, strict: true, allowPositionals: false }).values;
} catch (e) {
  refuse(`${(e as Error).message}\n\nusage:\n${USAGE}`);
}
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}
const many = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(","));
const jobs = Number(parsed.jobs ?? 2);
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
  refuse(`--jobs takes a whole number from 1 to 64, not ${parsed.jobs}`);
const opts = {
  files: many(parsed.file),
  templates: many(parsed.template),
  ids: many(parsed.id),
  tests: parsed.tests ? many(parsed.tests) : undefined,
  jobs,
  again: parsed.again === true,
  determinismOnly: parsed["determinism-only"] === true,
  fresh: parsed.fresh === true,
  log: (s: string) => console.log(s),
};
if (parsed.list) {
  for (const m of allMutants(opts))
    console.log(
      `${m.id}\t${m.template}\t${m.before.replace(/\s+/g, " ")}  =>  ${m.after.replace(/\s+/g, " ")}`,
    );
} else {
  const report: MutationReport = parsed.summary ? currentReport() : await runMutants(opts);
  console.log(`\nreport: ${DEFAULT_REPORT}\n`);
  if (parsed.summary) {
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
