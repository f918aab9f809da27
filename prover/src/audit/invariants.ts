import { FEE_ACCOUNT, FUNDING_SCALE, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { signedFloorDiv } from "../domain/amounts.ts";
import { fundingBasis } from "../domain/funding.ts";
import { equity } from "../domain/margin.ts";
import type { ExchangeState } from "../engine/state.ts";

/**
 * The equity of accounts that are under water at `marks` (≤ 0): losses their collateral
 * does not cover. Solvency above nets them against the other accounts' gains; until they
 * are liquidated, the insurance fund stands behind them, so the report shows the figure.
 */
export function negativeEquity(state: ExchangeState, marks: readonly bigint[]): bigint {
  let total = 0n;
  for (const [, a] of state.entries()) {
    const e = equity(a, marks);
    if (e < 0n) total += e;
  }
  return total;
}

/**
 * The books of a replayed state, summed.
 *
 * Money: an account's collateral moves by deposits, withdrawals, fees, liquidations and
 * realised PnL; its open notional is what its open positions cost. Every trade adds the
 * same notional to one side that it takes from the other, and closing a position moves
 * its notional into collateral, so Σ (collateral − open notional) over all accounts —
 * the fee account and the insurance fund included — changes only when tokens enter or
 * leave. It is also the accounts' total equity at any prices, because unrealised PnL
 * nets to zero when long and short open interest are equal.
 *
 * Funding is settled into collateral only when an account is next read, so at any moment
 * some of it is credited to receivers and not yet debited from payers (or the reverse).
 * What the positions still owe nets, over all accounts, to basis / 2^20 (the funding basis,
 * domain/funding.ts: sum size * (I - lastIndex) summed over accounts is -basis when open
 * interest is equal), so the accounts are owed
 * Σ (collateral − open notional) + basis / 2^20, rounded down: less than the Vault holds by
 * the rounding the system kept.
 */
export interface Books {
  readonly accounts: number;
  /** Σ collateral − Σ open notional + unsettled funding: what the accounts are owed in total. */
  readonly owedToAccounts: bigint;
  /** The funding basis (domain/funding.ts), 2^-20 quote units: the funding ledger reads it. */
  readonly fundingBasis: bigint;
  readonly collateral: bigint;
  readonly insuranceFund: bigint;
  readonly feeAccount: bigint;
  /** Per market: Σ of long sizes and Σ of |short sizes|. */
  readonly openInterest: readonly { readonly long: bigint; readonly short: bigint }[];
}

export function books(state: ExchangeState): Books {
  let owed = 0n;
  let collateral = 0n;
  let accounts = 0;
  const oi = state.markets.map(() => ({ long: 0n, short: 0n }));
  for (const [, a] of state.entries()) {
    accounts++;
    collateral += a.collateral;
    owed += a.collateral;
    a.positions.forEach((p, j) => {
      owed -= p.notional;
      if (p.size > 0n) oi[j].long += p.size;
      else oi[j].short -= p.size;
    });
  }
  const basis = fundingBasis([...state.entries()].map(([, a]) => a));
  owed += signedFloorDiv(basis, FUNDING_SCALE);
  return {
    accounts,
    owedToAccounts: owed,
    fundingBasis: basis,
    collateral,
    insuranceFund: state.getAccount(INSURANCE_ACCOUNT).collateral,
    feeAccount: state.getAccount(FEE_ACCOUNT).collateral,
    openInterest: oi,
  };
}

/** The Vault's side: tokens it holds and what of them is not the accounts'. */
export interface VaultBooks {
  /** The Vault's token balance (from the token's Transfer events). */
  readonly balance: bigint;
  /** Credited by proven withdrawals, not yet claimed. */
  readonly pendingWithdrawals: bigint;
  /** Deposited into the queue, not yet credited by a proven batch. */
  readonly queuedDeposits: bigint;
}

export interface InvariantBreach {
  readonly code: "SOLVENCY" | "OPEN_INTEREST";
  readonly message: string;
}

/**
 * The solvency invariants after a batch: the accounts are owed exactly the Vault's
 * balance minus pending withdrawals and queued deposits (a shortfall is a breach; a
 * surplus — tokens sent to the Vault directly — is returned separately), and on every
 * market long and short open interest are equal.
 */
export function checkInvariants(
  b: Books,
  v: VaultBooks,
  marketNames: readonly string[],
): { breaches: InvariantBreach[]; surplus: bigint } {
  const breaches: InvariantBreach[] = [];
  const backing = v.balance - v.pendingWithdrawals - v.queuedDeposits;
  if (backing < b.owedToAccounts) {
    breaches.push({
      code: "SOLVENCY",
      message:
        `the accounts are owed ${b.owedToAccounts} (collateral ${b.collateral} incl. insurance fund ` +
        `${b.insuranceFund}, minus open notional, plus funding not yet settled) but the Vault holds ${v.balance} − pending ` +
        `withdrawals ${v.pendingWithdrawals} − queued deposits ${v.queuedDeposits} = ${backing}: ` +
        `short by ${b.owedToAccounts - backing}`,
    });
  }
  b.openInterest.forEach((oi, j) => {
    if (oi.long !== oi.short)
      breaches.push({
        code: "OPEN_INTEREST",
        message: `market ${j} (${marketNames[j] ?? "?"}): long open interest ${oi.long} ≠ short ${oi.short}`,
      });
  });
  return { breaches, surplus: backing > b.owedToAccounts ? backing - b.owedToAccounts : 0n };
}
