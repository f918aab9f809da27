import type { Account } from "../domain/account.ts";
import { settleFunding } from "../domain/funding.ts";
import { meetsMargin } from "../domain/margin.ts";
import { isLiquidatable, takePositions } from "../engine/liquidations.ts";
import {
  takerShare,
  termCovers,
  type StandingOffer,
  type TakerChoice,
  type TakerRuleInput,
} from "../service/liquidators.ts";

/**
 * The watcher's rule as it was before the offer index (issue 18, review finding 5): for
 * every liquidated account it filters, ranks and sorts ALL the offers, then margin-checks
 * them in rank order. Same rule as service/liquidators.ts chooseTakers, computed the slow
 * way; kept for the equivalence test (test/service/liquidators-walk.test.ts) and the
 * benchmark (scripts/bench-offers.ts) only, never by the operator.
 */
export function chooseTakersSorted(
  x: Omit<TakerRuleInput, "offers"> & { readonly offers: readonly StandingOffer[] },
): (TakerChoice | null)[] {
  const inBatch = new Set(x.accounts);
  const taken = new Map<bigint, Account>();
  const current = (i: bigint): Account | undefined => {
    const t = taken.get(i);
    if (t) return t;
    const a = x.account(i);
    return a && settleFunding(a, x.indices).account;
  };
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
