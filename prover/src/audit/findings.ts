import { ZkClearError } from "../domain/errors.ts";

/** What the audit can find; each comes with the batch and a sentence. */
export type FindingCode =
  | "CONFIG_MISMATCH"
  | "VERIFIER_MISMATCH"
  | "GENESIS_MISMATCH"
  | "BATCH_GAP"
  | "ROOT_GAP"
  | "HEAD_MISMATCH"
  | "PROOF_UNREADABLE"
  | "PROOF_INVALID"
  | "BINDING_MISMATCH"
  | "PRICE_MISMATCH"
  | "DEPOSIT_QUEUE_MISMATCH"
  | "PAYOUTS_MISMATCH"
  | "FILE_MISSING"
  | "FILE_INVALID"
  | "FILE_TAMPERED"
  | "FILE_MISMATCH"
  | "REPLAY_REFUSED"
  | "ROOT_NOT_CHAINED"
  | "SOLVENCY"
  | "OPEN_INTEREST";

export interface Finding {
  readonly code: FindingCode;
  readonly batch?: number;
  readonly message: string;
}

/** The report's checklist: each check and the findings that fail it. */
export const CHECKS: readonly { name: string; codes: readonly FindingCode[]; replay?: true }[] = [
  { name: "configuration hash equals the published markets", codes: ["CONFIG_MISMATCH"] },
  { name: "on-chain verifiers equal the local verification keys", codes: ["VERIFIER_MISMATCH"] },
  {
    name: "roots chain from genesis without a gap",
    codes: ["GENESIS_MISMATCH", "BATCH_GAP", "ROOT_GAP", "HEAD_MISMATCH"],
  },
  { name: "every proof verifies locally", codes: ["PROOF_UNREADABLE", "PROOF_INVALID"] },
  {
    name: "price bindings match the oracle rounds and the configuration",
    codes: ["BINDING_MISMATCH", "PRICE_MISMATCH"],
  },
  { name: "deposit batches credit the Vault's queue", codes: ["DEPOSIT_QUEUE_MISMATCH"] },
  {
    name: "batch files match their on-chain commitments",
    codes: ["FILE_MISSING", "FILE_INVALID", "FILE_TAMPERED", "FILE_MISMATCH", "PAYOUTS_MISMATCH"],
    replay: true,
  },
  {
    name: "replay from genesis gives every root",
    codes: ["REPLAY_REFUSED", "ROOT_NOT_CHAINED"],
    replay: true,
  },
  { name: "solvency: accounts = Vault balance − pending", codes: ["SOLVENCY"], replay: true },
  { name: "open interest: long = short per market", codes: ["OPEN_INTEREST"], replay: true },
];

/** Why the audit itself could not run (not a finding about the history). */
export type AuditErrorCode =
  | "RPC_FAILED"
  | "NOT_SETTLEMENT"
  | "CHECKPOINT_INVALID"
  | "CONFIG_INVALID"
  | "CONFIG_MISSING"
  | "VKEY_MISSING"
  | "VKEY_INVALID"
  | "FILES_UNREADABLE"
  | "BATCH_CALL_UNREADABLE";

export class AuditError extends ZkClearError {
  declare readonly code: AuditErrorCode;
  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
