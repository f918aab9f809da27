import type { SignedOffer } from "../domain/offer.ts";

/** A standing offer as the watcher sees it. */
export interface StandingOffer {
  readonly signed: SignedOffer;
  /** Acknowledgement order: lower is earlier (unique per offer). */
  readonly seq: number;
}

/**
 * The active offers as the watcher's rule walks them: per market, the offers with a term
 * in it, in the order of that term's rank.
 */
export interface RankedOffers {
  /**
   * The offers whose term `market` has maxSize > 0, by that term's discountBps, then by
   * seq (earliest first). Iterated lazily: a walk that stops early costs what it read.
   */
  inMarket(market: number): Iterable<StandingOffer>;
}

interface Entry {
  readonly discount: bigint;
  readonly seq: number;
  readonly offer: StandingOffer;
}

const before = (a: { discount: bigint; seq: number }, b: { discount: bigint; seq: number }) =>
  a.discount !== b.discount ? a.discount < b.discount : a.seq < b.seq;

/**
 * The offer book's index of active offers, one sorted list per market keyed by
 * (discountBps of that market's term, seq), kept up to date one offer at a time (add,
 * remove) by the operator's offer book (./offer-book.ts). One offer per account: adding an
 * account's offer replaces the one indexed for it. Finding an entry is a binary search;
 * inserting or removing one moves the list's tail (a memmove, microseconds at 10^5 offers).
 */
export class OfferIndex implements RankedOffers {
  private readonly lists: Entry[][];
  private readonly byAccount = new Map<bigint, StandingOffer>();

  constructor(markets: number) {
    this.lists = Array.from({ length: markets }, () => []);
  }

  /** An index of `offers` (a later offer of the same account replaces an earlier one). */
  static of(offers: Iterable<StandingOffer>, markets: number): OfferIndex {
    const ix = new OfferIndex(markets);
    for (const o of offers) ix.add(o);
    return ix;
  }

  /** How many offers are indexed. */
  get size(): number {
    return this.byAccount.size;
  }

  has(account: bigint): boolean {
    return this.byAccount.has(account);
  }

  /** Indexes `o` in every market its terms offer, in place of its account's indexed offer. */
  add(o: StandingOffer): void {
    this.remove(o.signed.offer.account);
    this.byAccount.set(o.signed.offer.account, o);
    o.signed.offer.terms.forEach((t, j) => {
      if (t.maxSize === 0n || j >= this.lists.length) return;
      const list = this.lists[j];
      const e: Entry = { discount: t.discountBps, seq: o.seq, offer: o };
      list.splice(this.position(list, e), 0, e);
    });
  }

  /** Takes `account`'s offer out of the index; whether one was indexed. */
  remove(account: bigint): boolean {
    const o = this.byAccount.get(account);
    if (!o) return false;
    this.byAccount.delete(account);
    o.signed.offer.terms.forEach((t, j) => {
      if (t.maxSize === 0n || j >= this.lists.length) return;
      const list = this.lists[j];
      const i = this.position(list, { discount: t.discountBps, seq: o.seq });
      if (list[i]?.offer === o) list.splice(i, 1);
    });
    return true;
  }

  *inMarket(market: number): Generator<StandingOffer> {
    const list = this.lists[market] ?? [];
    for (let i = 0; i < list.length; i++) yield list[i].offer;
  }

  /** The first index whose entry does not rank before `k`. */
  private position(list: readonly Entry[], k: { discount: bigint; seq: number }): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(list[mid], k)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
