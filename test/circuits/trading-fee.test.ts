import assert from "node:assert/strict";
import { BPS_DENOMINATOR } from "../../prover/src/domain/constants.ts";
import { tradingFee } from "../../prover/src/domain/margin.ts";
import { order, sampleExchange } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { settleTradesCircuit, TEST_PARAMS, witnessOf } from "../helpers/circuit.ts";

// TradingFee (circuits/src/order.circom): fee = floor(notional * rate / 10^4), the rate no
// higher than the order's signed cap, the remainder of the division in [0, 10^4). The
// mutation run (docs/verification.md) found no honest trade at the top of either range: an
// order's cap of 2^16 - 1 and a remainder above 2^13 were never used, so the cap's check
// and the remainder's could each lose a bit with every test green.

const P = TEST_PARAMS;
const BTC = 0;
const PX = 60_000_00n;

describe("TradingFee: the fee rule at its edges (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("takes an order's top fee cap, 2^16 - 1, and a division remainder of 9,995", async function () {
    const s = sampleExchange(P, 4);
    const [a, b] = s.traders;
    const rate = s.markets[BTC].takerFeeBps;
    // the taker's fee at this price leaves the largest remainder its rate allows
    let price = PX;
    while ((price * rate) % BPS_DENOMINATOR !== BPS_DENOMINATOR - rate) price++;
    assert.ok((price * rate) % BPS_DENOMINATOR >= 1n << 13n, "a remainder of 14 bits");
    const cap = (1n << 16n) - 1n;
    const buy = order(s, a, {
      market: BTC,
      side: "buy",
      nonce: 1n,
      amount: 1n,
      limitPrice: price,
      maxFeeBps: cap,
    });
    const sell = order(s, b, {
      market: BTC,
      side: "sell",
      nonce: 1n,
      amount: 1n,
      limitPrice: price,
    });
    const before = s.state.getAccount(a.index).collateral;
    const r = settleTrades(
      s.state,
      [{ buy, sell, qty: 1n, price, takerIsBuyer: true }],
      s.marks,
      P.batch,
    );
    assert.equal(s.state.getAccount(a.index).collateral, before - tradingFee(price, rate));
    await witnessOf(r.input);
  });
});
