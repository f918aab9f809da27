import { ZkClearError } from "../domain/errors.ts";
import { circuitSiblings, emptyCircuitSiblings } from "../domain/tree.ts";
import {
  AMOUNT_BITS,
  BPS_DENOMINATOR,
  COLLATERAL_BITS,
  FEE_ACCOUNT,
  INSURANCE_ACCOUNT,
  NOTIONAL_BITS,
  PRICE_BITS,
  SIZE_BITS,
} from "../domain/constants.ts";
import { abs, fitsSigned, fitsUnsigned } from "../domain/amounts.ts";
import { leafPreimage, tradesIn, type Account, type Position } from "../domain/account.ts";
import { validateOrder, verifyOrder, type SignedOrder } from "../domain/order.ts";
import { tradeCommitment, tradeLegs, type Trade } from "../domain/batch.ts";
import { equity, meetsMargin, meetsMarginAbove, tradingFee } from "../domain/margin.ts";
import {
  feeRateBps,
  packMarketParams,
  priceConfigHash,
  type MarketParams,
} from "../domain/market.ts";
import {
  settleFunding,
  settleFundingInMarket,
  zeroIndices,
  type FundingSettlement,
} from "../domain/funding.ts";
import { checkReduceOnly, isReduceOnly, tradeBinding } from "../domain/breakers.ts";
import type { ExchangeState } from "./state.ts";
import type { SettleTradesInput, TradeSlotSide } from "../domain/inputs.ts";
import { marginsWord, oneX, scaledMarkets, type RoundMargins } from "../domain/volatility.ts";

/** Why a trade was refused: the same rules SettleTrades enforces. */
export type TradeErrorCode =
  | "BATCH_TOO_LARGE"
  | "TRADE_BAD_SIDE"
  | "TRADE_MARKET_MISMATCH"
  | "TRADE_SELF"
  | "TRADE_BAD_QTY"
  | "TRADE_BAD_PRICE"
  | "ACCOUNT_NOT_FOUND"
  | "ORDER_BAD_SIGNATURE"
  | "ORDER_REPLAYED"
  | "ORDER_OVERFILLED"
  | "PRICE_OUTSIDE_LIMIT"
  | "FEE_ABOVE_MAX"
  | "POSITION_OUT_OF_RANGE"
  | "MARGIN_INSUFFICIENT"
  | "MARKET_REDUCE_ONLY"
  | "TRADE_OUTSIDE_ISOLATED_MARKET"
  | "FUND_BELOW_FLOOR"
  | "FUND_TRADE_OUTSIDE_BAND"
  | "FUND_COMPARTMENT_BELOW_REQUIREMENT"
  | "FUND_RESERVE_NEGATIVE";

export class TradeError extends ZkClearError {
  readonly tradeIndex: number;
  constructor(code: TradeErrorCode, tradeIndex: number, message: string) {
    super(code, `trade ${tradeIndex}: ${message}`);
    this.tradeIndex = tradeIndex;
  }
}

export interface SettledTradeBatch {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly dataCommitment: bigint;
  /** Poseidon(priceConfigHash, reduceOnly): the proof's binding (domain/breakers.ts). */
  readonly tradeBinding: bigint;
  readonly totalFees: bigint;
  /**
   * Funding each trading account settled before its first trade here (quote units), by
   * account: every account that owed or was owed anything, even less than a unit.
   */
  readonly funding: ReadonlyMap<bigint, bigint>;
  /** The circuit's input, padding included. */
  readonly input: SettleTradesInput;
}

export interface SettleOptions {
  /**
   * Build the witness without enforcing the trading rules, as a dishonest operator
   * would. Only for tests that show the circuit refuses what the engine would.
   */
  readonly unchecked?: boolean;
  /**
   * Skip the orders' signature checks: only for batches this operator already checked
   * (its restart replays its own stored batches, whose roots it checks against the
   * stored ones). Every other rule is still enforced.
   */
  readonly trustSignatures?: boolean;
}

interface SideResult {
  readonly account: Account;
  readonly fee: bigint;
  /** The funding settled before the trade (domain/funding.ts). */
  readonly funding: FundingSettlement;
}

/**
 * Applies one side of a trade to its account: the twin of TradeSide. The account's
 * accrued funding at `indices` is settled first (domain/funding.ts), so the margin check
 * sees equity after funding; the insurance fund (its owner's orders) also keeps at least
 * the configuration's fundFloor. The fund trades under its compartments' rules
 * (docs/isolation.md, section 1): it settles the traded market's funding alone, into that
 * market's notional; a position it closes realises nothing (the result stays in the
 * market's compartment, not the reserve); it pays at most the market's penalty rate worse
 * than the mark, leaves the market's compartment at least its position's requirement and
 * its reserve not negative. In a market under its circuit breaker (bit `market` of
 * `reduceOnly`) the trade must only reduce the account's exposure. Margins are the
 * configured rates scaled by the round's multipliers (`margins`, domain/volatility.ts).
 * Throws TradeError with the rule that refused it; the account is not modified.
 */
export function applyTradeSide(
  tradeIndex: number,
  unsettled: Account,
  so: SignedOrder,
  qty: bigint,
  price: bigint,
  feeRateBps: bigint,
  config: {
    readonly markets: readonly MarketParams[];
    readonly domain: bigint;
    readonly fundFloor: bigint;
  },
  marks: readonly bigint[],
  indices: readonly bigint[],
  checked = true,
  verifySignature = true,
  reduceOnly = 0n,
  margins: RoundMargins = oneX(config.markets.length),
): SideResult {
  // the round's requirements: the configured rates scaled by its margin multipliers; a
  // reducing trade needs the maintenance requirement liquidations use (SettleTrades)
  const required = scaledMarkets(config.markets, margins);
  const reducible = scaledMarkets(config.markets, margins, "liquidation");
  const o = so.order;
  const m = o.market;
  const isFund = o.account === INSURANCE_ACCOUNT;
  const funding = isFund
    ? settleFundingInMarket(unsettled, indices, m)
    : settleFunding(unsettled, indices);
  const account = funding.account;
  const isBuy = o.side === "buy";
  const pos = account.positions[m];
  const fail = (code: TradeErrorCode, msg: string): void => {
    if (checked)
      throw new TradeError(code, tradeIndex, `${o.side} order of account ${o.account}: ${msg}`);
  };

  if (verifySignature && !verifyOrder(so, account.pubKey, config.domain))
    fail("ORDER_BAD_SIGNATURE", "signature does not match the account key");
  if (!tradesIn(account, m))
    fail(
      "TRADE_OUTSIDE_ISOLATED_MARKET",
      `the account is a sub-account isolated to market ${account.isolatedMarket}; it cannot trade market ${m}`,
    );
  if (o.nonce < pos.nonce)
    fail("ORDER_REPLAYED", `nonce ${o.nonce} is below the working nonce ${pos.nonce}`);
  const newFilled = (o.nonce === pos.nonce ? pos.filled : 0n) + qty;
  if (newFilled > o.amount)
    fail("ORDER_OVERFILLED", `fill would take it to ${newFilled} of ${o.amount}`);
  if (isBuy ? price > o.limitPrice : price < o.limitPrice) {
    fail("PRICE_OUTSIDE_LIMIT", `price ${price} is beyond its limit ${o.limitPrice}`);
  }
  if (feeRateBps > o.maxFeeBps)
    fail("FEE_ABOVE_MAX", `fee rate ${feeRateBps} bps exceeds its maximum ${o.maxFeeBps} bps`);

  const notional = qty * price;
  const fee = tradingFee(notional, feeRateBps);
  const dir = isBuy ? 1n : -1n;
  const newSize = pos.size + dir * qty;
  const gross = pos.notional + dir * notional;
  // a closed position realises its notional into collateral, but for the fund's
  const realised = newSize === 0n && !isFund ? gross : 0n;
  const newNotional = gross - realised;
  const newCollateral = account.collateral - fee - realised;
  if (!fitsSigned(newSize, SIZE_BITS))
    fail("POSITION_OUT_OF_RANGE", `size ${newSize} exceeds 2^${SIZE_BITS}`);
  if (!fitsSigned(newNotional, NOTIONAL_BITS))
    fail("POSITION_OUT_OF_RANGE", `open notional exceeds 2^${NOTIONAL_BITS}`);
  if (!fitsSigned(newCollateral, COLLATERAL_BITS))
    fail("POSITION_OUT_OF_RANGE", `collateral exceeds 2^${COLLATERAL_BITS}`);

  const newPos: Position = {
    size: newSize,
    notional: newNotional,
    nonce: o.nonce,
    filled: newFilled,
    fundingIndex: pos.fundingIndex,
  };
  const positions = account.positions.map((p, j) => (j === m ? newPos : p));
  const next: Account = { ...account, collateral: newCollateral, positions };
  const reducing = isBuy ? pos.size < 0n && newSize <= 0n : pos.size > 0n && newSize >= 0n;
  if (!reducing && isReduceOnly(reduceOnly, m))
    fail(
      "MARKET_REDUCE_ONLY",
      `market ${m} is reduce-only (its circuit breaker tripped): the trade takes the position from ${pos.size} to ${newSize}, which does not reduce it`,
    );
  const kind = reducing ? "maintenance" : "initial";
  const rates = reducing ? reducible : required;
  if (!meetsMargin(next, marks, rates, kind)) {
    fail("MARGIN_INSUFFICIENT", `after the trade the account is below ${kind} margin`);
  }
  if (isFund && !meetsMarginAbove(next, marks, rates, kind, config.fundFloor))
    fail(
      "FUND_BELOW_FLOOR",
      `after the trade the insurance fund's equity at the marks, ${equity(next, marks)}, would not cover its floor ${config.fundFloor} plus its ${kind} margin`,
    );
  if (isFund)
    fundTradeRules(fail, m, isBuy, price, next, marks[m], {
      penaltyBps: config.markets[m].liquidationPenaltyBps,
      requirementBps: reducing ? reducible[m].maintenanceMarginBps : required[m].initialMarginBps,
      reducing,
    });
  return { account: next, fee, funding };
}

/**
 * The fund's trade stays inside its market (docs/isolation.md, section 1; SettleTrades,
 * once per trade for the side that is the fund):
 * - it pays at most the market's penalty rate worse than the mark: a buy at most
 *   mark * (1 + rate), a sell at least mark * (1 - rate) (a better price is not limited);
 * - the market's compartment after it, C = size * mark - notional, holds at least its
 *   position's requirement: at the round's initial rate after a trade that increases the
 *   fund's exposure, at its liquidation rate after one that only reduces it;
 * - its reserve (collateral, which paid the fee) is not negative.
 * Twin of FundTradeBand, FundCompartmentRequirement and FundReserve
 * (circuits/src/trade.circom).
 */
function fundTradeRules(
  fail: (code: TradeErrorCode, msg: string) => void,
  m: number,
  isBuy: boolean,
  price: bigint,
  after: Account,
  mark: bigint,
  rule: {
    readonly penaltyBps: bigint;
    readonly requirementBps: bigint;
    readonly reducing: boolean;
  },
): void {
  const worse = isBuy ? price - mark : mark - price;
  if (worse * BPS_DENOMINATOR > mark * rule.penaltyBps)
    fail(
      "FUND_TRADE_OUTSIDE_BAND",
      `the insurance fund pays at most market ${m}'s penalty rate (${rule.penaltyBps} bps) worse than its mark ${mark}; its ${isBuy ? "buy" : "sell"} is at ${price}`,
    );
  const pos = after.positions[m];
  const compartment = pos.size * mark - pos.notional;
  const requirement = abs(pos.size) * mark * rule.requirementBps;
  if (compartment * BPS_DENOMINATOR < requirement)
    fail(
      "FUND_COMPARTMENT_BELOW_REQUIREMENT",
      `after the trade market ${m}'s compartment of the insurance fund would hold ${compartment}, below its position's ${rule.reducing ? "maintenance" : "initial"} requirement (${requirement} / 10^4)`,
    );
  if (after.collateral < 0n)
    fail(
      "FUND_RESERVE_NEGATIVE",
      `after the trade's fee the insurance fund's reserve would be ${after.collateral}: a fund trade's fee is paid from its reserve, which may not fall below 0`,
    );
}

function sideInput(state: ExchangeState, so: SignedOrder, account: Account): TradeSlotSide {
  const proof = state.tree.proof(so.order.account);
  const pre = leafPreimage(account);
  const m = state.marketCount;
  return {
    account: so.order.account,
    nonce: so.order.nonce,
    maxFeeBps: so.order.maxFeeBps,
    amount: so.order.amount,
    limitPrice: so.order.limitPrice,
    sigR8x: so.signature.r8x,
    sigR8y: so.signature.r8y,
    sigS: so.signature.s,
    ax: pre[0],
    ay: pre[1],
    balance: pre[2],
    word: Array.from({ length: m }, (_, j) => pre[3 + 2 * j]),
    notional: Array.from({ length: m }, (_, j) => pre[4 + 2 * j]),
    siblings: circuitSiblings(proof.siblings),
  };
}

/**
 * Settles a batch of at most `batchSize` trades at the given mark prices, funding indices
 * and reduce-only markets (the oracle round's circuit breakers, a mask: bit j = market j):
 * checks every rule, moves the state, and returns the SettleTrades input (padded to
 * batchSize).
 * All-or-nothing: on a refused trade the state is restored and the error rethrown.
 */
export function settleTrades(
  state: ExchangeState,
  trades: readonly Trade[],
  marks: readonly bigint[],
  batchSize: number,
  opts: SettleOptions = {},
  indices: readonly bigint[] = zeroIndices(marks.length),
  reduceOnly = 0n,
  margins: RoundMargins = oneX(marks.length),
): SettledTradeBatch {
  const checked = !opts.unchecked;
  if (trades.length > batchSize) {
    throw new TradeError(
      "BATCH_TOO_LARGE",
      0,
      `${trades.length} trades do not fit a batch of ${batchSize}`,
    );
  }
  const markets = state.markets;
  const binding = tradeBinding(
    priceConfigHash(state, marks, indices, margins),
    checkReduceOnly(reduceOnly, markets.length),
    markets.length,
  );
  const oldRoot = state.root;
  const funding = new Map<bigint, bigint>();
  const undo: [bigint, Account][] = [];
  const write = (index: bigint, a: Account, validate = true) => {
    undo.push([index, state.getAccount(index)]);
    state.setAccount(index, a, validate);
  };
  try {
    const slots: SettleTradesInput["slots"][number][] = [];
    let totalFees = 0n;
    trades.forEach((t, i) => {
      const fail = (code: TradeErrorCode, msg: string): void => {
        if (checked) throw new TradeError(code, i, msg);
      };
      if (checked) {
        validateOrder(t.buy.order, markets.length);
        validateOrder(t.sell.order, markets.length);
      }
      if (t.buy.order.side !== "buy" || t.sell.order.side !== "sell") {
        fail("TRADE_BAD_SIDE", "a trade pairs a buy order with a sell order");
      }
      const market = t.buy.order.market;
      if (t.sell.order.market !== market)
        fail("TRADE_MARKET_MISMATCH", "orders are on different markets");
      if (t.buy.order.account === t.sell.order.account)
        fail("TRADE_SELF", "an account cannot trade with itself");
      if (t.qty <= 0n || !fitsUnsigned(t.qty, AMOUNT_BITS))
        fail("TRADE_BAD_QTY", `quantity ${t.qty} is not in 1..2^64-1`);
      if (t.price <= 0n || !fitsUnsigned(t.price, PRICE_BITS))
        fail("TRADE_BAD_PRICE", `price ${t.price} is not in 1..2^64-1`);
      for (const so of [t.buy, t.sell]) {
        if (!state.hasAccount(so.order.account)) {
          throw new TradeError(
            "ACCOUNT_NOT_FOUND",
            i,
            `account ${so.order.account} does not exist`,
          );
        }
      }
      const sides: TradeSlotSide[] = [];
      for (const leg of tradeLegs(t)) {
        const so = leg.order;
        const rate = feeRateBps(markets[market], leg.taker);
        const before = state.getAccount(so.order.account);
        sides.push(sideInput(state, so, before));
        const r = applyTradeSide(
          i,
          before,
          so,
          t.qty,
          t.price,
          rate,
          state,
          marks,
          indices,
          checked,
          !opts.trustSignatures,
          reduceOnly,
          margins,
        );
        write(so.order.account, r.account, checked);
        totalFees += r.fee;
        // an account trading twice in a batch settles once (the second owes nothing more),
        // but the fund settles each market it trades: the batch records the sum
        if (r.funding.owed !== 0n)
          funding.set(so.order.account, (funding.get(so.order.account) ?? 0n) + r.funding.payment);
      }
      slots.push({
        enabled: 1n,
        market: BigInt(market),
        qty: t.qty,
        price: t.price,
        takerIsBuyer: t.takerIsBuyer ? 1n : 0n,
        sides: [sides[0], sides[1]],
      });
    });

    const feeBefore = state.getAccount(FEE_ACCOUNT);
    const feeProof = state.tree.proof(FEE_ACCOUNT);
    const feePre = leafPreimage(feeBefore);
    // unchecked, a fee balance past its range is written as the circuit packs it (the
    // adversarial tests' witness for SettleTrades' range check of the fee collateral)
    write(FEE_ACCOUNT, { ...feeBefore, collateral: feeBefore.collateral + totalFees }, checked);

    const dataCommitment = tradeCommitment(trades);
    const m = markets.length;
    const input: SettleTradesInput = {
      oldRoot,
      newRoot: state.root,
      dataCommitment,
      tradeBinding: binding,
      marketParam: markets.map(packMarketParams),
      domain: state.domain,
      fundFloor: state.fundFloor,
      margins: marginsWord(margins),
      mark: [...marks],
      fundingIndex: [...indices],
      reduceOnly,
      slots: [
        ...slots,
        ...Array.from({ length: batchSize - slots.length }, () => paddingSlot(state.depth, m)),
      ],
      feeLeaf: {
        ax: feePre[0],
        ay: feePre[1],
        balance: feePre[2],
        word: Array.from({ length: m }, (_, j) => feePre[3 + 2 * j]),
        notional: Array.from({ length: m }, (_, j) => feePre[4 + 2 * j]),
        siblings: circuitSiblings(feeProof.siblings),
      },
    };
    return {
      oldRoot,
      newRoot: state.root,
      dataCommitment,
      tradeBinding: binding,
      totalFees,
      funding,
      input,
    };
  } catch (e) {
    for (const [index, a] of undo.reverse()) state.setAccount(index, a);
    throw e;
  }
}

/** An empty slot: all zeros, enabled = 0. It cannot change the state. */
export function paddingSlot(depth: number, markets: number): SettleTradesInput["slots"][number] {
  const side = (): TradeSlotSide => ({
    account: 0n,
    nonce: 0n,
    maxFeeBps: 0n,
    amount: 0n,
    limitPrice: 0n,
    sigR8x: 0n,
    sigR8y: 0n,
    sigS: 0n,
    ax: 0n,
    ay: 0n,
    balance: 0n,
    word: Array<bigint>(markets).fill(0n),
    notional: Array<bigint>(markets).fill(0n),
    siblings: emptyCircuitSiblings(depth),
  });
  return { enabled: 0n, market: 0n, qty: 0n, price: 0n, takerIsBuyer: 0n, sides: [side(), side()] };
}
