import { isReduceOnly } from "../domain/breakers.ts";
import { createHash } from "node:crypto";
import { tradesIn, type Account } from "../domain/account.ts";
import type { Trade } from "../domain/batch.ts";
import type { ErrorCode } from "../domain/errors.ts";
import type { EdDSASignature } from "../domain/keys.ts";
import { verify } from "../domain/keys.ts";
import { toJson } from "../domain/json.ts";
import { cancelMessage } from "../domain/messages.ts";
import { orderMessage, validateOrder, verifyOrder, type SignedOrder } from "../domain/order.ts";
import { validateWithdrawal, verifyWithdrawal } from "../domain/transfers.ts";
import {
  debitOf,
  destinationRefusal,
  isTransfer,
  validateTransfer,
  verifyTransfer,
  type Debit,
} from "../domain/sub-accounts.ts";
import { applyTradeSide, TradeError } from "../engine/trades.ts";
import { OperatorError, type OperatorContext, type OrderAck } from "./context.ts";
import { checkOrderMargin, checkWithdrawalFunds } from "./intake-checks.ts";
import { rotatingReason } from "./owner-rotation.ts";
import { reserveDebit, type NonceSpend } from "./compartment-moves.ts";
import { OrderBook, tradeOfMatch, type BookOrder, type Match } from "./orderbook.ts";

/** A withdrawal (or transfer) request's id: a hash of the signed request. */
export function withdrawalId(sw: Debit): string {
  return `w-${createHash("sha256").update(toJson(sw)).digest("hex").slice(0, 24)}`;
}

function orderId(so: SignedOrder): string {
  return createHash("sha256").update(orderMessage(so.order).toString()).digest("hex").slice(0, 32);
}

/** A match not yet in a trade batch: its stored sequence number and its oracle round. */
export interface PendingMatch {
  readonly seq: number;
  readonly match: Match;
  readonly round: bigint;
}

/**
 * Order intake and matching: refuses bad orders, cancels and withdrawal requests with a
 * clear reason, and keeps one price-time book per market. An order, the matches it makes
 * and both sides' fills are stored in one transaction before any response reports them, so
 * a reported fill survives a crash. Matches wait here (`pending`) until the batcher cuts
 * them into a trade batch; `projected` holds the accounts as those matches leave them, so
 * every new match (and every intake check) sees every earlier one.
 */
export class Sequencer {
  private readonly books: OrderBook[];
  /** Matched, not yet batched. */
  pending: PendingMatch[] = [];
  /** Accounts as the pending matches leave them (for the margin veto). */
  private readonly projected = new Map<bigint, Account>();
  private seq = 0;

  constructor(private readonly ctx: OperatorContext) {
    this.books = ctx.state.markets.map((_, j) => new OrderBook(j));
  }

  /**
   * Puts the stored open orders back in the books and the stored pending matches back in
   * line, in the order they came (after a restart): exactly the fills that were reported.
   */
  restore(): void {
    const { store } = this.ctx;
    for (const so of store.openOrders()) {
      this.seq = Math.max(this.seq, so.seq);
      this.books[so.signed.order.market].insert({
        id: so.id,
        seq: so.seq,
        signed: so.signed,
        remaining: so.remaining,
      });
    }
    const round = this.ctx.round();
    for (const m of store.matches.pending()) {
      const side = (id: string): BookOrder => {
        const o = store.getOrder(id)!;
        return { id, seq: o.seq, signed: o.signed, remaining: o.remaining };
      };
      const match: Match = {
        maker: side(m.maker),
        taker: side(m.taker),
        qty: m.qty,
        price: m.price,
      };
      if (round?.roundId === m.round) this.project(match);
      this.pending.push({ seq: m.seq, match, round: m.round });
    }
  }

  account(index: bigint): Account {
    return this.projected.get(index) ?? this.ctx.state.getAccount(index);
  }

  /**
   * Refuses intake once Settlement is frozen (410: for good) and while the pipeline is
   * halted (503): nothing could settle.
   */
  open(what: string): void {
    const frozen = this.ctx.frozen();
    if (frozen)
      throw new OperatorError(
        "EXCHANGE_FROZEN",
        `the exchange is frozen: it takes no ${what}, ever; ${frozen}`,
      );
    const why = this.ctx.halted();
    if (why)
      throw new OperatorError(
        "OPERATOR_HALTED",
        `the operator takes no ${what} while it is halted: ${why}`,
      );
  }

  /** Refuses a bad order with a clear reason; accepts, stores, then matches a good one. */
  submitOrder(so: SignedOrder): OrderAck {
    const { ctx } = this;
    const refuse = (code: ErrorCode, msg: string): never => {
      ctx.metrics.ordersRefused++;
      throw new OperatorError(code, msg);
    };
    this.open("orders");
    validateOrder(so.order, ctx.state.marketCount);
    const o = so.order;
    const round = ctx.round();
    if (!round)
      refuse("NO_PRICES", "no oracle round yet: orders are accepted once prices are posted");
    if (ctx.liquidating.has(o.account)) {
      refuse(
        "ACCOUNT_IN_LIQUIDATION",
        `account ${o.account} is being liquidated: its orders are refused until the liquidation settles`,
      );
    }
    if (ctx.taking.has(o.account)) {
      refuse(
        "ACCOUNT_TAKING_LIQUIDATION",
        `account ${o.account} is taking over liquidated positions in a batch not yet settled: its orders are refused until it settles (seconds)`,
      );
    }
    const rotation = ctx.rotating?.(o.account);
    if (rotation) refuse("ACCOUNT_KEY_ROTATING", rotatingReason(o.account, rotation, "orders"));
    if (!ctx.state.hasAccount(o.account))
      refuse("ACCOUNT_NOT_FOUND", `account ${o.account} does not exist (deposit first)`);
    const acct = this.account(o.account);
    if (!verifyOrder(so, acct.pubKey, ctx.state.domain))
      refuse("ORDER_BAD_SIGNATURE", "the signature does not match the account key");
    if (!tradesIn(acct, o.market))
      refuse(
        "TRADE_OUTSIDE_ISOLATED_MARKET",
        `account ${o.account} is a sub-account isolated to market ${acct.isolatedMarket}: it trades only there, not in market ${o.market}`,
      );
    const last = ctx.store.lastNonce(o.account, o.market);
    const working = acct.positions[o.market].nonce;
    if (o.nonce <= working || (last !== undefined && o.nonce <= last)) {
      refuse(
        "ORDER_NONCE_USED",
        `nonce ${o.nonce} is not above the last one used on market ${o.market} (${last ?? working}); sign a new order with a higher nonce`,
      );
    }
    const others = this.books
      .filter((_, j) => j !== o.market)
      .flatMap((b) => b.ordersOf(o.account))
      .map((b) => b.signed);
    // a market under its circuit breaker takes only orders that reduce the position
    if (isReduceOnly(round!.reduceOnly ?? 0n, o.market)) {
      const size = acct.positions[o.market].size;
      const reducible = o.side === "buy" ? -size : size;
      if (o.amount > reducible)
        refuse(
          "MARKET_REDUCE_ONLY",
          `market ${o.market} is reduce-only (its circuit breaker tripped on a large price move): a ${o.side} of ${o.amount} against a position of ${size} would not only reduce it; at most ${reducible > 0n ? reducible : 0n} may be ${o.side === "buy" ? "bought" : "sold"} until the cool-down ends`,
        );
    }
    const margin = checkOrderMargin(
      acct,
      so,
      others,
      ctx.state,
      round!.prices,
      round!.fundingIndices,
      round!.margins,
    );
    if (margin) refuse("MARGIN_INSUFFICIENT", margin);

    const id = orderId(so);
    const entry: BookOrder = { id, seq: this.seq + 1, signed: so, remaining: o.amount };
    const book = this.books[o.market];
    // one working order per account and market: a newer nonce retires the older one
    const replaced = book.ordersOf(o.account);
    for (const old of replaced) book.cancel(old.id);
    const result = book.add(entry, (m) => this.veto(m));
    this.seq++;
    try {
      ctx.store.transaction(() => {
        ctx.store.insertOrder(id, so, Date.now());
        for (const old of replaced)
          ctx.store.updateOrder(old.id, "cancelled", old.remaining, "replaced by a newer order");
        for (const c of result.cancelled)
          ctx.store.updateOrder(c.order.id, "cancelled", c.order.remaining, c.reason);
        for (const m of result.matches) {
          const seq = ctx.store.matches.insert({
            maker: m.maker.id,
            taker: m.taker.id,
            qty: m.qty,
            price: m.price,
            round: round!.roundId,
          });
          this.pending.push({ seq, match: m, round: round!.roundId });
          ctx.store.updateOrder(m.maker.id, statusOf(m.maker), m.maker.remaining);
        }
        if (!result.cancelled.some((c) => c.order.id === id))
          ctx.store.updateOrder(id, statusOf(entry), entry.remaining);
      });
    } catch (e) {
      // the books moved but the store did not: nothing more may be accepted until a
      // restart rebuilds them from the store
      ctx.fail(`the store refused an order's writes: ${String(e)}`);
      throw e;
    }
    ctx.metrics.ordersAccepted++;
    ctx.metrics.tradesMatched += result.matches.length;
    const cancelled = result.cancelled.find((c) => c.order.id === id);
    if (cancelled)
      return { id, status: "cancelled", remaining: entry.remaining, reason: cancelled.reason };
    return { id, status: statusOf(entry), remaining: entry.remaining };
  }

  /**
   * Sequences `orders` in the given (arrival) order as {@link submitOrder} does each, in one
   * store transaction (Store.commitGroup: group commit). Each order's outcome (its ack or its
   * refusal) may be reported only once `durable` resolves, when the group is on disk. If the
   * commit fails, every order of the group fails with it (nothing is stored); if the commit
   * lands but opening or syncing the log fails, `durable` rejects: the acks stand in the store
   * but their outcome is unknown to the client (the intake answers ORDER_OUTCOME_UNKNOWN).
   * Either way the operator halts (the books moved, the disk may not have).
   */
  submitOrders(orders: readonly SignedOrder[]): {
    outcomes: ({ ack: OrderAck } | { error: unknown })[];
    durable: Promise<void>;
  } {
    const outcomes: ({ ack: OrderAck } | { error: unknown })[] = [];
    const failed = (e: unknown) => {
      this.ctx.fail(`the store refused a group of orders' commit: ${String(e)}`);
      return { outcomes: orders.map(() => ({ error: e })), durable: Promise.resolve() };
    };
    try {
      const { durable } = this.ctx.store.commitGroup(() => {
        for (const so of orders) {
          try {
            outcomes.push({ ack: this.submitOrder(so) });
          } catch (error) {
            outcomes.push({ error });
          }
        }
      });
      return {
        outcomes,
        durable: durable.catch((e: unknown) => {
          this.ctx.fail(`the disk refused to sync a group of orders: ${String(e)}`);
          throw e;
        }),
      };
    } catch (e) {
      return failed(e);
    }
  }

  /** Both sides of a match applied to the projected accounts (throws the rule broken). */
  private applyMatch(m: Match): [Account, Account] {
    const t = tradeOfMatch(m);
    const mk = this.ctx.state.markets[t.buy.order.market];
    const rates = t.takerIsBuyer
      ? [mk.takerFeeBps, mk.makerFeeBps]
      : [mk.makerFeeBps, mk.takerFeeBps];
    const { prices, fundingIndices, reduceOnly, margins } = this.ctx.round()!;
    const sides = [t.buy, t.sell].map((so, i) => {
      try {
        const acct = this.account(so.order.account);
        return applyTradeSide(
          0,
          acct,
          so,
          t.qty,
          t.price,
          rates[i],
          this.ctx.state,
          prices,
          fundingIndices,
          true,
          true,
          reduceOnly,
          margins,
        ).account;
      } catch (e) {
        throw Object.assign(
          e instanceof Error ? e : new OperatorError("MATCH_REFUSED", String(e)),
          { blame: so === m.maker.signed ? "maker" : "taker" },
        );
      }
    });
    return [sides[0], sides[1]];
  }

  /** Applies a match to the projected accounts. */
  private project(m: Match): void {
    const [buyer, seller] = this.applyMatch(m);
    const t = tradeOfMatch(m);
    this.projected.set(t.buy.order.account, buyer);
    this.projected.set(t.sell.order.account, seller);
  }

  /**
   * Refuses a match the circuit would refuse, blaming the side that breaks the rule; a
   * match it lets through is applied to the projected accounts at once, so the next match
   * of the same order is checked against it.
   */
  private veto(m: Match): { side: "maker" | "taker"; reason: string } | undefined {
    if (!this.ctx.round())
      return { side: "taker", reason: "no oracle prices yet: trading starts with the first round" };
    // a liquidator's resting order waits for no batch: a take in flight may yet be undone
    if (this.ctx.taking.has(m.maker.signed.order.account))
      return {
        side: "maker",
        reason: "its account took over liquidated positions in a batch not yet settled",
      };
    try {
      this.project(m);
      return undefined;
    } catch (e) {
      const err = e as Error & { blame: "maker" | "taker" };
      return {
        side: err.blame,
        reason: e instanceof TradeError ? e.message.replace(/^trade 0: /, "") : err.message,
      };
    }
  }

  /** Takes up to `n` pending matches, oldest first, as trades of one round. */
  take(n: number): { trades: Trade[]; seqs: number[]; round: bigint } | undefined {
    if (this.pending.length === 0) return undefined;
    const round = this.pending[0].round;
    let k = 0;
    while (k < n && k < this.pending.length && this.pending[k].round === round) k++;
    const taken = this.pending.splice(0, k);
    return {
      trades: taken.map((p) => tradeOfMatch(p.match)),
      seqs: taken.map((p) => p.seq),
      round,
    };
  }

  /** Whether a match of `account` waits for a trade batch. */
  hasPending(account: bigint): boolean {
    return this.pending.some(
      (p) =>
        p.match.maker.signed.order.account === account ||
        p.match.taker.signed.order.account === account,
    );
  }

  /**
   * Takes the pending matches `drop` names out of line, with those checked against them
   * that no longer pass once they are gone, projects the rest again and takes both orders
   * of each out of the books; returns what was taken out (the caller stores it).
   */
  dropPending(drop: (p: PendingMatch) => boolean): PendingMatch[] {
    const round = this.ctx.round()?.roundId;
    const out: PendingMatch[] = [];
    const keep: PendingMatch[] = [];
    // a match checked at the current round is projected again (throws the rule it breaks)
    const passes = (p: PendingMatch) => {
      if (p.round !== round) return true;
      try {
        this.project(p.match);
        return true;
      } catch {
        return false;
      }
    };
    this.projected.clear();
    for (const p of this.pending) (drop(p) || !passes(p) ? out : keep).push(p);
    this.pending = keep;
    for (const p of out)
      for (const o of [p.match.maker, p.match.taker])
        this.books[o.signed.order.market].cancel(o.id);
    return out;
  }

  /** Forgets the projections once every pending match is in a batch (the state has them). */
  settleProjections(): void {
    if (this.pending.length === 0) this.projected.clear();
  }

  /** Cancels an account's resting orders (it is being liquidated, or its owner key rotated). */
  cancelAccount(account: bigint, reason: string): void {
    this.projected.delete(account);
    for (const book of this.books) {
      for (const o of book.ordersOf(account)) {
        book.cancel(o.id);
        this.ctx.store.updateOrder(o.id, "cancelled", o.remaining, reason);
      }
    }
  }

  /** Cancels a resting order; the request is signed by the order's account key. */
  cancelOrder(id: string, signature: EdDSASignature): OrderAck {
    const stored = this.ctx.store.getOrder(id);
    if (!stored) throw new OperatorError("ORDER_NOT_FOUND", `no order ${id}`);
    const acct = this.ctx.state.getAccount(stored.signed.order.account);
    if (
      !verify(acct.pubKey, cancelMessage(stored.signed.order, this.ctx.state.domain), signature)
    ) {
      throw new OperatorError(
        "CANCEL_BAD_SIGNATURE",
        "the cancel request is not signed by the order's account key",
      );
    }
    const resting = this.books[stored.signed.order.market].cancel(id);
    if (!resting)
      throw new OperatorError(
        "ORDER_NOT_OPEN",
        `order ${id} is ${stored.status}, not resting in the book`,
      );
    this.ctx.store.updateOrder(id, "cancelled", resting.remaining, "cancelled by its owner");
    return { id, status: "cancelled", remaining: resting.remaining };
  }

  /**
   * Accepts a signed withdrawal request, or a transfer to another account of the same key
   * (stored before it is acknowledged; both spend the account's withdrawal nonces, in one
   * queue), or refuses it at once when it could not be paid now: more than the account's
   * free collateral after its pending trades and earlier requests, or below initial margin
   * afterwards; for a transfer, a destination that is missing, another key's or of another
   * margin mode than the signed one.
   */
  requestWithdrawal(sw: Debit): string {
    const { state, store } = this.ctx;
    this.open("withdrawals");
    if (isTransfer(sw)) validateTransfer(sw.transfer, state.marketCount);
    else validateWithdrawal(sw.withdrawal);
    const w = debitOf(sw);
    const rotation = this.ctx.rotating?.(w.account);
    if (rotation)
      throw new OperatorError(
        "ACCOUNT_KEY_ROTATING",
        rotatingReason(w.account, rotation, "withdrawals"),
      );
    if (!state.hasAccount(w.account))
      throw new OperatorError("ACCOUNT_NOT_FOUND", `account ${w.account} does not exist`);
    const acct = this.account(w.account);
    const signed = isTransfer(sw)
      ? verifyTransfer(sw, acct.pubKey, state.domain)
      : verifyWithdrawal(sw, acct.pubKey, state.domain);
    if (!signed)
      throw new OperatorError(
        "WITHDRAW_BAD_SIGNATURE",
        "the signature does not match the account key",
      );
    if (isTransfer(sw)) {
      const to = sw.transfer.to;
      const refusal = destinationRefusal(
        sw.transfer,
        acct,
        state.hasAccount(to) ? state.getAccount(to) : undefined,
      );
      if (refusal) throw new OperatorError("TRANSFER_BAD_DESTINATION", refusal);
    }
    const queued = store.withdrawals.pendingOf(w.account);
    const next = acct.withdrawNonce + BigInt(queued.length);
    if (w.nonce !== next) {
      throw new OperatorError(
        "WITHDRAW_BAD_NONCE",
        `withdrawal nonce ${w.nonce}; the next one for account ${w.account} is ${next}`,
      );
    }
    const round = this.ctx.round();
    if (round) {
      // the fund's queued compartment moves into a compartment are paid from its reserve too
      const amounts = queued.map((q) => reserveDebit(q.body as NonceSpend));
      const refusal = checkWithdrawalFunds(
        w.account,
        acct,
        [...amounts, w.amount],
        state,
        round.prices,
        round.fundingIndices,
        round.margins,
      );
      if (refusal) throw new OperatorError(refusal.code, refusal.message);
    }
    const id = withdrawalId(sw);
    store.withdrawals.insert(id, w.account, w.nonce, sw);
    return id;
  }
}

function statusOf(o: BookOrder): "open" | "filled" {
  return o.remaining === 0n ? "filled" : "open";
}
