import type { Account } from "../domain/account.ts";
import { BPS_DENOMINATOR } from "../domain/constants.ts";
import { settleFunding } from "../domain/funding.ts";
import { equity, scaledRequirement } from "../domain/margin.ts";
import type { MarketParams } from "../domain/market.ts";
import type { Offer } from "../domain/offer.ts";
import { isLiquidatable } from "../engine/liquidations.ts";

/** Where an offer's backing is checked: the current round's prices and funding indices. */
export interface BackingPrices {
  readonly marks: readonly bigint[];
  readonly indices: readonly bigint[];
  /** The round's requirements (an offer's worst take must meet initial margin at them). */
  readonly markets: readonly MarketParams[];
  /** The maintenance rates liquidations use at the round (default: `markets`). */
  readonly liquidation?: readonly MarketParams[];
}

/**
 * The account taking `o`'s full maxSize in every market it offers, at the mark, in the
 * direction that needs more margin: the direction of the position it holds there (long
 * when flat). Margin is a sum over markets and a take at the mark leaves equity as it is,
 * so this is the worst any take under the offer can leave the account (before its share,
 * which only adds collateral).
 */
export function worstTake(a: Account, o: Offer, marks: readonly bigint[]): Account {
  return {
    ...a,
    positions: a.positions.map((p, j) => {
      const m = o.terms[j]?.maxSize ?? 0n;
      if (m === 0n) return p;
      const s = p.size < 0n ? -m : m;
      return { ...p, size: p.size + s, notional: p.notional + s * marks[j] };
    }),
  };
}

/**
 * Why `o` is not backed by its account at `at` (undefined: it is backed). An offer is
 * backed when its account exists, is not liquidatable at the marks after settling its
 * funding, and would still meet initial margin after worstTake: so every position the
 * offer covers could be handed to it, each alone, and the account would carry it. Each
 * offer ties up collateral for its whole maxSize, so a book of junk offers costs its
 * poster real margin. The message says what margin is lacking.
 */
export function offerShortfall(
  a: Account | undefined,
  o: Offer,
  at: BackingPrices,
): string | undefined {
  if (!a) return `account ${o.account} does not exist`;
  const settled = settleFunding(a, at.indices).account;
  const e = equity(settled, at.marks);
  const liquidation = at.liquidation ?? at.markets;
  if (isLiquidatable(settled, at.marks, liquidation)) {
    const maintenance = scaledRequirement(settled, at.marks, liquidation, "maintenance");
    return `account ${o.account} is liquidatable at the current marks: equity ${e} after funding, below its maintenance margin of ${ceilBps(maintenance)}`;
  }
  const required = scaledRequirement(
    worstTake(settled, o, at.marks),
    at.marks,
    at.markets,
    "initial",
  );
  const lacks = ceilBps(required) - e;
  if (BPS_DENOMINATOR * e >= required) return undefined;
  const offered = o.terms.flatMap((t, j) =>
    t.maxSize > 0n ? [`${t.maxSize} lots of ${at.markets[j].symbol}`] : [],
  );
  return `account ${o.account} lacks ${lacks} of equity to back its offer: taking ${offered.join(" and ")} at the current marks needs an initial margin of ${ceilBps(required)} (its positions included), and its equity after funding is ${e}; deposit at least ${lacks} or offer less`;
}

const ceilBps = (scaled: bigint) => (scaled + BPS_DENOMINATOR - 1n) / BPS_DENOMINATOR;
