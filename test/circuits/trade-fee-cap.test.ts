import assert from "node:assert/strict";
import { pow2 } from "../../prover/src/domain/amounts.ts";
import { BPS_BITS } from "../../prover/src/domain/constants.ts";
import { order, sampleExchange } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { settleTradesCircuit, TEST_PARAMS, witnessOf } from "../helpers/circuit.ts";

// An order's fee cap is any BPS_BITS-bit value (prover/src/domain/order.ts checks it so):
// a trader who will pay whatever the exchange charges signs the top of the range. TradeSide
// (circuits/src/trade.circom) checks the cap in BPS_BITS bits before the signed message packs
// it; a check one bit narrower would refuse such an order, and a batch holding it could never
// be proved. settle-trades.test.ts takes the nonce, amount and limit to their tops; this is
// the fee cap's.

const P = TEST_PARAMS;
const BTC = 0;
const PX = 60_000_00n;

describe("TradeSide: an order's fee cap at the top of its range (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("settles orders capping their fee at 2^BPS_BITS - 1 bps, on the maker's and the taker's side", async function () {
    const s = sampleExchange(P, 4);
    const [a, b] = s.traders;
    // past what BPS_BITS - 1 bits hold
    const cap = pow2(BPS_BITS) - 1n;
    const fields = { market: BTC, nonce: 1n, amount: 2n, limitPrice: PX, maxFeeBps: cap };
    const buy = order(s, a, { ...fields, side: "buy" });
    const sell = order(s, b, { ...fields, side: "sell" });
    const r = settleTrades(
      s.state,
      [{ buy, sell, qty: 2n, price: PX, takerIsBuyer: true }],
      s.marks,
      P.batch,
    );
    await witnessOf(r.input);
    assert.equal(s.state.getAccount(a.index).positions[BTC].size, 2n);
    assert.equal(s.state.getAccount(b.index).positions[BTC].size, -2n);
  });
});
