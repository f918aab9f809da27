// Compiles circuit instances: tsx scripts/build-circuit.ts [paramSet ...] [--force]
import { paramSet } from "../prover/src/domain/params.ts";
import { buildCircuit } from "../prover/src/proving/build.ts";
import { CIRCUITS, type CircuitId } from "../prover/src/domain/circuits.ts";

const args = process.argv.slice(2);
const force = args.includes("--force");
const sets = args.filter((a) => !a.startsWith("--"));
for (const name of sets.length ? sets : ["test"]) {
  for (const id of Object.keys(CIRCUITS) as CircuitId[]) {
    await buildCircuit(id, paramSet(name), { force, log: (s) => console.log(s) });
  }
}
