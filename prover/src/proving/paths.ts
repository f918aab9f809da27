import path from "node:path";
import type { ParamSet } from "../domain/params.ts";
import { ARTIFACTS } from "../domain/paths.ts";
import { instanceName, type CircuitId } from "../domain/circuits.ts";

/** Where a compiled circuit instance lives: artifacts/circuits/<circuit>/<params>/. */
export function circuitDir(circuit: CircuitId, p: ParamSet): string {
  return path.join(ARTIFACTS, "circuits", instanceName(circuit, p));
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
