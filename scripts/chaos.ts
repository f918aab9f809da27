import { runChaos } from "../prover/src/dev/chaos.ts";

// npm run chaos -- [--kills N] [--seed S]: the service killed with SIGKILL at random moments
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const report = await runChaos({
  kills: arg("kills", 20),
  seed: arg("seed", Date.now() % 100_000),
  log: (s) => console.log(s),
});
console.log(JSON.stringify(report, null, 2));
