// The README's first command: npm run demo [-- --params demo|test|bench]
import { paramSet } from "../prover/src/domain/params.ts";
import { runDemo } from "../prover/src/dev/demo.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

const i = process.argv.indexOf("--params");
const p = paramSet(i > 0 ? process.argv[i + 1] : "demo");
const started = performance.now();
let ok = false;
try {
  const r = await runDemo(p, (s) => console.log(`  ${s}`));
  const hex = (x: bigint) => `0x${x.toString(16).padStart(64, "0")}`;
  console.log(`
zkclear demo — parameter set "${p.name}" (D=${p.depth}, B=${p.batch}, M=${p.markets})
  keys                INSECURE development keys (toxic waste known to this machine)
  constraints         ${r.constraints} (${Math.round(r.constraints / p.batch)} per trade slot)
  trades settled      ${r.trades}
  old root            ${hex(r.batch.oldRoot)}
  new root            ${hex(r.batch.newRoot)}
  data commitment     ${hex(r.batch.dataCommitment)}
  price/config hash   ${hex(r.batch.priceConfigHash)}
  fees to fee account ${r.batch.totalFees}
  witness             ${r.witnessMs.toFixed(0)} ms
  proof               ${r.proveMs.toFixed(0)} ms (${((r.proveMs * 1000) / r.constraints).toFixed(1)} µs per constraint)
  proof verifies      ${r.verified ? "yes" : "NO"}
  tampered root       ${r.tamperedRejected ? "rejected" : "ACCEPTED (bug)"}
  wall time           ${((performance.now() - started) / 1000).toFixed(1)} s`);
  ok = r.verified && r.tamperedRejected;
} finally {
  await terminateCurve();
}
process.exit(ok ? 0 : 1);
