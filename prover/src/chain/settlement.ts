import type { Contract, ContractTransactionReceipt } from "ethers";
import type { Groth16Proof } from "snarkjs";
import type { BatchData } from "../domain/batch.ts";
import { BATCH_KINDS, submitArgs } from "../domain/batch-kinds.ts";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import { toSolidityProof } from "./calldata.ts";

export class SubmitError extends ZkClearError<CodeOf<"chain">> {}

/**
 * Submits a proven batch to the Settlement contract: its kind's submit function
 * (../domain/batch-kinds.ts) with the proof and the kind's arguments, then waits for the
 * receipt. A revert surfaces as ethers' error carrying the contract's custom error. An
 * attested kind (trades, withdrawals, liquidations) needs the data committee's packed
 * signatures (domain/committee.ts); without them Settlement refuses it.
 */
export async function submitBatch(
  settlement: Contract,
  batch: BatchData,
  proof: Groth16Proof,
  attestations = "0x",
): Promise<ContractTransactionReceipt> {
  const method = BATCH_KINDS[batch.kind].method;
  const tx = await settlement.getFunction(method)(...callArgs(batch, proof, attestations));
  const receipt = (await tx.wait()) as ContractTransactionReceipt | null;
  if (!receipt) throw new SubmitError("NO_RECEIPT", `${method}: the node returned no receipt`);
  return receipt;
}

/** The submit function's arguments: the proof, the kind's, and the attestations if attested. */
export function callArgs(batch: BatchData, proof: Groth16Proof, attestations: string): unknown[] {
  const args = [toSolidityProof(proof), ...submitArgs(batch)];
  return BATCH_KINDS[batch.kind].attested ? [...args, attestations] : args;
}
