import { fileURLToPath } from "node:url";
import path from "node:path";

/** Repository root (this file lives in prover/src/proving). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const ARTIFACTS = path.join(ROOT, "artifacts");
export const CIRCUIT_SOURCES = path.join(ROOT, "circuits", "src");

/** Where a compiled circuit instance lives: artifacts/circuits/<set>/<circuit>/. */
export function circuitDir(paramSet: string, circuit: string): string {
  return path.join(ARTIFACTS, "circuits", paramSet, circuit);
}

/** Where an instance's keys live: artifacts/keys/<set>/<circuit>/. */
export function keyDir(paramSet: string, circuit: string): string {
  return path.join(ARTIFACTS, "keys", paramSet, circuit);
}

export interface CircuitFiles {
  readonly dir: string;
  readonly main: string;
  readonly r1cs: string;
  readonly sym: string;
  readonly wasm: string;
  readonly manifest: string;
}

export function circuitFiles(paramSet: string, circuit: string): CircuitFiles {
  const dir = circuitDir(paramSet, circuit);
  return {
    dir,
    main: path.join(dir, `${circuit}.circom`),
    r1cs: path.join(dir, `${circuit}.r1cs`),
    sym: path.join(dir, `${circuit}.sym`),
    wasm: path.join(dir, `${circuit}_js`, `${circuit}.wasm`),
    manifest: path.join(dir, "build.json"),
  };
}

export interface KeyFiles {
  readonly dir: string;
  /** Development proving key: its toxic waste was known to the machine that made it. */
  readonly devZkey: string;
  readonly devVkey: string;
}

export function keyFiles(paramSet: string, circuit: string): KeyFiles {
  const dir = keyDir(paramSet, circuit);
  return {
    dir,
    devZkey: path.join(dir, `${circuit}.insecure-dev.zkey`),
    devVkey: path.join(dir, `${circuit}.insecure-dev.vkey.json`),
  };
}
