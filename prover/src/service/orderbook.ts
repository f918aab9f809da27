import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import type { SignedOrder } from "../domain/order.ts";
import { type Trade } from "../domain/batch.ts";

/**
 * A price-time priority limit order book for one market.
 *
 * Matching policy (what the operator promises, and what the circuits allow):
 * - Bids rank by higher limit, asks by lower limit; equal limits rank by arrival (seq).
 * - An incoming order matches the best resting orders while the prices cross, each at
 *   the resting (maker) order's limit price; the incoming order is the taker. What is
 *   left of it rests in the book.
 * - Fills are partial: a fill is min(what is left of either order).
 * - Self-trade prevention: when the incoming order would match a resting order of the
 *   same account, the resting order is cancelled and matching continues.
 * - The caller may veto a match (for example when it would leave an account below
 *   margin): the order that would break the rule is cancelled with the reason.
 * - One working order per account and market: the sequencer removes an account's older
 *   order when a newer nonce arrives (the circuit would refuse the older one anyway).
 */
export interface BookOrder {
  readonly id: string;
  readonly seq: number;
  readonly signed: SignedOrder;
  /** Quantity still open in the book. */
  remaining: bigint;
}

export interface Match {
  readonly maker: BookOrder;
  readonly taker: BookOrder;
  readonly qty: bigint;
  readonly price: bigint;
}

export interface Cancellation {
  readonly order: BookOrder;
  readonly reason: string;
}

/** A veto on a match: which side is at fault and why; undefined to accept. */
export type MatchCheck = (m: Match) => { side: "maker" | "taker"; reason: string } | undefined;

export interface AddResult {
  readonly matches: Match[];
  readonly cancelled: Cancellation[];
  /** Whether the incoming order rests in the book (with its remaining quantity). */
  readonly rested: boolean;
}

/** The engine's view of a match: the buy and sell orders, with the incoming order as taker. */
export function tradeOfMatch(m: Match): Trade {
  const takerBuys = m.taker.signed.order.side === "buy";
  return {
    buy: takerBuys ? m.taker.signed : m.maker.signed,
    sell: takerBuys ? m.maker.signed : m.taker.signed,
    qty: m.qty,
    price: m.price,
    takerIsBuyer: takerBuys,
  };
}

export class OrderBookError extends ZkClearError<CodeOf<"operator">> {}

export class OrderBook {
  readonly market: number;
  private readonly bids: BookOrder[] = [];
  private readonly asks: BookOrder[] = [];
  /**
   * The resting orders by id and by account, so that intake's per-order look-ups (an
   * account's orders, a cancel) cost the same however deep the book is; a place in a side is
   * found by binary search on (limit, seq).
   */
  private readonly byId = new Map<string, BookOrder>();
  private readonly byAccount = new Map<bigint, Set<BookOrder>>();

  constructor(market: number) {
    this.market = market;
  }

  /** Matches an incoming order and rests what is left of it. */
  add(incoming: BookOrder, check: MatchCheck = () => undefined): AddResult {
    const o = incoming.signed.order;
    if (o.market !== this.market) {
      throw new OrderBookError(
        "BOOK_WRONG_MARKET",
        `order for market ${o.market} sent to the book of ${this.market}`,
      );
    }
    if (incoming.remaining <= 0n)
      throw new OrderBookError("BOOK_EMPTY_ORDER", "an order needs a positive quantity");
    const isBuy = o.side === "buy";
    const opposite = isBuy ? this.asks : this.bids;
    const matches: Match[] = [];
    const cancelled: Cancellation[] = [];
    while (incoming.remaining > 0n && opposite.length > 0) {
      const best = opposite[0];
      const bestLimit = best.signed.order.limitPrice;
      if (isBuy ? bestLimit > o.limitPrice : bestLimit < o.limitPrice) break;
      if (best.signed.order.account === o.account) {
        this.forget(opposite.shift()!);
        cancelled.push({
          order: best,
          reason: "self-trade prevention: cancelled by a newer order of the same account",
        });
        continue;
      }
      const m: Match = {
        maker: best,
        taker: incoming,
        qty: min(best.remaining, incoming.remaining),
        price: bestLimit,
      };
      const veto = check(m);
      if (veto?.side === "maker") {
        this.forget(opposite.shift()!);
        cancelled.push({ order: best, reason: veto.reason });
        continue;
      }
      if (veto?.side === "taker") {
        cancelled.push({ order: incoming, reason: veto.reason });
        return { matches, cancelled, rested: false };
      }
      best.remaining -= m.qty;
      incoming.remaining -= m.qty;
      if (best.remaining === 0n) this.forget(opposite.shift()!);
      matches.push(m);
    }
    if (incoming.remaining === 0n) return { matches, cancelled, rested: false };
    this.insert(incoming);
    return { matches, cancelled, rested: true };
  }

  /** Removes a resting order; returns it, or undefined if it is not in the book. */
  cancel(id: string): BookOrder | undefined {
    const b = this.byId.get(id);
    if (!b) return undefined;
    const side = this.sideOf(b);
    const at = this.place(side, b);
    side.splice(side[at] === b ? at : side.indexOf(b), 1);
    this.forget(b);
    return b;
  }

  /** Resting orders of one account. */
  ordersOf(account: bigint): BookOrder[] {
    const mine = this.byAccount.get(account);
    return mine ? [...mine].sort((x, y) => x.seq - y.seq) : [];
  }

  /** Best bid and ask limit prices, if any. */
  top(): { bid?: bigint; ask?: bigint } {
    return {
      bid: this.bids[0]?.signed.order.limitPrice,
      ask: this.asks[0]?.signed.order.limitPrice,
    };
  }

  /** Resting orders, best first: [bids, asks]. */
  snapshot(): [readonly BookOrder[], readonly BookOrder[]] {
    return [[...this.bids], [...this.asks]];
  }

  /** Rests an order in the book without matching it (restoring a book after a restart). */
  insert(b: BookOrder): void {
    const side = this.sideOf(b);
    side.splice(this.place(side, b), 0, b);
    this.byId.set(b.id, b);
    const mine = this.byAccount.get(b.signed.order.account);
    if (mine) mine.add(b);
    else this.byAccount.set(b.signed.order.account, new Set([b]));
  }

  private sideOf(b: BookOrder): BookOrder[] {
    return b.signed.order.side === "buy" ? this.bids : this.asks;
  }

  /** The index of the first order of `side` that `b` ranks before (or `b`'s own index). */
  private place(side: readonly BookOrder[], b: BookOrder): number {
    const isBuy = b.signed.order.side === "buy";
    const limit = b.signed.order.limitPrice;
    const better = (x: BookOrder) => {
      const l = x.signed.order.limitPrice;
      if (l !== limit) return isBuy ? l > limit : l < limit;
      return x.seq < b.seq;
    };
    let lo = 0;
    let hi = side.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (better(side[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops a removed order from the indexes. */
  private forget(b: BookOrder): void {
    this.byId.delete(b.id);
    const mine = this.byAccount.get(b.signed.order.account);
    mine?.delete(b);
    if (mine?.size === 0) this.byAccount.delete(b.signed.order.account);
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
