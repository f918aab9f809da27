import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type * as EdDSAPoseidon from "@zk-kit/eddsa-poseidon";
import type { PublicKey } from "./account.ts";
import { verifyEdDSAPoseidon } from "./babyjub.ts";

// The package's ESM build imports a named export blakejs (CommonJS) does not provide, so
// load its CommonJS build.
const { derivePublicKey, signMessage } = createRequire(import.meta.url)(
  "@zk-kit/eddsa-poseidon",
) as typeof EdDSAPoseidon;

/**
 * Baby Jubjub keys and EdDSA-Poseidon signatures through @zk-kit/eddsa-poseidon, whose
 * signatures circomlib's EdDSAPoseidonVerifier accepts (test/circuits checks this).
 * A private key is 32 random bytes; the public key is derived from it.
 */
export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: PublicKey;
}

/** An EdDSA-Poseidon signature: R8 point and scalar S. */
export interface EdDSASignature {
  readonly r8x: bigint;
  readonly r8y: bigint;
  readonly s: bigint;
}

export function keyPairFromPrivate(privateKey: Uint8Array): KeyPair {
  const [x, y] = derivePublicKey(Buffer.from(privateKey));
  return { privateKey, publicKey: { x: BigInt(x), y: BigInt(y) } };
}

export function generateKeyPair(): KeyPair {
  return keyPairFromPrivate(randomBytes(32));
}

/** Deterministic development key from a label: never for real funds. */
export function devKeyPair(label: string): KeyPair {
  const seed = createHash("sha256").update(`zkclear-insecure-dev-key:${label}`).digest();
  return keyPairFromPrivate(new Uint8Array(seed));
}

export function sign(privateKey: Uint8Array, message: bigint): EdDSASignature {
  const sig = signMessage(Buffer.from(privateKey), message);
  return { r8x: BigInt(sig.R8[0]), r8y: BigInt(sig.R8[1]), s: BigInt(sig.S) };
}

/**
 * Verifies with projective Baby Jubjub arithmetic (./babyjub.ts), 12 times faster than the
 * library's affine verifySignature and checked against it by a property test.
 */
export function verify(publicKey: PublicKey, message: bigint, sig: EdDSASignature): boolean {
  return verifyEdDSAPoseidon(message, sig, publicKey);
}
