import { concat, getAddress, recoverAddress, Signature, TypedDataEncoder } from "ethers";
import type { BatchData, BatchKind } from "./batch.ts";
import { BATCH_KINDS, batchCommitment } from "./batch-kinds.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";

/**
 * The data availability committee's attestation (Committee.sol, Settlement's
 * DataAvailability): a member signs, with its Ethereum key and EIP-712, that it holds the
 * data of batch `batch` of one deployment and that replaying it from `oldRoot` gives
 * `newRoot` with commitment `dataCommitment` at oracle round `roundId` (BatchSettled's fields, by kind). Settlement takes a
 * batch of an attested kind (batch-kinds.ts `attested`) only with valid signatures of at
 * least `threshold` distinct members over exactly this message. The domain names the chain
 * and the Settlement contract, so a signature is worth nothing on another deployment, and
 * the batch number and roots make it worth nothing for another batch.
 */
export const ATTESTATION_DOMAIN_NAME = "zkclear data committee";
export const ATTESTATION_DOMAIN_VERSION = "1";

/** EIP-712 types, in the shape ethers' signTypedData takes (Settlement's ATTESTATION_TYPEHASH). */
export const ATTESTATION_TYPES = {
  BatchData: [
    { name: "batch", type: "uint64" },
    { name: "kind", type: "uint8" },
    { name: "oldRoot", type: "uint256" },
    { name: "newRoot", type: "uint256" },
    { name: "dataCommitment", type: "uint256" },
    { name: "roundId", type: "uint64" },
  ],
};

/** Bytes of one signature in Settlement's `attestations` argument: r (32), s (32), v (1). */
export const ATTESTATION_SIGNATURE_BYTES = 65;

/** What a member signs for a batch. */
export interface Attestation {
  /** The batch's number on Settlement (batchCount when it lands). */
  readonly batch: number;
  readonly kind: BatchKind;
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  /** BatchSettled's dataCommitment: BATCH_KINDS[kind].commitment of the batch's data. */
  readonly dataCommitment: bigint;
  /** The oracle round it is proven and settled at (BatchSettled's roundId). */
  readonly roundId: bigint;
}

export class CommitteeError extends ZkClearError<CodeOf<"committee">> {}

/** What a member signs for `d` as Settlement's batch number `batch`. */
export function attestationOf(batch: number, d: BatchData): Attestation {
  return {
    batch,
    kind: d.kind,
    oldRoot: d.oldRoot,
    newRoot: d.newRoot,
    dataCommitment: batchCommitment(d),
    roundId: "round" in d ? d.round : 0n,
  };
}

/** The EIP-712 domain of a deployment's attestations. */
export function attestationDomain(chainId: bigint, settlement: string) {
  return {
    name: ATTESTATION_DOMAIN_NAME,
    version: ATTESTATION_DOMAIN_VERSION,
    chainId,
    verifyingContract: getAddress(settlement),
  };
}

/** The typed message of an attestation (kind as Settlement numbers it). */
export function attestationMessage(a: Attestation) {
  const spec = BATCH_KINDS[a.kind];
  if (!spec.attested)
    throw new CommitteeError(
      "ATTEST_KIND",
      `${a.kind} batches are not attested: their data is on-chain`,
    );
  return {
    batch: a.batch,
    kind: spec.number,
    oldRoot: a.oldRoot,
    newRoot: a.newRoot,
    dataCommitment: a.dataCommitment,
    roundId: a.roundId,
  };
}

/** The digest a member signs and Settlement recovers signers from. */
export function attestationDigest(chainId: bigint, settlement: string, a: Attestation): string {
  return TypedDataEncoder.hash(
    attestationDomain(chainId, settlement),
    ATTESTATION_TYPES,
    attestationMessage(a),
  );
}

/** The member that signed `signature` (65 bytes, hex) over an attestation's digest. */
export function attestationSigner(
  chainId: bigint,
  settlement: string,
  a: Attestation,
  signature: string,
): string {
  return recoverAddress(attestationDigest(chainId, settlement, a), signature);
}

/**
 * Settlement's `attestations` argument: the signatures concatenated, 65 bytes each, in
 * any order (Committee refuses a duplicate signer or a non-member).
 */
export function packAttestations(signatures: readonly string[]): string {
  return concat(signatures.map((s) => Signature.from(s).serialized));
}
