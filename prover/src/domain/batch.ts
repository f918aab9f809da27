import { keccak256 } from "ethers";
import { poseidon } from "./hash.ts";
import {
  BPS_BITS,
  LIQUIDATION_TAKE_SHIFT,
  TRADE_PRICE_SHIFT,
  TRADE_TAKER_SHIFT,
} from "./constants.ts";
import { orderMessage, type SignedOrder } from "./order.ts";
import type { SignedOffer } from "./offer.ts";
import { compartmentMoveHead, type SignedCompartmentMove } from "./compartment-moves.ts";
import { depositQueueHash, type Deposit } from "./transfers.ts";
import type { Debit } from "./sub-accounts.ts";
import type { ForcedRequest } from "./forced.ts";
import type { RoundMargins } from "./volatility.ts";
import type { Deleveraging } from "./deleveraging.ts";

/**
 * A batch's private data, as the operator cuts it, proves it, keeps it and publishes it for
 * auditors (docs/batch-files.md): enough to replay it in the engine from the state before
 * it, and to recompute the commitment the chain recorded for it. The batch kinds and
 * everything that varies by kind are in ./batch-kinds.ts.
 */

/** A match: a buy order and a sell order on one market, filled `qty` lots at `price`. */
export interface Trade {
  readonly buy: SignedOrder;
  readonly sell: SignedOrder;
  readonly qty: bigint;
  readonly price: bigint;
  /** The taker pays the taker fee rate, the maker the maker rate. */
  readonly takerIsBuyer: boolean;
}

/** One side of a trade: its order, its direction (1 buys, -1 sells), whether it took. */
export interface TradeLeg {
  readonly order: SignedOrder;
  readonly dir: 1n | -1n;
  readonly taker: boolean;
}

/** A trade's two sides, the buy first (SettleTrades' side 0). */
export function tradeLegs(t: Trade): readonly [TradeLeg, TradeLeg] {
  return [
    { order: t.buy, dir: 1n, taker: t.takerIsBuyer },
    { order: t.sell, dir: -1n, taker: !t.takerIsBuyer },
  ];
}

/**
 * A liquidator taking over some of a liquidated account's positions under its signed
 * standing offer (./offer.ts): take[j] hands market j's position to it (at the mark, paid
 * the offer's discount out of the penalty); the insurance fund takes the rest.
 */
export interface LiquidationTakerRequest {
  readonly offer: SignedOffer;
  /** One flag per market. */
  readonly take: readonly boolean[];
}

/**
 * Trades, liquidations, withdrawals and forced answers are proven at an oracle round's
 * prices and at the funding indices the Funding contract records for that round.
 */
export interface Priced {
  readonly marks: readonly bigint[];
  readonly round: bigint;
  /** The markets' funding indices for `round` (signed; domain/funding.ts). */
  readonly fundingIndices: readonly bigint[];
  /**
   * The round's margin multipliers (PriceOracle.roundMargins, domain/volatility.ts): the
   * margin rates the batch is checked at, bound into its proof.
   */
  readonly margins: RoundMargins;
}

/**
 * What the operator decides a batch holds, before the engine applies it: the engine adds
 * the roots and what follows from the data (commitment, queue hash, payouts).
 */
export type BatchRequest =
  | (Priced & {
      readonly kind: "trades";
      readonly trades: readonly Trade[];
      /**
       * The round's reduce-only markets (bit j: market j's circuit breaker is on,
       * PriceOracle.roundReduceOnly; domain/breakers.ts): bound into the trades' proof.
       */
      readonly reduceOnly: bigint;
    })
  | { readonly kind: "deposits"; readonly deposits: readonly Deposit[]; readonly queueFrom: bigint }
  | (Priced & { readonly kind: "withdrawals"; readonly withdrawals: readonly Debit[] })
  | (Priced & {
      readonly kind: "liquidations";
      readonly accounts: readonly bigint[];
      /**
       * Aligned with `accounts`: the liquidator taking positions of each (null, or the
       * field absent: the insurance fund takes everything).
       */
      readonly takers?: readonly (LiquidationTakerRequest | null)[];
      /**
       * The fund owner's compartment move, applied after the fund's funding and before the
       * liquidations (absent: none). A batch may carry a move and no liquidation.
       */
      readonly compartmentMove?: SignedCompartmentMove | null;
    })
  | (Priced & {
      readonly kind: "forced";
      /** The next requests of Settlement's forced queue, from the queue hash `queueFrom`. */
      readonly requests: readonly ForcedRequest[];
      readonly queueFrom: bigint;
    });

/** Every applied batch moves the tree from one root to the next. */
interface Roots {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
}

/** Funding one account settled in a batch, in quote units (negative: it received). */
export interface FundingPayment {
  readonly account: bigint;
  readonly payment: bigint;
}

/**
 * What a priced batch settled in funding, by account in ascending order: every account
 * that owed or was owed funding (its payment may round to 0). Derived by the engine,
 * published in the batch file, checked by the auditor (each entry keeps less than one
 * quote unit of rounding for the system).
 */
interface FundingSettled {
  readonly funding: readonly FundingPayment[];
}

/** A batch as applied: its request, its roots and what the engine derived. */
export type BatchData =
  | (Extract<BatchRequest, { kind: "trades" }> &
      Roots &
      FundingSettled & { readonly dataCommitment: bigint })
  | (Extract<BatchRequest, { kind: "deposits" }> & Roots & { readonly queueTo: bigint })
  | (Extract<BatchRequest, { kind: "withdrawals" }> &
      Roots &
      FundingSettled & { readonly payouts: readonly bigint[] })
  | (Extract<BatchRequest, { kind: "liquidations" }> &
      Roots &
      FundingSettled & {
        readonly dataCommitment: bigint;
        /** The batch's deleveraging, market by market, derived by the engine (absent: none). */
        readonly deleveraged?: readonly Deleveraging[];
      })
  | (Extract<BatchRequest, { kind: "forced" }> &
      Roots &
      FundingSettled & {
        readonly queueTo: bigint;
        /** AnswerForced's packed outcomes (engine/forced.ts). */
        readonly outcomes: bigint;
        readonly payouts: readonly bigint[];
      });

export type BatchKind = BatchData["kind"];
// Indexed through maps (not Extract) so that BatchDataOf<K> is covariant in K.
type DataByKind = { [D in BatchData as D["kind"]]: D };
type RequestByKind = { [R in BatchRequest as R["kind"]]: R };
export type BatchDataOf<K extends BatchKind> = DataByKind[K];
export type BatchRequestOf<K extends BatchKind> = RequestByKind[K];

/** A batch's funding payments in their published order (ascending account). */
export function fundingPayments(byAccount: ReadonlyMap<bigint, bigint>): FundingPayment[] {
  return [...byAccount]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([account, payment]) => ({ account, payment }));
}

/** The trade word of the batch commitment: qty | price << 64 | takerIsBuyer << 128. */
export function tradeWord(t: Pick<Trade, "qty" | "price" | "takerIsBuyer">): bigint {
  return (
    t.qty |
    (t.price << BigInt(TRADE_PRICE_SHIFT)) |
    ((t.takerIsBuyer ? 1n : 0n) << BigInt(TRADE_TAKER_SHIFT))
  );
}

/**
 * The commitment chain over a batch's trades (SettleTrades' dataCommitment):
 * c' = Poseidon(c, buyMsg, sellMsg, tradeWord); padding contributes nothing.
 */
export function tradeCommitment(trades: readonly Trade[]): bigint {
  let c = 0n;
  for (const t of trades) {
    c = poseidon([c, orderMessage(t.buy.order), orderMessage(t.sell.order), tradeWord(t)]);
  }
  return c;
}

/**
 * Who took what of one liquidation, as LiquidationSlot commits it (0 without a taker):
 *   taker | takeBits << 32 | (sum_j take_j * discountBps_j << 16j) << (32 + M),
 * takeBits = sum_j take_j << j, M = take.length (the markets).
 */
export function liquidationTakerWord(t: LiquidationTakerRequest | null | undefined): bigint {
  if (!t) return 0n;
  const m = t.take.length;
  let word = t.offer.offer.account;
  t.take.forEach((taken, j) => {
    if (!taken) return;
    const discount = t.offer.offer.terms[j]?.discountBps ?? 0n;
    word |= 1n << BigInt(LIQUIDATION_TAKE_SHIFT + j);
    word |= discount << BigInt(LIQUIDATION_TAKE_SHIFT + m + BPS_BITS * j);
  });
  return word;
}

/**
 * LiquidateBatch's dataCommitment: it starts at the first word of the fund's compartment
 * move (compartmentMoveHead; 0 without one), then c' = Poseidon(c, account, takerWord)
 * per liquidated account, takerWord = liquidationTakerWord of its taker (0: the fund
 * takes everything).
 */
export function liquidationCommitment(
  accounts: readonly bigint[],
  takers: readonly (LiquidationTakerRequest | null)[] = [],
  move?: SignedCompartmentMove | null,
): bigint {
  let c = move ? compartmentMoveHead(move.move) : 0n;
  accounts.forEach((index, i) => {
    c = poseidon([c, index, liquidationTakerWord(takers[i])]);
  });
  return c;
}

/** keccak256(abi.encode(uint256[] payouts)): what Settlement records for a withdrawal batch. */
export function payoutsCommitment(payouts: readonly bigint[]): bigint {
  const words = [0x20n, BigInt(payouts.length), ...payouts];
  const hex = words.map((w) => w.toString(16).padStart(64, "0")).join("");
  return BigInt(keccak256(`0x${hex}`));
}

/** The deposit queue hash reached from `queueFrom` by crediting `deposits` in order. */
export function depositsCommitment(queueFrom: bigint, deposits: readonly Deposit[]): bigint {
  return deposits.reduce((h, d) => depositQueueHash(h, d), queueFrom);
}
