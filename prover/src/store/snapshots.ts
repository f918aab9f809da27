import type Database from "better-sqlite3";
import { fromJson, toJson } from "../domain/json.ts";

/**
 * Durable snapshots of the operator's state after a batch, so that a restart replays only
 * the batches after the latest one instead of the whole history. A snapshot is taken only
 * where no batch after it can be undone, and is checked against its batch's root on load.
 */
export class SnapshotTable {
  constructor(private readonly db: Database.Database) {}

  save(batch: number, root: bigint, state: unknown, now = Date.now()): void {
    this.db
      .prepare(
        "INSERT OR REPLACE INTO snapshots (batch, root, state, created_at) VALUES (?, ?, ?, ?)",
      )
      .run(batch, root.toString(), toJson(state), now);
    // two are enough: the latest, and the one before in case the latest is unusable
    this.db
      .prepare(
        "DELETE FROM snapshots WHERE batch NOT IN (SELECT batch FROM snapshots ORDER BY batch DESC LIMIT 2)",
      )
      .run();
  }

  /** The latest snapshot, if any. */
  latest<State>(): { batch: number; root: bigint; state: State } | undefined {
    const row = this.db
      .prepare("SELECT batch, root, state FROM snapshots ORDER BY batch DESC LIMIT 1")
      .get() as { batch: number; root: string; state: string } | undefined;
    return row && { batch: row.batch, root: BigInt(row.root), state: fromJson<State>(row.state) };
  }

  /** The id of the latest snapshot's batch, without reading it. */
  latestBatch(): number | undefined {
    return (
      (this.db.prepare("SELECT MAX(batch) AS b FROM snapshots").get() as { b: number | null }).b ??
      undefined
    );
  }

  /** Forgets one snapshot (it did not hold). */
  delete(batch: number): void {
    this.db.prepare("DELETE FROM snapshots WHERE batch = ?").run(batch);
  }

  /** Forgets every snapshot (one that does not load is never trusted). */
  clear(): void {
    this.db.prepare("DELETE FROM snapshots").run();
  }
}
