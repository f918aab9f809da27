import Database from "better-sqlite3";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import type { SignedOrder } from "../domain/order.ts";
import { fromJson, toJson } from "../domain/json.ts";

export class StoreError extends ZkClearError<CodeOf<"store" | "operator">> {}

export type OrderStatus = "open" | "filled" | "cancelled";

export interface StoredOrder {
  readonly id: string;
  readonly seq: number;
  readonly signed: SignedOrder;
  readonly status: OrderStatus;
  /** Quantity not yet matched. */
  readonly remaining: bigint;
  readonly reason: string | null;
  readonly receivedAt: number;
}

export type BatchKind = "trades" | "deposits" | "withdrawals" | "liquidations";
/** built: in the engine and stored; proved; submitted: sent on-chain; settled; refused by the chain. */
export type BatchStatus = "built" | "proved" | "submitted" | "settled" | "refused";

export interface StoredBatch<Body = unknown> {
  readonly id: number;
  readonly kind: BatchKind;
  readonly status: BatchStatus;
  readonly body: Body;
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly proof: unknown;
  readonly txHash: string | null;
  readonly error: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  account TEXT NOT NULL,
  market INTEGER NOT NULL,
  nonce TEXT NOT NULL,
  signed TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'filled', 'cancelled')),
  remaining TEXT NOT NULL,
  reason TEXT,
  received_at INTEGER NOT NULL,
  UNIQUE (account, market, nonce)
);
CREATE INDEX IF NOT EXISTS orders_open ON orders (status, seq);
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('trades', 'deposits', 'withdrawals', 'liquidations')),
  status TEXT NOT NULL CHECK (status IN ('built', 'proved', 'submitted', 'settled', 'refused')),
  body TEXT NOT NULL,
  old_root TEXT NOT NULL,
  new_root TEXT NOT NULL,
  proof TEXT,
  tx_hash TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS withdrawals (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  nonce TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'batched')),
  received_at INTEGER NOT NULL,
  UNIQUE (account, nonce)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface OrderRow {
  id: string;
  seq: number;
  signed: string;
  status: OrderStatus;
  remaining: string;
  reason: string | null;
  received_at: number;
}

interface BatchRow {
  id: number;
  kind: BatchKind;
  status: BatchStatus;
  body: string;
  old_root: string;
  new_root: string;
  proof: string | null;
  tx_hash: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * The operator's durable state in SQLite (WAL, synchronous = FULL): every accepted order
 * and every batch is on disk when the call that stores it returns, so acknowledging
 * after it can never lose an order or a batch.
 */
export class Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Journal mode in force ("wal"). */
  journalMode(): string {
    return String(this.db.pragma("journal_mode", { simple: true }));
  }

  /** Runs `fn` in one transaction: all of its writes land, or none. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Stores a newly accepted order; refuses a second order with the same account, market and nonce. */
  insertOrder(id: string, signed: SignedOrder, receivedAt = Date.now()): StoredOrder {
    const o = signed.order;
    const seq = (
      this.db.prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM orders").get() as {
        next: number;
      }
    ).next;
    try {
      this.db
        .prepare(
          `INSERT INTO orders (id, seq, account, market, nonce, signed, status, remaining, received_at)
           VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
        )
        .run(
          id,
          seq,
          o.account.toString(),
          o.market,
          o.nonce.toString(),
          toJson(signed),
          o.amount.toString(),
          receivedAt,
        );
    } catch (e) {
      if (
        String(e).includes("UNIQUE constraint failed: orders.account, orders.market, orders.nonce")
      ) {
        throw new StoreError(
          "ORDER_DUPLICATE_NONCE",
          `account ${o.account} already sent an order with nonce ${o.nonce} on market ${o.market}`,
        );
      }
      throw e;
    }
    return { id, seq, signed, status: "open", remaining: o.amount, reason: null, receivedAt };
  }

  updateOrder(
    id: string,
    status: OrderStatus,
    remaining: bigint,
    reason: string | null = null,
  ): void {
    const r = this.db
      .prepare("UPDATE orders SET status = ?, remaining = ?, reason = ? WHERE id = ?")
      .run(status, remaining.toString(), reason, id);
    if (r.changes !== 1) throw new StoreError("ORDER_NOT_FOUND", `no order ${id}`);
  }

  getOrder(id: string): StoredOrder | undefined {
    const row = this.db.prepare("SELECT * FROM orders WHERE id = ?").get(id) as
      | OrderRow
      | undefined;
    return row && orderOf(row);
  }

  /** Open orders in arrival order (to rebuild the books after a restart). */
  openOrders(): StoredOrder[] {
    return (
      this.db.prepare("SELECT * FROM orders WHERE status = 'open' ORDER BY seq").all() as OrderRow[]
    ).map(orderOf);
  }

  /** The highest nonce an account has used on a market, if any. */
  lastNonce(account: bigint, market: number): bigint | undefined {
    const rows = this.db
      .prepare("SELECT nonce FROM orders WHERE account = ? AND market = ?")
      .all(account.toString(), market) as { nonce: string }[];
    return rows.reduce<bigint | undefined>(
      (m, r) => (m === undefined || BigInt(r.nonce) > m ? BigInt(r.nonce) : m),
      undefined,
    );
  }

  insertBatch<Body>(
    kind: BatchKind,
    body: Body,
    oldRoot: bigint,
    newRoot: bigint,
    now = Date.now(),
  ): number {
    const r = this.db
      .prepare(
        `INSERT INTO batches (kind, status, body, old_root, new_root, created_at, updated_at)
         VALUES (?, 'built', ?, ?, ?, ?, ?)`,
      )
      .run(kind, toJson(body), oldRoot.toString(), newRoot.toString(), now, now);
    return Number(r.lastInsertRowid);
  }

  setBatchStatus(
    id: number,
    status: BatchStatus,
    fields: { proof?: unknown; txHash?: string; error?: string } = {},
    now = Date.now(),
  ): void {
    const r = this.db
      .prepare(
        `UPDATE batches SET status = ?, proof = COALESCE(?, proof), tx_hash = COALESCE(?, tx_hash),
         error = COALESCE(?, error), updated_at = ? WHERE id = ?`,
      )
      .run(
        status,
        fields.proof === undefined ? null : toJson(fields.proof),
        fields.txHash ?? null,
        fields.error ?? null,
        now,
        id,
      );
    if (r.changes !== 1) throw new StoreError("BATCH_NOT_FOUND", `no batch ${id}`);
  }

  getBatch<Body>(id: number): StoredBatch<Body> | undefined {
    const row = this.db.prepare("SELECT * FROM batches WHERE id = ?").get(id) as
      | BatchRow
      | undefined;
    return row && batchOf<Body>(row);
  }

  /** Batches in order, optionally only those with one of `statuses`. */
  batches<Body>(statuses?: readonly BatchStatus[]): StoredBatch<Body>[] {
    const rows = this.db.prepare("SELECT * FROM batches ORDER BY id").all() as BatchRow[];
    return rows
      .filter((r) => !statuses || statuses.includes(r.status))
      .map((r) => batchOf<Body>(r));
  }

  /** How many batches have `status` (without reading their bodies). */
  countBatches(status: BatchStatus): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM batches WHERE status = ?").get(status) as {
        n: number;
      }
    ).n;
  }

  /** The n-th batch (from 0, in id order) among those with `status`. */
  nthBatch<Body>(status: BatchStatus, n: number): StoredBatch<Body> | undefined {
    const row = this.db
      .prepare("SELECT * FROM batches WHERE status = ? ORDER BY id LIMIT 1 OFFSET ?")
      .get(status, n) as BatchRow | undefined;
    return row && batchOf<Body>(row);
  }

  /** Kind and transaction of the batches with `status`, in id order, without bodies. */
  batchSummaries(status: BatchStatus): { id: number; kind: BatchKind; txHash: string | null }[] {
    return (
      this.db
        .prepare("SELECT id, kind, tx_hash FROM batches WHERE status = ? ORDER BY id")
        .all(status) as { id: number; kind: BatchKind; tx_hash: string | null }[]
    ).map((r) => ({ id: r.id, kind: r.kind, txHash: r.tx_hash }));
  }

  /** Stores an accepted withdrawal request; one per account and withdrawal nonce. */
  insertWithdrawal(
    id: string,
    account: bigint,
    nonce: bigint,
    body: unknown,
    receivedAt = Date.now(),
  ): void {
    try {
      this.db
        .prepare(
          "INSERT INTO withdrawals (id, account, nonce, body, status, received_at) VALUES (?, ?, ?, ?, 'pending', ?)",
        )
        .run(id, account.toString(), nonce.toString(), toJson(body), receivedAt);
    } catch (e) {
      if (String(e).includes("UNIQUE constraint failed")) {
        throw new StoreError(
          "WITHDRAWAL_DUPLICATE",
          `account ${account} already asked for withdrawal nonce ${nonce}`,
        );
      }
      throw e;
    }
  }

  /** Withdrawal requests not yet in a batch, in arrival order. */
  pendingWithdrawals<Body>(): { id: string; body: Body }[] {
    return (
      this.db
        .prepare(
          "SELECT id, body FROM withdrawals WHERE status = 'pending' ORDER BY received_at, id",
        )
        .all() as {
        id: string;
        body: string;
      }[]
    ).map((r) => ({ id: r.id, body: fromJson<Body>(r.body) }));
  }

  markWithdrawalsBatched(ids: readonly string[]): void {
    const st = this.db.prepare("UPDATE withdrawals SET status = 'batched' WHERE id = ?");
    for (const id of ids) st.run(id);
  }

  getMeta(key: string): string | undefined {
    return (
      this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as
        | { value: string }
        | undefined
    )?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }
}

function orderOf(r: OrderRow): StoredOrder {
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

function batchOf<Body>(r: BatchRow): StoredBatch<Body> {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    body: fromJson<Body>(r.body),
    oldRoot: BigInt(r.old_root),
    newRoot: BigInt(r.new_root),
    proof: r.proof === null ? null : fromJson<unknown>(r.proof),
    txHash: r.tx_hash,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
