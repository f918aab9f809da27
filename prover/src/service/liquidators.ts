import type { Account } from "../domain/account.ts";
import { settleFunding } from "../domain/funding.ts";
import { meetsMargin } from "../domain/margin.ts";
import type { MarketParams } from "../domain/market.ts";
import { offerCovers, type SignedOffer } from "../domain/offer.ts";
import type { LiquidationTakerRequest } from "../domain/batch.ts";
import { isLiquidatable, liquidatorShare, takePositions } from "../engine/liquidations.ts";

/** A standing offer as the watcher sees it. */
export interface StandingOffer {
  readonly signed: SignedOffer;
  /** Acknowledgement order: lower is earlier. */
  readonly seq: number;
}

/** A liquidator taking positions of one liquidated account (the batch request's taker). */
export type TakerChoice = LiquidationTakerRequest;

export interface TakerRuleInput {
  /** The accounts the batch liquidates, in batch order. */
  readonly accounts: readonly bigint[];
  readonly offers: readonly StandingOffer[];
  /** Accounts that may not take positions now (the operator's reasons), if any. */
  readonly busy?: (index: bigint) => boolean;
  /** An account as the state holds it now (undefined: no such account). */
  readonly account: (index: bigint) => Account | undefined;
  readonly marks: readonly bigint[];
  readonly indices: readonly bigint[];
  readonly markets: readonly MarketParams[];
}

/** Whether the offer covers market j's position of `size` lots, discount within the penalty. */
export function termCovers(o: SignedOffer, j: number, size: bigint, market: MarketParams): boolean {
  return (
    offerCovers(o.offer, j, size) && o.offer.terms[j].discountBps <= market.liquidationPenaltyBps
  );
}

/** The share a liquidator is paid for what it takes (the engine's liquidatorShare). */
export function takerShare(
  positions: readonly { size: bigint }[],
  take: readonly boolean[],
  o: SignedOffer,
  marks: readonly bigint[],
): bigint {
  return liquidatorShare(
    positions.map((p) => p.size),
    marks,
    take,
    o.offer.terms.map((t) => t.discountBps),
  );
}

/**
 * The watcher's rule for handing liquidated positions to liquidators (README, "Liquidators"),
 * a pure function of the batch's accounts, the standing offers and the state:
 *
 * For each account the batch liquidates, in batch order, the candidates are the standing
 * offers of other accounts that exist, are not liquidated in the same batch, are not
 * liquidatable themselves at the marks after their funding (an account due in a later batch
 * would escape its own penalty by taking an opposite position), are not busy (the
 * operator's: matches of theirs wait for a trade batch) and cover at least one of its
 * positions. An offer covers market j's position when its term j
 * has 0 < |size| <= maxSize and a discount no higher than the market's liquidation penalty
 * (the circuit refuses a higher one). A candidate takes every position its offer covers;
 * its discount is the highest discountBps among those positions (the rate the fund pays at
 * most on any of them). Candidates rank by that discount, lowest first (the fund keeps more
 * of the penalty), then by the earliest acknowledged offer (a replacement counts as a new
 * offer). The first candidate that meets initial margin after taking is chosen: its account
 * with its funding settled, the positions it already took earlier in this batch, the ones it
 * would take at the mark and the share it would be paid,
 * floor(sum taken |size| * mark * discountBps / 10^4). A candidate that would not is
 * skipped; when none is left the insurance fund takes everything.
 *
 * Returns, per liquidated account, its taker, or null (the fund takes everything).
 */
export function chooseTakers(x: TakerRuleInput): (TakerChoice | null)[] {
  const inBatch = new Set(x.accounts);
  // liquidators as this batch leaves them so far (funding settled, earlier takes applied)
  const taken = new Map<bigint, Account>();
  const current = (i: bigint): Account | undefined => {
    const t = taken.get(i);
    if (t) return t;
    const a = x.account(i);
    return a && settleFunding(a, x.indices).account;
  };
  // accounts below maintenance now (due in this batch or a later one) never take
  const dueMemo = new Map<bigint, boolean>();
  const due = (i: bigint): boolean => {
    let d = dueMemo.get(i);
    if (d === undefined) {
      const a = x.account(i);
      d =
        a !== undefined && isLiquidatable(settleFunding(a, x.indices).account, x.marks, x.markets);
      dueMemo.set(i, d);
    }
    return d;
  };
  return x.accounts.map((index) => {
    const liquidated = x.account(index);
    if (!liquidated) return null;
    const positions = liquidated.positions;
    const candidates = x.offers
      .filter((o) => {
        const who = o.signed.offer.account;
        return !inBatch.has(who) && !x.busy?.(who) && x.account(who) !== undefined && !due(who);
      })
      .map((o) => {
        const take = positions.map((p, j) => termCovers(o.signed, j, p.size, x.markets[j]));
        const discounts = o.signed.offer.terms.filter((_, j) => take[j]).map((t) => t.discountBps);
        const discount = discounts.reduce((m, d) => (d > m ? d : m), 0n);
        return { o, take, discount, any: discounts.length > 0 };
      })
      .filter((c) => c.any)
      .sort((a, b) =>
        a.discount !== b.discount ? (a.discount < b.discount ? -1 : 1) : a.o.seq - b.o.seq,
      );
    for (const c of candidates) {
      const who = c.o.signed.offer.account;
      const share = takerShare(positions, c.take, c.o.signed, x.marks);
      const after = takePositions(
        current(who)!,
        positions.map((p) => p.size),
        c.take,
        x.marks,
        share,
      );
      if (!after || !meetsMargin(after, x.marks, x.markets, "initial")) continue;
      taken.set(who, after);
      return { offer: c.o.signed, take: c.take };
    }
    return null;
  });
}

/** How many positions of `accounts` go to their liquidator and how many to the fund. */
export function handoverCount(
  accounts: readonly bigint[],
  takers: readonly (TakerChoice | null)[] | undefined,
  account: (index: bigint) => Account,
): { liquidator: number; fund: number } {
  let liquidator = 0;
  let fund = 0;
  accounts.forEach((a, i) =>
    account(a).positions.forEach((p, j) => {
      if (p.size === 0n) return;
      if (takers?.[i]?.take[j]) liquidator++;
      else fund++;
    }),
  );
  return { liquidator, fund };
}
