import assert from "node:assert/strict";
import fc from "fast-check";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import type { MarketParams } from "../../prover/src/domain/market.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import {
  attributeLiquidation,
  chargeCompartments,
  compartmentValues,
  penaltiesByMarket,
  sharesByMarket,
} from "../../prover/src/domain/compartments.ts";

const KEY = devKeyPair("compartments").publicKey;
const market = (penaltyBps: bigint): MarketParams => ({
  symbol: "X",
  initialMarginBps: 1000n,
  maintenanceMarginBps: 500n,
  makerFeeBps: 0n,
  takerFeeBps: 0n,
  liquidationPenaltyBps: penaltyBps,
});
const account = (collateral: bigint, positions: [bigint, bigint][]): Account => ({
  pubKey: KEY,
  collateral,
  withdrawNonce: 0n,
  positions: positions.map(([size, notional]) => ({ ...EMPTY_POSITION, size, notional })),
});
const sum = (xs: readonly bigint[]) => xs.reduce((s, x) => s + x, 0n);

/** A liquidated account's shape: M markets, each flat (notional 0) or open at an entry price. */
const arbCase = fc.integer({ min: 1, max: 4 }).chain((m) =>
  fc.record({
    collateral: fc.bigInt(-(10n ** 9n), 10n ** 10n),
    positions: fc.array(
      fc.oneof(
        fc.constant<[bigint, bigint]>([0n, 0n]),
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

  it("a market pays at most its own shortfall, and one that made its penalty pays nothing, unless it carries a negative collateral", function () {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { shares, penalties, results, r } = attribute(c);
        r.charges.forEach((d, j) => {
          const net = penalties[j] - shares[j];
          const need = penalties[j] > results[j] ? penalties[j] - results[j] : 0n;
          assert.ok(d <= net, `market ${j} gains more than its net penalty`);
          if (r.negativeResources?.market === j) return;
          assert.ok(d >= net - need, `market ${j} pays beyond its own shortfall`);
          if (need === 0n) assert.equal(d, net, `winning market ${j} charged`);
        });
        if (r.negativeResources && c.positions.some(([size]) => size !== 0n)) {
          assert.ok(r.negativeResources.amount > 0n);
          assert.ok(c.positions[r.negativeResources.market][0] !== 0n, "a flat market carries it");
        }
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
            compartments = chargeCompartments(compartments, charges).after;
            assert.equal(compartments[1], start[1]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a compartment pays what it has and deleverages the rest; one under water pays nothing", function () {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.bigInt(-(10n ** 9n), 10n ** 9n), fc.bigInt(-(10n ** 9n), 10n ** 9n)), {
          minLength: 1,
          maxLength: 6,
        }),
        (pairs) => {
          const before = pairs.map(([c]) => c);
          const charges = pairs.map(([, d]) => d);
          const { after, deleverage } = chargeCompartments(before, charges);
          charges.forEach((d, j) => {
            const c = before[j];
            const x = deleverage[j];
            assert.equal(after[j], c + d + x);
            assert.ok(x >= 0n && x <= (d < 0n ? -d : 0n));
            if (d >= 0n) assert.equal(x, 0n);
            else if (c < 0n) assert.equal(after[j], c, "a compartment under water paid");
            else {
              assert.ok(after[j] >= 0n, "a compartment ended below zero");
              if (x > 0n) assert.equal(after[j], 0n, "deleveraged while the compartment had money");
            }
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("how the queue is cut into batches does not change what is deleveraged", function () {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.bigInt(-(10n ** 6n), 10n ** 6n), fc.bigInt(-(10n ** 6n), 10n ** 6n)), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 12 }),
        fc.tuple(fc.bigInt(0n, 10n ** 6n), fc.bigInt(0n, 10n ** 6n)),
        (queue, cut, start) => {
          const run = (slots: readonly (readonly bigint[])[], from: readonly bigint[]) =>
            slots.reduce<{ c: readonly bigint[]; x: bigint[][] }>(
              (acc, d) => {
                const step = chargeCompartments(acc.c, d);
                return { c: step.after, x: [...acc.x, [...step.deleverage]] };
              },
              { c: from, x: [] },
            );
          const whole = run(queue, start);
          const first = run(queue.slice(0, cut), start);
          const second = run(queue.slice(cut), first.c);
          assert.deepEqual([...first.x, ...second.x], whole.x);
          assert.deepEqual(second.c, whole.c);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("worked cases: a penalty covered, resources covering needs in market order, and a negative collateral", function () {
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
    // E = 1000 - 150 = 850 >= 30: each market its penalty
    const covered = attributeLiquidation(account(1000n, positions), marks, markets, none);
    assert.deepEqual(covered.charges, [10n, 10n, 10n]);
    assert.equal(covered.kept, 820n);
    // collateral 100: E = -50 < P = 30. Needs 210, 0, 60; R = 100 + 90 = 190 covers
    // market 0's 210 by 190, market 2's 60 by nothing
    const waterfall = attributeLiquidation(account(100n, positions), marks, markets, none);
    assert.deepEqual(waterfall.charges, [10n - 20n, 10n, 10n - 60n]);
    assert.equal(sum(waterfall.charges), -50n);
    assert.equal(waterfall.negativeResources, null);
    // collateral -150: R = -60 < 0, nothing covered; the 60 go to market 0, the first
    // market with a need
    const negative = attributeLiquidation(account(-150n, positions), marks, markets, none);
    // (an account with no position and a negative collateral, which no rule leaves, is
    // charged to market 0)
    const flat = attributeLiquidation(
      account(-7n, [
        [0n, 0n],
        [0n, 0n],
        [0n, 0n],
      ]),
      marks,
      markets,
      none,
    );
    assert.deepEqual(flat.charges, [-7n, 0n, 0n]);
    assert.deepEqual(negative.charges, [10n - 210n - 60n, 10n, 10n - 60n]);
    assert.deepEqual(negative.negativeResources, { amount: 60n, market: 0 });
    assert.equal(sum(negative.charges), equity(account(-150n, positions), marks));
    // a liquidator taking market 1 at 5 bps is paid 5 from market 1's penalty
    const shares = sharesByMarket(
      account(100n, positions),
      marks,
      [false, true, false],
      [0n, 50n, 0n],
    );
    assert.deepEqual(shares, [0n, 5n, 0n]);
    const taken = attributeLiquidation(account(100n, positions), marks, markets, shares);
    assert.deepEqual(taken.charges, [-10n, 5n, -50n]);
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
