// Benchmarks and the performance report: npm run bench [-- options]
//   --sets test,demo,bench   parameter sets to measure (every batch kind of each); none
//   --kinds trades,...       batch kinds (trades, deposits, withdrawals, liquidations)
//   --sweep 1,2,4,...,64     trade batch sizes at the sweep base's depth; none
//   --sweep-base bench       the set whose depth and markets the sweep keeps
//   --no-budget              skip the per-trade constraint budget
//   --reuse                  keep existing builds and keys (their times are marked *)
//   --out DIR                where BENCHMARKS.md (and docs/benchmarks/) go; a full run
//                            writes the repository's, a partial one artifacts/bench/
// Everything runs on this machine: circom2, snarkjs, and an in-process Hardhat chain.
import hre from "hardhat";
import { BrowserProvider, type Eip1193Provider } from "ethers";
import { parseBenchArgs, runBench } from "../prover/src/dev/bench/run.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

let options;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
const provider = new BrowserProvider(hre.network.provider as unknown as Eip1193Provider);
const signers = await Promise.all(Array.from({ length: 12 }, (_, i) => provider.getSigner(i)));
const started = new Date();
try {
  const { results, files } = await runBench(
    options,
    { deployer: signers[0], traders: signers.slice(1) },
    (s) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`),
  );
  const bad = [
    ...results.sets,
    ...(results.sweep?.points.flatMap((p) => (p.figures ? [p.figures] : [])) ?? []),
  ].filter((f) => !f.proof.verified);
  console.log(`\nbenchmark done in ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min`);
  for (const f of files) console.log(`wrote ${f}`);
  if (bad.length) {
    console.error(`${bad.length} proofs did not verify locally`);
    process.exitCode = 1;
  }
} finally {
  await terminateCurve();
}
process.exit(process.exitCode ?? 0);
