// Benchmarks: npm run bench [-- test demo bench] [--fresh]
//   --fresh recompiles the circuits and regenerates the development keys, so their
//   times are measured from nothing.
import { paramSet } from "../prover/src/domain/params.ts";
import {
  benchSettleTrades,
  formatTable,
  machine,
  writeResults,
  type TradeBenchResult,
} from "../prover/src/dev/bench.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

const args = process.argv.slice(2);
const fresh = args.includes("--fresh");
const sets = args.filter((a) => !a.startsWith("--"));
const results: TradeBenchResult[] = [];
try {
  for (const name of sets.length ? sets : ["test", "demo", "bench"]) {
    console.log(`== ${name}`);
    results.push(
      await benchSettleTrades(paramSet(name), { fresh, log: (s) => console.log(`  ${s}`) }),
    );
  }
} finally {
  await terminateCurve();
}
console.log(`\nSettleTrades on ${machine()}\n`);
console.log(formatTable(results));
console.log(`\nwritten to ${writeResults(results)}`);
process.exit(results.every((r) => r.verified) ? 0 : 1);
