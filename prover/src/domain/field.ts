/**
 * The BN254 (alt_bn128) scalar field modulus r: the field Circom circuits and Poseidon work in.
 * Same value as `F` in poseidon-lite and `Scalar.fromString(bn128.r)` in ffjavascript.
 */
export const FIELD_MODULUS: bigint =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Reduces any integer (including negatives) to its canonical representative in [0, r). */
export function mod(x: bigint): bigint {
  const m = x % FIELD_MODULUS;
  return m < 0n ? m + FIELD_MODULUS : m;
}

/** True iff `x` is a bigint in canonical form, i.e. 0 <= x < r. */
export function isFieldElement(x: unknown): x is bigint {
  return typeof x === "bigint" && x >= 0n && x < FIELD_MODULUS;
}

/** base^exp mod m, by square-and-multiply. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = ((base % m) + m) % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** The inverse of x modulo a prime m (Fermat). */
export function modInv(x: bigint, m: bigint): bigint {
  return modPow(x, m - 2n, m);
}
