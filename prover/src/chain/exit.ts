import type { Groth16Proof } from "snarkjs";
import type { ExitAccountInput } from "../domain/inputs.ts";
import { recipientAddress } from "../domain/forced.ts";
import { toSolidityProof, type SolidityProof } from "./calldata.ts";

/**
 * The arguments of Settlement.exit (contracts/EscapeHatch.sol) for a proven ExitAccount
 * input: the proof, the account, the recipient, the payout it proves and the signer (0: the
 * leaf's key; else Poseidon of the pending owner key, Vault.exitSigner).
 */
export function exitCallArgs(
  input: ExitAccountInput,
  proof: Groth16Proof,
): [SolidityProof, bigint, string, bigint, bigint] {
  return [
    toSolidityProof(proof),
    input.account,
    recipientAddress(input.recipient),
    input.payout,
    input.signer,
  ];
}

/** Settlement.exitOf's status codes. */
export const EXIT_STATUS = ["none", "claimed", "paid"] as const;
