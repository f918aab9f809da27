import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import {
  COLLATERAL_BITS,
  FIRST_USER_ACCOUNT,
  NOTIONAL_BITS,
  SIZE_BITS,
} from "../domain/constants.ts";
import { fitsSigned, pow2 } from "../domain/amounts.ts";
import { tradesIn, type Account } from "../domain/account.ts";
import { meetsMargin } from "../domain/margin.ts";
import type { MarketParams } from "../domain/market.ts";
import { settleFunding } from "../domain/funding.ts";
import { sharesByMarket } from "../domain/compartments.ts";
import { checkOfferWidths, offerCovers, offerTermWord, verifyOffer } from "../domain/offer.ts";
import type { LiquidationTakerRequest } from "../domain/batch.ts";
import { emptyCircuitSiblings } from "../domain/tree.ts";
import type { LiquidationSlotInput } from "../domain/inputs.ts";
import type { ExchangeState } from "./state.ts";
import { leafWitness } from "./leaf-witness.ts";

export type { LiquidationTakerRequest } from "../domain/batch.ts";

/**
 * One liquidation of a batch: the account, and optionally the liquidator that takes some
 * of its positions under its signed standing offer (domain/offer.ts). A bare account
 * index (in `liquidate`'s requests) is the same as no taker: the fund takes everything.
 */
export interface LiquidationRequest {
  readonly account: bigint;
  readonly taker?: LiquidationTakerRequest;
}

/**
 * A liquidation batch request's accounts and takers (domain/batch.ts: `takers` aligned with
 * `accounts`, null or absent for none) as `liquidate`'s requests.
 */
export function liquidationRequests(
  accounts: readonly bigint[],
  takers?: readonly (LiquidationTakerRequest | null)[],
): LiquidationRequest[] {
  if (takers && takers.length !== accounts.length) {
    throw new LiquidatorError(
      "LIQUIDATION_TAKER_COUNT",
      `a liquidation batch has one taker entry (or null) per account: ${accounts.length} ` +
        `accounts, ${takers.length} takers`,
    );
  }
  return accounts.map((account, i) => {
    const taker = takers?.[i];
    return taker ? { account, taker } : { account };
  });
}

/** What a liquidator took in one liquidation (LiquidationResult.takers). */
export interface LiquidationTaken {
  /** The liquidated account. */
  readonly account: bigint;
  /** The liquidator. */
  readonly taker: bigint;
  /** One flag per market: the liquidator took that position. */
  readonly take: readonly boolean[];
  /** The offer's discount per market (basis points of the value at the mark). */
  readonly discountBps: readonly bigint[];
  /** What the liquidator was paid (collateral units), out of the penalty. */
  readonly share: bigint;
}

/** A liquidation slot's taker fields (LiquidationSlotInput less the account's leaf). */
export type TakerFields = Pick<
  LiquidationSlotInput,
  | "takerEnabled"
  | "taker"
  | "takerAx"
  | "takerAy"
  | "takerBalance"
  | "takerWord"
  | "takerNotional"
  | "takerSiblings"
  | "offerNonce"
  | "offerTerm"
  | "offerSigR8x"
  | "offerSigR8y"
  | "offerSigS"
  | "take"
>;

export class LiquidatorError extends ZkClearError<CodeOf<"liquidation">> {}

/**
 * The liquidator's share in each market: floor(take_j * |size_j| * mark_j * discountBps_j
 * / 10^4), rounded per market since each is charged to its market's compartment
 * (domain/compartments.ts, sharesByMarket). With every taken discount at most the
 * market's penalty rate, each is at most that market's penalty.
 */
export function liquidatorShares(
  sizes: readonly bigint[],
  marks: readonly bigint[],
  take: readonly boolean[],
  discountBps: readonly bigint[],
): bigint[] {
  return sharesByMarket({ positions: sizes.map((size) => ({ size })) }, marks, take, discountBps);
}

/**
 * The liquidator's share: the sum of its per-market shares (liquidatorShares), the twin of
 * LiquidationSlot's share (section E).
 */
export function liquidatorShare(
  sizes: readonly bigint[],
  marks: readonly bigint[],
  take: readonly boolean[],
  discountBps: readonly bigint[],
): bigint {
  return liquidatorShares(sizes, marks, take, discountBps).reduce((s, x) => s + x, 0n);
}

/** The taker fields of a slot without a liquidator: an empty leaf, nothing taken. */
export function noTakerFields(state: ExchangeState): TakerFields {
  const m = state.marketCount;
  return {
    takerEnabled: 0n,
    taker: 0n,
    takerAx: 0n,
    takerAy: 0n,
    takerBalance: 0n,
    takerWord: Array<bigint>(m).fill(pow2(SIZE_BITS)),
    takerNotional: Array<bigint>(m).fill(0n),
    takerSiblings: emptyCircuitSiblings(state.depth),
    offerNonce: 0n,
    offerTerm: Array<bigint>(m).fill(0n),
    offerSigR8x: 0n,
    offerSigR8y: 0n,
    offerSigS: 0n,
    take: Array<bigint>(m).fill(0n),
  };
}

/**
 * Checks a liquidator's request against the liquidated account (its positions after
 * funding, before they move): the rules LiquidationSlot enforces on the taker, in their
 * order. `checked` false (adversarial tests) skips the rules but keeps what the witness
 * needs (one term and one take flag per market, widths).
 */
export function checkTaker(
  state: ExchangeState,
  account: bigint,
  liquidated: Account,
  t: LiquidationTakerRequest,
  checked: boolean,
): void {
  const m = state.marketCount;
  const o = t.offer.offer;
  const taker = o.account;
  if (t.take.length !== m || o.terms.length !== m) {
    throw new LiquidatorError(
      "OFFER_NOT_COVERING",
      `a liquidator's offer and take have one entry per market: ${m} expected, ` +
        `${o.terms.length} terms and ${t.take.length} take flags given`,
    );
  }
  checkOfferWidths(o, m);
  if (!checked) return;
  if (taker < FIRST_USER_ACCOUNT) {
    throw new LiquidatorError(
      "LIQUIDATOR_SYSTEM_ACCOUNT",
      `account ${taker} is a system account and cannot take liquidated positions`,
    );
  }
  if (taker === account) {
    throw new LiquidatorError(
      "LIQUIDATOR_IS_ACCOUNT",
      `account ${account} cannot take over its own liquidated positions`,
    );
  }
  if (!state.hasAccount(taker)) {
    throw new LiquidatorError("LIQUIDATOR_NOT_FOUND", `liquidator ${taker} does not exist`);
  }
  if (!verifyOffer(t.offer, state.getAccount(taker).pubKey, state.domain)) {
    throw new LiquidatorError(
      "LIQUIDATOR_BAD_SIGNATURE",
      `the offer is not signed by liquidator ${taker}'s key for this deployment`,
    );
  }
  if (!t.take.some((x) => x)) {
    throw new LiquidatorError(
      "OFFER_NOT_COVERING",
      `liquidator ${taker} takes nothing of account ${account}: leave it to the fund`,
    );
  }
  const takerAccount = state.getAccount(taker);
  t.take.forEach((taken, j) => {
    if (!taken) return;
    if (!tradesIn(takerAccount, j)) {
      throw new LiquidatorError(
        "LIQUIDATOR_OUTSIDE_ISOLATED_MARKET",
        `liquidator ${taker} is a sub-account isolated to market ${takerAccount.isolatedMarket}; ` +
          `it cannot take account ${account}'s position in market ${j}`,
      );
    }
    const size = liquidated.positions[j].size;
    if (!offerCovers(o, j, size)) {
      throw new LiquidatorError(
        "OFFER_NOT_COVERING",
        `liquidator ${taker}'s offer does not cover account ${account}'s position of ${size} ` +
          `lots in market ${j} (maxSize ${o.terms[j].maxSize})`,
      );
    }
    const penalty = state.markets[j].liquidationPenaltyBps;
    if (o.terms[j].discountBps > penalty) {
      throw new LiquidatorError(
        "OFFER_DISCOUNT_ABOVE_PENALTY",
        `liquidator ${taker}'s discount in market ${j} (${o.terms[j].discountBps} bps) is above ` +
          `the liquidation penalty (${penalty} bps)`,
      );
    }
  });
}

/**
 * The liquidator after it takes each taken position at the mark (its size, and notional
 * size * mark, added to its own) and is paid `share`: LiquidationSlot section I, on the
 * taker as it stands after settling its funding. Undefined when a field would leave its
 * width (the circuit's range checks), unless `unbounded` (liquidate's unchecked mode).
 * The watcher's rule (service/liquidators.ts) tries candidates with it, `takeOver` applies
 * it.
 */
export function takePositions(
  taker: Account,
  sizes: readonly bigint[],
  take: readonly boolean[],
  marks: readonly bigint[],
  share: bigint,
  unbounded = false,
): Account | undefined {
  const next: Account = {
    ...taker,
    collateral: taker.collateral + share,
    positions: taker.positions.map((p, j) =>
      take[j] ? { ...p, size: p.size + sizes[j], notional: p.notional + sizes[j] * marks[j] } : p,
    ),
  };
  const fits =
    fitsSigned(next.collateral, COLLATERAL_BITS) &&
    next.positions.every(
      (p) => fitsSigned(p.size, SIZE_BITS) && fitsSigned(p.notional, NOTIONAL_BITS),
    );
  return fits || unbounded ? next : undefined;
}

/** The taker's side of one liquidation: its new account, its share and its slot fields. */
export interface TakeOver {
  readonly newTaker: Account;
  readonly share: bigint;
  /** Funding the taker settled first (0 if none was accrued), and whether any was. */
  readonly payment: bigint;
  readonly owed: boolean;
  readonly taken: LiquidationTaken;
  readonly fields: TakerFields;
}

/**
 * The liquidator settles its own funding at `indices`, takes each taken position at the
 * mark (size and notional = size * mark added to its own) and is paid its share; it must
 * meet initial margin afterwards (when `checked`). Reads the taker from `state` as it is
 * after the liquidated account was written (the circuit's mid root). Writes nothing.
 */
export function takeOver(
  state: ExchangeState,
  account: bigint,
  liquidated: Account,
  t: LiquidationTakerRequest,
  marks: readonly bigint[],
  indices: readonly bigint[],
  markets: readonly MarketParams[],
  checked: boolean,
): TakeOver {
  const o = t.offer.offer;
  const taker = o.account;
  if (!state.hasAccount(taker)) {
    throw new LiquidatorError("LIQUIDATOR_NOT_FOUND", `liquidator ${taker} does not exist`);
  }
  const leaf = leafWitness(state, taker);
  const settled = settleFunding(state.getAccount(taker), indices);
  const discountBps = o.terms.map((term) => term.discountBps);
  const sizes = liquidated.positions.map((p) => p.size);
  const share = liquidatorShare(sizes, marks, t.take, discountBps);
  // unchecked (adversarial tests, and the skip proof's replay of a proven batch, whose
  // fields the circuit kept in range): a field past its width is written as it is, for
  // the circuit's own range check to refuse
  const newTaker = takePositions(settled.account, sizes, t.take, marks, share, !checked);
  if (!newTaker) {
    throw new LiquidatorError(
      "LIQUIDATOR_POSITION_OUT_OF_RANGE",
      `liquidator ${taker}'s position or collateral would overflow`,
    );
  }
  if (checked && !meetsMargin(newTaker, marks, markets, "initial")) {
    throw new LiquidatorError(
      "LIQUIDATOR_MARGIN",
      `liquidator ${taker} would not meet its initial margin after taking account ${account}'s positions`,
    );
  }
  return {
    newTaker,
    share,
    payment: settled.payment,
    owed: settled.owed !== 0n,
    taken: { account, taker, take: [...t.take], discountBps, share },
    fields: {
      takerEnabled: 1n,
      taker,
      takerAx: leaf.leafAx,
      takerAy: leaf.leafAy,
      takerBalance: leaf.leafBalance,
      takerWord: leaf.leafWord,
      takerNotional: leaf.leafNotional,
      takerSiblings: leaf.siblings,
      offerNonce: o.nonce,
      offerTerm: o.terms.map(offerTermWord),
      offerSigR8x: t.offer.signature.r8x,
      offerSigR8y: t.offer.signature.r8y,
      offerSigS: t.offer.signature.s,
      take: t.take.map((x) => (x ? 1n : 0n)),
    },
  };
}
