import type { BatchData, BatchKind } from "../domain/batch.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { SignalValue } from "../domain/inputs.ts";
import type { ParamSet } from "../domain/params.ts";
import type { Round } from "../domain/ports.ts";
import type { ExchangeState } from "../engine/state.ts";
import type { Store } from "../store/store.ts";
import type { Timings } from "./metrics.ts";

/** An owner key rotation not yet credited, as the operator knows it. */
export interface Rotating {
  /** Its deposit queue position; null when stranded (recorded behind a closed queue). */
  readonly at: number | null;
  /** When the Vault recorded it (chain seconds), when read from Vault.ownerRotation. */
  readonly time?: number;
}

export class OperatorError extends ZkClearError {}

/**
 * A stored batch: its data (what is published for auditors) and the circuit input computed
 * when it was cut, so that proving after a restart needs no engine.
 */
export type BatchBody = BatchData & { circuitInput: Record<string, SignalValue> };

export interface OrderAck {
  readonly id: string;
  readonly status: "open" | "filled" | "cancelled";
  readonly remaining: bigint;
  readonly reason?: string;
}

export interface OperatorMetrics {
  ordersAccepted: number;
  ordersRefused: number;
  tradesMatched: number;
  batchesSettled: Record<BatchKind, number>;
  batchesRefused: number;
  proveMs: number;
  /** Proofs a pool returned that the operator refused (PROOF_REJECTED). */
  proofsRejected: number;
  /** Failed proving attempts of each batch not yet proved (pool only), by batch id. */
  proofAttempts: Map<number, number>;
  /** Positions of settled liquidation batches, by who took them over. */
  liquidatedPositions: { liquidator: number; fund: number };
}

/** What the operator's parts (sequencer, batcher, pipeline) share. */
export interface OperatorContext {
  readonly p: ParamSet;
  readonly state: ExchangeState;
  readonly store: Store;
  readonly log: (s: string) => void;
  readonly metrics: OperatorMetrics;
  /** Accounts in liquidation batches not yet settled: their orders are refused. */
  readonly liquidating: Set<bigint>;
  /**
   * Liquidators taking positions in a liquidation batch not yet settled (it may be undone):
   * their new orders are refused and their resting orders do not match meanwhile.
   */
  readonly taking: Set<bigint>;
  /** The oracle round the operator trades at, once there is one. */
  round(): Round | undefined;
  /** Why the operator is halted (a refused batch, a store failure), if it is. */
  halted(): string | undefined;
  /** Halts the operator for a failure it cannot recover from without a restart. */
  fail(why: string): void;
  /** Why the operator takes no more work because Settlement is frozen, once it is. */
  frozen(): string | undefined;
  /** A forced batch (cut or replayed) answers requests [from, from + count). */
  forcedAnswered?(batch: number, from: number, count: number, outcomes: bigint): void;
  /**
   * A rotation of `account`'s owner key seen on-chain and not yet credited (queued, or
   * stranded behind a closed queue), if any: its orders and withdrawals are refused meanwhile
   * (they would be signed by the old key).
   */
  rotating?(account: bigint): Rotating | undefined;
  /** Where proving and submission times are reported (Prometheus histograms). */
  readonly timings: Timings;
}
