import type Database from "better-sqlite3";

/** A match the books made: stored with both orders' fills before any response reports it. */
export interface StoredMatch {
  readonly seq: number;
  readonly maker: string;
  readonly taker: string;
  readonly qty: bigint;
  readonly price: bigint;
  /** The oracle round the match was checked at (its trade batch is proven at it). */
  readonly round: bigint;
  /** The trade batch that holds it, once cut. */
  readonly batch: number | null;
}

interface Row {
  seq: number;
  maker: string;
  taker: string;
  qty: string;
  price: string;
  round: string;
  batch: number | null;
}

const of = (r: Row): StoredMatch => ({
  seq: r.seq,
  maker: r.maker,
  taker: r.taker,
  qty: BigInt(r.qty),
  price: BigInt(r.price),
  round: BigInt(r.round),
  batch: r.batch,
});

/** The matches table: what the books matched, and which trade batch took each. */
export class MatchTable {
  constructor(private readonly db: Database.Database) {}

  insert(m: Omit<StoredMatch, "seq" | "batch">): number {
    const r = this.db
      .prepare("INSERT INTO matches (maker, taker, qty, price, round) VALUES (?, ?, ?, ?, ?)")
      .run(m.maker, m.taker, m.qty.toString(), m.price.toString(), m.round.toString());
    return Number(r.lastInsertRowid);
  }

  /** Matches not yet in a trade batch, in the order they were made. */
  pending(): StoredMatch[] {
    return (
      this.db.prepare("SELECT * FROM matches WHERE batch IS NULL ORDER BY seq").all() as Row[]
    ).map(of);
  }

  markBatched(seqs: readonly number[], batch: number): void {
    const st = this.db.prepare("UPDATE matches SET batch = ? WHERE seq = ?");
    for (const s of seqs) st.run(batch, s);
  }

  /** The matches of a dropped trade batch are pending again, checked at round `round`. */
  unbatch(batch: number, round: bigint): void {
    this.db
      .prepare("UPDATE matches SET batch = NULL, round = ? WHERE batch = ?")
      .run(round.toString(), batch);
  }

  /**
   * Deletes a pending match that will never settle (its orders are cancelled with the
   * reason in the same transaction: the old owner key's fills past the rotation wait).
   */
  drop(seq: number): void {
    this.db.prepare("DELETE FROM matches WHERE seq = ? AND batch IS NULL").run(seq);
  }

  /** Every pending match is to be batched at round `round` (its fill stands). */
  reprice(round: bigint): void {
    this.db.prepare("UPDATE matches SET round = ? WHERE batch IS NULL").run(round.toString());
  }

  /** Every match of an order (its fills), oldest first. */
  ofOrder(id: string): StoredMatch[] {
    return (
      this.db
        .prepare("SELECT * FROM matches WHERE maker = ? OR taker = ? ORDER BY seq")
        .all(id, id) as Row[]
    ).map(of);
  }
}
