import { isWithdrawal, validateOffer, verifyOffer, type SignedOffer } from "../domain/offer.ts";
import type { StoredOffer } from "../store/store.ts";
import { OperatorError, type OperatorContext } from "./context.ts";
import { offerShortfall, type BackingPrices } from "./offer-backing.ts";
import { OfferIndex, type RankedOffers } from "./offer-index.ts";

/** How many standing offers are active (candidates) and how many suspended. */
export interface OfferCounts {
  readonly active: number;
  readonly suspended: number;
}

/**
 * Liquidators' standing offers at the operator: checked (ranges, the account exists and is
 * no system account, its key signed the offer over the deployment's domain, the account
 * backs it at the current round: ./offer-backing.ts), then stored before they are
 * acknowledged (store/offers.ts: the latest nonce per liquidator wins, an all-zero offer
 * withdraws). The book keeps the active offers in an index ranked per market
 * (./offer-index.ts), updated one offer at a time, which the watcher's rule walks at every
 * liquidation cut; an offer whose account no longer backs it when checked again
 * (recheck) is suspended: kept in the store, out of the index, until a later check finds
 * it backed.
 */
export class OfferBook {
  /** The standing offers (active and suspended) by account, and the active ones ranked. */
  private book: { offers: Map<bigint, StoredOffer>; index: OfferIndex } | undefined;

  constructor(private readonly ctx: () => OperatorContext) {}

  /** The in-memory book, loaded from the store on first use. */
  private loaded() {
    if (!this.book) {
      const offers = new Map<bigint, StoredOffer>();
      const index = new OfferIndex(this.ctx().state.marketCount);
      for (const o of this.ctx().store.offers.standing()) {
        offers.set(o.account, o);
        if (o.suspended === undefined) index.add({ signed: o.signed, seq: o.seq });
      }
      this.book = { offers, index };
    }
    return this.book;
  }

  /** The current round's prices, if there is a round. */
  private prices(): BackingPrices | undefined {
    const ctx = this.ctx();
    const round = ctx.round();
    return (
      round && { marks: round.prices, indices: round.fundingIndices, markets: ctx.state.markets }
    );
  }

  /** Checks and stores a signed offer (or withdrawal); returns what was stored. */
  submit(so: SignedOffer): StoredOffer {
    const ctx = this.ctx();
    const frozen = ctx.frozen();
    if (frozen)
      throw new OperatorError(
        "EXCHANGE_FROZEN",
        `the exchange is frozen: it takes no offers; ${frozen}`,
      );
    const o = validateOffer(so.offer, ctx.state.marketCount);
    if (!ctx.state.hasAccount(o.account))
      throw new OperatorError(
        "ACCOUNT_NOT_FOUND",
        `account ${o.account} does not exist (deposit first)`,
      );
    if (!verifyOffer(so, ctx.state.getAccount(o.account).pubKey, ctx.state.domain))
      throw new OperatorError(
        "OFFER_BAD_SIGNATURE",
        `the offer is not signed by account ${o.account}'s key over this deployment's domain`,
      );
    o.terms.forEach((t, j) => {
      const penalty = ctx.state.markets[j].liquidationPenaltyBps;
      if (t.maxSize > 0n && t.discountBps > penalty)
        throw new OperatorError(
          "OFFER_DISCOUNT_ABOVE_PENALTY",
          `market ${j} (${ctx.state.markets[j].symbol}): a discount of ${t.discountBps} bps is above its liquidation penalty of ${penalty} bps`,
        );
    });
    const withdrawal = isWithdrawal(o);
    if (!withdrawal) {
      const at = this.prices();
      if (!at)
        throw new OperatorError(
          "OFFER_NOT_BACKED",
          "no oracle round yet: an offer's backing is checked at the current marks",
        );
      const short = offerShortfall(ctx.state.getAccount(o.account), o, at);
      if (short) throw new OperatorError("OFFER_NOT_BACKED", short);
    }
    const book = this.loaded();
    const stored = ctx.store.offers.put(so, withdrawal);
    if (withdrawal) {
      book.offers.delete(o.account);
      book.index.remove(o.account);
    } else {
      book.offers.set(o.account, stored);
      book.index.add({ signed: so, seq: stored.seq });
    }
    ctx.log(
      stored.withdrawn
        ? `liquidator ${o.account} withdrew its offer (nonce ${o.nonce})`
        : `liquidator ${o.account} offers ${o.terms
            .flatMap((t, j) =>
              t.maxSize > 0n ? [`market ${j} up to ${t.maxSize} at ${t.discountBps} bps`] : [],
            )
            .join(", ")} (nonce ${o.nonce})`,
    );
    return stored;
  }

  /**
   * Checks again whether `accounts`' standing offers are backed, at the current round (no
   * round: nothing to check at): one no longer backed is suspended, a suspended one backed
   * again is active again, in its old rank (its seq). The batcher calls it with the
   * accounts of every batch it cuts or undoes and with the offers the rule found wanting.
   * Costs a map lookup per account without an offer.
   */
  recheck(accounts: Iterable<bigint>): void {
    const at = this.prices();
    if (!at) return;
    const ctx = this.ctx();
    const book = this.loaded();
    for (const a of accounts) {
      const o = book.offers.get(a);
      if (!o) continue;
      const why = offerShortfall(
        ctx.state.hasAccount(a) ? ctx.state.getAccount(a) : undefined,
        o.signed.offer,
        at,
      );
      if (why === o.suspended || (why !== undefined && o.suspended !== undefined)) continue;
      ctx.store.offers.setSuspended(a, why);
      const next: StoredOffer = { ...o, suspended: why };
      if (why === undefined) delete (next as { suspended?: string }).suspended;
      book.offers.set(a, next);
      if (why === undefined) {
        book.index.add({ signed: o.signed, seq: o.seq });
        ctx.log(`liquidator ${a}'s offer is active again: its account backs it`);
      } else {
        book.index.remove(a);
        ctx.log(`liquidator ${a}'s offer is suspended: ${why}`);
      }
    }
  }

  /** The standing offers (active and suspended), earliest acknowledged first. */
  standing(): StoredOffer[] {
    return this.ctx().store.offers.standing();
  }

  /** The active offers, ranked per market, as the watcher's rule walks them. */
  ranked(): RankedOffers {
    return this.loaded().index;
  }

  counts(): OfferCounts {
    const { offers, index } = this.loaded();
    return { active: index.size, suspended: offers.size - index.size };
  }

  /** An account's latest offer (standing, suspended or withdrawn), if any. */
  of(account: bigint): StoredOffer | undefined {
    return this.ctx().store.offers.get(account);
  }
}
