import type Database from "better-sqlite3";
import { fromJson, toJson } from "../domain/json.ts";
import type { WithdrawalStatus } from "./schema.ts";
import { StoreError } from "./store-error.ts";

export interface StoredWithdrawal<Body = unknown> {
  readonly id: string;
  readonly account: bigint;
  readonly nonce: bigint;
  readonly body: Body;
  /** pending: not in a batch yet; batched; refused: never paid (see reason), nonce unused. */
  readonly status: WithdrawalStatus;
  readonly reason: string | null;
  readonly receivedAt: number;
}

interface Row {
  id: string;
  account: string;
  nonce: string;
  body: string;
  status: WithdrawalStatus;
  reason: string | null;
  received_at: number;
}

const of = <Body>(r: Row): StoredWithdrawal<Body> => ({
  id: r.id,
  account: BigInt(r.account),
  nonce: BigInt(r.nonce),
  body: fromJson<Body>(r.body),
  status: r.status,
  reason: r.reason,
  receivedAt: r.received_at,
});

/** Withdrawal requests: stored before they are acknowledged, batched or refused one by one. */
export class WithdrawalTable {
  constructor(private readonly db: Database.Database) {}

  /** Stores an accepted request; one live (not refused) request per account and nonce. */
  insert(id: string, account: bigint, nonce: bigint, body: unknown, receivedAt = Date.now()): void {
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

  get<Body>(id: string): StoredWithdrawal<Body> | undefined {
    const row = this.db.prepare("SELECT * FROM withdrawals WHERE id = ?").get(id) as
      | Row
      | undefined;
    return row && of<Body>(row);
  }

  /** Requests not yet in a batch, in arrival order (at most `limit`). */
  pending<Body>(limit = -1): StoredWithdrawal<Body>[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM withdrawals WHERE status = 'pending' ORDER BY received_at, id LIMIT ?",
        )
        .all(limit) as Row[]
    ).map((r) => of<Body>(r));
  }

  /** How many requests wait for a batch, per account. */
  pendingOf(account: bigint): StoredWithdrawal[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM withdrawals WHERE status = 'pending' AND account = ? ORDER BY nonce",
        )
        .all(account.toString()) as Row[]
    ).map((r) => of(r));
  }

  /** Requests received at `since` (ms) or later and not refused, in arrival order. */
  liveSince<Body>(since: number): StoredWithdrawal<Body>[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM withdrawals WHERE received_at >= ? AND status != 'refused' ORDER BY received_at, id",
        )
        .all(since) as Row[]
    ).map((r) => of<Body>(r));
  }

  countPending(): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM withdrawals WHERE status = 'pending'").get() as {
        n: number;
      }
    ).n;
  }

  markBatched(ids: readonly string[]): void {
    const st = this.db.prepare("UPDATE withdrawals SET status = 'batched' WHERE id = ?");
    for (const id of ids) st.run(id);
  }

  /** Requests of a dropped batch are pending again. */
  unbatch(ids: readonly string[]): void {
    const st = this.db.prepare(
      "UPDATE withdrawals SET status = 'pending' WHERE id = ? AND status = 'batched'",
    );
    for (const id of ids) st.run(id);
  }

  /** Refuses a request for good (its nonce stays unused), saying why. */
  refuse(id: string, reason: string): void {
    this.db
      .prepare("UPDATE withdrawals SET status = 'refused', reason = ? WHERE id = ?")
      .run(reason, id);
  }
}
