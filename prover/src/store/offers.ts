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
}

interface Row {
  account: string;
  nonce: string;
  signed: string;
  withdrawn: number;
  seq: number;
  acknowledged_at: number;
}

const of = (r: Row): StoredOffer => ({
  account: BigInt(r.account),
  nonce: BigInt(r.nonce),
  signed: fromJson<SignedOffer>(r.signed),
  withdrawn: r.withdrawn === 1,
  seq: r.seq,
  acknowledgedAt: r.acknowledged_at,
});

/** The liquidators' standing offers: one row per liquidator, the latest nonce wins. */
export class OfferTable {
  constructor(private readonly db: Database.Database) {}

  /**
   * Stores `signed` as its account's latest offer, in one transaction with the check that
   * its nonce is above the stored one (OFFER_NONCE_USED otherwise); returns the stored row.
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
          `INSERT INTO offers (account, nonce, signed, withdrawn, seq, acknowledged_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(account) DO UPDATE SET nonce = excluded.nonce, signed = excluded.signed,
             withdrawn = excluded.withdrawn, seq = excluded.seq,
             acknowledged_at = excluded.acknowledged_at`,
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

  /** The standing (not withdrawn) offers, earliest acknowledged first. */
  standing(): StoredOffer[] {
    return (
      this.db.prepare("SELECT * FROM offers WHERE withdrawn = 0 ORDER BY seq").all() as Row[]
    ).map(of);
  }
}
