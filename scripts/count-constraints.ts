// Constraint counts of single templates, compiled with circom2 --O2 (compileProbe):
//   tsx scripts/count-constraints.ts [<source>:<Template(args)> ...]
// Without arguments: the figures BENCHMARKS.md gives for funding (the bench trade batch at
// B = 16, 2 and 1, one account's funding settlement and its leaf unpacking at M = 4).
import { compileProbe } from "../prover/src/proving/build.ts";

const DEFAULT = [
  "settle-trades.circom:SettleTrades(16, 24, 4)",
  "settle-trades.circom:SettleTrades(2, 24, 4)",
  "settle-trades.circom:SettleTrades(1, 24, 4)",
  "funding.circom:SettleFunding(4)",
  "account-leaf.circom:AccountLeafUnpack(4)",
];

const specs = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT;
for (const spec of specs) {
  const [source, expr] = spec.split(":");
  const name = `count-${expr.replace(/[^A-Za-z0-9]+/g, "-").replace(/-$/, "")}`;
  const r = await compileProbe(name, source, expr);
  console.log(
    `${expr.padEnd(28)} ${r.constraints.toLocaleString("en-US").padStart(10)} constraints`,
  );
}
