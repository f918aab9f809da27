import { isWithdrawal, validateOffer, verifyOffer, type SignedOffer } from "../domain/offer.ts";
import type { StoredOffer } from "../store/store.ts";
import { OperatorError, type OperatorContext } from "./context.ts";
import type { StandingOffer } from "./liquidators.ts";

/**
 * Liquidators' standing offers at the operator: checked (ranges, the account exists and is
 * no system account, its key signed the offer over the deployment's domain), then stored
 * before they are acknowledged (store/offers.ts: the latest nonce per liquidator wins, an
 * all-zero offer withdraws). The watcher reads the standing ones at every liquidation cut.
 */
export class OfferBook {
  constructor(private readonly ctx: () => OperatorContext) {}

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
    const stored = ctx.store.offers.put(so, isWithdrawal(o));
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

  /** The standing offers, earliest acknowledged first. */
  standing(): StoredOffer[] {
    return this.ctx().store.offers.standing();
  }

  /** The standing offers as the watcher's rule takes them. */
  forRule(): StandingOffer[] {
    return this.standing().map((o) => ({ signed: o.signed, seq: o.seq }));
  }

  /** An account's latest offer (standing or withdrawn), if any. */
  of(account: bigint): StoredOffer | undefined {
    return this.ctx().store.offers.get(account);
  }
}
