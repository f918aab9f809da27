// Makes INSECURE development keys: tsx scripts/dev-keys.ts [paramSet ...] [--force]
import { paramSet } from "../prover/src/domain/params.ts";
import { ensureDevKeys } from "../prover/src/proving/keys.ts";
import { CIRCUITS, type CircuitId } from "../prover/src/domain/circuits.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

const args = process.argv.slice(2);
const force = args.includes("--force");
const sets = args.filter((a) => !a.startsWith("--"));
try {
  for (const name of sets.length ? sets : ["test"]) {
    for (const id of Object.keys(CIRCUITS) as CircuitId[]) {
      const k = await ensureDevKeys(id, paramSet(name), { force, log: (s) => console.log(s) });
      console.log(`${id}/${name}: ${k.devZkey}`);
    }
  }
} finally {
  await terminateCurve();
}
