import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ANOMALY_KIND_NAMES,
  ANOMALY_KINDS,
  DEFAULT_ANOMALY_THRESHOLDS,
  anomalyKey,
  anomalyThresholds,
  detectAnomalies,
  type AnomalyInput,
  type ObservedRound,
} from "../../prover/src/domain/anomalies.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";

const round = (
  roundId: bigint,
  prices: bigint[],
  reports: bigint[][] | null = null,
): ObservedRound => ({ roundId, prices, reports });

/** A calm exchange: two rounds at the same prices, a steady fund, no withdrawals. */
const CALM: AnomalyInput = {
  previousRound: round(1n, [10_000n, 2_000n]),
  round: round(
    2n,
    [10_000n, 2_000n],
    [
      [10_000n, 2_000n],
      [10_000n, 2_000n],
      [10_000n, 2_000n],
    ],
  ),
  fund: [1_000_000n, 1_000_000n],
  withdrawn: 0n,
  collateral: 100_000_000n,
};

const kinds = (i: AnomalyInput) => detectAnomalies(i).map(anomalyKey);

describe("domain/anomalies: the detector", () => {
  it("has one row per kind with its option and default, and the defaults the README states", () => {
    assert.deepEqual(ANOMALY_KIND_NAMES, ["price_jump", "signer_spread", "fund_drop", "outflow"]);
    assert.deepEqual(DEFAULT_ANOMALY_THRESHOLDS, {
      price_jump: 1500,
      signer_spread: 200,
      fund_drop: 2000,
      outflow: 1000,
    });
    for (const k of ANOMALY_KIND_NAMES) assert.match(ANOMALY_KINDS[k].option, /^--anomaly-/);
    assert.deepEqual(kinds(CALM), []);
  });

  it("price jump: fires above 15 % per market (up or down), not at 15 %", () => {
    const at = (p0: bigint, p1: bigint) => ({ ...CALM, round: round(2n, [p0, p1]) });
    assert.deepEqual(kinds(at(11_500n, 2_000n)), []); // +15.00 %: at the threshold
    assert.deepEqual(kinds(at(11_501n, 2_000n)), ["price_jump/0"]);
    assert.deepEqual(kinds(at(10_000n, 1_699n)), ["price_jump/1"]); // -15.05 %
    assert.deepEqual(kinds(at(10_000n, 1_700n)), []); // -15.00 %
    const [a] = detectAnomalies(at(14_000n, 2_000n));
    assert.equal(a.market, 0);
    assert.equal(a.valueBps, 4000);
    assert.equal(a.thresholdBps, 1500);
    assert.match(
      a.message,
      /market 0: oracle round 2 moved the price from 10000 to 14000 \(\+40\.00 %\)/,
    );
    // no previous round, nothing to compare with
    assert.deepEqual(kinds({ ...at(14_000n, 2_000n), previousRound: null }), []);
  });

  it("signers' spread: fires when (max - min) / median > 2 %, not at 2 %; unknown reports are not judged", () => {
    const reports = (hi: bigint) => ({
      ...CALM,
      round: round(
        2n,
        [10_000n, 2_000n],
        [
          [10_000n, 2_000n],
          [hi, 2_000n],
          [9_990n, 2_000n],
        ],
      ),
    });
    assert.deepEqual(kinds(reports(10_190n)), []); // 200 / 10000 = 2.00 %
    assert.deepEqual(kinds(reports(10_191n)), ["signer_spread/0"]);
    const [a] = detectAnomalies(reports(10_290n));
    assert.equal(a.valueBps, 300);
    assert.match(a.message, /the 3 signers of oracle round 2 reported from 9990 to 10290/);
    assert.deepEqual(kinds({ ...reports(20_000n), round: round(2n, [10_000n, 2_000n], null) }), []);
  });

  it("fund drop: fires when the fund fell > 20 % from its high within the window, not at 20 %", () => {
    assert.deepEqual(kinds({ ...CALM, fund: [900n, 1_000n, 950n, 800n] }), []); // 20.00 %
    assert.deepEqual(kinds({ ...CALM, fund: [900n, 1_000n, 950n, 799n] }), ["fund_drop/all"]);
    // a rise is no fall; a fall to the lowest and back is over
    assert.deepEqual(kinds({ ...CALM, fund: [100n, 1_000n] }), []);
    assert.deepEqual(kinds({ ...CALM, fund: [1_000n, 100n, 1_000n] }), []);
    assert.match(
      detectAnomalies({ ...CALM, fund: [1_000n, 500n] })[0].message,
      /the insurance fund fell from 1000 to 500 \(-50\.00 %\) within 60 min/,
    );
  });

  it("outflow: fires when the window's withdrawals are > 10 % of the collateral, not at 10 %", () => {
    assert.deepEqual(kinds({ ...CALM, withdrawn: 10_000_000n }), []);
    assert.deepEqual(kinds({ ...CALM, withdrawn: 10_000_001n }), ["outflow/all"]);
    assert.deepEqual(kinds({ ...CALM, withdrawn: 5n, collateral: 0n }), []);
  });

  it("takes other thresholds, and refuses one that is not a whole number of bps >= 1", () => {
    const t = anomalyThresholds({ price_jump: 5000 });
    assert.equal(t.signer_spread, 200);
    assert.deepEqual(detectAnomalies({ ...CALM, round: round(2n, [14_000n, 2_000n]) }, t), []);
    for (const bad of [0, -1, 1.5, Number.NaN])
      assert.throws(
        () => anomalyThresholds({ outflow: bad }),
        (e: unknown) =>
          e instanceof ZkClearError &&
          e.code === "ANOMALY_THRESHOLD_INVALID" &&
          e.message.includes("--anomaly-outflow-bps"),
      );
  });

  it("property: a price jump fires exactly when |new - old| * 10^4 > threshold * old, and a larger move fires too", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 1n << 40n }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.bigInt({ min: 0n, max: 1n << 40n }),
        fc.boolean(),
        (old, bps, move, up) => {
          const p = up ? old + move : old - (move % old);
          const d = p > old ? p - old : old - p;
          const input = { ...CALM, previousRound: round(1n, [old]), round: round(2n, [p]) };
          const t = anomalyThresholds({ price_jump: bps });
          const fired = detectAnomalies(input, t).some((a) => a.kind === "price_jump");
          assert.equal(fired, d * 10_000n > BigInt(bps) * old);
          // the move exactly at the threshold (when whole) does not fire, one more unit does
          if ((old * BigInt(bps)) % 10_000n === 0n) {
            const edge = old + (old * BigInt(bps)) / 10_000n;
            const judge = (x: bigint) =>
              detectAnomalies({ ...input, round: round(2n, [x]) }, t).length;
            assert.equal(judge(edge), 0);
            assert.equal(judge(edge + 1n), 1);
          }
          if (fired) {
            const bigger = detectAnomalies({ ...input, round: round(2n, [old + d + 1n]) }, t);
            assert.equal(bigger.length, 1);
          }
        },
      ),
    );
  });

  it("property: pure: the same input gives the same anomalies, in table then market order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 1n << 30n }), { minLength: 2, maxLength: 2 }),
        fc.array(fc.bigInt({ min: 1n, max: 1n << 30n }), { minLength: 2, maxLength: 2 }),
        fc.array(fc.bigInt({ min: 0n, max: 1n << 30n }), { minLength: 1, maxLength: 6 }),
        fc.bigInt({ min: 0n, max: 1n << 30n }),
        (a, b, fund, withdrawn) => {
          const input: AnomalyInput = {
            previousRound: round(1n, a),
            round: round(2n, b, [a, b]),
            fund,
            withdrawn,
            collateral: 1n << 29n,
          };
          const once = detectAnomalies(input);
          assert.deepEqual(detectAnomalies(input), once);
          const order = once.map((x) => ANOMALY_KIND_NAMES.indexOf(x.kind) * 10 + (x.market ?? 0));
          assert.deepEqual(
            order,
            [...order].sort((x, y) => x - y),
          );
          for (const x of once) assert.ok(x.valueBps >= x.thresholdBps); // to 0.01 bps, rounded down
        },
      ),
    );
  });
});
