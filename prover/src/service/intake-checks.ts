import type { Account } from "../domain/account.ts";
import type { ErrorCode } from "../domain/errors.ts";
import { equity, meetsMargin, meetsMarginAbove } from "../domain/margin.ts";
import type { MarketParams } from "../domain/market.ts";
import type { SignedOrder } from "../domain/order.ts";
import { applyTradeSide, TradeError } from "../engine/trades.ts";
import { settleFunding } from "../domain/funding.ts";
import { INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { scaledMarkets, type RoundMargins } from "../domain/volatility.ts";

/**
 * The checks intake makes before it acknowledges an order or a withdrawal, so that what it
 * accepts can trade or be paid (the circuits would refuse it later otherwise): an order must
 * leave its account above margin if it filled in full at its limit (with the account's
 * resting orders on the other markets filled too), as exchanges check order margin; a
 * withdrawal must be covered by free collateral after the account's pending matches and
 * earlier requests, at the latest prices and funding indices. The caller has checked the order's signature.
 */
type Config = {
  readonly markets: readonly MarketParams[];
  readonly domain: bigint;
  readonly fundFloor: bigint;
};

/** Why the order could not be margined, or undefined when it can. */
export function checkOrderMargin(
  account: Account,
  so: SignedOrder,
  others: readonly SignedOrder[],
  config: Config,
  marks: readonly bigint[],
  indices: readonly bigint[],
  margins: RoundMargins,
): string | undefined {
  const rate = (o: SignedOrder) => {
    const mk = config.markets[o.order.market];
    return o.order.maxFeeBps < mk.takerFeeBps ? o.order.maxFeeBps : mk.takerFeeBps;
  };
  let a = account;
  // the worst case: every other resting order of the account fills in full at its limit
  for (const o of others)
    a = applyTradeSide(
      0,
      a,
      o,
      o.order.amount,
      o.order.limitPrice,
      rate(o),
      config,
      marks,
      indices,
      false,
      false,
      0n,
      margins,
    ).account;
  try {
    // signatures were checked when the orders came in: not again here
    const verify = false;
    applyTradeSide(
      0,
      a,
      so,
      so.order.amount,
      so.order.limitPrice,
      rate(so),
      config,
      marks,
      indices,
      true,
      verify,
      0n,
      margins,
    );
    return undefined;
  } catch (e) {
    if (e instanceof TradeError && e.code === "MARGIN_INSUFFICIENT")
      return (
        `filled in full at its limit (with the account's other resting orders) it would leave ` +
        `account ${so.order.account} below its margin at the latest prices: deposit more or order less`
      );
    if (e instanceof TradeError) return e.message.replace(/^trade 0: /, "");
    throw e;
  }
}

/**
 * Why withdrawing `amounts` (in order) from account `index` could not be paid now, or
 * undefined. The insurance fund (its owner's withdrawals) keeps at least its floor.
 */
export function checkWithdrawalFunds(
  index: bigint,
  account: Account,
  amounts: readonly bigint[],
  config: Config,
  marks: readonly bigint[],
  indices: readonly bigint[],
  margins: RoundMargins,
): { code: ErrorCode; message: string } | undefined {
  // the round's requirements: the configured rates scaled by its margin multipliers
  const markets = scaledMarkets(config.markets, margins);
  const total = amounts.reduce((s, x) => s + x, 0n);
  // the withdrawal batch settles the account's funding first: judge it after funding (the
  // insurance fund's is judged, not settled: its reserve alone pays; engine/transfers.ts)
  const settled = settleFunding(account, indices).account;
  const after: Account = { ...settled, collateral: settled.collateral - total };
  const paid = index === INSURANCE_ACCOUNT ? account.collateral - total : after.collateral;
  if (paid < 0n)
    return {
      code: "WITHDRAW_INSUFFICIENT",
      message:
        index === INSURANCE_ACCOUNT
          ? `withdrawing ${total} in all (its queued withdrawals and moves into compartments included) exceeds the insurance fund's reserve ${account.collateral}`
          : `withdrawing ${total} in all exceeds the account's collateral ${settled.collateral} (after its pending trades and funding)`,
    };
  if (
    index === INSURANCE_ACCOUNT &&
    !meetsMarginAbove(after, marks, markets, "initial", config.fundFloor)
  )
    return {
      code: "FUND_BELOW_FLOOR",
      message: `withdrawing ${total} in all would leave the insurance fund's equity at the latest prices, ${equity(after, marks)}, below its floor ${config.fundFloor} plus its initial margin`,
    };
  if (!meetsMargin(after, marks, markets, "initial"))
    return {
      code: "MARGIN_INSUFFICIENT",
      message: `after withdrawing ${total} in all the account would be below initial margin at the latest prices`,
    };
  return undefined;
}
