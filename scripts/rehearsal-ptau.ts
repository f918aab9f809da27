// An INSECURE powers-of-tau file prepared for phase 2, from a tau sampled here, to rehearse
// the production key path offline (prover/src/proving/rehearsal-ptau.ts):
//   npm run keys:rehearsal-ptau -- --power 16 --out artifacts/ptau/rehearsal-16.insecure.ptau
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeRehearsalPtau } from "../prover/src/proving/rehearsal-ptau.ts";

const { values } = parseArgs({
  options: { power: { type: "string" }, out: { type: "string" } },
  strict: true,
});
if (!values.power || !values.out) {
  console.error("usage: npm run keys:rehearsal-ptau -- --power N --out FILE");
  process.exit(2);
}
fs.mkdirSync(path.dirname(values.out), { recursive: true });
await writeRehearsalPtau(values.out, Number(values.power), { log: (s) => console.error(s) });
