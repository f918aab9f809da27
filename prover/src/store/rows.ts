import type { BatchKind } from "../domain/batch.ts";
import { fromJson } from "../domain/json.ts";
import type { SignedOrder } from "../domain/order.ts";
import type { SignedTx } from "../domain/ports.ts";
import type { BatchStatus } from "./schema.ts";

/** What the store returns, and how its rows become it. */
export type OrderStatus = "open" | "filled" | "cancelled";

export interface StoredOrder {
  readonly id: string;
  readonly seq: number;
  readonly signed: SignedOrder;
  /** open: resting (or partly matched); filled: matched in full; cancelled. */
  readonly status: OrderStatus;
  /** Quantity not yet matched (a match is stored before it is acknowledged). */
  readonly remaining: bigint;
  readonly reason: string | null;
  readonly receivedAt: number;
}

export interface StoredBatch<Body = unknown> {
  readonly id: number;
  readonly kind: BatchKind;
  readonly status: BatchStatus;
  readonly body: Body;
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly proof: unknown;
  /** The batch's signed transaction, stored before it was sent (status submitted). */
  readonly tx: SignedTx | null;
  readonly txHash: string | null;
  readonly error: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A batch without its body: what lists and pages read. */
export type BatchSummary = Omit<StoredBatch, "body" | "proof" | "tx">;

export interface OrderRow {
  id: string;
  seq: number;
  signed: string;
  status: OrderStatus;
  remaining: string;
  reason: string | null;
  received_at: number;
}

export interface BatchRow {
  id: number;
  kind: BatchKind;
  status: BatchStatus;
  body: string;
  old_root: string;
  new_root: string;
  proof: string | null;
  tx: string | null;
  tx_hash: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export function orderOf(r: OrderRow): StoredOrder {
  return {
    id: r.id,
    seq: r.seq,
    signed: fromJson<SignedOrder>(r.signed),
    status: r.status,
    remaining: BigInt(r.remaining),
    reason: r.reason,
    receivedAt: r.received_at,
  };
}

export function summaryOf(r: Omit<BatchRow, "body" | "proof" | "tx">): BatchSummary {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    oldRoot: BigInt(r.old_root),
    newRoot: BigInt(r.new_root),
    txHash: r.tx_hash,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function batchOf<Body>(r: BatchRow): StoredBatch<Body> {
  return {
    ...summaryOf(r),
    body: fromJson<Body>(r.body),
    proof: r.proof === null ? null : fromJson<unknown>(r.proof),
    tx: r.tx === null ? null : fromJson<SignedTx>(r.tx),
  };
}
