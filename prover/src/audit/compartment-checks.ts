import type { Deleveraging } from "../domain/deleveraging.ts";
import type { Account } from "../domain/account.ts";
import {
  tradeLegs,
  type BatchData,
  type BatchKind,
  type Trade,
  type TradeLeg,
} from "../domain/batch.ts";
import { compartmentValues } from "../domain/compartments.ts";
import { INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { settleFundingByMarket, settleFundingInMarket } from "../domain/funding.ts";
import { tradingFee } from "../domain/margin.ts";
import { feeRateBps, type MarketParams } from "../domain/market.ts";
import type { ExchangeState } from "../engine/state.ts";
import { debitOf } from "../domain/sub-accounts.ts";
import type { Finding } from "./findings.ts";
import type { Progress } from "./progress.ts";

/**
 * The insurance fund's compartments in the audit (docs/isolation.md, section 1). After every
 * replayed batch whose root the chain confirmed, the fund's ledger in each market,
 * C_j = size_j * mark_j - notional_j at the batch's marks, is compared with the one before.
 * The check reads the two states, not what the engine says it charged, so it holds the
 * circuits, the engine and the operator to the rule:
 *
 * - liquidations: the fund's funding of market j goes into C_j (SettleFundingByMarket); beyond
 *   it, C_j changes only where a liquidated account held a position in market j, where the
 *   batch deleverages market j, or by the fund owner's move in market j. The reserve (the fund's collateral) changes only by the
 *   move. A loss in market 0 never reaches market 1's compartment nor the reserve
 *   (COMPARTMENT_CROSSED, RESERVE_CHARGED).
 * - trades: C_j changes by exactly what the fund's own trades in market j make against the
 *   marks, sum dir * qty * (mark_j - price), less the funding it settled there before its
 *   first one (a fund trade realises nothing; settleFundingInMarket), and by nothing in a
 *   market it did not trade (COMPARTMENT_CROSSED); the reserve pays the fund's trading fees
 *   and nothing else (RESERVE_CHARGED).
 * - deposits, withdrawals, forced answers: no position of the fund changes; a withdrawal
 *   batch takes from the reserve exactly the fund's own withdrawals (its funding is judged,
 *   not settled: RESERVE_CHARGED).
 * - every kind: the fund's funding index in a market moves only where its funding there was
 *   settled into the compartment: every market in a liquidation batch, a traded market in
 *   a trade batch (COMPARTMENT_CROSSED).
 *
 * Each batch that changed a compartment or the reserve is recorded for the report
 * (Progress.compartmentChanges, ./report-compartments.ts).
 */

/** One batch's change to the fund's compartments and reserve, as the audit replayed it. */
export interface CompartmentChange {
  readonly batch: number;
  readonly kind: BatchKind;
  /** The batch's oracle round (null: a deposit batch, unpriced). */
  readonly roundId: bigint | null;
  /** The reserve after the batch, and its change. */
  readonly reserve: bigint;
  readonly reserveDelta: bigint;
  /** C_j after the batch at its marks, and the change from before (null: unpriced). */
  readonly compartments: readonly bigint[] | null;
  readonly deltas: readonly bigint[] | null;
  /** Of each delta, the fund's funding in that market (liquidation and trade batches; else 0). */
  readonly funding: readonly bigint[] | null;
  /** The fund owner's move the batch carried. */
  readonly move: {
    readonly market: number;
    readonly amount: bigint;
    readonly toReserve: boolean;
  } | null;
  /** The accounts the batch liquidated. */
  readonly liquidated: number;
  /** What the batch deleveraged, market by market (empty: nothing). */
  readonly deleveraged: readonly Deleveraging[];
}

interface CompartmentContext {
  readonly p: Progress;
  find(f: Finding): void;
}

/**
 * The markets a liquidation batch may change a compartment in beyond the fund's funding and
 * the move: those its liquidated accounts hold a position in, and those it deleverages.
 */
function marketsOf(d: BatchData, accountsBefore: ReadonlyMap<bigint, Account>): Set<number> {
  const open = new Set<number>();
  if (d.kind === "liquidations") {
    for (const a of d.accounts)
      accountsBefore.get(a)?.positions.forEach((p, j) => {
        if (p.size !== 0n) open.add(j);
      });
    for (const m of d.deleveraged ?? []) open.add(m.market);
  }
  return open;
}

/** What the check reads of the state before a batch: the fund and the liquidated accounts. */
export interface CompartmentSnapshot {
  readonly fund: Account;
  readonly accounts: ReadonlyMap<bigint, Account>;
}

/** Takes the snapshot of `state` the check needs, before `d` is replayed on it. */
export function compartmentSnapshot(
  state: Pick<ExchangeState, "hasAccount" | "getAccount">,
  d: BatchData,
): CompartmentSnapshot {
  const accounts = new Map<bigint, Account>();
  if (d.kind === "liquidations")
    for (const a of d.accounts) if (state.hasAccount(a)) accounts.set(a, state.getAccount(a));
  return { fund: state.getAccount(INSURANCE_ACCOUNT), accounts };
}

/** What the fund's own withdrawals in a withdrawal batch take from its reserve. */
function fundDebits(d: Extract<BatchData, { kind: "withdrawals" }>): bigint {
  return d.withdrawals
    .map(debitOf)
    .filter((w) => w.account === INSURANCE_ACCOUNT)
    .reduce((s, w) => s + w.amount, 0n);
}

/**
 * The fund's funding index in market j moves only where its funding there was settled into
 * its compartment: every market in a liquidation batch, a market it traded in a trade batch.
 */
function checkFundIndices(
  ctx: CompartmentContext,
  n: number,
  d: BatchData,
  before: Account,
  after: Account,
): void {
  const traded = new Set(fundLegs(d).map((l) => l.market));
  before.positions.forEach((p, j) => {
    const settles = d.kind === "liquidations" || traded.has(j);
    const want = settles && "fundingIndices" in d ? d.fundingIndices[j] : p.fundingIndex;
    const got = after.positions[j].fundingIndex;
    if (got !== want)
      ctx.find({
        code: "COMPARTMENT_CROSSED",
        batch: n,
        message: `the insurance fund's funding index in market ${j} went from ${p.fundingIndex} to ${got} in a ${d.kind} batch; ${settles ? `its funding there settles at the batch's index ${want}` : "its funding there is not settled in such a batch (it waits, exact, for its compartment)"}`,
      });
  });
}

/** The fund's sides in a batch's trades, in order, with their trade and market (none but in a trade batch). */
export function fundLegs(
  d: BatchData,
): (TradeLeg & { readonly trade: Trade; readonly market: number })[] {
  if (d.kind !== "trades") return [];
  return d.trades.flatMap((trade) =>
    tradeLegs(trade)
      .filter((l) => l.order.order.account === INSURANCE_ACCOUNT)
      .map((l) => ({ ...l, trade, market: trade.buy.order.market })),
  );
}

/** The trading fees the fund paid in a trade batch (the taker's rate or the maker's). */
function fundFees(d: BatchData, markets: readonly MarketParams[]): bigint {
  return fundLegs(d).reduce(
    (s, l) => s + tradingFee(l.trade.qty * l.trade.price, feeRateBps(markets[l.market], l.taker)),
    0n,
  );
}

/**
 * A trade batch's effect on the fund's compartments (see above): per market, the funding it
 * settled there before its first trade (negative: paid), and its trades' result against
 * the marks.
 */
function fundTradeEffects(
  d: Extract<BatchData, { kind: "trades" }>,
  before: Account,
): { funding: bigint[]; traded: bigint[] } {
  const funding = before.positions.map(() => 0n);
  const traded = before.positions.map(() => 0n);
  const settled = new Set<number>();
  for (const { market: m, dir, trade } of fundLegs(d)) {
    if (!settled.has(m)) {
      settled.add(m);
      funding[m] = -settleFundingInMarket(before, d.fundingIndices, m).payment;
    }
    traded[m] += dir * trade.qty * (d.marks[m] - trade.price);
  }
  return { funding, traded };
}

const signed = (x: bigint) => (x < 0n ? `${x}` : `+${x}`);

/**
 * Compares the fund before a batch (`snap`) and after it (`state`, replayed to the chain's
 * root; `d` the replay's data); records the change, and finds what the rule forbids.
 */
export function checkCompartments(
  ctx: CompartmentContext,
  n: number,
  d: BatchData,
  snap: CompartmentSnapshot,
  state: Pick<ExchangeState, "getAccount" | "markets">,
): void {
  const before = snap.fund;
  const after = state.getAccount(INSURANCE_ACCOUNT);
  const move = d.kind === "liquidations" && d.compartmentMove ? d.compartmentMove.move : null;
  const signedMove = move ? (move.toReserve ? move.amount : -move.amount) : 0n;
  const reserveDelta = after.collateral - before.collateral;
  if (d.kind === "trades" && reserveDelta !== -fundFees(d, state.markets))
    ctx.find({
      code: "RESERVE_CHARGED",
      batch: n,
      message: `the insurance fund's reserve went from ${before.collateral} to ${after.collateral} in a trade batch; only its trading fees (${fundFees(d, state.markets)}) may leave it`,
    });
  if (d.kind === "withdrawals" && reserveDelta !== -fundDebits(d))
    ctx.find({
      code: "RESERVE_CHARGED",
      batch: n,
      message: `the insurance fund's reserve went from ${before.collateral} to ${after.collateral} in a withdrawal batch; only its own withdrawals (${fundDebits(d)}) may leave it`,
    });
  checkFundIndices(ctx, n, d, before, after);
  if (d.kind === "liquidations" && reserveDelta !== signedMove)
    ctx.find({
      code: "RESERVE_CHARGED",
      batch: n,
      message: `the insurance fund's reserve went from ${before.collateral} to ${after.collateral} in a liquidation batch; only the fund owner's move may change it (${move ? `${signed(signedMove)} by its move` : "it carried none"})`,
    });
  const open = marketsOf(d, snap.accounts);
  let compartments: bigint[] | null = null;
  let deltas: bigint[] | null = null;
  let funding: bigint[] | null = null;
  if (d.kind === "deposits") {
    // unpriced: no position of the fund may change at all
    before.positions.forEach((p, j) => {
      const q = after.positions[j];
      if (p.size !== q.size || p.notional !== q.notional)
        ctx.find({
          code: "COMPARTMENT_CROSSED",
          batch: n,
          message: `a deposit batch changed the insurance fund's position in market ${j} (size ${p.size} -> ${q.size}, notional ${p.notional} -> ${q.notional})`,
        });
    });
  } else {
    const marks = d.marks;
    // the fund's funding by market goes into its compartments in a liquidation batch only
    const settled =
      d.kind === "liquidations" ? settleFundingByMarket(before, d.fundingIndices) : null;
    const trades = d.kind === "trades" ? fundTradeEffects(d, before) : null;
    funding = settled
      ? settled.payments.map((x) => -x)
      : (trades?.funding ?? before.positions.map(() => 0n));
    const from = compartmentValues(before, marks);
    compartments = compartmentValues(after, marks);
    deltas = compartments.map((c, j) => c - from[j]);
    deltas.forEach((delta, j) => {
      if (trades) {
        // a trade batch: exactly the fund's own trades and funding there
        const expected = trades.traded[j] + funding![j];
        if (delta !== expected)
          ctx.find({
            code: "COMPARTMENT_CROSSED",
            batch: n,
            message: `the insurance fund's compartment in market ${j} changed by ${signed(delta)} at the batch's marks; its own trades there make ${signed(trades.traded[j])} against the marks and its funding ${signed(funding![j])}`,
          });
        return;
      }
      const moved = move && move.market === j ? -signedMove : 0n;
      const unexplained = delta - funding![j] - moved;
      if (unexplained !== 0n && !open.has(j))
        ctx.find({
          code: "COMPARTMENT_CROSSED",
          batch: n,
          message: `the insurance fund's compartment in market ${j} changed by ${signed(delta)} at the batch's marks (funding ${signed(funding![j])}, move ${signed(moved)}), and no ${d.kind === "liquidations" ? "liquidated account" : "operation of the batch"} is in market ${j}`,
        });
    });
  }
  const changed = reserveDelta !== 0n || (deltas?.some((x) => x !== 0n) ?? false) || move;
  if (!changed) return;
  (ctx.p.compartmentChanges ??= []).push({
    batch: n,
    kind: d.kind,
    roundId: "round" in d ? d.round : null,
    reserve: after.collateral,
    reserveDelta,
    compartments,
    deltas,
    funding,
    move: move ? { market: move.market, amount: move.amount, toReserve: move.toReserve } : null,
    liquidated: d.kind === "liquidations" ? d.accounts.length : 0,
    deleveraged: d.kind === "liquidations" ? (d.deleveraged ?? []) : [],
  });
}
