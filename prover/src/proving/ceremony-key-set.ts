import fs from "node:fs";
import path from "node:path";
import { CIRCUIT_IDS, type CircuitId } from "../domain/circuits.ts";
import type { ParamSet } from "../domain/params.ts";
import { buildCircuit } from "./build.ts";
import { runGroth16Ceremony, type CeremonyBeacon } from "./ceremony.ts";
import {
  ceremonyKeyNames,
  ceremonyKeySet,
  fileSha256,
  KEYSET_FILE,
  KEYSET_FORMAT,
  type KeySet,
} from "./key-sets.ts";
import { circuitFiles } from "./paths.ts";

/** What a ceremony key set records of how each key was made (its keyset.json). */
export interface CeremonyRecord {
  readonly format: typeof KEYSET_FORMAT;
  readonly kind: "ceremony";
  readonly paramSet: string;
  /** sha256 of the powers-of-tau file the keys were made from. */
  readonly ptauSha256: string;
  readonly circuits: Record<
    CircuitId,
    {
      /** zkey_new's circuit hash, and each contribution's hash (the beacon's last). */
      readonly csHash: string;
      readonly contributionHashes: string[];
      readonly zkeySha256: string;
      readonly vkeySha256: string;
    }
  >;
}

/**
 * Production keys for every circuit of a parameter set: snarkjs's documented phase-2 steps
 * (ceremony.ts: zkey new from the ptau, contributions, a beacon, zkey verify against the r1cs
 * and the ptau, export of the verification key) per circuit, written as one key set
 * (`<circuit>.zkey`, `<circuit>.vkey.json` and keyset.json) that `deploy --keys <dir>` and
 * the service use. Builds a circuit first if its r1cs is not there.
 */
export async function runCeremonyKeySet(o: {
  readonly params: ParamSet;
  readonly ptau: string;
  readonly outDir: string;
  readonly contributions?: number;
  readonly beacon?: CeremonyBeacon;
  /** Check each final zkey against its r1cs and the ptau (default true; see runGroth16Ceremony). */
  readonly verify?: boolean;
  readonly log?: (s: string) => void;
}): Promise<KeySet> {
  const log = o.log ?? (() => {});
  fs.mkdirSync(o.outDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(o.outDir, ".ceremony-"));
  const circuits = {} as CeremonyRecord["circuits"];
  try {
    for (const id of CIRCUIT_IDS) {
      await buildCircuit(id, o.params, { log });
      log(`${id}: phase-2 ceremony`);
      const r = await runGroth16Ceremony({
        r1csPath: circuitFiles(id, o.params).r1cs,
        ptauPath: o.ptau,
        outDir: work,
        name: id,
        contributions: o.contributions ?? 1,
        beacon: o.beacon,
        terminateCurve: false,
        verify: o.verify,
        log: (m) => log(`${id}: ${m}`),
      });
      const names = ceremonyKeyNames(id);
      const zkey = path.join(o.outDir, names.zkey);
      const vkey = path.join(o.outDir, names.vkey);
      fs.renameSync(r.zkeyPath, zkey);
      fs.renameSync(r.verificationKeyPath, vkey);
      circuits[id] = {
        csHash: r.csHash,
        contributionHashes: r.contributionHashes,
        zkeySha256: fileSha256(zkey),
        vkeySha256: fileSha256(vkey),
      };
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const record: CeremonyRecord = {
    format: KEYSET_FORMAT,
    kind: "ceremony",
    paramSet: o.params.name,
    ptauSha256: fileSha256(o.ptau),
    circuits,
  };
  fs.writeFileSync(path.join(o.outDir, KEYSET_FILE), JSON.stringify(record, null, 2) + "\n");
  log(`ceremony key set for "${o.params.name}" written to ${o.outDir}`);
  return ceremonyKeySet(o.outDir);
}
