import { benchPipeline } from "../prover/src/dev/bench/pipeline.ts";
import { paramSet } from "../prover/src/domain/params.ts";

// npm run bench:pipeline -- [--params test] [--workers 1,2,4] [--pairs 16]
// Settled trades per minute through the real service, a PostgreSQL job queue (pg-boss) and
// N `zkclear prover-worker` processes, with the queue's overhead per job and a projection for
// N machines from the measured per-job figures.
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const params = arg("params", "test");
const p = paramSet(params);
const t0 = performance.now();
const runs = await benchPipeline({
  params,
  workers: arg("workers", "1,2,4").split(",").map(Number),
  pairs: Number(arg("pairs", "16")),
  log: (s) => console.log(`  ${s}`),
});
const f = (x: number, d = 0) => x.toFixed(d);
console.log(`
pipelined proving at "${p.name}" (B = ${p.batch} trades per batch), ${f((performance.now() - t0) / 1000)} s in all

| provers | trades | batches | seconds | settled trades/min | latency p50 | latency p99 | prove per job | pickup | in-worker overhead | collect | submit | gas per batch |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
for (const r of runs)
  console.log(
    `| ${r.workers} | ${r.trades} | ${r.batches} | ${f(r.seconds, 1)} | ${f(r.tradesPerMinute, 1)} | ${f(r.latencyMs.p50)} ms | ${f(r.latencyMs.p99)} ms | ${f(r.proveMs)} ms | ${f(r.pickupMs)} ms | ${f(r.workerOverheadMs)} ms | ${f(r.collectMs)} ms | ${f(r.submitMs)} ms | ${f(r.gasPerBatch)} |`,
  );

// the projection: N machines each prove one job at a time; the operator submits in order
const one = runs[0];
const job = one.proveMs + one.pickupMs + one.workerOverheadMs + one.collectMs;
const serial = one.submitMs;
const blockGas = 30_000_000;
console.log(`
projection for N prover machines (from the ${one.workers}-prover run's per-job figures):
  per-job time   t = prove + pickup + in-worker overhead + collect = ${f(job)} ms
  serial time   s = the operator's submission per batch (prepare, send, mined) = ${f(serial)} ms
  trades/min(N) = B * 60,000 / max(t / N, s)   (B = ${p.batch})
  chain cap: ${f(blockGas / one.gasPerBatch)} batches of ${f(one.gasPerBatch)} gas fit a 30M-gas block, but the
  operator waits for each batch's receipt before the next (its old root is the chain's root):
  one batch per block, B * 60 / block time trades/min (12 s blocks: ${f((p.batch * 60) / 12, 1)})

| machines N | t / N | bound by | trades/min |
|---:|---:|---|---:|`);
for (const n of [1, 2, 4, 8, 16, 32, 64]) {
  const per = Math.max(job / n, serial);
  console.log(
    `| ${n} | ${f(job / n)} ms | ${job / n >= serial ? "proving" : "submission"} | ${f((p.batch * 60_000) / per, 1)} |`,
  );
}
