import type { VerificationKey } from "snarkjs";
import type { CircuitId } from "../domain/circuits.ts";
import type { ProofVerifier } from "../domain/ports.ts";
import type { KeySet } from "./key-sets.ts";
import { readVerificationKey, verify } from "./prover.ts";

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
