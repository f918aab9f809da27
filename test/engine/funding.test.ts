import assert from "node:assert/strict";
import fc from "fast-check";
import { FUNDING_SCALE } from "../../prover/src/domain/constants.ts";
import { fundingBasis, zeroIndices } from "../../prover/src/domain/funding.ts";
import {
  addFlows,
  fundingRates,
  marketFlows,
  nextIndices,
  premiumRatePpm,
  tradePremiumPpm,
} from "../../prover/src/domain/funding-rate.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";

const P = PARAM_SETS.test;

describe("funding: the engine's ledger and the rate rule", function () {
  it("pays what is received plus the rounding the system keeps, over random histories (property)", function () {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("tick" as const),
        rates: fc.tuple(fc.bigInt(-1000n, 1000n), fc.bigInt(-1000n, 1000n)),
      }),
      fc.record({
        kind: fc.constant("trade" as const),
        buyer: fc.nat(3),
        seller: fc.nat(3),
        market: fc.nat(1),
        qty: fc.bigInt(1n, 5n),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const s = sampleExchange(P, 4, 10n ** 12n);
        let indices = zeroIndices(P.markets);
        let paid = 0n;
        let entries = 0n;
        const nonces = new Map<string, bigint>();
        const next = (k: string) => {
          const n = (nonces.get(k) ?? 0n) + 1n;
          nonces.set(k, n);
          return n;
        };
        for (const st of steps) {
          if (st.kind === "tick") {
            indices = nextIndices(indices, [...st.rates], s.marks);
            continue;
          }
          if (st.buyer === st.seller) continue;
          const [b, sl] = [s.traders[st.buyer], s.traders[st.seller]];
          const t = simpleTrade(s, b, sl, st.market, st.qty, s.marks[st.market], {
            buy: next(`${b.index}:${st.market}`),
            sell: next(`${sl.index}:${st.market}`),
          });
          const r = settleTrades(s.state, [t], s.marks, P.batch, {}, indices);
          for (const payment of r.funding.values()) {
            paid += payment;
            entries++;
          }
          // the ledger: rounded payments exceed the exact funding settled (the basis) by
          // less than one quote unit per settlement, never by less than nothing
          const accounts = [...s.state.entries()].map(([, a]) => a);
          const dust = paid * FUNDING_SCALE - fundingBasis(accounts);
          assert.ok(dust >= 0n, `the system never pays rounding: ${dust}`);
          assert.ok(dust < FUNDING_SCALE * entries || (dust === 0n && entries === 0n));
          // long and short open interest stay equal on every market
          for (let j = 0; j < P.markets; j++)
            assert.equal(
              accounts.reduce((x, a) => x + a.positions[j].size, 0n),
              0n,
            );
        }
      }),
      { numRuns: 60 },
    );
  });

  it("sets the rate from the volume-weighted premium of traded prices over the marks, each trade clamped to the cap, truncated toward zero", function () {
    const M0 = 1_000_00n;
    // one lot at 1% above the mark: +10,000 ppm, clamped to a cap of 1,000
    assert.equal(tradePremiumPpm(1_010_00n, M0, 1_000n), 1_000n);
    assert.equal(tradePremiumPpm(1_010_00n, M0, 20_000n), 10_000n);
    // below the mark: shorts pay (a negative rate), clamped the same
    assert.equal(tradePremiumPpm(99_990n, M0, 1_000n), -100n);
    assert.equal(tradePremiumPpm(90_000n, M0, 1_000n), -1_000n);
    // truncated toward zero both ways: +0.5 ppm and -0.5 ppm give 0
    assert.equal(premiumRatePpm({ qty: 2n, premium: 1n }), 0n);
    assert.equal(premiumRatePpm({ qty: 2n, premium: -1n }), 0n);
    // no trades: no premium
    assert.equal(premiumRatePpm({ qty: 0n, premium: 0n }), 0n);
    // weighted by volume over a window's batches, one rate per market
    const s = sampleExchange(P);
    const [a, b] = s.traders;
    const first = marketFlows(
      [simpleTrade(s, a, b, 0, 1n, s.marks[0] + 60_00n, { buy: 1n, sell: 1n })],
      s.marks,
      1_000n,
    );
    const second = marketFlows(
      [simpleTrade(s, a, b, 0, 3n, s.marks[0], { buy: 2n, sell: 2n })],
      s.marks,
      1_000n,
    );
    const window = addFlows(first, second);
    assert.deepEqual(window[0], { qty: 4n, premium: 1_000n });
    // (1 lot at +1,000 ppm, 3 at 0) / 4 lots: 250 ppm
    assert.deepEqual(fundingRates(window), [250n, 0n]);
  });

  it("keeps a one-lot trade at an extreme price from setting the rate (the review's wash trade)", function () {
    const s = sampleExchange(P);
    const [a, b, c, d] = s.traders;
    const cap = 1_000n;
    // 100 honest lots at the mark, then one lot between two accounts of one trader at 10x
    const honest = marketFlows(
      [simpleTrade(s, a, b, 0, 100n, s.marks[0], { buy: 1n, sell: 1n })],
      s.marks,
      cap,
    );
    const wash = marketFlows(
      [simpleTrade(s, c, d, 0, 1n, s.marks[0] * 10n, { buy: 1n, sell: 1n })],
      s.marks,
      cap,
    );
    const rate = fundingRates(addFlows(honest, wash))[0];
    // at most cap / 101 lots: 9 ppm, not the cap
    assert.equal(rate, cap / 101n);
    assert.ok(rate < cap / 100n);
  });
});
