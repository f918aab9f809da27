import type { Contract, ContractTransactionReceipt } from "ethers";
import type { Groth16Proof } from "snarkjs";
import { toSolidityProof } from "./calldata.ts";

/**
 * Submitting proven batches to the Settlement contract. Each function sends one
 * transaction and waits for its receipt; a revert surfaces as ethers' error with the
 * contract's custom error.
 */
async function sent(
  c: Contract,
  method: string,
  args: unknown[],
): Promise<ContractTransactionReceipt> {
  const tx = await c.getFunction(method)(...args);
  const receipt = (await tx.wait()) as ContractTransactionReceipt | null;
  if (!receipt) throw new Error(`${method}: no receipt`);
  return receipt;
}

export function submitTrades(
  settlement: Contract,
  proof: Groth16Proof,
  b: { oldRoot: bigint; newRoot: bigint; dataCommitment: bigint },
  roundId: bigint,
): Promise<ContractTransactionReceipt> {
  return sent(settlement, "submitTrades", [
    toSolidityProof(proof),
    b.oldRoot,
    b.newRoot,
    b.dataCommitment,
    roundId,
  ]);
}

export function submitDeposits(
  settlement: Contract,
  proof: Groth16Proof,
  b: { oldRoot: bigint; newRoot: bigint },
  count: number,
): Promise<ContractTransactionReceipt> {
  return sent(settlement, "submitDeposits", [toSolidityProof(proof), b.oldRoot, b.newRoot, count]);
}

export function submitLiquidations(
  settlement: Contract,
  proof: Groth16Proof,
  b: { oldRoot: bigint; newRoot: bigint; dataCommitment: bigint },
  roundId: bigint,
): Promise<ContractTransactionReceipt> {
  return sent(settlement, "submitLiquidations", [
    toSolidityProof(proof),
    b.oldRoot,
    b.newRoot,
    b.dataCommitment,
    roundId,
  ]);
}

export function submitWithdrawals(
  settlement: Contract,
  proof: Groth16Proof,
  b: { oldRoot: bigint; newRoot: bigint; payouts: readonly bigint[] },
  roundId: bigint,
): Promise<ContractTransactionReceipt> {
  return sent(settlement, "submitWithdrawals", [
    toSolidityProof(proof),
    b.oldRoot,
    b.newRoot,
    roundId,
    [...b.payouts],
  ]);
}
