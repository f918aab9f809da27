import { z } from "zod";
import { PROVE_ENGINES, type ProofResult } from "../domain/ports.ts";
import { BN128_Q } from "./dev-zkey-common.ts";

/** The largest proof result (its JSON text) a pool may hand back, characters. */
export const MAX_PROOF_CHARS = 64 * 1024;

const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "a decimal string");
/** A BN254 base-field coordinate, canonical: a decimal string below q. */
const fq = decimal.refine(
  (s) => BigInt(s) < BN128_Q,
  "not canonical: a decimal below the base field's modulus q",
);
const one = z.literal("1");
const zero = z.literal("0");
const ms = z.number().finite().nonnegative();

/**
 * A proof in canonical affine form, as Settlement's verifier reads it (chain/calldata.ts
 * sends the coordinates as given): every coordinate below q, z = 1 for pi_a and pi_c and
 * [1, 0] for pi_b. snarkjs verifies projective or x+q encodings too; the chain does not.
 */
const canonicalProof = z.object({
  pi_a: z.tuple([fq, fq, one]),
  pi_b: z.tuple([z.tuple([fq, fq]), z.tuple([fq, fq]), z.tuple([one, zero])]),
  pi_c: z.tuple([fq, fq, one]),
  protocol: z.literal("groth16"),
  curve: z.literal("bn128"),
});

const proofResult = (nPublic: number) =>
  z.object({
    engine: z.enum(PROVE_ENGINES),
    proof: canonicalProof,
    publicSignals: z.array(decimal).length(nPublic),
    witnessMs: ms,
    proveMs: ms,
    witnessColdMs: ms.optional(),
    witnessWasmMs: ms.optional(),
    peakRssMiB: ms.optional(),
  });

/**
 * A proof result handed back by a pool, checked whole (it comes from anyone with the queue's
 * credential): a canonical proof, `nPublic` public signals as decimal strings, finite
 * non-negative timings, at most MAX_PROOF_CHARS of JSON. Returns it (unknown fields dropped),
 * or why it is refused.
 */
export function readProofResult(
  raw: unknown,
  nPublic: number,
): { ok: true; result: ProofResult } | { ok: false; why: string } {
  let size: number;
  try {
    size = JSON.stringify(raw)?.length ?? 0;
  } catch (e) {
    return { ok: false, why: `is not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (size > MAX_PROOF_CHARS)
    return { ok: false, why: `is ${size} characters long (at most ${MAX_PROOF_CHARS})` };
  const r = proofResult(nPublic).safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    return {
      ok: false,
      why: `is malformed: ${first.path.join(".") || "(the result)"}: ${first.message}`,
    };
  }
  return { ok: true, result: r.data as ProofResult };
}
