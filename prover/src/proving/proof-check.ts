import type { VerificationKey } from "snarkjs";
import type { CircuitId } from "../domain/circuits.ts";
import type { InputCheck, ProofVerifier } from "../domain/ports.ts";
import type { ParamSet } from "../domain/params.ts";
import type { KeySet } from "./key-sets.ts";
import { circuitFiles } from "./paths.ts";
import { calculateWtns, readVerificationKey, verify } from "./prover.ts";

/**
 * Verifies proofs with a key set's verification keys (each read once): what the operator
 * checks every proof a pool returns with before it is submitted.
 */
export function keySetVerifier(keys: KeySet): ProofVerifier {
  const vkeys = new Map<CircuitId, VerificationKey>();
  return (circuit, publicSignals, proof) => {
    let vkey = vkeys.get(circuit);
    if (!vkey) {
      vkey = readVerificationKey(keys.circuits[circuit].vkey);
      vkeys.set(circuit, vkey);
    }
    return verify(vkey, publicSignals, proof);
  };
}

/**
 * The operator's own witness check of a batch's circuit input (the circuit's native
 * calculator where built, else its WebAssembly one): what decides whether a batch a pool
 * calls refused really is. Cheap next to a proof.
 */
export function circuitInputCheck(p: ParamSet): InputCheck {
  return async (circuit, signals) => {
    await calculateWtns(circuitFiles(circuit, p).wasm, signals);
  };
}
