import { benchRestart } from "../prover/src/dev/bench/restart.ts";

// npm run bench:restart -- [--lengths 100,1000,10000] [--params demo]
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const rows = await benchRestart(arg("lengths", "100,1000,10000").split(",").map(Number), {
  params: arg("params", "demo"),
  log: (s) => console.log(s),
});
console.log(
  "| batches | restart (snapshot) | replayed | restart (full replay) | GET /v1/batches first page | last page |",
);
console.log("|---:|---:|---:|---:|---:|---:|");
for (const r of rows)
  console.log(
    `| ${r.batches} | ${r.openMs.toFixed(0)} ms | ${r.replayed} | ${r.openFullMs === undefined ? "not run" : `${r.openFullMs.toFixed(0)} ms`} | ${r.firstPageMs.toFixed(2)} ms | ${r.lastPageMs.toFixed(2)} ms |`,
  );
