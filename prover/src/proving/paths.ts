import path from "node:path";
import type { ParamSet } from "../domain/params.ts";
import { ARTIFACTS, ROOT } from "../domain/paths.ts";
import { instanceName, type CircuitId } from "../domain/circuits.ts";

export { ARTIFACTS, ROOT };

/**
 * Where circuit sources are read and circuit builds (instances under circuits/, single
 * templates under probes/) are written. The mutation runner (scripts/mutate-circuits.ts)
 * sets ZKCLEAR_CIRCUIT_SOURCES and ZKCLEAR_CIRCUIT_BUILDS to a mutant's copy under
 * artifacts/mutants/ to run the circuit tests against it; both must lie inside the
 * repository (circom2 runs under WASI with paths relative to ROOT).
 */
export const CIRCUIT_SOURCES = path.resolve(
  ROOT,
  process.env.ZKCLEAR_CIRCUIT_SOURCES || path.join("circuits", "src"),
);
export const CIRCUIT_BUILDS = path.resolve(ROOT, process.env.ZKCLEAR_CIRCUIT_BUILDS || "artifacts");

/** Where a compiled circuit instance lives: artifacts/circuits/<circuit>/<params>/. */
export function circuitDir(circuit: CircuitId, p: ParamSet): string {
  return path.join(CIRCUIT_BUILDS, "circuits", instanceName(circuit, p));
}

/** Where an instance's keys live: artifacts/keys/<circuit>/<params>/. */
export function keyDir(circuit: CircuitId, p: ParamSet): string {
  return path.join(ARTIFACTS, "keys", instanceName(circuit, p));
}

export interface CircuitFiles {
  readonly dir: string;
  readonly main: string;
  readonly r1cs: string;
  readonly sym: string;
  readonly wasm: string;
  readonly manifest: string;
}

export function circuitFiles(circuit: CircuitId, p: ParamSet): CircuitFiles {
  const dir = circuitDir(circuit, p);
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

export function keyFiles(circuit: CircuitId, p: ParamSet): KeyFiles {
  const dir = keyDir(circuit, p);
  return {
    dir,
    devZkey: path.join(dir, `${circuit}.insecure-dev.zkey`),
    devVkey: path.join(dir, `${circuit}.insecure-dev.vkey.json`),
  };
}
