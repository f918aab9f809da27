import assert from "node:assert/strict";
import fc from "fast-check";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import {
  bankruptcyPrice,
  deleverageScore,
  deleverageTake,
  planDeleverage,
  PRICE_MAX,
  rankOpposing,
  ranksBefore,
  SCORE_MAX,
  SCORE_MIN,
  type RankedPosition,
} from "../../prover/src/domain/deleveraging.ts";

const MM_BPS = 500n;
const position = (
  account: bigint,
  size: bigint,
  result: bigint,
  equity: bigint,
  surplus = 10_000n * equity,
): RankedPosition => ({ account, size, result, equity, surplus });
const all = () => true;
const abs = (x: bigint) => (x < 0n ? -x : x);

const arbPosition = fc
  .record({
    account: fc.bigInt(3n, 1000n),
    size: fc.bigInt(-(10n ** 6n), 10n ** 6n).filter((s) => s !== 0n),
    result: fc.bigInt(-(10n ** 9n), 10n ** 9n),
    equity: fc.bigInt(-(10n ** 6n), 10n ** 10n),
    spare: fc.integer({ min: 0, max: 100 }),
  })
  .map(({ spare, ...p }) => ({
    ...p,
    surplus: p.equity > 0n ? (10_000n * p.equity * BigInt(spare)) / 100n : 0n,
  }));
const unique = (ps: readonly RankedPosition[]) => [
  ...new Map(ps.map((p) => [p.account, p])).values(),
];

describe("auto-deleveraging: bankruptcy price and ranking (docs/isolation.md, section 3)", function () {
  it("the bankruptcy price covers the uncovered loss within the price's bounds, by less than one unit per lot too much", function () {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.oneof(fc.bigInt(1n, 10n ** 6n), fc.bigInt(PRICE_MAX - 10n ** 6n, PRICE_MAX)),
        fc.bigInt(1n, 10n ** 4n),
        fc.bigInt(0n, 10n ** 12n),
        (long, mark, lots, x) => {
          const { price, uncovered } = bankruptcyPrice(long, mark, lots, x);
          assert.ok(price >= 1n && price <= PRICE_MAX);
          const covered = lots * (long ? price - mark : mark - price);
          assert.ok(covered >= 0n);
          if (uncovered === 0n) assert.ok(covered >= x && covered - x < lots, "rounding");
          else {
            assert.equal(covered + uncovered, x);
            assert.equal(price, long ? PRICE_MAX : 1n, "uncovered without a clamp");
          }
        },
      ),
      { numRuns: 500 },
    );
    // a bankrupt long: shorts buy above the mark; a bankrupt short: longs sell below it
    assert.deepEqual(bankruptcyPrice(true, 100n, 3n, 10n), { price: 104n, uncovered: 0n });
    assert.deepEqual(bankruptcyPrice(false, 100n, 3n, 10n), { price: 96n, uncovered: 0n });
    assert.deepEqual(bankruptcyPrice(false, 10n, 2n, 50n), { price: 1n, uncovered: 32n });
    assert.deepEqual(bankruptcyPrice(true, PRICE_MAX - 1n, 2n, 50n), {
      price: PRICE_MAX,
      uncovered: 48n,
    });
  });

  it("scores profit times leverage for a winning position and the loss alone for a losing one", function () {
    // value 10 * 100 = 1000; u = 100 is 1000 bps; leverage (in hundredths) 1000 * 100 / 500 = 200
    assert.equal(deleverageScore(position(3n, -10n, 100n, 500n), 100n), 1000n * 200n);
    // a losing position scores its loss in bps, whatever its leverage, rounded down:
    // -1 on a value of 3 is -3,333.3 bps
    assert.equal(deleverageScore(position(3n, 10n, -101n, 1n), 100n), -1010n);
    assert.equal(deleverageScore(position(3n, 1n, -1n, 1n), 3n), -3334n);
    // leverage is at least 1 (an account with far more equity than the position)
    assert.equal(deleverageScore(position(3n, 1n, 1n, 10n ** 9n), 100n), 100n);
    // clamped: pnlBps to 32 bits, the score below 2^62
    assert.equal(deleverageScore(position(3n, 1n, -(10n ** 12n), 1n), 1n), SCORE_MIN);
    assert.equal(
      deleverageScore(position(3n, 1n << 40n, 1n << 90n, 1n), 1n << 20n),
      SCORE_MAX * SCORE_MAX,
    );
    fc.assert(
      fc.property(arbPosition, fc.bigInt(1n, 10n ** 6n), (p, mark) => {
        if (p.equity <= 0n) return;
        const s = deleverageScore(p, mark);
        assert.ok(s >= SCORE_MIN && s < 1n << 62n);
        assert.equal(s > 0n, p.result * 10_000n >= abs(p.size) * mark);
      }),
      { numRuns: 300 },
    );
    for (const [p, mark] of [
      [position(4n, 5n, 0n, 0n), 100n],
      [position(4n, 5n, 0n, 9n), 0n],
    ] as const)
      assert.throws(
        () => deleverageScore(p, mark),
        (e: unknown) =>
          e instanceof ZkClearError &&
          e.code === "VALUE_OUT_OF_RANGE" &&
          /account 4/.test(e.message),
      );
  });

  it("ranks the opposing side strictly: score descending, then account ascending, only the eligible", function () {
    fc.assert(
      fc.property(
        fc.array(arbPosition, { maxLength: 20 }),
        fc.boolean(),
        fc.bigInt(1n, 10n ** 6n),
        (ps, long, mark) => {
          const eligible = (p: RankedPosition) => p.account % 7n !== 0n;
          const ranking = rankOpposing(unique(ps), long, mark, eligible);
          for (const p of ranking) {
            assert.ok(
              long ? p.size < 0n : p.size > 0n,
              "a position on the bankrupt's side is ranked",
            );
            assert.ok(p.equity > 0n && eligible(p));
          }
          assert.equal(
            ranking.length,
            unique(ps).filter(
              (p) => (long ? p.size < 0n : p.size > 0n) && p.equity > 0n && eligible(p),
            ).length,
          );
          for (let i = 1; i < ranking.length; i++)
            assert.ok(ranksBefore(ranking[i - 1], ranking[i]), "not in strict order");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses to take lots from an entry below maintenance", function () {
    assert.throws(
      () => deleverageTake(5n, 5n, -1n, 3n),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "VALUE_OUT_OF_RANGE" &&
        /surplus -1/.test(e.message),
    );
    assert.equal(deleverageTake(5n, 5n, 0n, 3n), 0n);
    assert.equal(deleverageTake(5n, 4n, 0n, -3n), 4n);
  });

  it("closes the most each entry can take, in ranking order, keeps each at or above maintenance, and accounts for every lot and unit", function () {
    fc.assert(
      fc.property(
        fc.array(arbPosition, { maxLength: 12 }),
        fc.boolean(),
        fc.bigInt(1n, 10n ** 4n),
        fc.bigInt(1n, 10n ** 5n),
        fc.bigInt(0n, 10n ** 8n),
        (ps, long, mark, lots, x) => {
          const ranking = rankOpposing(unique(ps), long, mark, all);
          const plan = planDeleverage(ranking, long, mark, MM_BPS, lots, x);
          const placed = plan.examined.reduce((s, c) => s + c.lots, 0n);
          assert.equal(placed + plan.unplaced, lots);
          const d = abs(plan.price - mark);
          assert.equal(plan.recovered, placed * d);
          assert.equal(plan.shortfall, x - plan.recovered);
          if (plan.unplaced === 0n)
            assert.ok(
              plan.shortfall <= 0n || plan.price === 1n,
              "a loss left with every lot placed",
            );
          // the listed entries are the ranking's, in order, each taking the greedy maximum
          // (at least one lot); the ranked positions passed over before the last listed
          // one, or before the end when lots are left, cannot afford a lot
          const cost = 10_000n * d - mark * MM_BPS;
          const at = plan.examined.map((c) => ranking.findIndex((p) => p.account === c.account));
          at.forEach((k, i) => {
            assert.ok(k >= 0 && (i === 0 || k > at[i - 1]), "an entry out of the ranking's order");
            const c = plan.examined[i];
            const p = ranking[k];
            assert.equal(c.score, p.score);
            assert.ok(
              c.lots >= 1n && c.lots <= abs(p.size),
              "a position grew, crossed or was listed for nothing",
            );
            const after = p.surplus - c.lots * cost;
            assert.ok(after >= 0n, "a counterparty left below maintenance");
            const leftBefore = lots - plan.examined.slice(0, i).reduce((s, e) => s + e.lots, 0n);
            if (c.lots < abs(p.size) && c.lots < leftBefore)
              assert.ok(after < cost, "an entry took less than it could");
          });
          const reached = plan.unplaced > 0n ? ranking.length : (at.at(-1) ?? -1) + 1;
          ranking.slice(0, reached).forEach((p, k) => {
            if (!at.includes(k))
              assert.equal(
                deleverageTake(1n, abs(p.size), p.surplus, cost),
                0n,
                "an entry passed over that could afford a lot",
              );
          });
          assert.deepEqual(
            plan.cutOff,
            ranking[reached]
              ? { account: ranking[reached].account, score: ranking[reached].score }
              : null,
          );
          if (plan.unplaced > 0n)
            assert.equal(plan.cutOff, null, "lots left with a ranked position unexamined");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a worked crash: a bankrupt long of 10 lots with 50 uncovered, against three shorts", function () {
    const shorts = [
      position(7n, -4n, 200n, 1_000n), // 5,000 bps at leverage 0.40 (40 hundredths): 200,000
      position(5n, -20n, 100n, 10_000n), // 500 bps at 0.20: 10,000
      position(9n, -8n, 400n, 30n, 260_000n), // 5,000 bps at 26.66: 13,330,000; surplus 260,000
      position(4n, 6n, 900n, 10_000n), // a long: not opposing
      position(11n, -3n, 600n, 5n, 0n), // 20,000 bps at 60.00, at its maintenance: cannot afford a lot
    ];
    const ranking = rankOpposing(shorts, true, 100n, all);
    assert.deepEqual(
      ranking.map((p) => [p.account, p.score]),
      [
        [11n, 20_000n * 6_000n],
        [9n, 5_000n * 2_666n],
        [7n, 5_000n * 40n],
        [5n, 500n * 20n],
      ],
    );
    const plan = planDeleverage(ranking, true, 100n, MM_BPS, 10n, 50n);
    assert.equal(plan.price, 105n);
    // a lot closed 5 above the mark costs 10^4 * 5 of surplus and frees 100 * 500 of
    // requirement: nothing on balance, so only the sizes bind
    assert.deepEqual(
      plan.examined.map((e) => [e.account, e.lots]),
      [
        [11n, 3n],
        [9n, 7n],
      ],
    );
    const steep = planDeleverage(ranking, true, 100n, MM_BPS, 10n, 500n);
    // price 150: a lot costs 10^4 * 50 - 100 * 500 = 450,000 of surplus
    assert.equal(steep.price, 150n);
    assert.deepEqual(
      steep.examined.map((e) => [e.account, e.lots]),
      [
        // 11, at its maintenance, and 9, with 260,000 of surplus, cannot afford a lot:
        // passed over
        [7n, 4n], // 10^7 of surplus: all 4 lots
        [5n, 6n], // the rest
      ],
    );
    assert.equal(steep.cutOff, null);
    assert.equal(steep.recovered, 500n);
    assert.equal(steep.shortfall, 0n);
  });
});
