import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { scaledMarkets, type RoundMargins } from "../../prover/src/domain/volatility.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { isLiquidatable } from "../../prover/src/engine/liquidations.ts";
import { settleTrades, TradeError } from "../../prover/src/engine/trades.ts";
import { witnessOf } from "../helpers/circuit.ts";

/**
 * During a rise's grace a trader who is not liquidatable may reduce in steps: a reducing
 * trade needs the maintenance requirement liquidations use (liqMult), not the raised one
 * (an outside attack review found a 1-lot reduction refused where 2 lots passed). The engine
 * and the circuit agree: the batch's witness satisfies SettleTrades.
 */
const P = PARAM_SETS.test;
const PX = 60_000_00n;

describe("volatility margins: reducing during the grace (engine and circuit)", function () {
  it("accepts a 1-lot reduction of a 10-lot long that no liquidation could touch, and refuses a new exposure at the raised requirement", async function () {
    // BTC-like market 0: 10 % initial, 5 % maintenance; 6.5M of collateral each
    const s = sampleExchange(P, 3, 6_500_000n);
    const [a, b, c] = s.traders;
    const indices = zeroIndices(P.markets);
    // at 1x, a opens 10 lots long (initial 6M of 60M notional)
    settleTrades(
      s.state,
      [simpleTrade(s, a, b, 0, 10n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    // the round's market 0 requirement rose to 2.5x; liquidations still at 1x (the grace)
    const margins: RoundMargins = { mult: [25_000n, 10_000n], liqMult: [10_000n, 10_000n] };
    const acct = s.state.getAccount(a.index);
    assert.equal(
      isLiquidatable(acct, s.marks, scaledMarkets(s.state.markets, margins, "liquidation")),
      false,
      "a is not liquidatable in the grace",
    );
    // a sells 1 lot to c: it reduces risk and stays above the liquidation level: it passes,
    // and the circuit accepts the batch's witness
    const one = settleTrades(
      s.state,
      [simpleTrade(s, c, a, 0, 1n, PX, { buy: 1n, sell: 2n })],
      s.marks,
      P.batch,
      {},
      indices,
      0n,
      margins,
    );
    await witnessOf(one.input);
    // new exposure needs the raised initial requirement: c (long 1) selling 10 would be
    // short 9, 54M of notional, 13.5M at 2.5x of 10 %, beyond its collateral: refused
    assert.throws(
      () =>
        settleTrades(
          s.state,
          [simpleTrade(s, b, c, 0, 10n, PX, { buy: 2n, sell: 3n })],
          s.marks,
          P.batch,
          {},
          indices,
          0n,
          margins,
        ),
      (e: unknown) => e instanceof TradeError && e.code === "MARGIN_INSUFFICIENT",
    );
  });
});
