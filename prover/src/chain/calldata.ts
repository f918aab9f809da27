import type { Groth16Proof } from "snarkjs";

/** A Groth16 proof in the layout the generated verifiers take (Groth16Call.Proof). */
export interface SolidityProof {
  readonly a: [bigint, bigint];
  readonly b: [[bigint, bigint], [bigint, bigint]];
  readonly c: [bigint, bigint];
}

/**
 * snarkjs's proof JSON to the verifier's argument order. G2 coordinates are (c1, c0) in
 * the EVM precompile's encoding, so each pair of pi_b is reversed.
 */
export function toSolidityProof(p: Groth16Proof): SolidityProof {
  const n = (s: string) => BigInt(s);
  return {
    a: [n(p.pi_a[0]), n(p.pi_a[1])],
    b: [
      [n(p.pi_b[0][1]), n(p.pi_b[0][0])],
      [n(p.pi_b[1][1]), n(p.pi_b[1][0])],
    ],
    c: [n(p.pi_c[0]), n(p.pi_c[1])],
  };
}
