import assert from "node:assert/strict";
import fc from "fast-check";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { equity, meetsMargin, tradingFee } from "../../prover/src/domain/margin.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { order, sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { settleTrades, TradeError } from "../../prover/src/engine/trades.ts";

const P = PARAM_SETS.test;
const PX = 60_000_00n;

describe("trade engine", function () {
  it("charges exact maker and taker fees and credits them to the fee account once", function () {
    const s = sampleExchange(P, 2);
    const [a, b] = s.traders;
    const before = [a, b].map((t) => s.state.getAccount(t.index).collateral);
    const r = settleTrades(
      s.state,
      [simpleTrade(s, a, b, 0, 3n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    const notional = 3n * PX;
    const taker = tradingFee(notional, s.markets[0].takerFeeBps);
    const maker = tradingFee(notional, s.markets[0].makerFeeBps);
    assert.equal(taker, (notional * 5n) / 10_000n);
    assert.equal(s.state.getAccount(a.index).collateral, before[0] - taker);
    assert.equal(s.state.getAccount(b.index).collateral, before[1] - maker);
    assert.equal(r.totalFees, taker + maker);
    assert.equal(s.state.getAccount(FEE_ACCOUNT).collateral, taker + maker);
  });

  it("conserves value: collateral plus open PnL at any mark sums to what was deposited (property)", function () {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ qty: fc.bigInt(1n, 20n), tick: fc.bigInt(-30n, 30n), flip: fc.boolean() }),
          { minLength: 1, maxLength: P.batch },
        ),
        fc.bigInt(1n, 10_000_000n),
        (specs, mark) => {
          const s = sampleExchange(P, 2);
          const deposited = 2n * 10_000_000_00n;
          let nonce = 1n;
          const trades = specs.map((t) => {
            const [buyer, seller] = t.flip
              ? [s.traders[1], s.traders[0]]
              : [s.traders[0], s.traders[1]];
            return simpleTrade(s, buyer, seller, 0, t.qty, PX + t.tick * 100n, {
              buy: nonce,
              sell: nonce++,
            });
          });
          settleTrades(s.state, trades, s.marks, P.batch);
          const marks = [mark, s.marks[1]];
          let total = 0n;
          for (const [, acct] of s.state.entries()) total += equity(acct, marks);
          assert.equal(total, deposited);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("realises the open notional into collateral when a position closes", function () {
    const s = sampleExchange(P, 3);
    const [a, b, c] = s.traders;
    settleTrades(
      s.state,
      [simpleTrade(s, a, b, 0, 2n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    const mid = s.state.getAccount(a.index).collateral;
    settleTrades(
      s.state,
      [simpleTrade(s, c, a, 0, 2n, PX + 1_000_00n, { buy: 1n, sell: 2n })],
      s.marks,
      P.batch,
    );
    const acct = s.state.getAccount(a.index);
    assert.deepEqual([acct.positions[0].size, acct.positions[0].notional], [0n, 0n]);
    const fee = tradingFee(2n * (PX + 1_000_00n), s.markets[0].makerFeeBps);
    assert.equal(acct.collateral, mid + 2n * 1_000_00n - fee);
  });

  it("refuses a whole batch when one trade breaks a rule, leaving the state as it was", function () {
    const s = sampleExchange(P, 3);
    const [a, b, c] = s.traders;
    const root = s.state.root;
    const good = simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n });
    const bad = { ...simpleTrade(s, c, b, 0, 1n, PX, { buy: 1n, sell: 2n }), price: PX + 1n };
    assert.throws(
      () => settleTrades(s.state, [good, bad], s.marks, P.batch),
      (e: unknown) =>
        e instanceof TradeError &&
        e.code === "PRICE_OUTSIDE_LIMIT" &&
        e.tradeIndex === 1 &&
        /trade 1/.test(e.message),
    );
    assert.equal(s.state.root, root);
    assert.equal(s.state.getAccount(a.index).positions[0].size, 0n);
  });

  it("refuses more trades than the batch holds, mismatched markets and wrong sides", function () {
    const s = sampleExchange(P, 2);
    const [a, b] = s.traders;
    const t = simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as TradeError).code;
      }
      return "accepted";
    };
    assert.equal(
      code(() => settleTrades(s.state, [t, t, t], s.marks, P.batch)),
      "BATCH_TOO_LARGE",
    );
    const otherMarket = order(s, b, {
      market: 1,
      side: "sell",
      nonce: 1n,
      amount: 1n,
      limitPrice: PX,
    });
    assert.equal(
      code(() => settleTrades(s.state, [{ ...t, sell: otherMarket }], s.marks, P.batch)),
      "TRADE_MARKET_MISMATCH",
    );
    assert.equal(
      code(() => settleTrades(s.state, [{ ...t, buy: t.sell, sell: t.buy }], s.marks, P.batch)),
      "TRADE_BAD_SIDE",
    );
  });

  it("measures margin against 10^4 x equity with no rounding", function () {
    const s = sampleExchange(P, 2, 600_000n);
    const [a, b] = s.traders;
    // 1 lot at 60,000.00 needs exactly 6,000.00 of equity at 10% initial margin; fees take a little
    assert.throws(() =>
      settleTrades(
        s.state,
        [simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n })],
        s.marks,
        P.batch,
      ),
    );
    const s2 = sampleExchange(P, 2, 600_000n + tradingFee(PX, 5n));
    settleTrades(
      s2.state,
      [simpleTrade(s2, s2.traders[0], s2.traders[1], 0, 1n, PX, { buy: 1n, sell: 1n })],
      s2.marks,
      P.batch,
    );
    assert.ok(
      meetsMargin(s2.state.getAccount(s2.traders[0].index), s2.marks, s2.markets, "initial"),
    );
  });
});
