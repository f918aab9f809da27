import assert from "node:assert/strict";
import { BPS_DENOMINATOR } from "../../prover/src/domain/constants.ts";
import { tradingFee } from "../../prover/src/domain/margin.ts";
import { order, sampleExchange } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
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

// The fee and the remainder are computed by `<--`: only `scaled === fee * 10^4 + remainder`
// binds them to the notional and the rate, and a witness calculator computes the honest
// values whether or not it is there. So a witness edited after it ran must show it: with
// that constraint deleted, the stage's solver ran out of time and every test above passed,
// yet the operator could charge any fee below 2^131 (up to the whole collateral).
describe("TradingFee: the fee is the division's quotient (probe, witnesses edited at the R1CS level)", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe("trading_fee", "order.circom", "TradingFee()", { wasm: true });
  });

  it("refuses a fee one unit above the quotient, its range check's bits rewritten to match", async function () {
    const honest = await calculateWitness(probe.wasm!, {
      notional: String(PX),
      rateBps: "5",
      maxFeeBps: "10",
    });
    const r1cs = readR1cs(probe.r1cs);
    const sym = readSymbols(probe.sym!);
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    const fee = honest[sym.get("main.fee")!];
    assert.equal(fee, tradingFee(PX, 5n));
    // the fee's own range check: the widest of the four by far (the others have 14 to 16
    // bits; --O2 substitutes one bit of each away)
    const groups = new Map<string, number>();
    for (const n of sym.keys()) {
      const m = /^(main\.RangeCheck_\w+\.bits\.out)\[\d+\]$/.exec(n);
      if (m) groups.set(m[1], (groups.get(m[1]) ?? 0) + 1);
    }
    const [prefix, bits] = [...groups].sort((x, y) => y[1] - x[1])[0];
    assert.ok(bits > 64, "the fee's range check is in the probe");
    const forged = [...honest];
    forged[sym.get("main.fee")!] = fee + 1n;
    for (let k = 0; k < 131; k++) {
      const w = sym.get(`${prefix}[${k}]`);
      if (w !== undefined) forged[w] = ((fee + 1n) >> BigInt(k)) & 1n;
    }
    assert.ok(
      unsatisfiedConstraints(r1cs, forged).length > 0,
      "a fee above the quotient was accepted",
    );
  });
});
