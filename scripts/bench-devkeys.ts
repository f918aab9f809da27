/**
 * Times the INSECURE dev zkey generator on one r1cs.
 *
 *   tsx scripts/bench-devkeys.ts --r1cs path/to/circuit.r1cs [--out path.insecure.zkey]
 *
 * The key written is INSECURE (toxic waste sampled locally); by default it goes next to the r1cs
 * as `<name>.bench.insecure.zkey`.
 */
import { parseArgs } from "node:util";
import { generateDevZkey } from "../prover/src/proving/dev-zkey.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { r1cs: { type: "string" }, out: { type: "string" } },
  });
  if (!values.r1cs) {
    console.error("usage: tsx scripts/bench-devkeys.ts --r1cs FILE [--out FILE.insecure.zkey]");
    process.exit(2);
  }
  const zkeyPath = values.out ?? values.r1cs.replace(/\.r1cs$/, "") + ".bench.insecure.zkey";
  const info = await generateDevZkey({
    r1csPath: values.r1cs,
    zkeyPath,
    log: (m) => console.log(`[${new Date().toISOString()}] ${m}`),
  });
  const mem = process.memoryUsage();
  console.log(
    JSON.stringify(
      {
        ...info,
        rssMiB: Math.round(mem.rss / 2 ** 20),
        heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
      },
      null,
      2,
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
