import assert from "node:assert/strict";
import fc from "fast-check";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import {
  bankruptcyPrice,
  deleverageScore,
  planDeleverage,
  rankOpposing,
  ranksBefore,
  SCORE_MAX,
  SCORE_MIN,
  type RankedPosition,
} from "../../prover/src/domain/deleveraging.ts";

const position = (
  account: bigint,
  size: bigint,
  result: bigint,
  equity: bigint,
): RankedPosition => ({
  account,
  size,
  result,
  equity,
});

const arbPosition = fc.record({
  account: fc.bigInt(3n, 1000n),
  size: fc.bigInt(-(10n ** 6n), 10n ** 6n).filter((s) => s !== 0n),
  result: fc.bigInt(-(10n ** 9n), 10n ** 9n),
  equity: fc.bigInt(-(10n ** 6n), 10n ** 10n),
});

describe("auto-deleveraging: bankruptcy price and ranking (docs/isolation.md, section 3)", function () {
  it("the bankruptcy price covers the uncovered loss, by less than one unit per lot too much", function () {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.bigInt(1n, 10n ** 6n),
        fc.bigInt(1n, 10n ** 4n),
        fc.bigInt(0n, 10n ** 9n),
        (long, mark, lots, x) => {
          const { price, uncovered } = bankruptcyPrice(long, mark, lots, x);
          assert.ok(price >= 1n);
          const covered = lots * (long ? price - mark : mark - price);
          assert.ok(covered + uncovered >= x, "the loss is not covered");
          assert.ok(covered - x < lots || uncovered > 0n, "rounding took a lot's unit or more");
          if (long) assert.equal(uncovered, 0n);
          if (uncovered > 0n) assert.equal(price, 1n, "uncovered without the clamp");
          if (uncovered > 0n) assert.equal(covered + uncovered, x);
        },
      ),
      { numRuns: 500 },
    );
    // a bankrupt long: shorts buy above the mark; a bankrupt short: longs sell below it
    assert.deepEqual(bankruptcyPrice(true, 100n, 3n, 10n), { price: 104n, uncovered: 0n });
    assert.deepEqual(bankruptcyPrice(false, 100n, 3n, 10n), { price: 96n, uncovered: 0n });
    assert.deepEqual(bankruptcyPrice(false, 10n, 2n, 50n), { price: 1n, uncovered: 32n });
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
    // clamped to 32 bits
    assert.equal(deleverageScore(position(3n, 1n, -(10n ** 12n), 1n), 1n), SCORE_MIN);
    fc.assert(
      fc.property(arbPosition, fc.bigInt(1n, 10n ** 6n), (p, mark) => {
        if (p.equity <= 0n) return;
        const s = deleverageScore(p, mark);
        assert.ok(s >= SCORE_MIN && s <= SCORE_MAX * SCORE_MAX);
        assert.equal(s > 0n, p.result * 10_000n >= BigInt(p.size < 0n ? -p.size : p.size) * mark);
      }),
      { numRuns: 300 },
    );
    assert.throws(
      () => deleverageScore(position(4n, 5n, 0n, 0n), 100n),
      (e: unknown) =>
        e instanceof ZkClearError && e.code === "VALUE_OUT_OF_RANGE" && /account 4/.test(e.message),
    );
  });

  it("ranks the opposing side strictly: score descending, then account ascending", function () {
    fc.assert(
      fc.property(
        fc.array(arbPosition, { maxLength: 20 }),
        fc.boolean(),
        fc.bigInt(1n, 10n ** 6n),
        (ps, long, mark) => {
          const unique = [...new Map(ps.map((p) => [p.account, p])).values()];
          const ranking = rankOpposing(unique, long, mark);
          for (const p of ranking) {
            assert.ok(
              long ? p.size < 0n : p.size > 0n,
              "a position on the bankrupt's side is ranked",
            );
            assert.ok(p.equity > 0n);
          }
          assert.equal(
            ranking.length,
            unique.filter((p) => (long ? p.size < 0n : p.size > 0n) && p.equity > 0n).length,
          );
          for (let i = 1; i < ranking.length; i++)
            assert.ok(ranksBefore(ranking[i - 1], ranking[i]), "not in strict order");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("closes lots in ranking order, keeps every counterparty's equity at or above zero, and publishes the cut-off", function () {
    fc.assert(
      fc.property(
        fc.array(arbPosition, { maxLength: 12 }),
        fc.boolean(),
        fc.bigInt(1n, 10n ** 4n),
        fc.bigInt(1n, 10n ** 5n),
        fc.bigInt(0n, 10n ** 8n),
        (ps, long, mark, lots, x) => {
          const unique = [...new Map(ps.map((p) => [p.account, p])).values()];
          const ranking = rankOpposing(unique, long, mark);
          const plan = planDeleverage(ranking, long, mark, lots, x);
          const placed = plan.closed.reduce((s, c) => s + c.lots, 0n);
          assert.equal(placed + plan.unplaced, lots);
          const distance = plan.price > mark ? plan.price - mark : mark - plan.price;
          let last = -1;
          for (const c of plan.closed) {
            const at = ranking.findIndex((p) => p.account === c.account);
            assert.ok(at > last, "closed out of ranking order");
            last = at;
            const p = ranking[at];
            assert.ok(
              c.lots > 0n && c.lots <= (p.size < 0n ? -p.size : p.size),
              "a position grew or crossed",
            );
            assert.ok(p.equity - c.lots * distance >= 0n, "a counterparty left below zero");
          }
          if (plan.unplaced > 0n)
            assert.equal(plan.cutOff, null, "lots left with a position unranked");
          if (plan.cutOff) {
            const at = ranking.findIndex((p) => p.account === plan.cutOff!.account);
            assert.ok(at > last, "the cut-off is not past the last chosen");
            for (let i = last + 1; i < at; i++)
              assert.ok(ranking[i].equity < distance, "an affordable position skipped");
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a worked crash: a bankrupt long of 10 lots with 50 uncovered, against three shorts", function () {
    const shorts = [
      position(7n, -4n, 200n, 1_000n), // 5,000 bps at leverage 0.40 (40 hundredths): 200,000
      position(5n, -20n, 100n, 10_000n), // 500 bps at 0.20: 10,000
      position(9n, -8n, 400n, 30n), // 5,000 bps at 26.66: 13,330,000 (but only 30 of equity)
      position(4n, 6n, 900n, 10_000n), // a long: not opposing
    ];
    const ranking = rankOpposing(shorts, true, 100n);
    assert.deepEqual(
      ranking.map((p) => [p.account, p.score]),
      [
        [9n, 5_000n * 2_666n],
        [7n, 5_000n * 40n],
        [5n, 500n * 20n],
      ],
    );
    const plan = planDeleverage(ranking, true, 100n, 10n, 50n);
    assert.equal(plan.price, 105n);
    // account 9 can afford 30 / 5 = 6 of its 8 lots, account 7 the other 4 of its 4
    assert.deepEqual(plan.closed, [
      { account: 9n, lots: 6n, price: 105n },
      { account: 7n, lots: 4n, price: 105n },
    ]);
    assert.deepEqual(plan.cutOff, { account: 5n, score: 10_000n });
    assert.equal(plan.unplaced, 0n);
  });
});
