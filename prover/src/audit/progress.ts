import type { Deposit } from "../domain/transfers.ts";
import type { BatchKind } from "../domain/batch.ts";
import type { Finding } from "./findings.ts";
import type { RoundStamp } from "./round-rule.ts";

/** One audited batch, for the report's charts and tables. */
export interface BatchPoint {
  readonly batch: number;
  readonly kind: BatchKind;
  readonly block: number;
  readonly time: number;
  readonly ops: number | null;
  readonly roundId: string | null;
  readonly ms: number;
  readonly findings: number;
  /** After the batch, when replayed. */
  readonly insuranceFund: string | null;
  readonly owedToAccounts: string | null;
  readonly vaultBalance: string;
  readonly openInterest: string[] | null;
}

export interface RoundPoint {
  readonly roundId: string;
  readonly time: number;
  readonly prices: string[];
}

export interface PendingDeposit {
  readonly index: number;
  readonly deposit: Deposit;
  readonly queueHash: bigint;
}

/** Everything the audit carries from batch to batch: what a checkpoint saves. */
export interface Progress {
  nextBatch: number;
  lastRoot: bigint;
  lastBatchBlock: number;
  scannedTo: number;
  /** The hash of block scannedTo: a resumed audit checks the chain still has it. */
  scannedHash: string | null;
  /** Notes that belong to the history (carried by checkpoints). */
  notes: string[];
  /** on: replaying; off: no batch files; stopped: the state is unknown after a finding. */
  replay: "on" | "off" | "stopped";
  replayNote: string | null;
  queueProcessed: number;
  queueHash: bigint;
  /** The forced queue's hash after the requests answered so far (absent: none yet). */
  forcedHash?: bigint;
  pending: PendingDeposit[];
  vaultBalance: bigint;
  /** Credited by proven withdrawals and not yet claimed, per recipient. */
  owed: Record<string, bigint>;
  surplus: bigint;
  /** Rounds seen: prices, timestamp, and the block that posted them (from RoundFinalized). */
  rounds: Record<string, { prices: bigint[]; timestamp: bigint; postedBlock?: number }>;
  /** The oracle's latest round as far as scanned (null: none yet). */
  latestRound: RoundStamp | null;
  /** The round of the last priced batch (0 before any, as in Settlement). */
  lastRoundUsed: bigint;
  batches: BatchPoint[];
  findings: Finding[];
  proofsVerified: number;
  filesChecked: number;
  replayed: number;
}

/** The progress of an audit from genesis, scanning from `fromBlock`. */
export function newProgress(genesisRoot: bigint, fromBlock: number, withFiles: boolean): Progress {
  return {
    nextBatch: 0,
    lastRoot: genesisRoot,
    lastBatchBlock: 0,
    scannedTo: fromBlock - 1,
    scannedHash: null,
    notes: [],
    replay: withFiles ? "on" : "off",
    replayNote: withFiles ? null : "no batch files given: chain and proofs checked, no replay",
    queueProcessed: 0,
    queueHash: 0n,
    pending: [],
    vaultBalance: 0n,
    owed: {},
    surplus: 0n,
    rounds: {},
    latestRound: null,
    lastRoundUsed: 0n,
    batches: [],
    findings: [],
    proofsVerified: 0,
    filesChecked: 0,
    replayed: 0,
  };
}
