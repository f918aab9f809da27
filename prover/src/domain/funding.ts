import { poseidon } from "./hash.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import { FUNDING_INDEX_BITS, FUNDING_SCALE } from "./constants.ts";
import { checkSigned, pow2 } from "./amounts.ts";
import type { Account } from "./account.ts";

/**
 * Funding: each market has a cumulative funding index I (signed, |I| <= 2^63, counted in
 * 2^-20 quote units per lot). At each funding tick the Funding contract moves it by
 * trunc(rate * price * 2^20 / 10^6), the rate in parts per million of the oracle price
 * (capped on-chain), so a long of one lot owes about rate * price / 10^6 quote units per
 * tick: longs pay shorts when the rate is positive, shorts pay longs when it is negative.
 *
 * Every position records the index it last paid at (Position.fundingIndex). Whenever a
 * circuit reads an account for a margin check, a payout or a liquidation, it first
 * settles the account's accrued funding into collateral:
 *   owed    = sum_j size_j * (I_j - lastIndex_j)          (exact, 2^-20 quote units)
 *   payment = ceil(owed / 2^20)                           (quote units)
 *   collateral -= payment; lastIndex_j = I_j for every market.
 * Rounding up favours the system on both sides: a payer pays the fraction, a receiver
 * loses it. The dust (< 1 quote unit per settlement) stays in the Vault unassigned; the
 * auditor checks that what was paid equals what was received plus that dust.
 *
 * Circuit twin: SettleFunding(M) in circuits/src/funding.circom.
 */

export class FundingError extends ZkClearError<CodeOf<"market">> {}

/** The funding indices every market starts at. */
export function zeroIndices(markets: number): bigint[] {
  return Array.from({ length: markets }, () => 0n);
}

/** Checks a vector of funding indices: one per market, each in [-2^63, 2^63). */
export function checkIndices(indices: readonly bigint[], markets: number): readonly bigint[] {
  if (indices.length !== markets) {
    throw new FundingError(
      "FUNDING_INDEX_COUNT",
      `expected ${markets} funding indices (one per market), got ${indices.length}`,
    );
  }
  indices.forEach((x, j) => checkSigned(x, FUNDING_INDEX_BITS, `funding index of market ${j}`));
  return indices;
}

/**
 * Poseidon(M)(I_j + 2^63): the funding part of a batch's price binding, as MarketBinding
 * computes it and the Funding contract stores it per tick.
 */
export function fundingHash(indices: readonly bigint[]): bigint {
  return poseidon(indices.map((x) => x + pow2(FUNDING_INDEX_BITS)));
}

/** The exact funding an account owes at `indices` (negative: it is owed), in 2^-20 quote units. */
export function accruedFunding(a: Account, indices: readonly bigint[]): bigint {
  let owed = 0n;
  a.positions.forEach((p, j) => {
    owed += p.size * (indices[j] - p.fundingIndex);
  });
  return owed;
}

/** ceil(x / FUNDING_SCALE) for a signed x: what the account pays (negative: receives). */
export function fundingPayment(owed: bigint): bigint {
  if (owed >= 0n) return (owed + FUNDING_SCALE - 1n) / FUNDING_SCALE;
  return -(-owed / FUNDING_SCALE);
}

/** What settling funding did to one account. */
export interface FundingSettlement {
  /** The account after settlement: collateral less the payment, every index current. */
  readonly account: Account;
  /** Exact amount owed, 2^-20 quote units (negative when the account receives). */
  readonly owed: bigint;
  /** ceil(owed / 2^20) quote units, taken from collateral (negative: credited). */
  readonly payment: bigint;
}

/** Settles an account's accrued funding at `indices` (the twin of SettleFunding(M)). */
export function settleFunding(a: Account, indices: readonly bigint[]): FundingSettlement {
  const owed = accruedFunding(a, indices);
  const payment = fundingPayment(owed);
  const current = a.positions.every((p, j) => p.fundingIndex === indices[j]);
  if (payment === 0n && current) return { account: a, owed, payment };
  return {
    account: {
      ...a,
      collateral: a.collateral - payment,
      positions: a.positions.map((p, j) => ({ ...p, fundingIndex: indices[j] })),
    },
    owed,
    payment,
  };
}

/** What settling the insurance fund's funding market by market did. */
export interface FundingByMarket {
  /** The fund after settlement: each market's notional raised by its payment, every index current. */
  readonly account: Account;
  /** Exact amounts owed per market, 2^-20 quote units. */
  readonly owed: readonly bigint[];
  /** ceil(owed_j / 2^20) per market, charged to that market's notional (negative: credited). */
  readonly payments: readonly bigint[];
}

/**
 * Settles the insurance fund's accrued funding market by market (docs/isolation.md,
 * section 1): market j's payment, rounded up on its own, is charged to its notional, so the
 * fund's compartment C_j = size_j * mark_j - notional_j pays market j's funding alone and
 * the collateral (the reserve) is untouched. Twin of SettleFundingByMarket(M) in
 * circuits/src/funding.circom.
 */
export function settleFundingByMarket(a: Account, indices: readonly bigint[]): FundingByMarket {
  const owed = a.positions.map((p, j) => p.size * (indices[j] - p.fundingIndex));
  const payments = owed.map(fundingPayment);
  return {
    account: {
      ...a,
      positions: a.positions.map((p, j) => ({
        ...p,
        notional: p.notional + payments[j],
        fundingIndex: indices[j],
      })),
    },
    owed,
    payments,
  };
}

/**
 * Settles the insurance fund's accrued funding in one market, `market`, into that market's
 * notional (docs/isolation.md, section 1: a fund trade). Its other markets keep their
 * funding index: their size does not change in the trade, so what they owe waits, exact,
 * for the next settlement. The collateral (the reserve) is untouched. Twin of TradeSide's
 * fund path (circuits/src/trade.circom, D': SettleFunding(1) on the traded market, its
 * payment into the traded notional).
 */
export function settleFundingInMarket(
  a: Account,
  indices: readonly bigint[],
  market: number,
): FundingSettlement {
  const p = a.positions[market];
  const owed = p.size * (indices[market] - p.fundingIndex);
  const payment = fundingPayment(owed);
  if (payment === 0n && p.fundingIndex === indices[market]) return { account: a, owed, payment };
  return {
    account: {
      ...a,
      positions: a.positions.map((q, j) =>
        j === market ? { ...q, notional: q.notional + payment, fundingIndex: indices[j] } : q,
      ),
    },
    owed,
    payment,
  };
}

/**
 * The funding ledger's basis: sum over accounts and markets of size * the index the
 * position last paid at (2^-20 quote units). Every settlement adds to it exactly what it
 * settles (owed), and a trade or a liquidation moves a position between two accounts at
 * the same index, so the basis always equals the exact funding settled so far; what the
 * accounts paid in all (the rounded payments) exceeds it by the rounding the system kept:
 *   0 <= sum(payments) * 2^20 - basis < 2^20 * settlements.
 * The auditor checks that ledger after every batch.
 */
export function fundingBasis(accounts: Iterable<Account>): bigint {
  let basis = 0n;
  for (const a of accounts) for (const p of a.positions) basis += p.size * p.fundingIndex;
  return basis;
}
