/**
 * Production Groth16 keys from a phase-1 powers of tau (prepared for phase 2):
 *
 *   tsx scripts/ceremony.ts --r1cs X.r1cs --ptau powersOfTau28_hez_final_20.ptau --out DIR
 *       [--contributions N] [--beacon HEX] [--beacon-iterations K] [--name NAME]
 *       [--keep-intermediate]
 *
 * Contribution entropy comes from crypto.randomBytes. Writes DIR/NAME_final.zkey and
 * DIR/NAME_verification_key.json and prints a JSON summary. See prover/src/proving/ceremony.ts.
 */
import { parseArgs } from "node:util";
import { CeremonyError, runGroth16Ceremony } from "../prover/src/proving/ceremony.ts";

const USAGE =
  "usage: tsx scripts/ceremony.ts --r1cs FILE --ptau FILE --out DIR [--contributions N] " +
  "[--beacon HEX] [--beacon-iterations K] [--name NAME] [--keep-intermediate]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        r1cs: { type: "string" },
        ptau: { type: "string" },
        out: { type: "string" },
        contributions: { type: "string" },
        beacon: { type: "string" },
        "beacon-iterations": { type: "string" },
        name: { type: "string" },
        "keep-intermediate": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    console.error(USAGE);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.r1cs || !values.ptau || !values.out) {
    console.error(USAGE);
    return 2;
  }
  const contributions = values.contributions === undefined ? 1 : Number(values.contributions);
  const iterations =
    values["beacon-iterations"] === undefined ? 10 : Number(values["beacon-iterations"]);
  if (values["beacon-iterations"] !== undefined && values.beacon === undefined) {
    console.error("--beacon-iterations needs --beacon");
    return 2;
  }

  const result = await runGroth16Ceremony({
    r1csPath: values.r1cs,
    ptauPath: values.ptau,
    outDir: values.out,
    name: values.name,
    contributions,
    beacon:
      values.beacon === undefined
        ? undefined
        : { hashHex: values.beacon, iterationsExp: iterations },
    keepIntermediate: values["keep-intermediate"] ?? false,
    log: (m) => console.error(`[ceremony] ${m}`),
  });
  console.log(JSON.stringify(result, null, 2));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CeremonyError) {
      console.error(`ceremony failed [${err.code}]: ${err.message}`);
    } else {
      console.error(err);
    }
    process.exit(1);
  },
);
