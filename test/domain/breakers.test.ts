import assert from "node:assert/strict";
import {
  breakerMasks,
  breakerProblem,
  breakerStart,
  breakerStep,
  checkReduceOnly,
  isReduceOnly,
  reduceOnlyMarkets,
  trips,
} from "../../prover/src/domain/breakers.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";

const RULE = { moveBps: 2_500n, cooldown: 900n };
const round = (roundId: bigint, timestamp: bigint, prices: bigint[]) => ({
  roundId,
  timestamp,
  prices,
});

/** The circuit breaker rule's TypeScript twin (PriceOracle._breakers), at its edges. */
describe("domain/breakers: the circuit breaker rule", function () {
  it("trips strictly above the bound, either way", function () {
    assert.equal(trips(10_000n, 12_500n, 2_500n), false);
    assert.equal(trips(10_000n, 12_501n, 2_500n), true);
    assert.equal(trips(10_000n, 7_500n, 2_500n), false);
    assert.equal(trips(10_000n, 7_499n, 2_500n), true);
  });

  it("keeps a tripped market reduce-only until the round time reaches the cool-down's end", function () {
    const { masks, trips: found } = breakerMasks(RULE, [
      round(1n, 100n, [10_000n, 500n]),
      round(2n, 110n, [5_000n, 500n]),
      round(3n, 1_009n, [5_000n, 500n]),
      round(4n, 1_010n, [5_000n, 500n]),
    ]);
    assert.deepEqual([...masks.values()], [0n, 1n, 1n, 0n]);
    assert.deepEqual(found, [
      { market: 0, roundId: 2n, previousPrice: 10_000n, price: 5_000n, until: 1_010n },
    ]);
  });

  it("cannot tell a round's mask without every round before it", function () {
    const s = breakerStart();
    assert.equal(breakerStep(RULE, s, round(2n, 100n, [1n])), undefined);
    assert.deepEqual(s, breakerStart(), "a skipped round leaves the state as it was");
    assert.throws(
      () => breakerMasks(RULE, [round(1n, 1n, [1n]), round(3n, 2n, [1n])]),
      (e: unknown) => e instanceof ZkClearError && e.code === "REDUCE_ONLY_MASK",
    );
  });

  it("checks masks and the rule's limits", function () {
    assert.equal(isReduceOnly(0b10n, 1), true);
    assert.equal(isReduceOnly(0b10n, 0), false);
    assert.deepEqual(reduceOnlyMarkets(0b101n, 3), [0, 2]);
    assert.deepEqual(reduceOnlyMarkets(0n, 3), []);
    assert.equal(checkReduceOnly(3n, 2), 3n);
    for (const bad of [4n, -1n])
      assert.throws(
        () => checkReduceOnly(bad, 2),
        (e: unknown) => e instanceof ZkClearError && e.code === "REDUCE_ONLY_MASK",
      );
    assert.equal(breakerProblem(1, 1), null);
    assert.match(breakerProblem(0, 1)!, /bound must be 1\.\.10000/);
    assert.match(breakerProblem(10_001, 1)!, /bound/);
    assert.match(breakerProblem(1, 0)!, /cool-down must be 1\.\.86400/);
    assert.match(breakerProblem(1, 86_401)!, /cool-down/);
  });
});
