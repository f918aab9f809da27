import type Database from "better-sqlite3";
import { fromJson, toJson } from "../domain/json.ts";
import type { SignedOffer } from "../domain/offer.ts";
import { StoreError } from "./store-error.ts";

/**
 * A liquidator's latest offer as the operator acknowledged it. `seq` orders the
 * acknowledgements (the "earliest offer" of the watcher's rule): a replacement gets a new,
 * higher seq, as if it were a new offer. A withdrawn offer (all terms maxSize 0) stays as
 * the liquidator's latest, so that its nonce still rules out older offers.
 */
export interface StoredOffer {
  readonly account: bigint;
  readonly nonce: bigint;
  readonly signed: SignedOffer;
  readonly withdrawn: boolean;
  readonly seq: number;
  /** Wall-clock ms when the operator acknowledged it. */
  readonly acknowledgedAt: number;
  /**
   * Why the offer is suspended (its account no longer backs it, service/offer-backing.ts),
   * while it is; absent for an active offer. A suspended offer stays the liquidator's
   * latest but is not a candidate until a later check finds it backed again.
   */
  readonly suspended?: string;
}

interface Row {
  account: string;
  nonce: string;
  signed: string;
  withdrawn: number;
  seq: number;
  acknowledged_at: number;
  suspended: string | null;
}

const of = (r: Row): StoredOffer => ({
  account: BigInt(r.account),
  nonce: BigInt(r.nonce),
  signed: fromJson<SignedOffer>(r.signed),
  withdrawn: r.withdrawn === 1,
  seq: r.seq,
  acknowledgedAt: r.acknowledged_at,
  ...(r.suspended === null ? {} : { suspended: r.suspended }),
});

/** The liquidators' standing offers: one row per liquidator, the latest nonce wins. */
export class OfferTable {
  constructor(private readonly db: Database.Database) {}

  /**
   * Stores `signed` as its account's latest offer, in one transaction with the check that
   * its nonce is above the stored one (OFFER_NONCE_USED otherwise); returns the stored row.
   * A new offer is active: it was checked as backed before it was stored.
   */
  put(signed: SignedOffer, withdrawn: boolean, now = Date.now()): StoredOffer {
    const { account, nonce } = signed.offer;
    return this.db.transaction(() => {
      const old = this.get(account);
      if (old && nonce <= old.nonce)
        throw new StoreError(
          "OFFER_NONCE_USED",
          `offer nonce ${nonce} is not above account ${account}'s latest (${old.nonce}); sign it again with nonce ${old.nonce + 1n} or higher`,
        );
      const seq = (
        this.db.prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM offers").get() as {
          next: number;
        }
      ).next;
      this.db
        .prepare(
          `INSERT INTO offers (account, nonce, signed, withdrawn, seq, acknowledged_at, suspended)
           VALUES (?, ?, ?, ?, ?, ?, NULL)
           ON CONFLICT(account) DO UPDATE SET nonce = excluded.nonce, signed = excluded.signed,
             withdrawn = excluded.withdrawn, seq = excluded.seq,
             acknowledged_at = excluded.acknowledged_at, suspended = NULL`,
        )
        .run(account.toString(), nonce.toString(), toJson(signed), withdrawn ? 1 : 0, seq, now);
      return { account, nonce, signed, withdrawn, seq, acknowledgedAt: now };
    })();
  }

  /** An account's latest offer (standing or withdrawn), if it ever sent one. */
  get(account: bigint): StoredOffer | undefined {
    const row = this.db
      .prepare("SELECT * FROM offers WHERE account = ?")
      .get(account.toString()) as Row | undefined;
    return row && of(row);
  }

  /**
   * Marks `account`'s standing offer suspended, saying why (`why`), or active again
   * (undefined). Its seq stays: an offer active again keeps its place in the ranking.
   */
  setSuspended(account: bigint, why: string | undefined): void {
    this.db
      .prepare("UPDATE offers SET suspended = ? WHERE account = ? AND withdrawn = 0")
      .run(why ?? null, account.toString());
  }

  /** The standing (not withdrawn) offers, active and suspended, earliest acknowledged first. */
  standing(): StoredOffer[] {
    return (
      this.db.prepare("SELECT * FROM offers WHERE withdrawn = 0 ORDER BY seq").all() as Row[]
    ).map(of);
  }
}
