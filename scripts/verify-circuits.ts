// Determinism of every production circuit: is every wire fixed by the circuit's inputs?
//   npm run verify:circuits -- [--params test,demo] [--circuit settle_trades] [--no-solver]
//                              [--fast] [--json artifacts/verify/determinism.json] [--queries DIR]
//                              [--analysis-only] [--smt-cache FILE]
// --fast: the solver only on bit blocks, not on single wires (what the test does).
// --analysis-only: compile only the r1cs and .sym where no full build is up to date (the
// mutation runner's determinism stage; the witness calculators are not needed here).
// --smt-cache: keep the solver's settled verdicts in FILE and reuse them (smt-cache.ts).
// Prints a table per circuit instance and the groups of wires left undecided; exits 1 if
// a wire of zkclear's own templates is left undecided. See docs/verification.md.
import fs from "node:fs";
import path from "node:path";
import { paramSet } from "../prover/src/domain/params.ts";
import { ARTIFACTS } from "../prover/src/proving/paths.ts";
import {
  circuitDeterminism,
  circuitIds,
  type CircuitDeterminism,
} from "../prover/src/verify/circuit-determinism.ts";
import { LocalSolver } from "../prover/src/verify/smt.ts";
import { strayFreeWitnesses, unexplained } from "../prover/src/verify/explained.ts";

const args = process.argv.slice(2);
const value = (flag: string) => args[args.indexOf(flag) + 1];
const sets = (args.includes("--params") ? value("--params") : "test,demo").split(",");
const only = args.includes("--circuit") ? value("--circuit").split(",") : undefined;
const jsonFile = args.includes("--json")
  ? value("--json")
  : path.join(ARTIFACTS, "verify", "determinism.json");
const queryDir = args.includes("--queries") ? value("--queries") : undefined;

const solver = args.includes("--no-solver")
  ? undefined
  : await LocalSolver.create({
      cacheFile: args.includes("--smt-cache") ? value("--smt-cache") : undefined,
    });
const all: CircuitDeterminism[] = [];
let failed = false;
for (const set of sets) {
  const p = paramSet(set);
  for (const id of circuitIds()) {
    if (only && !only.includes(id)) continue;
    let n = 0;
    const d = await circuitDeterminism(id, p, solver, {
      wireQueries: !args.includes("--fast"),
      analysisOnly: args.includes("--analysis-only"),
      onQuery: queryDir
        ? (wire, q, v) => {
            fs.mkdirSync(queryDir, { recursive: true });
            fs.writeFileSync(path.join(queryDir, `${id}-${set}-${n++}-${wire}-${v}.smt2`), q);
          }
        : undefined,
    });
    all.push(d);
    const r = d.result;
    const conditional = d.conditional.reduce((s, g) => s + g.wires, 0);
    console.log(
      `\n${d.instance} (${set}): ${d.constraints} constraints, ${d.seconds.toFixed(1)} s`,
    );
    console.log(
      "| wires | inputs | fixed by propagation | fixed by the solver | free witnesses | conditional | undecided |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    console.log(
      `| ${r.wires} | ${r.inputs} | ${r.propagation} | ${r.solver} | ${r.freeWitness.length} | ${conditional} | ${r.undecided.length} |`,
    );
    console.log(
      `solver: ${r.queries.unique} unique, ${r.queries.notUnique} not unique locally, ${r.queries.unknown} undecided (timeout)` +
        (solver?.cache ? `; ${solver.cache.hits} from the cache so far` : ""),
    );
    for (const [title, list] of [
      ["free witnesses", d.freeWitness],
      ["conditional", d.conditional],
      ["undecided", d.undecided],
    ] as const) {
      if (list.length === 0) continue;
      console.log(`${title}:`);
      for (const g of list.slice(0, 40))
        console.log(`  ${String(g.wires).padStart(6)}  ${g.group}`);
      if (list.length > 40) console.log(`  ... and ${list.length - 40} more groups`);
    }
    // undecided or conditional wires nobody explained, and free witnesses other than
    // IsZero's inverses: the same as test/circuits/determinism.test.ts refuses
    const bad = [...unexplained(d), ...strayFreeWitnesses(d)];
    if (bad.length) {
      failed = true;
      console.log(`NOT EXPLAINED (${bad.length} groups):`);
      for (const g of bad)
        console.log(`  ${String(g.wires).padStart(6)}  ${g.group}  e.g. ${g.example}`);
    }
  }
}
solver?.close();
fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
fs.writeFileSync(
  jsonFile,
  JSON.stringify(
    all.map((d) => ({ ...d, result: { ...d.result, status: undefined, conditional: undefined } })),
    null,
    1,
  ),
);
console.log(`\nwritten: ${jsonFile}`);
process.exit(failed ? 1 : 0);
