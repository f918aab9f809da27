import assert from "node:assert/strict";
import fc from "fast-check";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import {
  absReturnBps,
  marginCeilingProblem,
  marginMultipliers,
  marginsText,
  marginsWord,
  MAX_RETURN_BPS,
  scaledBps,
  scaledMarkets,
  targetMultiplier,
  unpackMarginsWord,
  type MarginRule,
} from "../../prover/src/domain/volatility.ts";

const RULE: MarginRule = {
  span: 4n,
  refBps: 100n,
  floorBps: 10_000n,
  ceilBps: 30_000n,
  grace: 600n,
};

describe("domain: volatility margins (the twin of VolatilityMargins)", function () {
  it("measures a round's absolute return in bps, rounded down and capped", function () {
    assert.equal(absReturnBps(undefined, 5n), 0n);
    assert.equal(absReturnBps(10_000n, 11_000n), 1_000n);
    assert.equal(absReturnBps(10_000n, 9_000n), 1_000n);
    assert.equal(absReturnBps(3n, 4n), 3_333n);
    assert.equal(absReturnBps(1n, 1_000n), MAX_RETURN_BPS);
  });

  it("clamps the multiplier to the floor and the ceiling", function () {
    assert.equal(targetMultiplier(RULE, 0n), 10_000n);
    assert.equal(targetMultiplier(RULE, 400n), 10_000n);
    assert.equal(targetMultiplier(RULE, 600n), 15_000n);
    assert.equal(targetMultiplier(RULE, 10_000n), 30_000n);
  });

  it("refuses rounds that are not consecutive from round 1 (MARGIN_RULE)", function () {
    const r = (roundId: bigint) => ({
      roundId,
      timestamp: roundId * 10n,
      prices: [100n],
      postedAt: roundId * 10n,
    });
    assert.equal(marginMultipliers(RULE, [r(1n), r(2n)]).size, 2);
    for (const rounds of [[r(2n)], [r(1n), r(3n)]])
      assert.throws(
        () => marginMultipliers(RULE, rounds),
        (e: unknown) => e instanceof ZkClearError && e.code === "MARGIN_RULE",
      );
  });

  it("packs and unpacks a round's word, and shows it as multiples", function () {
    const m16 = fc.bigInt({ min: 0n, max: 0xffffn });
    fc.assert(
      fc.property(fc.array(fc.tuple(m16, m16), { minLength: 1, maxLength: 7 }), (pairs) => {
        const m = { mult: pairs.map((p) => p[0]), liqMult: pairs.map((p) => p[1]) };
        assert.deepEqual(unpackMarginsWord(marginsWord(m), pairs.length), m);
      }),
    );
    assert.equal(
      marginsText({ mult: [12_500n, 10_000n], liqMult: [10_000n, 10_000n] }),
      "1.25x/1.00x, 1.00x/1.00x",
    );
  });

  it("refuses a ceiling that would take a market's rate beyond 16 bits", function () {
    const markets = defaultMarkets(2);
    assert.equal(marginCeilingProblem(RULE, markets), null);
    const wide = [{ ...markets[0], initialMarginBps: 20_000n }, markets[1]];
    assert.equal(marginCeilingProblem({ ...RULE, ceilBps: 32_767n }, wide), null);
    assert.match(
      marginCeilingProblem({ ...RULE, ceilBps: 32_768n }, wide) ?? "",
      /market 0 \(BTC-PERP\): a margin rate of 20000 bps at the ceiling 32768 would be 65536 bps, beyond 65535/,
    );
  });

  it("refuses to scale a rate beyond 16 bits, as the circuit would (MARGIN_RULE)", function () {
    const wide = [{ ...defaultMarkets(1)[0], initialMarginBps: 20_000n }];
    const m = (mult: bigint) => ({ mult: [mult], liqMult: [10_000n] });
    assert.equal(scaledMarkets(wide, m(32_767n))[0].initialMarginBps, 65_534n);
    assert.throws(
      () => scaledMarkets(wide, m(32_768n)),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "MARGIN_RULE" &&
        /65536 bps, beyond 65535/.test(e.message),
    );
  });

  it("scales a rate rounding up", function () {
    assert.equal(scaledBps(500n, 10_000n), 500n);
    assert.equal(scaledBps(500n, 12_500n), 625n);
    assert.equal(scaledBps(333n, 15_001n), 500n);
    assert.equal(scaledBps(1n, 10_001n), 2n);
  });
});
