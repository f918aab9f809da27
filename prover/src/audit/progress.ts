import type { BreakerRule, BreakerState, BreakerTrip } from "../domain/breakers.ts";
import type { MarginRule, MarginState, RoundMargins } from "../domain/volatility.ts";
import type { FundingLedger } from "./funding-checks.ts";
import type { TickRecord } from "./funding-ticks.ts";
import type { MarketFlow } from "../domain/funding-rate.ts";
import type { Deposit } from "../domain/transfers.ts";
import type { PublicKey } from "../domain/account.ts";
import type { BatchKind } from "../domain/batch.ts";
import type { Finding } from "./findings.ts";
import type { RoundStamp } from "./round-rule.ts";
import type { ForcedOutcome } from "../engine/forced.ts";
import type { Books } from "./invariants.ts";
import type { CompartmentChange } from "./compartment-checks.ts";

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
  /** Paid back to its depositor (Vault.reclaimDeposit): no longer in the Vault. */
  reclaimed?: boolean;
}

/**
 * An owner key rotation a proven deposit batch applied: the governance's queue entry
 * (Vault.queueOwnerKey) naming a new key for the fee account or the insurance fund.
 */
export interface OwnerRotation {
  readonly account: bigint;
  readonly key: PublicKey;
  /** The deposit batch that credited it, and its position in the Vault's queue. */
  readonly batch: number;
  readonly queueIndex: number;
}

/** A forced withdrawal request (ForcedRequested) and how it was answered. */
export interface ForcedRecord {
  readonly index: number;
  readonly account: bigint;
  readonly amount: bigint;
  readonly recipient: string;
  readonly requester: string;
  readonly signature: { readonly r8x: bigint; readonly r8y: bigint; readonly s: bigint };
  /** The forced queue's hash after it. */
  readonly queueHash: bigint;
  readonly block: number;
  /** Its block's time (seconds): the deadline runs from here. */
  readonly time: number;
  /** The forced batch that answered it (ForcedAnswered), with its outcome code's name. */
  answer?: {
    readonly batch: number;
    readonly block: number;
    readonly time: number;
    readonly outcome: ForcedOutcome | null;
  };
}

/** Settlement's freeze (Frozen), and what the auditor's books held for the tree then. */
export interface FreezeRecord {
  readonly block: number;
  readonly time: number;
  readonly by: string;
  readonly root: bigint;
  readonly batches: number;
  readonly roundId: bigint;
  /** Vault balance − pending withdrawals − queued deposits at the freeze (the exit pool). */
  readonly backing: bigint;
}

/** One account's exit after the freeze (ExitClaimed, then ExitPaid; or ExitPaid alone). */
export interface ExitRecord {
  readonly account: number;
  readonly recipient: string;
  readonly payout: bigint;
  /** The block of its claim in the window, if claimed there. */
  claimedBlock?: number;
  /** What the Vault was told to pay, once paid. */
  paid?: bigint;
  paidBlock?: number;
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
  /** Owner key rotations credited so far, in queue order (absent in older checkpoints). */
  ownerRotations?: OwnerRotation[];
  vaultBalance: bigint;
  /** Credited by proven withdrawals and not yet claimed, per recipient. */
  owed: Record<string, bigint>;
  /**
   * Credits beyond the Vault's per-window bound not paid yet, by id (CreditDelayed, until
   * DelayedCreditClaimed); absent in checkpoints before the rate limit: none.
   */
  delayed?: Record<string, { recipient: string; amount: bigint }>;
  surplus: bigint;
  /** The funding ledger over the replayed history (audit/funding-checks.ts). */
  funding?: FundingLedger;
  /**
   * The trades settled since the last funding tick, per market (missing markets: none);
   * null (or absent) while some trade batch of the window could not be read.
   */
  fundingFlows?: MarketFlow[] | null;
  /** The funding ticks seen (FundingTicked), with the rule's rates (audit/funding-ticks.ts). */
  fundingTicks?: TickRecord[];
  /** Rounds seen: prices, timestamp, and the block that posted them (from RoundFinalized). */
  rounds: Record<
    string,
    {
      prices: bigint[];
      timestamp: bigint;
      postedBlock?: number;
      /** The round's reduce-only markets (absent in a checkpoint written before breakers). */
      reduceOnly?: bigint;
      /** The round's margin multipliers by the volatility rule (absent: not walked). */
      margins?: RoundMargins;
    }
  >;
  /**
   * The circuit breaker rule's parameters (PriceOracle's immutables) and memory, walked over
   * every RoundFinalized event from round 1 (domain/breakers.ts); absent until read.
   */
  breaker?: BreakerRule & BreakerState;
  /** The breaker trips the rule found, in round order (absent: none yet). */
  breakerTrips?: BreakerTrip[];
  /**
   * The volatility margin rule's parameters (PriceOracle's immutables) and memory, walked
   * over every RoundFinalized event from round 1 (domain/volatility.ts); absent until read.
   */
  margins?: MarginRule & MarginState;
  /** Each change of a market's multipliers the rule gave, in round order (absent: none). */
  marginChanges?: MarginChange[];
  /**
   * Each replayed batch that changed the insurance fund's compartments or reserve, in batch
   * order (./compartment-checks.ts; absent: none yet).
   */
  compartmentChanges?: CompartmentChange[];
  /** The oracle's latest round as far as scanned (null: none yet). */
  latestRound: RoundStamp | null;
  /** The round of the last priced batch (0 before any, as in Settlement). */
  lastRoundUsed: bigint;
  batches: BatchPoint[];
  findings: Finding[];
  proofsVerified: number;
  filesChecked: number;
  replayed: number;
  /** Forced requests by queue position (absent in checkpoints before them: none). */
  forced?: ForcedRecord[];
  /** The freeze, once Settlement emitted it. */
  freeze?: FreezeRecord;
  /** Exits, in the order they were first seen. */
  exits?: ExitRecord[];
}

/** A market's multipliers changed at a round (what the oracle's MarginsScaled says). */
export interface MarginChange {
  readonly roundId: bigint;
  readonly market: number;
  readonly mult: bigint;
  readonly liqMult: bigint;
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
    ownerRotations: [],
    vaultBalance: 0n,
    owed: {},
    surplus: 0n,
    fundingFlows: withFiles ? [] : null,
    fundingTicks: [],
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

/** A batch's point for the report, with the books after it (when replayed). */
export function batchPoint(
  b: Pick<BatchPoint, "batch" | "kind" | "block" | "time" | "ops" | "findings">,
  roundId: bigint | null,
  ms: number,
  after: Books | undefined,
  vaultBalance: bigint,
): BatchPoint {
  return {
    ...b,
    roundId: roundId === null ? null : roundId.toString(),
    ms: Math.round(ms * 10) / 10,
    insuranceFund: after ? after.insuranceFund.toString() : null,
    owedToAccounts: after ? after.owedToAccounts.toString() : null,
    vaultBalance: vaultBalance.toString(),
    openInterest: after ? after.openInterest.map((x) => x.long.toString()) : null,
  };
}
