import assert from "node:assert/strict";
import fc from "fast-check";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, unsatisfiedConstraints, type R1cs } from "../../prover/src/proving/r1cs.ts";
import { assertEveryWireFixed } from "../helpers/determinism.ts";
import { BN128_R } from "../../prover/src/proving/dev-zkey.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import {
  defaultMarkets,
  packMarketParams,
  priceConfigHash,
} from "../../prover/src/domain/market.ts";
import {
  marginsWord,
  scaledBps,
  scaledMarkets,
  type RoundMargins,
} from "../../prover/src/domain/volatility.ts";

const M = 2;
const MARKETS = defaultMarkets(M);
const MARKS = [60_000_00n, 3_000_00n];
const DOMAIN = 12345n;

/**
 * MarketBinding's margin multipliers: the rates it outputs are the configured ones scaled by
 * the round's multipliers, rounded up, as domain/volatility.ts scales them (the engine's
 * twin), and the multipliers are bound into priceConfigHash. A multiplier below 1x or a word
 * beyond 32 bits per market is refused, and ScaleBps admits no other result than the
 * rounded-up quotient.
 */
describe("MarketBinding: margin rates scaled by the round's multipliers", function () {
  let binding: ProbeBuild;
  let scale: ProbeBuild;
  let scaleR1cs: R1cs;

  before(async function () {
    binding = await compileProbe(
      "market_binding_2",
      "market-binding.circom",
      `MarketBinding(${M})`,
      {
        wasm: true,
      },
    );
    scale = await compileProbe("scale_bps", "market-binding.circom", "ScaleBps()", { wasm: true });
    scaleR1cs = readR1cs(scale.r1cs);
  });

  const input = (margins: bigint) => ({
    param: MARKETS.map(packMarketParams).map(String),
    mark: MARKS.map(String),
    index: zeroIndices(M).map(String),
    domain: String(DOMAIN),
    fundFloor: "0",
    margins: String(margins),
  });

  /**
   * Every range at its top, honestly: marks 2^64 - 1, the fund floor 2^127 - 1, funding
   * indices 2^63 - 1 and -2^63, every multiplier 2^16 - 1, a penalty field 2^16 - 1 (the
   * param's 80th bit), and a rate that scales to exactly 2^16 - 1 (13,107 bps at 5x).
   */
  const TOP = 0xffffn;
  const edgeMarket = { ...MARKETS[1], initialMarginBps: 13_107n, liquidationPenaltyBps: TOP };
  const edgeMargins: RoundMargins = { mult: [TOP, 50_000n], liqMult: [TOP, TOP] };
  const edge = () => ({
    param: [MARKETS[0], edgeMarket].map(packMarketParams).map(String),
    mark: [(1n << 64n) - 1n, (1n << 64n) - 1n].map(String),
    index: [(1n << 63n) - 1n, -(1n << 63n)].map(String),
    domain: String(DOMAIN),
    fundFloor: String((1n << 127n) - 1n),
    margins: String(marginsWord(edgeMargins)),
  });

  const mult = fc.bigInt(10_000n, 50_000n);

  it("outputs the twin's scaled rates and binds the multipliers (property)", async function () {
    await fc.assert(
      fc.asyncProperty(fc.tuple(mult, mult, mult, mult), async ([a, b, c, d]) => {
        const m: RoundMargins = { mult: [a, b], liqMult: [c, d] };
        const w = await calculateWitness(binding.wasm!, input(marginsWord(m)));
        const req = scaledMarkets(MARKETS, m);
        const liq = scaledMarkets(MARKETS, m, "liquidation");
        // outputs in order: imBps[M], mmBps[M], liqMmBps[M], maker, taker, penalty, hash
        assert.deepEqual(
          w.slice(1, 1 + M),
          req.map((x) => x.initialMarginBps),
        );
        assert.deepEqual(
          w.slice(1 + M, 1 + 2 * M),
          req.map((x) => x.maintenanceMarginBps),
        );
        assert.deepEqual(
          w.slice(1 + 2 * M, 1 + 3 * M),
          liq.map((x) => x.maintenanceMarginBps),
        );
        assert.equal(
          w[1 + 6 * M],
          priceConfigHash(
            { markets: MARKETS, fundFloor: 0n, domain: DOMAIN },
            MARKS,
            zeroIndices(M),
            m,
          ),
        );
      }),
      { numRuns: 10 },
    );
  });

  it("refuses a multiplier below 1x and bits beyond 32 per market", async function () {
    const ok: RoundMargins = { mult: [10_000n, 10_000n], liqMult: [10_000n, 10_000n] };
    await calculateWitness(binding.wasm!, input(marginsWord(ok)));
    for (const bad of [
      marginsWord({ ...ok, mult: [9_999n, 10_000n] }),
      marginsWord({ ...ok, liqMult: [10_000n, 0n] }),
      marginsWord(ok) | (1n << BigInt(32 * M)),
    ])
      await assert.rejects(calculateWitness(binding.wasm!, input(bad)), /Assert Failed|Error/);
  });

  it("takes every value at the top of its range, and scales a rate to exactly 2^16 - 1", async function () {
    const w = await calculateWitness(binding.wasm!, edge());
    const req = scaledMarkets([MARKETS[0], edgeMarket], edgeMargins);
    assert.equal(req[1].initialMarginBps, TOP);
    assert.deepEqual(
      w.slice(1, 1 + M),
      req.map((x) => x.initialMarginBps),
    );
    // the penalty output is the param's top 16 bits
    assert.equal(w[1 + 5 * M + 1], TOP);
  });

  it("refuses each value one above its range", async function () {
    const e = edge();
    // refused by the range check of that value (MarketBinding's line; the scaled rate's is
    // ScaleBps's, called on line 94)
    const cases: [string, number, ReturnType<typeof edge>][] = [
      ["a mark of 2^64", 100, { ...e, mark: [String(1n << 64n), e.mark[1]] }],
      ["a fund floor of 2^127", 102, { ...e, fundFloor: String(1n << 127n) }],
      ["a funding index of 2^63", 116, { ...e, index: [String(1n << 63n), e.index[1]] }],
      [
        "a funding index of -2^63 - 1",
        116,
        { ...e, index: [e.index[0], String(-(1n << 63n) - 1n)] },
      ],
      [
        "a param of 81 bits",
        78,
        { ...e, param: [e.param[0], String(BigInt(e.param[1]) | (1n << 80n))] },
      ],
      [
        "a rate that scales beyond 2^16 - 1 (13,108 bps at 5x)",
        94,
        {
          ...e,
          param: [e.param[0], packMarketParams({ ...edgeMarket, initialMarginBps: 13_108n })].map(
            String,
          ),
        },
      ],
    ];
    for (const [what, line, bad] of cases)
      await assert.rejects(
        calculateWitness(binding.wasm!, bad),
        new RegExp(`Error in template MarketBinding_\\d+ line: ${line}\\b`),
        `${what} was taken, or refused elsewhere`,
      );
  });

  it("does not compile for more than 7 markets (32 bits each would pass the field's 254)", async function () {
    await assert.rejects(
      compileProbe("market_binding_8", "market-binding.circom", "MarketBinding(8)"),
      /assert/i,
    );
  });

  it("every wire of ScaleBps is fixed by its rate and multiplier (the solver decides the quotient)", async function () {
    // what lets the whole circuits' check take the scaled rates as known (ASSUMED)
    const probe = await compileProbe("scale_bps_public", "market-binding.circom", "ScaleBps()", {
      wasm: true,
      publicInputs: ["rate", "mult"],
    });
    await assertEveryWireFixed(probe, "market-binding.circom", "ScaleBps");
  });

  it("ScaleBps gives ceil(rate * mult / 10^4) and admits no other result", async function () {
    await fc.assert(
      fc.asyncProperty(fc.bigInt(0n, 10_000n), fc.bigInt(10_000n, 60_000n), async (rate, m) => {
        const w = await calculateWitness(scale.wasm!, { rate: String(rate), mult: String(m) });
        assert.equal(w[1], scaledBps(rate, m));
        assert.deepEqual(unsatisfiedConstraints(scaleR1cs, w), []);
        // a result one off: its remainder rate * mult + 9999 - 10^4 * out leaves [0, 9999], so
        // no bits make both 14-bit checks hold (rem < 2^14 and 9999 - rem < 2^14 in the field)
        for (const delta of [1n, BN128_R - 1n]) {
          const out = (w[1] + delta) % BN128_R;
          const rem = (((rate * m + 9_999n - 10_000n * out) % BN128_R) + BN128_R) % BN128_R;
          const other = (((9_999n - rem) % BN128_R) + BN128_R) % BN128_R;
          assert.ok(rem >= 1n << 14n || other >= 1n << 14n);
          const forged = [...w];
          forged[1] = out;
          assert.ok(unsatisfiedConstraints(scaleR1cs, forged).length > 0);
        }
      }),
      { numRuns: 20 },
    );
  });
});
