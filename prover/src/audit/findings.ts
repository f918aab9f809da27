import { ZkClearError } from "../domain/errors.ts";

/**
 * The report's checklist: each check and the findings that fail it. It is the one table of
 * what the audit can find: FindingCode is derived from it.
 */
const CHECK_TABLE = [
  { name: "configuration hash equals the published markets", codes: ["CONFIG_MISMATCH"] },
  { name: "on-chain verifiers equal the local verification keys", codes: ["VERIFIER_MISMATCH"] },
  {
    name: "the system accounts' owner keys are not the public development keys (outside chain 31337)",
    codes: ["OWNER_INSECURE"],
  },
  {
    name: "roots chain from genesis without a gap",
    codes: ["GENESIS_MISMATCH", "BATCH_GAP", "ROOT_GAP", "HEAD_MISMATCH"],
  },
  { name: "every proof verifies locally", codes: ["PROOF_UNREADABLE", "PROOF_INVALID"] },
  {
    name: "price bindings match the oracle rounds and the configuration",
    codes: ["BINDING_MISMATCH", "PRICE_MISMATCH"],
  },
  { name: "every priced batch used an admissible oracle round", codes: ["ROUND_INADMISSIBLE"] },
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
  {
    name: "funding: the Funding contract's indices; what longs pay, shorts receive (plus rounding); each tick's rate is the rule's",
    codes: ["FUNDING_INDEX_MISMATCH", "FUNDING_NOT_CONSERVED", "FUNDING_RATE_RULE"],
    replay: true,
  },
  {
    name: "deleveraging follows the published ranking: the listed entries are the ranking's first, in order, each taking the greedy maximum",
    codes: ["ADL_RANKING_INCOMPLETE"],
    replay: true,
  },
  {
    name: "insurance compartments: a batch changes market j's compartment only through market j, and a liquidation never the reserve",
    codes: ["COMPARTMENT_CROSSED", "RESERVE_CHARGED"],
    replay: true,
  },
  {
    name: "forced requests answered within the deadline, in queue order",
    codes: ["FORCED_QUEUE_MISMATCH", "FORCED_LATE", "FORCED_OVERDUE"],
  },
  {
    name: "forced answers (outcomes, payouts) are the replay's",
    codes: ["FORCED_ANSWER_MISMATCH"],
    replay: true,
  },
  {
    name: "the freeze holds the last batch's root; no batch after it",
    codes: ["FREEZE_MISMATCH", "BATCH_AFTER_FREEZE"],
  },
  {
    name: "exits pay the frozen state's equity, once, within the pool",
    codes: ["EXIT_UNFROZEN", "EXIT_TWICE", "EXIT_PAYOUT", "EXIT_OVERPAID", "EXIT_POOL"],
    replay: true,
  },
] as const satisfies readonly { name: string; codes: readonly string[]; replay?: true }[];

/** What the audit can find; each comes with the batch and a sentence. */
export type FindingCode = (typeof CHECK_TABLE)[number]["codes"][number];

/** The checklist (CHECK_TABLE), typed for the report. */
export const CHECKS: readonly {
  readonly name: string;
  readonly codes: readonly FindingCode[];
  readonly replay?: true;
}[] = CHECK_TABLE;

export interface Finding {
  readonly code: FindingCode;
  readonly batch?: number;
  readonly message: string;
}

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
