import assert from "node:assert/strict";
import fc from "fast-check";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import { penaltyMarket } from "../helpers/compartments.ts";
import {
  attributeLiquidation,
  compartmentValues,
  penaltiesByMarket,
  sharesByMarket,
} from "../../prover/src/domain/compartments.ts";

const KEY = devKeyPair("compartments").publicKey;
const market = penaltyMarket;
const account = (collateral: bigint, positions: [bigint, bigint][]): Account => ({
  pubKey: KEY,
  collateral,
  withdrawNonce: 0n,
  positions: positions.map(([size, notional]) => ({ ...EMPTY_POSITION, size, notional })),
});
const sum = (xs: readonly bigint[]) => xs.reduce((s, x) => s + x, 0n);

/**
 * A liquidated account's shape: M markets, each flat (notional 0, or a leftover notional a
 * liquidator's takeover to zero leaves) or open at an entry price.
 */
const arbCase = fc.integer({ min: 1, max: 4 }).chain((m) =>
  fc.record({
    collateral: fc.bigInt(-(10n ** 9n), 10n ** 10n),
    positions: fc.array(
      fc.oneof(
        fc.constant<[bigint, bigint]>([0n, 0n]),
        fc.bigInt(-(10n ** 9n), 10n ** 9n).map((n): [bigint, bigint] => [0n, n]),
        fc
          .tuple(fc.bigInt(-(10n ** 6n), 10n ** 6n), fc.bigInt(1n, 10n ** 6n))
          .map(([size, entry]): [bigint, bigint] => [size, size * entry]),
      ),
      { minLength: m, maxLength: m },
    ),
    marks: fc.array(fc.bigInt(1n, 10n ** 6n), { minLength: m, maxLength: m }),
    penaltyBps: fc.array(fc.bigInt(0n, 1000n), { minLength: m, maxLength: m }),
    take: fc.array(fc.boolean(), { minLength: m, maxLength: m }),
    discountFraction: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: m, maxLength: m }),
  }),
);
type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

function attribute(c: Case) {
  const a = account(c.collateral, c.positions);
  const markets = c.penaltyBps.map(market);
  // a liquidator's discount is at most the market's penalty rate, so its share is at most
  // the market's penalty
  const discounts = c.penaltyBps.map((p, j) => (p * BigInt(c.discountFraction[j])) / 100n);
  const shares = sharesByMarket(a, c.marks, c.take, discounts);
  const penalties = penaltiesByMarket(a, c.marks, markets);
  const results = a.positions.map((p, j) => p.size * c.marks[j] - p.notional);
  return { a, shares, penalties, results, r: attributeLiquidation(a, c.marks, markets, shares) };
}

describe("insurance compartments: who pays a liquidation (docs/isolation.md, sections 1 and 2)", function () {
  it("the charges add up to the fund's result, equity - kept - shares, and kept = max(E - P, 0)", function () {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { a, shares, r } = attribute(c);
        assert.equal(r.equity, equity(a, c.marks));
        assert.equal(r.kept, r.equity > r.penalty ? r.equity - r.penalty : 0n);
        assert.equal(sum(r.charges), r.equity - r.kept - sum(shares));
      }),
      { numRuns: 500 },
    );
  });

  it("never charges a market the account has no position in", function () {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { a, r } = attribute(c);
        // (but for an account with no position at all: see the worked cases)
        if (a.positions.every((p) => p.size === 0n)) return;
        a.positions.forEach((p, j) => {
          if (p.size === 0n) assert.equal(r.charges[j], 0n, `flat market ${j} charged`);
        });
      }),
      { numRuns: 500 },
    );
  });

  it("an account that covers its penalty gives each compartment its own net penalty, never a loss", function () {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { shares, penalties, r } = attribute(c);
        if (r.equity < r.penalty) return;
        r.charges.forEach((d, j) => assert.equal(d, penalties[j] - shares[j]));
        assert.ok(r.charges.every((d) => d >= 0n));
      }),
      { numRuns: 500 },
    );
  });

  it("a market pays at most its own loss and its liquidator's share, unless it carries negative resources", function () {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { shares, penalties, results, r } = attribute(c);
        r.charges.forEach((d, j) => {
          const open = c.positions[j][0] !== 0n;
          const loss = open && results[j] < 0n ? -results[j] : 0n;
          assert.ok(d <= penalties[j] - shares[j], `market ${j} gains more than its net penalty`);
          if (r.negativeResources?.market === j) return;
          assert.ok(d >= -shares[j] - loss, `market ${j} pays beyond its own loss`);
        });
        if (r.negativeResources && c.positions.some(([size]) => size !== 0n)) {
          assert.ok(r.negativeResources.amount > 0n);
          assert.ok(c.positions[r.negativeResources.market][0] !== 0n, "a flat market carries it");
        }
      }),
      { numRuns: 500 },
    );
  });

  it("no compartment earns a penalty while a loss is left uncovered: a loss never pays another market's penalty", function () {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { r } = attribute(c);
        if (r.equity >= 0n) return;
        r.charges.forEach((d, j) =>
          assert.ok(d <= 0n, `market ${j} gained ${d} from a bankrupt account`),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("a loss in market 0 never changes market 1's compartment, over any sequence of liquidations", function () {
    const onlyMarket0 = fc.record({
      collateral: fc.bigInt(-(10n ** 6n), 10n ** 8n),
      size: fc.bigInt(-(10n ** 6n), 10n ** 6n).filter((s) => s !== 0n),
      entry: fc.bigInt(1n, 10n ** 6n),
      take: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(onlyMarket0, { minLength: 1, maxLength: 8 }),
        fc.tuple(fc.bigInt(1n, 10n ** 6n), fc.bigInt(1n, 10n ** 6n)),
        fc.tuple(fc.bigInt(-(10n ** 12n), 10n ** 12n), fc.bigInt(-(10n ** 12n), 10n ** 12n)),
        (liquidations, marks, start) => {
          const markets = [market(100n), market(300n)];
          let compartments: readonly bigint[] = start;
          for (const l of liquidations) {
            const a = account(l.collateral, [
              [l.size, l.size * l.entry],
              [0n, 0n],
            ]);
            const shares = sharesByMarket(a, marks, [l.take, false], [50n, 50n]);
            const { charges } = attributeLiquidation(a, marks, markets, shares);
            compartments = compartments.map((c, j) => c + charges[j]);
            assert.equal(compartments[1], start[1]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("worked cases: penalty covered, losses then penalties in market order, negative resources", function () {
    const markets = [market(100n), market(100n), market(100n)];
    const marks = [100n, 100n, 100n];
    // long 10 in market 0 bought at 120 (u_0 = -200), short 10 in market 1 sold at 110
    // (u_1 = +100), long 10 in market 2 bought at 105 (u_2 = -50); penalties 10 each
    const positions: [bigint, bigint][] = [
      [10n, 1200n],
      [-10n, -1100n],
      [10n, 1050n],
    ];
    const none = [0n, 0n, 0n];
    const charged = (collateral: bigint, shares = none, ps = positions) =>
      attributeLiquidation(account(collateral, ps), marks, markets, shares);
    // E = 1000 - 150 = 850 >= 30: each market its penalty
    assert.deepEqual(charged(1000n).charges, [10n, 10n, 10n]);
    assert.equal(charged(1000n).kept, 820n);
    // E = 20 < 30: R = 170 + 100 = 270 covers the losses (200, 50), then penalties 10 and 10
    assert.deepEqual(charged(170n).charges, [10n, 10n, 0n]);
    assert.equal(charged(170n).kept, 0n);
    // E = -50: R = 200 covers market 0's loss; market 2 pays its own 50, no penalty is paid
    assert.deepEqual(charged(100n).charges, [0n, 0n, -50n]);
    // R = -50 < 0: nothing covered, R charged to market 0, the largest loss
    const negative = charged(-150n);
    assert.deepEqual(negative.charges, [-200n - 50n, 0n, -50n]);
    assert.deepEqual(negative.negativeResources, { amount: 50n, market: 0 });
    assert.equal(sum(negative.charges), equity(account(-150n, positions), marks));
    // negative resources with no loss open go to the largest position, not to a 1-lot one
    const dust: [bigint, bigint][] = [
      [1n, 100n],
      [0n, 0n],
      [-20n, -2000n],
    ];
    assert.deepEqual(charged(-500n, none, dust).charges, [0n, 0n, -500n]);
    // (an account with no position and a negative collateral, which no rule leaves, is
    // charged to market 0)
    assert.deepEqual(
      charged(-7n, none, [
        [0n, 0n],
        [0n, 0n],
        [0n, 0n],
      ]).charges,
      [-7n, 0n, 0n],
    );
    // a winning market does not earn its penalty from a losing one: u_0 = +1000,
    // u_1 = -1200, E = -200 is market 1's alone
    const split = charged(0n, none, [
      [-10n, -2000n],
      [10n, 2200n],
      [0n, 0n],
    ]);
    assert.deepEqual(split.charges, [0n, -200n, 0n]);
    // a flat market's leftover notional is the account's resource (a gain or a loss),
    // never a charge of its own
    const leftover = (n: bigint) =>
      charged(100n, none, [
        [10n, 1200n],
        [0n, n],
        [0n, 0n],
      ]);
    assert.deepEqual(leftover(-250n).charges, [10n, 0n, 0n]);
    assert.deepEqual(leftover(250n).charges, [-350n, 0n, 0n]);
    // a liquidator taking market 1 at 5 bps is paid 5 from market 1's compartment
    const shares = sharesByMarket(
      account(100n, positions),
      marks,
      [false, true, false],
      [0n, 50n, 0n],
    );
    assert.deepEqual(shares, [0n, 5n, 0n]);
    assert.deepEqual(charged(100n, shares).charges, [0n, -5n, -50n]);
  });

  it("refuses a liquidator's share above its market's penalty", function () {
    const a = account(0n, [[10n, 1000n]]);
    assert.throws(
      () => attributeLiquidation(a, [100n], [market(10n)], [2n]),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "LIQUIDATOR_SHARE_ABOVE_PENALTY" &&
        /market 0: a liquidator's share of 2 is above the market's penalty of 1/.test(e.message),
    );
  });

  it("reads the fund's compartments from its leaf: capital moved in is a negative notional", function () {
    const fund = account(5_000n, [
      [0n, -2_000n],
      [4n, 400n],
    ]);
    assert.deepEqual(compartmentValues(fund, [100n, 90n]), [2_000n, -40n]);
  });
});
