import { tradesIn, type Account } from "../domain/account.ts";
import { settleFunding } from "../domain/funding.ts";
import { meetsMargin } from "../domain/margin.ts";
import type { MarketParams } from "../domain/market.ts";
import { offerCovers, type SignedOffer } from "../domain/offer.ts";
import type { LiquidationTakerRequest } from "../domain/batch.ts";
import { isLiquidatable, liquidatorShare, takePositions } from "../engine/liquidations.ts";
import type { RankedOffers, StandingOffer } from "./offer-index.ts";

export type { RankedOffers, StandingOffer } from "./offer-index.ts";

/** A liquidator taking positions of one liquidated account (the batch request's taker). */
export type TakerChoice = LiquidationTakerRequest;

export interface TakerRuleInput {
  /** The accounts the batch liquidates, in batch order. */
  readonly accounts: readonly bigint[];
  /** The active offers, ranked per market (./offer-index.ts; suspended ones are not in it). */
  readonly offers: RankedOffers;
  /** Accounts that may not take positions now (the operator's reasons), if any. */
  readonly busy?: (index: bigint) => boolean;
  /** An account as the state holds it now (undefined: no such account). */
  readonly account: (index: bigint) => Account | undefined;
  readonly marks: readonly bigint[];
  readonly indices: readonly bigint[];
  /** The round's requirements (a taker must meet initial margin at them). */
  readonly markets: readonly MarketParams[];
  /** The maintenance rates liquidations use at the round (default: `markets`). */
  readonly liquidation?: readonly MarketParams[];
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

/** The rule's answer: a taker per liquidated account, and the offers it found wanting. */
export interface TakerRuleResult {
  /** Per liquidated account, in batch order, its taker, or null (the fund takes everything). */
  readonly takers: (TakerChoice | null)[];
  /**
   * The accounts whose offers the walk reached and found wanting (below initial margin
   * after taking, or liquidatable themselves), earliest first: the offer book checks their
   * backing again once the batch is applied, and suspends those no longer backed.
   */
  readonly failed: bigint[];
}

/**
 * The watcher's rule for handing liquidated positions to liquidators (README, "Liquidators"),
 * a deterministic function of the batch's accounts, the active offers and the state:
 *
 * For each account the batch liquidates, in batch order, the candidates are the active
 * offers (acknowledged as backed and not suspended since, see ./offer-book.ts) of other
 * accounts that exist, are not liquidated in the same batch, are not liquidatable
 * themselves at the marks after their funding (an account due in a later batch would
 * escape its own penalty by taking an opposite position), are not busy (the operator's:
 * matches of theirs wait for a trade batch) and cover at least one of its positions. An
 * offer covers market j's position when its term j has 0 < |size| <= maxSize and a
 * discount no higher than the market's liquidation penalty (the circuit refuses a higher
 * one). A candidate takes every position its offer covers; its discount is the highest
 * discountBps among those positions (the rate the fund pays at most on any of them).
 * Candidates rank by that discount, lowest first (the fund keeps more of the penalty),
 * then by the earliest acknowledged offer (a replacement counts as a new offer). The first
 * candidate that meets initial margin after taking is chosen: its account with its funding
 * settled, the positions it already took earlier in this batch, the ones it would take at
 * the mark and the share it would be paid, floor(sum taken |size| * mark * discountBps /
 * 10^4). A candidate that would not is skipped (and reported in `failed`, as is one
 * skipped for being liquidatable); when none is left the insurance fund takes everything.
 *
 * Active and suspended offers (the offer book's rule, README "Suspended offers"): an offer
 * is acknowledged only if its account backs it (service/offer-backing.ts) at the current
 * round; it is checked again, at the round current then, for every account of a batch the
 * operator cuts or undoes and for every account this rule reports in `failed`, once the
 * liquidation batch is cut; a check that finds it unbacked suspends it, one that finds a
 * suspended offer backed makes it active again with its old seq; at the first liquidation
 * cut of a new oracle round the book also checks again its K longest-suspended offers.
 * Which offers are active is an input (`offers`): this function decides nothing about it.
 *
 * The candidates are walked lazily in rank order (rankedCandidates): the work per
 * liquidated account is the covering offers ranked before the chosen one in the markets
 * of its positions, O(log n) each; the offers that cover nothing there (maxSize below the
 * position, discount above the penalty) are skipped by the index without being read.
 */
export function chooseTakers(x: TakerRuleInput): TakerRuleResult {
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
        a !== undefined &&
        isLiquidatable(settleFunding(a, x.indices).account, x.marks, x.liquidation ?? x.markets);
      dueMemo.set(i, d);
    }
    return d;
  };
  const failed = new Set<bigint>();
  const eligible = (who: bigint): boolean => {
    if (inBatch.has(who) || x.busy?.(who) || x.account(who) === undefined) return false;
    if (!due(who)) return true;
    failed.add(who);
    return false;
  };
  const takers = x.accounts.map((index) => {
    const liquidated = x.account(index);
    if (!liquidated) return null;
    const positions = liquidated.positions;
    for (const c of rankedCandidates(x, positions, eligible)) {
      const who = c.offer.signed.offer.account;
      // an isolated sub-account takes positions in its own market only (the offer book
      // refuses other terms; this holds should one get through)
      if (c.take.some((t, j) => t && !tradesIn(current(who)!, j))) continue;
      const share = takerShare(positions, c.take, c.offer.signed, x.marks);
      const after = takePositions(
        current(who)!,
        positions.map((p) => p.size),
        c.take,
        x.marks,
        share,
      );
      if (!after || !meetsMargin(after, x.marks, x.markets, "initial")) {
        failed.add(who);
        continue;
      }
      taken.set(who, after);
      return { offer: c.offer.signed, take: c.take };
    }
    return null;
  });
  return { takers, failed: [...failed] };
}

/** A candidate of the rule: its offer, what it takes, and its rank key (discount, seq). */
interface Candidate {
  readonly offer: StandingOffer;
  readonly take: boolean[];
  readonly discount: bigint;
  readonly seq: number;
}

type Key = { readonly discount: bigint; readonly seq: number };
const ranksBefore = (a: Key, b: Key) =>
  a.discount !== b.discount ? a.discount < b.discount : a.seq < b.seq;

/**
 * The candidates for an account with `positions`, in the rule's rank order, lazily: a
 * merge of the per-market lists (by (discountBps_j, seq)) of the markets where it holds a
 * position, keeping only entries whose term covers that position (the index skips the
 * others: RankedOffers.inMarket's filter; the check here repeats it). An offer's rank key
 * (its highest discount over what it covers, seq) is at least the key of each of its
 * covering entries, so once every list's next entry ranks after a candidate seen so far,
 * no offer not yet seen can rank before it: it is the next one.
 */
export function* rankedCandidates(
  x: Pick<TakerRuleInput, "offers" | "markets">,
  positions: readonly { size: bigint }[],
  eligible: (account: bigint) => boolean,
): Generator<Candidate> {
  const covers = (o: StandingOffer, j: number) =>
    termCovers(o.signed, j, positions[j].size, x.markets[j]);
  // the index skips the entries that cannot cover market j's position
  const walk = (j: number, size: bigint) =>
    x.offers.inMarket(j, {
      minSize: size < 0n ? -size : size,
      maxDiscount: x.markets[j].liquidationPenaltyBps,
    });
  const cursors = positions.flatMap((p, j) =>
    p.size === 0n
      ? []
      : [{ j, it: walk(j, p.size)[Symbol.iterator](), head: undefined as Candidate | undefined }],
  );
  const advance = (c: (typeof cursors)[number]) => {
    for (let n = c.it.next(); !n.done; n = c.it.next()) {
      if (!covers(n.value, c.j)) continue;
      const t = n.value.signed.offer.terms[c.j];
      c.head = { offer: n.value, take: [], discount: t.discountBps, seq: n.value.seq };
      return;
    }
    c.head = undefined;
  };
  cursors.forEach(advance);
  const seen = new Set<number>();
  const pending: Candidate[] = []; // seen candidates, in rank order
  for (;;) {
    let next: (typeof cursors)[number] | undefined;
    for (const c of cursors) if (c.head && (!next || ranksBefore(c.head, next.head!))) next = c;
    while (pending.length > 0 && (!next || !ranksBefore(next.head!, pending[0])))
      yield pending.shift()!;
    if (!next) return;
    const o = next.head!.offer;
    advance(next);
    if (seen.has(o.seq)) continue;
    seen.add(o.seq);
    if (!eligible(o.signed.offer.account)) continue;
    const take = positions.map((_, j) => covers(o, j));
    const discount = o.signed.offer.terms.reduce(
      (m, t, j) => (take[j] && t.discountBps > m ? t.discountBps : m),
      0n,
    );
    const c: Candidate = { offer: o, take, discount, seq: o.seq };
    let i = pending.length;
    while (i > 0 && ranksBefore(c, pending[i - 1])) i--;
    pending.splice(i, 0, c);
  }
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
