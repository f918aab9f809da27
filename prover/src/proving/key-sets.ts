import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { VerificationKey } from "snarkjs";
import { CIRCUIT_IDS, type CircuitId } from "../domain/circuits.ts";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import type { ParamSet } from "../domain/params.ts";
import { ensureDevKeys } from "./keys.ts";
import { circuitFiles, keyFiles } from "./paths.ts";

/**
 * A key set: the proving and verification key of every circuit of a parameter set, from
 * one source. Development keys (INSECURE: their toxic waste was known to the machine that
 * made them, `npm run keys:dev`) live per circuit instance under artifacts/keys/; ceremony
 * keys (`npm run keys:ceremony`) live in a directory of their own with a keyset.json.
 * A deployment names its key set and the keys' hashes; the service proves only with the
 * key set its deployment names, and never makes keys.
 */
export type KeyKind = "development" | "ceremony";

export interface CircuitKeys {
  /** Proving key (.zkey). */
  readonly zkey: string;
  /** Verification key (snarkjs JSON). */
  readonly vkey: string;
}

export interface KeySet {
  readonly kind: KeyKind;
  readonly paramSet: string;
  /** Where the keys come from: "development" or the ceremony directory. */
  readonly source: string;
  readonly circuits: Readonly<Record<CircuitId, CircuitKeys>>;
}

export const KEYSET_FILE = "keyset.json";
export const KEYSET_FORMAT = "zkclear-keyset/1";

export class KeySetError extends ZkClearError<CodeOf<"keys" | "build">> {}

/** The paths of a parameter set's development keys (whether or not they exist yet). */
export function devKeySet(p: ParamSet): KeySet {
  const circuits = {} as Record<CircuitId, CircuitKeys>;
  for (const id of CIRCUIT_IDS) {
    const f = keyFiles(id, p);
    circuits[id] = { zkey: f.devZkey, vkey: f.devVkey };
  }
  return { kind: "development", paramSet: p.name, source: "development", circuits };
}

/** Makes (or reuses) a parameter set's INSECURE development keys: development tools only. */
export async function ensureDevKeySet(
  p: ParamSet,
  log: (s: string) => void = () => {},
): Promise<KeySet> {
  for (const id of CIRCUIT_IDS) await ensureDevKeys(id, p, { log });
  return devKeySet(p);
}

/** The file names of a circuit's keys in a ceremony key set's directory. */
export function ceremonyKeyNames(circuit: CircuitId): CircuitKeys {
  return { zkey: `${circuit}.zkey`, vkey: `${circuit}.vkey.json` };
}

/** Reads a ceremony key set's directory (its keyset.json). */
export function ceremonyKeySet(dir: string): KeySet {
  const file = path.join(dir, KEYSET_FILE);
  let raw: { format?: string; kind?: string; paramSet?: string };
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new KeySetError(
      "KEYSET_UNREADABLE",
      `no key set at ${dir} (${(e as Error).message}); make one with npm run keys:ceremony`,
    );
  }
  if (raw.format !== KEYSET_FORMAT || raw.kind !== "ceremony" || !raw.paramSet)
    throw new KeySetError("KEYSET_INVALID", `${file} is not a ${KEYSET_FORMAT} ceremony key set`);
  const circuits = {} as Record<CircuitId, CircuitKeys>;
  for (const id of CIRCUIT_IDS) {
    const n = ceremonyKeyNames(id);
    circuits[id] = { zkey: path.join(dir, n.zkey), vkey: path.join(dir, n.vkey) };
  }
  return { kind: "ceremony", paramSet: raw.paramSet, source: path.resolve(dir), circuits };
}

/** `--keys development` or `--keys <ceremony directory>`. */
export function keySetFrom(spec: string, p: ParamSet): KeySet {
  const ks = spec === "development" || spec === "dev" ? devKeySet(p) : ceremonyKeySet(spec);
  if (ks.paramSet !== p.name)
    throw new KeySetError(
      "KEYSET_PARAMS",
      `the key set at ${spec} is for parameter set "${ks.paramSet}", not "${p.name}"`,
    );
  return ks;
}

/** The command that makes a missing key of this key set. */
export function keyCommand(ks: KeySet): string {
  return ks.kind === "development"
    ? `npm run keys:dev -- ${ks.paramSet}`
    : `npm run keys:ceremony -- --params ${ks.paramSet} --ptau <file> --out ${ks.source}`;
}

/** Checks that every key of the set is on disk; throws naming the file and the command. */
export function checkKeys(ks: KeySet): void {
  for (const id of CIRCUIT_IDS)
    for (const f of [ks.circuits[id].zkey, ks.circuits[id].vkey])
      if (!fs.existsSync(f))
        throw new KeySetError(
          "KEY_MISSING",
          `the ${ks.kind} key ${f} is missing; make it with: ${keyCommand(ks)}`,
        );
}

/**
 * Checks that every key and every compiled witness calculator of the set is on disk;
 * throws naming the missing file and the command that makes it. The service calls this
 * at start-up instead of making anything itself.
 */
export function checkKeySet(ks: KeySet, p: ParamSet): void {
  checkKeys(ks);
  for (const id of CIRCUIT_IDS) {
    const wasm = circuitFiles(id, p).wasm;
    if (!fs.existsSync(wasm))
      throw new KeySetError(
        "CIRCUIT_NOT_BUILT",
        `the witness calculator ${wasm} is missing; build it with: npm run build:circuit -- ${p.name}`,
      );
  }
}

/** sha256 (hex) of a file: what a deployment records of each key. */
export function fileSha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

export function readVerificationKeys(ks: KeySet): Record<CircuitId, VerificationKey> {
  const out = {} as Record<CircuitId, VerificationKey>;
  for (const id of CIRCUIT_IDS)
    out[id] = JSON.parse(fs.readFileSync(ks.circuits[id].vkey, "utf8")) as VerificationKey;
  return out;
}
