import assert from "node:assert/strict";
import fc from "fast-check";
import type { Side, SignedOrder } from "../../prover/src/domain/order.ts";
import { OrderBook, tradeOfMatch, type BookOrder } from "../../prover/src/service/orderbook.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { order, sampleExchange } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { type Trade } from "../../prover/src/domain/batch.ts";

let seq = 0;
/** A book entry with a placeholder signature: the book never looks at signatures. */
function entry(account: bigint, side: Side, limitPrice: bigint, amount: bigint): BookOrder {
  const signed: SignedOrder = {
    order: { account, market: 0, side, nonce: BigInt(++seq), maxFeeBps: 10n, amount, limitPrice },
    signature: { r8x: 0n, r8y: 0n, s: 0n },
  };
  return { id: `o${seq}`, seq, signed, remaining: amount };
}

describe("order book (price-time priority)", function () {
  it("matches the best price first, then the earliest, at the maker's price, partially", function () {
    const b = new OrderBook(0);
    const a1 = entry(3n, "sell", 101n, 5n);
    const a2 = entry(4n, "sell", 100n, 2n);
    const a3 = entry(5n, "sell", 100n, 2n);
    for (const a of [a1, a2, a3]) assert.equal(b.add(a).rested, true);
    const buy = entry(6n, "buy", 101n, 6n);
    const r = b.add(buy);
    assert.deepEqual(
      r.matches.map((m) => [m.maker.id, m.qty, m.price]),
      [
        [a2.id, 2n, 100n],
        [a3.id, 2n, 100n],
        [a1.id, 2n, 101n],
      ],
    );
    assert.equal(r.rested, false);
    assert.equal(a1.remaining, 3n);
    assert.deepEqual(b.top(), { bid: undefined, ask: 101n });
  });

  it("rests what does not cross, and cancels on request", function () {
    const b = new OrderBook(0);
    const bid = entry(3n, "buy", 99n, 1n);
    b.add(bid);
    assert.equal(b.add(entry(4n, "sell", 100n, 1n)).matches.length, 0);
    assert.deepEqual(b.top(), { bid: 99n, ask: 100n });
    assert.equal(b.cancel(bid.id)?.id, bid.id);
    assert.equal(b.cancel(bid.id), undefined);
    assert.deepEqual(b.top(), { bid: undefined, ask: 100n });
  });

  it("prevents self-trades by cancelling the resting order", function () {
    const b = new OrderBook(0);
    const mine = entry(3n, "sell", 100n, 1n);
    const other = entry(4n, "sell", 100n, 1n);
    b.add(mine);
    b.add(other);
    const r = b.add(entry(3n, "buy", 100n, 1n));
    assert.deepEqual(
      r.cancelled.map((c) => c.order.id),
      [mine.id],
    );
    assert.deepEqual(
      r.matches.map((m) => m.maker.id),
      [other.id],
    );
  });

  it("cancels the side a veto blames", function () {
    const b = new OrderBook(0);
    const maker = entry(3n, "sell", 100n, 1n);
    b.add(maker);
    const r = b.add(entry(4n, "buy", 100n, 1n), () => ({ side: "taker", reason: "below margin" }));
    assert.equal(r.matches.length, 0);
    assert.equal(r.cancelled[0].reason, "below margin");
    assert.equal(r.rested, false);
    const r2 = b.add(entry(5n, "buy", 100n, 1n), () => ({
      side: "maker",
      reason: "maker below margin",
    }));
    assert.deepEqual(
      r2.cancelled.map((c) => c.order.id),
      [maker.id],
    );
    assert.equal(r2.rested, true);
  });

  it("never leaves the book crossed and never fills beyond an order's size (property)", function () {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            acct: fc.integer({ min: 3, max: 6 }),
            buy: fc.boolean(),
            px: fc.integer({ min: 95, max: 105 }),
            qty: fc.integer({ min: 1, max: 9 }),
          }),
          { maxLength: 60 },
        ),
        (rows) => {
          const b = new OrderBook(0);
          const filled = new Map<string, bigint>();
          const all: BookOrder[] = [];
          for (const r of rows) {
            const e = entry(BigInt(r.acct), r.buy ? "buy" : "sell", BigInt(r.px), BigInt(r.qty));
            all.push(e);
            for (const m of b.add(e).matches) {
              for (const o of [m.maker, m.taker])
                filled.set(o.id, (filled.get(o.id) ?? 0n) + m.qty);
              const [buy, sell] =
                m.taker.signed.order.side === "buy" ? [m.taker, m.maker] : [m.maker, m.taker];
              assert.ok(
                m.price <= buy.signed.order.limitPrice && m.price >= sell.signed.order.limitPrice,
              );
              assert.notEqual(buy.signed.order.account, sell.signed.order.account);
            }
            const { bid, ask } = b.top();
            if (bid !== undefined && ask !== undefined)
              assert.ok(bid < ask, "the book is not crossed");
          }
          for (const e of all) {
            const f = filled.get(e.id) ?? 0n;
            assert.ok(f <= e.signed.order.amount);
            assert.equal(f + e.remaining, e.signed.order.amount);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("produces trades the engine settles", function () {
    const P = PARAM_SETS.test;
    const s = sampleExchange(P, 3);
    const b = new OrderBook(0);
    const px = s.marks[0];
    const mk = (
      i: number,
      side: Side,
      nonce: bigint,
      amount: bigint,
      limit: bigint,
    ): BookOrder => ({
      id: `x${nonce}-${i}`,
      seq: ++seq,
      signed: order(s, s.traders[i], { market: 0, side, nonce, amount, limitPrice: limit }),
      remaining: amount,
    });
    b.add(mk(0, "sell", 1n, 3n, px));
    const r = b.add(mk(1, "buy", 1n, 2n, px + 100n));
    const trades: Trade[] = r.matches.map(tradeOfMatch);
    const settled = settleTrades(s.state, trades, s.marks, P.batch);
    assert.notEqual(settled.newRoot, settled.oldRoot);
    assert.equal(s.state.getAccount(s.traders[0].index).positions[0].filled, 2n);
  });
});
