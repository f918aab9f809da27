import { ZkClearError } from "./errors.ts";
import * as P from "poseidon-lite";

type PoseidonFn = (inputs: bigint[]) => bigint;

const BY_ARITY: Record<number, PoseidonFn> = {
  1: P.poseidon1,
  2: P.poseidon2,
  3: P.poseidon3,
  4: P.poseidon4,
  5: P.poseidon5,
  6: P.poseidon6,
  7: P.poseidon7,
  8: P.poseidon8,
  9: P.poseidon9,
  10: P.poseidon10,
  11: P.poseidon11,
  12: P.poseidon12,
  13: P.poseidon13,
  14: P.poseidon14,
  15: P.poseidon15,
  16: P.poseidon16,
};

/**
 * Poseidon over BN254 with circomlib's constants, arity = inputs.length (1..16): the
 * TypeScript twin of circomlib's `Poseidon(n)` template.
 */
export function poseidon(inputs: readonly bigint[]): bigint {
  const fn = BY_ARITY[inputs.length];
  if (!fn)
    throw new ZkClearError(
      "VALUE_OUT_OF_RANGE",
      `poseidon: arity ${inputs.length} is not in 1..16`,
    );
  return fn([...inputs]);
}
