import assert from "node:assert/strict";
import {
  MAX_WITHDRAWAL_BOUND,
  MAX_WITHDRAWAL_DELAY,
  withdrawalLimitProblem,
} from "../../prover/src/domain/withdrawal-limit.ts";

/**
 * The TypeScript twin of the Vault constructor's BadWithdrawalLimit (WithdrawalLimit.sol):
 * deploy and the deployment file refuse what the Vault would (the contract's own refusals are
 * in test/contracts/withdrawal-limit.test.ts).
 */
describe("domain: the withdrawal rate limit's bounds", function () {
  const ok = { window: 3600, bound: 1000n, delay: 86_400 };

  it("takes the extremes the Vault takes", function () {
    assert.equal(withdrawalLimitProblem(ok), null);
    assert.equal(withdrawalLimitProblem({ window: 1, bound: 1n, delay: 1 }), null);
    assert.equal(
      withdrawalLimitProblem({
        window: 1,
        bound: MAX_WITHDRAWAL_BOUND,
        delay: MAX_WITHDRAWAL_DELAY,
      }),
      null,
    );
    assert.equal(MAX_WITHDRAWAL_DELAY, 7 * 86_400);
  });

  it("refuses each parameter out of range, naming it", function () {
    for (const [bad, what] of [
      [{ ...ok, window: 0 }, /withdrawal window/],
      [{ ...ok, window: 1.5 }, /withdrawal window/],
      [{ ...ok, bound: 0n }, /withdrawal bound/],
      [{ ...ok, bound: MAX_WITHDRAWAL_BOUND + 1n }, /withdrawal bound/],
      [{ ...ok, delay: 0 }, /withdrawal delay/],
      [{ ...ok, delay: MAX_WITHDRAWAL_DELAY + 1 }, /withdrawal delay/],
    ] as const)
      assert.match(withdrawalLimitProblem(bad) ?? "", what);
  });
});
