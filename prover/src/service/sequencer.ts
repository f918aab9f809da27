import { createHash } from "node:crypto";
import type { Account } from "../domain/account.ts";
import type { ErrorCode } from "../domain/errors.ts";
import type { Trade } from "../domain/batch.ts";
import type { EdDSASignature } from "../domain/keys.ts";
import { cancelMessage } from "../domain/messages.ts";
import { orderMessage, validateOrder, verifyOrder, type SignedOrder } from "../domain/order.ts";
import { verify } from "../domain/keys.ts";
import {
  validateWithdrawal,
  verifyWithdrawal,
  type SignedWithdrawal,
} from "../domain/transfers.ts";
import { applyTradeSide, TradeError } from "../engine/trades.ts";
import { OperatorError, type OperatorContext, type OrderAck } from "./context.ts";
import { OrderBook, tradeOfMatch, type BookOrder, type Match } from "./orderbook.ts";

function orderId(so: SignedOrder): string {
  return createHash("sha256").update(orderMessage(so.order).toString()).digest("hex").slice(0, 32);
}

/**
 * Order intake and matching: refuses bad orders, cancels and withdrawal requests with a
 * clear reason, stores what it accepts before acknowledging it, and keeps one price-time
 * book per market. Matches wait here (`pending`) until the batcher cuts them into a trade
 * batch; `projected` holds the accounts as those matches leave them, so a new match is
 * checked against every earlier one.
 */
export class Sequencer {
  private readonly books: OrderBook[];
  private readonly orders = new Map<string, BookOrder>();
  /** Matched, not yet batched. */
  pending: Match[] = [];
  /** Accounts as the pending matches leave them (for the margin veto). */
  private readonly projected = new Map<bigint, Account>();
  private seq = 0;

  constructor(private readonly ctx: OperatorContext) {
    this.books = ctx.state.markets.map((_, j) => new OrderBook(j));
  }

  /** Puts the stored open orders back in the books, in arrival order (after a restart). */
  restore(): void {
    for (const so of this.ctx.store.openOrders()) {
      this.seq = Math.max(this.seq, so.seq);
      this.book({ id: so.id, seq: so.seq, signed: so.signed, remaining: so.remaining });
    }
  }

  private account(index: bigint): Account {
    return this.projected.get(index) ?? this.ctx.state.getAccount(index);
  }

  /** Refuses a bad order with a clear reason; accepts, stores, then matches a good one. */
  submitOrder(so: SignedOrder): OrderAck {
    const { ctx } = this;
    const refuse = (code: ErrorCode, msg: string): never => {
      ctx.metrics.ordersRefused++;
      throw new OperatorError(code, msg);
    };
    validateOrder(so.order, ctx.state.marketCount);
    const o = so.order;
    if (!ctx.round())
      refuse("NO_PRICES", "no oracle round yet: orders are accepted once prices are posted");
    if (ctx.liquidating.has(o.account)) {
      refuse(
        "ACCOUNT_IN_LIQUIDATION",
        `account ${o.account} is being liquidated: its orders are refused until the liquidation settles`,
      );
    }
    if (!ctx.state.hasAccount(o.account))
      refuse("ACCOUNT_NOT_FOUND", `account ${o.account} does not exist (deposit first)`);
    const acct = this.account(o.account);
    if (!verifyOrder(so, acct.pubKey, ctx.state.domain))
      refuse("ORDER_BAD_SIGNATURE", "the signature does not match the account key");
    const last = ctx.store.lastNonce(o.account, o.market);
    const working = acct.positions[o.market].nonce;
    if (o.nonce <= working || (last !== undefined && o.nonce <= last)) {
      refuse(
        "ORDER_NONCE_USED",
        `nonce ${o.nonce} is not above the last one used on market ${o.market} (${last ?? working}); sign a new order with a higher nonce`,
      );
    }
    const id = orderId(so);
    ctx.store.insertOrder(id, so, Date.now());
    ctx.metrics.ordersAccepted++;
    // one working order per account and market: a newer nonce retires the older one
    for (const old of this.books[o.market].ordersOf(o.account)) {
      this.books[o.market].cancel(old.id);
      this.orders.delete(old.id);
      ctx.store.updateOrder(old.id, "cancelled", old.remaining, "replaced by a newer order");
    }
    return this.book({ id, seq: ++this.seq, signed: so, remaining: o.amount });
  }

  private book(entry: BookOrder): OrderAck {
    const result = this.books[entry.signed.order.market].add(entry, (m) => this.veto(m));
    for (const c of result.cancelled) {
      this.orders.delete(c.order.id);
      this.ctx.store.updateOrder(c.order.id, "cancelled", c.order.remaining, c.reason);
    }
    for (const m of result.matches) this.accept(m);
    if (result.rested) this.orders.set(entry.id, entry);
    const cancelled = result.cancelled.find((c) => c.order.id === entry.id);
    if (cancelled)
      return {
        id: entry.id,
        status: "cancelled",
        remaining: entry.remaining,
        reason: cancelled.reason,
      };
    return {
      id: entry.id,
      status: entry.remaining === 0n ? "filled" : "open",
      remaining: entry.remaining,
    };
  }

  /** Both sides of a match applied to the projected accounts (throws the rule broken). */
  private applyMatch(m: Match): [Account, Account] {
    const t = tradeOfMatch(m);
    const markets = this.ctx.state.markets;
    const mk = markets[t.buy.order.market];
    const rates = t.takerIsBuyer
      ? [mk.takerFeeBps, mk.makerFeeBps]
      : [mk.makerFeeBps, mk.takerFeeBps];
    const prices = this.ctx.round()!.prices;
    const sides = [t.buy, t.sell].map((so, i) => {
      try {
        const acct = this.account(so.order.account);
        return applyTradeSide(0, acct, so, t.qty, t.price, rates[i], this.ctx.state, prices)
          .account;
      } catch (e) {
        throw Object.assign(
          e instanceof Error ? e : new OperatorError("MATCH_REFUSED", String(e)),
          {
            blame: so === m.maker.signed ? "maker" : "taker",
          },
        );
      }
    });
    return [sides[0], sides[1]];
  }

  /** Refuses a match the circuit would refuse, blaming the side that breaks the rule. */
  private veto(m: Match): { side: "maker" | "taker"; reason: string } | undefined {
    if (!this.ctx.round())
      return { side: "taker", reason: "no oracle prices yet: trading starts with the first round" };
    try {
      this.applyMatch(m);
      return undefined;
    } catch (e) {
      const err = e as Error & { blame: "maker" | "taker" };
      return {
        side: err.blame,
        reason: e instanceof TradeError ? e.message.replace(/^trade 0: /, "") : err.message,
      };
    }
  }

  private accept(m: Match): void {
    const [buyer, seller] = this.applyMatch(m);
    const t = tradeOfMatch(m);
    this.projected.set(t.buy.order.account, buyer);
    this.projected.set(t.sell.order.account, seller);
    if (m.maker.remaining === 0n) this.orders.delete(m.maker.id);
    this.pending.push(m);
    this.ctx.metrics.tradesMatched++;
  }

  /** Takes up to `n` pending matches, oldest first, as trades; the orders they touch. */
  take(n: number): { trades: Trade[]; touched: BookOrder[] } {
    const ms = this.pending.splice(0, n);
    const touched = new Map<string, BookOrder>();
    for (const m of ms) for (const o of [m.maker, m.taker]) touched.set(o.id, o);
    return { trades: ms.map(tradeOfMatch), touched: [...touched.values()] };
  }

  /** Quantity of `orderId` in matches still pending (counted as open until batched). */
  pendingFill(orderId: string): bigint {
    return this.pending
      .filter((m) => m.maker.id === orderId || m.taker.id === orderId)
      .reduce((a, m) => a + m.qty, 0n);
  }

  /** Forgets the projections once every pending match is in a batch (the state has them). */
  settleProjections(): void {
    if (this.pending.length === 0) this.projected.clear();
  }

  /** Cancels an account's resting orders (it is being liquidated). */
  cancelAccount(account: bigint, reason: string): void {
    this.projected.delete(account);
    for (const book of this.books) {
      for (const o of book.ordersOf(account)) {
        book.cancel(o.id);
        this.orders.delete(o.id);
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
    this.orders.delete(id);
    this.ctx.store.updateOrder(id, "cancelled", resting.remaining, "cancelled by its owner");
    return { id, status: "cancelled", remaining: resting.remaining };
  }

  /** Accepts a signed withdrawal request (stored before it is acknowledged). */
  requestWithdrawal(sw: SignedWithdrawal): string {
    const { state, store } = this.ctx;
    const w = validateWithdrawal(sw.withdrawal);
    if (!state.hasAccount(w.account))
      throw new OperatorError("ACCOUNT_NOT_FOUND", `account ${w.account} does not exist`);
    const acct = state.getAccount(w.account);
    if (!verifyWithdrawal(sw, acct.pubKey, state.domain))
      throw new OperatorError(
        "WITHDRAW_BAD_SIGNATURE",
        "the signature does not match the account key",
      );
    const queued = store
      .pendingWithdrawals<SignedWithdrawal>()
      .filter((x) => x.body.withdrawal.account === w.account).length;
    if (w.nonce !== acct.withdrawNonce + BigInt(queued)) {
      throw new OperatorError(
        "WITHDRAW_BAD_NONCE",
        `withdrawal nonce ${w.nonce}; the next one for account ${w.account} is ${acct.withdrawNonce + BigInt(queued)}`,
      );
    }
    const id = `w-${w.account}-${w.nonce}`;
    store.insertWithdrawal(id, w.account, w.nonce, sw);
    return id;
  }
}
