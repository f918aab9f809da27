import type { Groth16Proof } from "snarkjs";
import type { ExitAccountInput } from "../domain/inputs.ts";
import { recipientAddress } from "../domain/forced.ts";
import { toSolidityProof, type SolidityProof } from "./calldata.ts";

/**
 * The arguments of Settlement.exit (contracts/EscapeHatch.sol) for a proven ExitAccount
 * input: the proof, the account, the recipient and the payout it proves.
 */
export function exitCallArgs(
  input: ExitAccountInput,
  proof: Groth16Proof,
): [SolidityProof, bigint, string, bigint] {
  return [toSolidityProof(proof), input.account, recipientAddress(input.recipient), input.payout];
}

/** Settlement.exitOf's status codes. */
export const EXIT_STATUS = ["none", "claimed", "paid"] as const;
