import {
  BPS_DENOMINATOR,
  FEE_ACCOUNT,
  FIRST_USER_ACCOUNT,
  INSURANCE_ACCOUNT,
} from "../domain/constants.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { ExitData } from "../domain/exit-data.ts";
import { verify } from "../domain/keys.ts";
import { equity, marginSurplus, scaledRequirement } from "../domain/margin.ts";
import { accountQueryMessage } from "../domain/messages.ts";
import { exitDataOf, type FreezePoint } from "../engine/exit-data.ts";
import type { ExchangeState } from "../engine/state.ts";
import { compartmentValues } from "../domain/compartments.ts";
import { oneX, scaledMarkets, type RoundMargins } from "../domain/volatility.ts";
import type { ExplorerAccount, ExplorerMarket, SignedAccountQuery } from "./source.ts";

/**
 * What the explorer computes from an ExchangeState, the same for every source (the
 * operator's state, a replica's replayed one): open interest, the system accounts, and an
 * account's figures for its key holder after checking the query's signature.
 */

/** A refusal of the explorer's (its code gives the HTTP status, domain/error-codes.ts). */
export class ExplorerError extends ZkClearError {}

/** How long a signed account query stays valid, seconds (as GET /v1/accounts). */
export const QUERY_WINDOW = 300n;

/**
 * Per market: the mark (null: no round yet), the open interest long and short, and the
 * insurance fund's compartment at the mark.
 */
export function marketsOf(state: ExchangeState, marks: readonly bigint[] | null): ExplorerMarket[] {
  const long = state.markets.map(() => 0n);
  const short = state.markets.map(() => 0n);
  for (const [, a] of state.entries())
    a.positions.forEach((p, j) => {
      if (p.size > 0n) long[j] += p.size;
      else short[j] -= p.size;
    });
  const compartments = marks ? compartmentValues(state.getAccount(INSURANCE_ACCOUNT), marks) : null;
  return state.markets.map((_, j) => ({
    index: j,
    compartment: compartments ? compartments[j] : null,
    mark: marks ? marks[j] : null,
    openInterestLong: long[j],
    openInterestShort: short[j],
  }));
}

/** The insurance fund's reserve (its collateral) and the fee account's collateral. */
export function systemAccountsOf(state: ExchangeState): {
  insuranceFund: bigint;
  feeAccount: bigint;
} {
  return {
    insuranceFund: state.getAccount(INSURANCE_ACCOUNT).collateral,
    feeAccount: state.getAccount(FEE_ACCOUNT).collateral,
  };
}

/**
 * Checks a signed account query against `state`: the timestamp within QUERY_WINDOW of
 * `now` (AUTH_EXPIRED), the account has a leaf (ACCOUNT_NOT_FOUND), and the signature is
 * its key's over accountQueryMessage in the state's domain (AUTH_FAILED).
 */
export function checkQuery(
  state: ExchangeState,
  index: bigint,
  q: SignedAccountQuery,
  now: bigint,
): void {
  if (q.account !== index)
    throw new ExplorerError(
      "AUTH_FAILED",
      `the query is signed for account ${q.account}, not for account ${index}`,
    );
  if (q.timestamp > now + QUERY_WINDOW || q.timestamp + QUERY_WINDOW < now)
    throw new ExplorerError(
      "AUTH_EXPIRED",
      `the query was signed at ${q.timestamp}, more than ${QUERY_WINDOW} s from now (${now}): sign a fresh one (zkclear account --print-query)`,
    );
  if (index < FIRST_USER_ACCOUNT || !state.hasAccount(index))
    throw new ExplorerError("ACCOUNT_NOT_FOUND", `no trader account ${index}`);
  const key = state.getAccount(index).pubKey;
  if (!verify(key, accountQueryMessage(index, q.timestamp, state.domain), q))
    throw new ExplorerError(
      "AUTH_FAILED",
      `only account ${index}'s key holder may read it: the query's signature is not by its key`,
    );
}

/** ceil(x / 10^4) for x >= 0: a requirement in quote units, never understated. */
function quoteUnits(scaled: bigint): bigint {
  return (scaled + BPS_DENOMINATOR - 1n) / BPS_DENOMINATOR;
}

/**
 * Account `index`'s figures at `marks` (round `roundId`) for its key holder: the query is
 * checked first (checkQuery). Without marks (no round yet) equity is the collateral and the
 * requirements are 0. The requirements are the round's (`margins`: the configured rates
 * scaled by its multipliers; 1x when not given): the initial one at `mult`, the maintenance
 * one at `liqMult`, the level below which the account may be liquidated.
 */
export function accountView(
  state: ExchangeState,
  index: bigint,
  q: SignedAccountQuery,
  at: {
    roundId: bigint | null;
    marks: readonly bigint[] | null;
    margins?: RoundMargins | null;
    now: bigint;
  },
): ExplorerAccount {
  checkQuery(state, index, q, at.now);
  const a = state.getAccount(index);
  const marks = at.marks ?? state.markets.map(() => 0n);
  const margins = at.margins ?? oneX(state.markets.length);
  const m = scaledMarkets(state.markets, margins);
  const liq = scaledMarkets(state.markets, margins, "liquidation");
  return {
    index,
    collateral: a.collateral,
    withdrawNonce: a.withdrawNonce,
    isolatedMarket: a.isolatedMarket ?? null,
    positions: a.positions.map((p, market) => ({ market, size: p.size, notional: p.notional })),
    roundId: at.roundId,
    marks: at.marks ? [...at.marks] : [],
    equity: equity(a, marks),
    maintenanceMargin: quoteUnits(scaledRequirement(a, marks, liq, "maintenance")),
    initialMargin: quoteUnits(scaledRequirement(a, marks, m, "initial")),
    meetsMaintenance: marginSurplus(a, marks, liq, "maintenance") >= 0n,
    meetsInitial: marginSurplus(a, marks, m, "initial") >= 0n,
    root: state.root,
  };
}

/**
 * Account `index`'s exit data in `state` at `point` (engine/exit-data.ts exitDataOf), after
 * checking the query when one is given. Refuses EXIT_DATA_UNAVAILABLE when `point` is a
 * root the state is not at (batches in flight; after a freeze, cut batches that never landed).
 */
export function exitDataView(
  state: ExchangeState,
  index: bigint,
  point: FreezePoint & { readonly root?: bigint },
  source: string,
  query?: { q: SignedAccountQuery; now: bigint },
): ExitData {
  if (query) checkQuery(state, index, query.q, query.now);
  else if (!state.hasAccount(index) || index === 0n)
    throw new ExplorerError("ACCOUNT_NOT_FOUND", `account ${index} has no leaf`);
  if (point.root !== undefined && point.root !== state.root)
    throw new ExplorerError(
      "EXIT_DATA_UNAVAILABLE",
      `this source's state is at root ${state.root}, the exit data must be at the chain's root ${point.root} ` +
        `(batches in flight: ask again in a moment; after a freeze: take it from a replica, zkclear exit-data --from <replica>)`,
    );
  return exitDataOf(state, index, point, source);
}
