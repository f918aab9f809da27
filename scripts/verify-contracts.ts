// Solidity's SMTChecker over every production contract, offline: solc 0.8.28 (the `solc` npm
// package) writes the SMT queries, z3 (the `z3-solver` npm package) answers them.
//   npm run verify:contracts -- [--contract Vault,Funding] [--engine all|chc|bmc]
//                               [--timeout 10000] [--json artifacts/verify/smtchecker.json]
//                               [--queries DIR] [--custom-reverts]
// --custom-reverts: check the sources as written; by default each `revert Name(args)` is
// checked as `revert()`, which solc 0.8.28's SMTChecker understands (plain-reverts.ts).
// Prints a table per contract (targets checked, proved safe, violated, unknown) and each
// violation with solc's counterexample. See docs/verification.md, "Contracts: SMTChecker".
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { ARTIFACTS, ROOT } from "../prover/src/proving/paths.ts";
import {
  TARGET_NAMES,
  checkerInput,
  lineAt,
  readFindings,
  runModelChecker,
  settled,
  SmtCheckerError,
  tally,
  type Compile,
  type ContractRef,
  type Engine,
  type QueryRecord,
} from "../prover/src/verify/smtchecker.ts";
import { SmtLibZ3 } from "../prover/src/verify/smtlib-z3.ts";
import { plainReverts } from "../prover/src/verify/plain-reverts.ts";

// solc's SMT encoding of Settlement recurses deeper than Node's default stack allows
// ("RangeError: Maximum call stack size exceeded" inside soljson.js): the script runs itself
// again once, with the shell's stack limit raised and Node's --stack-size below it.
if (!process.execArgv.some((a) => a.startsWith("--stack-size"))) {
  const raise =
    'ulimit -s unlimited 2>/dev/null || ulimit -s "$(ulimit -Hs)" 2>/dev/null; s=$(ulimit -s); ' +
    'if [ "$s" = unlimited ]; then k=200000; else k=$((s * 7 / 8)); fi; ' +
    'n=$1; shift; exec "$n" --stack-size=$k "$@"';
  const r = spawnSync(
    "bash",
    ["-c", raise, "bash", process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit" },
  );
  process.exit(r.status ?? 1);
}

const require = createRequire(import.meta.url);
const solc = require("solc") as {
  compile(input: string, callbacks: Record<string, (s: string) => unknown>): string;
  version(): string;
};

const args = process.argv.slice(2);
const value = (flag: string) => args[args.indexOf(flag) + 1];
const engine = (args.includes("--engine") ? value("--engine") : "all") as Engine;
const timeoutMs = args.includes("--timeout") ? Number(value("--timeout")) : 10_000;
const only = args.includes("--contract") ? value("--contract").split(",") : undefined;
const jsonFile = args.includes("--json")
  ? value("--json")
  : path.join(ARTIFACTS, "verify", "smtchecker.json");
const queryDir = args.includes("--queries") ? value("--queries") : undefined;
const plain = !args.includes("--custom-reverts");

/** Deployable contracts of contracts/ (not contracts/test, not abstract, not interfaces). */
function productionContracts(): ContractRef[] {
  const dir = path.join(ROOT, "contracts");
  const out: ContractRef[] = [];
  for (const f of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sol"))
    .sort()) {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    for (const m of text.matchAll(/^contract\s+(\w+)/gm))
      out.push({ file: `contracts/${f}`, name: m[1] });
  }
  return out;
}

// every source solc reads (the project's, then node_modules), as checked: with custom-error
// reverts made plain (plain-reverts.ts) unless --custom-reverts; kept for line numbers
const texts = new Map<string, string>();
let plainCount = 0;
function readSource(p: string): string | undefined {
  if (texts.has(p)) return texts.get(p);
  for (const base of [ROOT, path.join(ROOT, "node_modules")]) {
    const f = path.join(base, p);
    if (fs.existsSync(f)) {
      let text = fs.readFileSync(f, "utf8");
      if (plain) {
        const r = plainReverts(text);
        text = r.text;
        plainCount += r.count;
      }
      texts.set(p, text);
      return text;
    }
  }
  return undefined;
}
const compile: Compile = (input, callbacks) =>
  solc.compile(input, {
    ...callbacks,
    import: (p: string) => {
      const text = readSource(p);
      return text === undefined ? { error: `not found: ${p}` } : { contents: text };
    },
  });

const z3 = SmtLibZ3.create();
const report: object[] = [];
/** After every contract: a long run stopped early keeps what it decided. */
function writeReport() {
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(
    jsonFile,
    JSON.stringify({ solc: solc.version(), z3: z3.version(), contracts: report }, null, 1),
  );
}
console.log(
  `solc ${solc.version()}, z3 ${z3.version()} (z3-solver, WebAssembly); engine ${engine}, ${timeoutMs} ms per query; ${plain ? "custom-error reverts checked as revert()" : "sources as written"}`,
);
for (const c of productionContracts()) {
  if (only && !only.includes(c.name)) continue;
  const t0 = Date.now();
  const input = checkerInput({ [c.file]: readSource(c.file)! }, c, {
    engine,
    targets: TARGET_NAMES,
    timeoutMs,
  });
  let n = 0;
  let run;
  try {
    run = runModelChecker(compile, input, z3.answer(timeoutMs), {
      onQuery: (q: QueryRecord, query: string) => {
        process.stdout.write(`\r  ${c.name}: ${++n} queries, last ${q.answer} in ${q.ms} ms   `);
        if (!queryDir) return;
        fs.mkdirSync(queryDir, { recursive: true });
        fs.writeFileSync(path.join(queryDir, `${c.name}-${n}-${q.answer}.smt2`), query);
      },
    });
  } catch (err) {
    // solc itself can fail on a contract (PriceOracle: out of memory); the others go on
    if (!(err instanceof SmtCheckerError)) throw err;
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `\n\n${c.name} (${c.file}): NOT CHECKED after ${seconds.toFixed(0)} s, ${n} queries: ${err.message.split("\n")[0]}`,
    );
    report.push({
      contract: c,
      engine,
      timeoutMs,
      plainReverts: plain,
      seconds,
      failed: err.message,
    });
    writeReport();
    continue;
  }
  const { output, queries } = run;
  const { findings, notes } = readFindings(output, (f, o) => lineAt(readSource(f) ?? "", o));
  const rows = tally(findings);
  const seconds = (Date.now() - t0) / 1000;
  const answers: Record<string, number> = {};
  for (const q of queries) answers[q.answer] = (answers[q.answer] ?? 0) + 1;
  console.log(
    `\n\n${c.name} (${c.file}): ${queries.length} queries, ${seconds.toFixed(0)} s; answers ${JSON.stringify(answers)}`,
  );
  console.log("| target | checked | proved safe | violated | unknown |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const r of rows)
    console.log(`| ${r.target} | ${r.checked} | ${r.safe} | ${r.violated} | ${r.unknown} |`);
  for (const f of settled(findings).filter((f) => f.verdict !== "safe")) {
    console.log(
      `  ${f.verdict.padEnd(8)} ${f.engine} ${f.target} ${f.file}:${f.line}  ${f.message}`,
    );
    if (f.counterexample) console.log(f.counterexample.replace(/^/gm, "      "));
  }
  const noteCounts = new Map<string, number>();
  for (const nt of notes) noteCounts.set(nt.message, (noteCounts.get(nt.message) ?? 0) + 1);
  for (const [m, k] of noteCounts) console.log(`  note (${k}x): ${m.split("\n")[0]}`);
  const refused = notes.filter((nt) => /Error trying to invoke SMT solver/.test(nt.message));
  for (const nt of refused)
    console.log(`  refused  ${nt.file}:${nt.line}  (z3 refused solc's query)`);
  const refusals = [...new Set(queries.flatMap((q) => (q.error ? [q.error] : [])))];
  for (const e of refusals.slice(0, 5)) console.log(`  z3: ${e.slice(0, 160)}`);
  report.push({
    contract: c,
    engine,
    timeoutMs,
    plainReverts: plain,
    seconds,
    answers,
    refusals,
    rows,
    findings,
    notes,
  });
  writeReport();
}
await z3.close();
if (plain) console.log(`\n${plainCount} custom-error reverts checked as revert()`);
console.log(`written: ${jsonFile}`);
process.exit(0);
