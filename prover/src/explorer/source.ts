import type { Position } from "../domain/account.ts";
import type { AnomalyRecord, AnomalyThresholds } from "../domain/anomalies.ts";
import type { BatchKind } from "../domain/batch.ts";
import type { ExitData } from "../domain/exit-data.ts";
import type { ForcedOutcome } from "../engine/forced.ts";

/**
 * What the explorer page (GET /explorer, GET /v1/explorer) shows, and where it comes from.
 * The page never reads a store, a chain or an operator itself: it asks an ExplorerSource.
 * The operator service implements one over its operator, store and chain view
 * (service/explorer-source.ts); a replica (`zkclear replica`) implements one over its own
 * database and replayed ExchangeState. The shared computations (open interest, the system
 * accounts, an account's margin, the query's signature check, exit data) are in
 * ./views.ts, so both sources give the same figures for the same state.
 *
 * Every amount is a bigint (the JSON writes it as a decimal string); times are unix seconds.
 */
export interface ExplorerSource {
  /** Everything the overview shows, as the source stands now. */
  snapshot(): Promise<ExplorerSnapshot>;
  /**
   * Account `index` for its key holder: refuses (ZkClearError) a query whose signature is
   * not the account's key's (AUTH_FAILED), one out of its time window (AUTH_EXPIRED), an
   * account with no leaf (ACCOUNT_NOT_FOUND). ./views.ts accountView does all of it.
   */
  account(index: bigint, query: SignedAccountQuery): Promise<ExplorerAccount>;
  /**
   * Account `index`'s exit data (domain/exit-data.ts, the file `zkclear exit-data` writes):
   * after a freeze at the frozen root and the freeze's marks; before one, at the source's
   * latest state and round (a receipt to keep). `query` as for account(); a source that
   * serves any account's exit data openly (a replica) may ignore it.
   */
  exitData(index: bigint, query?: SignedAccountQuery): Promise<ExitData>;
}

/**
 * The account query the key holder signs (domain/messages.ts accountQueryMessage over
 * account, timestamp and the deployment's domain): what `zkclear account --print-query`
 * prints and the page's account view takes.
 */
export interface SignedAccountQuery {
  readonly account: bigint;
  readonly timestamp: bigint;
  readonly r8x: bigint;
  readonly r8y: bigint;
  readonly s: bigint;
}

export interface ExplorerSnapshot {
  readonly deployment: ExplorerDeployment;
  /** When the snapshot was taken (the source's clock). */
  readonly at: number;
  /** The source's state root (the operator's may be ahead of the chain's). */
  readonly root: bigint;
  /** The chain's root, as the source last read it (null: not read). */
  readonly chainRoot: bigint | null;
  /** The latest batches, newest first (at most a page). */
  readonly batches: readonly ExplorerBatch[];
  /** How many batches the source holds in all. */
  readonly batchCount: number;
  /** The latest oracle rounds, newest first. */
  readonly rounds: readonly ExplorerRound[];
  /** One per market, in market order. */
  readonly markets: readonly ExplorerMarket[];
  /**
   * The insurance fund's (account 2) reserve, its collateral (its compartments are per
   * market), and the fee account's (account 1) collateral.
   */
  readonly insuranceFund: bigint;
  readonly feeAccount: bigint;
  /** The forced withdrawal requests, oldest first, and their deadline. */
  readonly forced: ExplorerForced;
  /** null while the exchange is live. */
  readonly freeze: ExplorerFreeze | null;
  /** The operator's anomaly watch (null: the source does not watch, as a replica). */
  readonly anomalies: ExplorerAnomalies | null;
}

/** What the operator's anomaly watch saw (domain/anomalies.ts): detection only, nothing paused. */
export interface ExplorerAnomalies {
  readonly thresholds: AnomalyThresholds;
  /** Active now, in the order they started. */
  readonly active: readonly AnomalyRecord[];
  /** Ended, the latest first. */
  readonly recent: readonly AnomalyRecord[];
}

export interface ExplorerDeployment {
  readonly chainId: bigint;
  readonly settlement: string;
  /** The parameter set's name (domain/params.ts). */
  readonly params: string;
  /** Who serves the page: the operator, or a replica (a committee member). */
  readonly source: "operator" | "replica";
  /** A replica's member address (its attestation key); null for the operator. */
  readonly member: string | null;
}

export interface ExplorerBatch {
  /** The source's batch number (the operator's store id; a replica's Settlement batch). */
  readonly id: number;
  readonly kind: BatchKind;
  /** built, proved, submitted, settled, dropped (the operator's); settled for a replica. */
  readonly status: string;
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  /** BatchSettled's dataCommitment (domain/batch-kinds.ts batchCommitment). */
  readonly commitment: bigint;
  /** The oracle round it was proven at (null: a deposits batch). */
  readonly round: bigint | null;
  /** A short form of the proof (its first coordinates) and where its full JSON is; null: not proven yet. */
  readonly proof: { readonly short: string; readonly url: string } | null;
  readonly txHash: string | null;
}

export interface ExplorerRound {
  readonly id: bigint;
  /** The round's timestamp (the oracle's); null if the source does not know it. */
  readonly time: number | null;
  readonly prices: readonly bigint[];
  /** The markets under their circuit breaker at this round (a mask; null: unknown). */
  readonly reduceOnly: bigint | null;
}

export interface ExplorerMarket {
  readonly index: number;
  /** The latest round's price (null: no round yet). */
  readonly mark: bigint | null;
  /** Sum of the long positions' sizes, and of the short ones' |size|, in lots. */
  readonly openInterestLong: bigint;
  readonly openInterestShort: bigint;
  /**
   * The insurance fund's compartment for this market at the mark (docs/isolation.md): what
   * pays this market's liquidation losses, and only those (null: no round yet).
   */
  readonly compartment: bigint | null;
}

export interface ExplorerForced {
  /** Seconds the operator has to answer a request (0: unknown). */
  readonly deadline: number;
  readonly requests: readonly ExplorerForcedRequest[];
}

export interface ExplorerForcedRequest {
  readonly index: number;
  readonly account: bigint;
  readonly amount: bigint;
  readonly requestedAt: number;
  readonly dueAt: number;
  readonly status: "pending" | "answered";
  readonly overdue: boolean;
  /** The proven outcome once answered (engine/forced.ts ForcedOutcome), e.g. "paid". */
  readonly outcome: ForcedOutcome | null;
  /** The batch that answers it. */
  readonly batch: number | null;
}

export interface ExplorerFreeze {
  readonly at: number;
  readonly roundId: bigint;
  readonly root: bigint;
  /** Batches Settlement accepted before the freeze. */
  readonly batches: number;
  /** Exits proven so far (ExitClaimed and ExitPaid events), and what they claimed. */
  readonly exits: number;
  readonly claimed: bigint;
}

/** An account as its key holder sees it on the page. */
export interface ExplorerAccount {
  readonly index: bigint;
  readonly collateral: bigint;
  readonly withdrawNonce: bigint;
  /** The one market an isolated sub-account trades; null for a cross-margin account. */
  readonly isolatedMarket: number | null;
  readonly positions: readonly (Pick<Position, "size" | "notional"> & {
    readonly market: number;
  })[];
  /** The marks the figures below are at (the latest round's, or the freeze's). */
  readonly roundId: bigint | null;
  readonly marks: readonly bigint[];
  /** domain/margin.ts equity at the marks. */
  readonly equity: bigint;
  /** The requirements, in quote units (scaledRequirement / 10^4, rounded up). */
  readonly maintenanceMargin: bigint;
  readonly initialMargin: bigint;
  /** Whether the account meets each (marginSurplus >= 0, exact). */
  readonly meetsMaintenance: boolean;
  readonly meetsInitial: boolean;
  /** The root the account's leaf is in (the source's state root). */
  readonly root: bigint;
}
