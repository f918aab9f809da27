import { isWithdrawal, validateOffer, verifyOffer, type SignedOffer } from "../domain/offer.ts";
import { tradesIn } from "../domain/account.ts";
import type { StoredOffer } from "../store/store.ts";
import { OperatorError, type OperatorContext } from "./context.ts";
import { offerShortfall, type BackingPrices } from "./offer-backing.ts";
import { OfferIndex, type RankedOffers } from "./offer-index.ts";
import { scaledMarkets } from "../domain/volatility.ts";

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
 * it backed. At the first liquidation cut of each new oracle round (ranked) the book
 * checks again up to `recheckPerRound` suspended offers, the longest suspended first, so
 * an offer a price spike suspended comes back by itself once prices recover.
 */
export class OfferBook {
  /** The standing offers (active and suspended) by account, and the active ones ranked. */
  private book: { offers: Map<bigint, StoredOffer>; index: OfferIndex } | undefined;
  /**
   * The suspended offers' accounts, longest suspended first (insertion order; those
   * suspended before a restart first, in acknowledgement order). A re-check at a new round
   * that leaves one suspended moves it to the end, so every one is checked in turn.
   */
  private readonly suspendedOrder = new Set<bigint>();
  /** The oracle round whose suspended offers were last checked again (ranked). */
  private liftedAt: bigint | undefined;

  /** At most this many suspended offers are checked again per new oracle round. */
  static readonly RECHECK_PER_ROUND = 32;

  constructor(
    private readonly ctx: () => OperatorContext,
    private readonly recheckPerRound = OfferBook.RECHECK_PER_ROUND,
  ) {}

  /** The in-memory book, loaded from the store on first use. */
  private loaded() {
    if (!this.book) {
      const offers = new Map<bigint, StoredOffer>();
      const index = new OfferIndex(this.ctx().state.marketCount);
      for (const o of this.ctx().store.offers.standing()) {
        offers.set(o.account, o);
        if (o.suspended === undefined) index.add({ signed: o.signed, seq: o.seq });
        else this.suspendedOrder.add(o.account);
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
      round && {
        marks: round.prices,
        indices: round.fundingIndices,
        markets: scaledMarkets(ctx.state.markets, round.margins),
        liquidation: scaledMarkets(ctx.state.markets, round.margins, "liquidation"),
      }
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
    const owner = ctx.state.getAccount(o.account);
    o.terms.forEach((t, j) => {
      if (t.maxSize > 0n && !tradesIn(owner, j))
        throw new OperatorError(
          "LIQUIDATOR_OUTSIDE_ISOLATED_MARKET",
          `account ${o.account} is a sub-account isolated to market ${owner.isolatedMarket}: its offer may take positions there only, not in market ${j}`,
        );
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
    this.suspendedOrder.delete(o.account);
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
        this.suspendedOrder.delete(a);
        book.index.add({ signed: o.signed, seq: o.seq });
        ctx.log(`liquidator ${a}'s offer is active again: its account backs it`);
      } else {
        this.suspendedOrder.add(a);
        book.index.remove(a);
        ctx.log(`liquidator ${a}'s offer is suspended: ${why}`);
      }
    }
  }

  /** The standing offers (active and suspended), earliest acknowledged first. */
  standing(): StoredOffer[] {
    return this.ctx().store.offers.standing();
  }

  /**
   * The active offers, ranked per market, as the watcher's rule walks them. The first call
   * at a new oracle round first checks again the `recheckPerRound` longest-suspended offers
   * (recheck): those backed at the new prices are active again for this walk; those still
   * unbacked go to the end of the line. K checks per round bound the work whatever the
   * number of suspended offers.
   */
  ranked(): RankedOffers {
    const book = this.loaded();
    const round = this.ctx().round();
    if (round && round.roundId !== this.liftedAt) {
      this.liftedAt = round.roundId;
      const turn = [...take(this.suspendedOrder, this.recheckPerRound)];
      this.recheck(turn);
      for (const a of turn) if (this.suspendedOrder.delete(a)) this.suspendedOrder.add(a); // still suspended: last
    }
    return book.index;
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

function* take<T>(xs: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const x of xs) {
    yield x;
    if (++i >= n) return;
  }
}
