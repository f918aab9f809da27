/**
 * Production Groth16 keys from a phase-1 powers of tau (prepared for phase 2):
 *
 *   npm run keys:ceremony -- --params <set> --ptau powersOfTau28_hez_final_20.ptau --out DIR
 *       [--contributions N] [--beacon HEX] [--beacon-iterations K]
 *     every circuit of the parameter set, as one key set (DIR/<circuit>.zkey,
 *     DIR/<circuit>.vkey.json, DIR/keyset.json) for `zkclear deploy --keys DIR`;
 *
 *   npm run keys:ceremony -- --r1cs X.r1cs --ptau F --out DIR [--name NAME] [--keep-intermediate] ...
 *     one circuit: DIR/NAME_final.zkey and DIR/NAME_verification_key.json.
 *
 * Contribution entropy comes from crypto.randomBytes. Prints a JSON summary. See
 * prover/src/proving/ceremony.ts and ceremony-key-set.ts.
 */
import { parseArgs } from "node:util";
import { paramSet } from "../prover/src/domain/params.ts";
import { CeremonyError, runGroth16Ceremony } from "../prover/src/proving/ceremony.ts";
import { runCeremonyKeySet } from "../prover/src/proving/ceremony-key-set.ts";
import { terminateCurve } from "../prover/src/proving/prover.ts";

const USAGE =
  "usage: npm run keys:ceremony -- (--params SET | --r1cs FILE) --ptau FILE --out DIR " +
  "[--contributions N] [--beacon HEX] [--beacon-iterations K] [--name NAME] [--keep-intermediate]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        r1cs: { type: "string" },
        params: { type: "string" },
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
  if (!(values.r1cs || values.params) || !values.ptau || !values.out) {
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

  const beacon =
    values.beacon === undefined ? undefined : { hashHex: values.beacon, iterationsExp: iterations };
  if (values.params) {
    const keys = await runCeremonyKeySet({
      params: paramSet(values.params),
      ptau: values.ptau,
      outDir: values.out,
      contributions,
      beacon,
      log: (m) => console.error(`[ceremony] ${m}`),
    });
    await terminateCurve();
    console.log(JSON.stringify(keys, null, 2));
    return 0;
  }
  const result = await runGroth16Ceremony({
    r1csPath: values.r1cs!,
    ptauPath: values.ptau,
    outDir: values.out,
    name: values.name,
    contributions,
    beacon,
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
