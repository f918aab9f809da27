import fs from "node:fs";
import Database from "better-sqlite3";
import type { BatchKind } from "../domain/batch.ts";
import type { SignedOrder } from "../domain/order.ts";
import type { SignedTx } from "../domain/ports.ts";
import { toJson } from "../domain/json.ts";
import { MatchTable } from "./matches.ts";
import { OfferTable } from "./offers.ts";
import {
  batchOf,
  orderOf,
  summaryOf,
  type BatchRow,
  type BatchSummary,
  type OrderRow,
  type OrderStatus,
  type StoredBatch,
  type StoredOrder,
} from "./rows.ts";
import { migrate, type BatchStatus } from "./schema.ts";
import { SnapshotTable } from "./snapshots.ts";
import { StoreError } from "./store-error.ts";
import { WithdrawalTable } from "./withdrawals.ts";

export { StoreError } from "./store-error.ts";
export type { BatchStatus } from "./schema.ts";
export type { BatchSummary, OrderStatus, StoredBatch, StoredOrder } from "./rows.ts";
export type { StoredMatch } from "./matches.ts";
export type { StoredOffer } from "./offers.ts";
export type { StoredWithdrawal } from "./withdrawals.ts";

const SUMMARY = "id, kind, status, old_root, new_root, tx_hash, error, created_at, updated_at";

/**
 * The operator's durable state in SQLite (WAL, synchronous = FULL): every accepted order,
 * every match, every withdrawal request, every liquidator's offer and every batch is on disk when the call that
 * stores it returns, so acknowledging after it can never lose one. Every read the API
 * makes is O(page): statuses and ids are indexed, and lists read summaries, not bodies.
 */
export class Store {
  private readonly db: Database.Database;
  readonly withdrawals: WithdrawalTable;
  readonly matches: MatchTable;
  readonly snapshots: SnapshotTable;
  readonly offers: OfferTable;
  /** The write-ahead log, opened for {@link commitGroup}'s fsync. */
  private walFd: number | undefined;

  constructor(private readonly path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    // each SQL text is compiled once and its statement reused: intake runs several an order
    const compile = this.db.prepare.bind(this.db);
    const compiled = new Map<string, Database.Statement>();
    this.db.prepare = ((sql: string) => {
      let st = compiled.get(sql);
      if (!st) compiled.set(sql, (st = compile(sql)));
      return st;
    }) as Database.Database["prepare"];
    migrate(this.db);
    this.withdrawals = new WithdrawalTable(this.db);
    this.matches = new MatchTable(this.db);
    this.snapshots = new SnapshotTable(this.db);
    this.offers = new OfferTable(this.db);
  }

  close(): void {
    if (this.walFd !== undefined) fs.closeSync(this.walFd);
    this.walFd = undefined;
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

  /**
   * Group commit: runs `fn` in one transaction like {@link transaction}, but its commit does
   * not wait for the disk on this thread; `durable` resolves once an fsync of the
   * write-ahead log, started after the commit and run on libuv's threads, has put it on
   * disk (every WAL frame written before an fsync is on disk after it). The caller reports
   * nothing of `fn`'s writes before `durable`. Meanwhile the data is consistent and in the
   * OS's cache: a killed process loses none of it, a power cut at most this group (SQLite
   * in WAL mode recovers to a commit boundary). Other writes keep synchronous = FULL.
   */
  commitGroup<T>(fn: () => T): { value: T; durable: Promise<void> } {
    this.db.pragma("synchronous = NORMAL");
    let value: T;
    try {
      value = this.db.transaction(fn)();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
    // the transaction is committed from here on: a failure to open or sync the log is the
    // group's durability failing (`durable` rejects), never a refusal of its writes
    const durable = new Promise<void>((resolve, reject) => {
      const notDurable = (e: unknown) =>
        reject(
          new StoreError(
            "STORE_NOT_DURABLE",
            `the write-ahead log ${this.path}-wal could not be synced: ${e instanceof Error ? e.message : String(e)}`,
          ),
        );
      try {
        this.walFd ??= fs.openSync(`${this.path}-wal`, "r");
      } catch (e) {
        return notDurable(e);
      }
      fs.fsync(this.walFd, (e) => (e ? notDurable(e) : resolve()));
    });
    return { value, durable };
  }

  // ---------------------------------------------------------------- orders

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
    // decimal text without leading zeros: longer is larger, then text order is value order
    const row = this.db
      .prepare(
        "SELECT nonce FROM orders WHERE account = ? AND market = ? ORDER BY length(nonce) DESC, nonce DESC LIMIT 1",
      )
      .get(account.toString(), market) as { nonce: string } | undefined;
    return row && BigInt(row.nonce);
  }

  // ---------------------------------------------------------------- batches

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
    fields: { proof?: unknown; txHash?: string; error?: string; tx?: SignedTx | null } = {},
    now = Date.now(),
  ): void {
    const r = this.db
      .prepare(
        `UPDATE batches SET status = ?, proof = COALESCE(?, proof), tx_hash = COALESCE(?, tx_hash),
         error = COALESCE(?, error), tx = CASE WHEN ? THEN ? ELSE tx END, updated_at = ? WHERE id = ?`,
      )
      .run(
        status,
        fields.proof === undefined ? null : toJson(fields.proof),
        fields.txHash ?? null,
        fields.error ?? null,
        fields.tx === undefined ? 0 : 1,
        fields.tx ? toJson(fields.tx) : null,
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

  /** Batches in order (with bodies), optionally only those with one of `statuses`, after `after`. */
  batches<Body>(statuses?: readonly BatchStatus[], after = 0): StoredBatch<Body>[] {
    const where = statuses ? `AND status IN (${statuses.map(() => "?").join(", ")})` : "";
    return (
      this.db
        .prepare(`SELECT * FROM batches WHERE id > ? ${where} ORDER BY id`)
        .all(after, ...(statuses ?? [])) as BatchRow[]
    ).map((r) => batchOf<Body>(r));
  }

  /** A page of batch summaries (no bodies), in id order after `after`, at most `limit`. */
  batchPage(after: number, limit: number): BatchSummary[] {
    return (
      this.db
        .prepare(`SELECT ${SUMMARY} FROM batches WHERE id > ? ORDER BY id LIMIT ?`)
        .all(after, limit) as BatchRow[]
    ).map(summaryOf);
  }

  /** The latest `limit` batches (any status), newest first, with their bodies and proofs. */
  latestBatches<Body>(limit: number): StoredBatch<Body>[] {
    return (
      this.db.prepare("SELECT * FROM batches ORDER BY id DESC LIMIT ?").all(limit) as BatchRow[]
    ).map((r) => batchOf<Body>(r));
  }

  /** How many batches the store holds, of every status. */
  batchTotal(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM batches").get() as { n: number }).n;
  }

  /** The id of the last batch whose new root is `root`, at or after `from`, if any. */
  batchReaching(root: bigint, from: number): number | undefined {
    return (
      (
        this.db
          .prepare("SELECT MAX(id) AS id FROM batches WHERE id >= ? AND new_root = ?")
          .get(from, root.toString()) as { id: number | null }
      ).id ?? undefined
    );
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

  // ---------------------------------------------------------------- meta

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
