import assert from "node:assert/strict";
import {
  isolationFlag,
  leafPreimage,
  newAccount,
  tradesIn,
  unpackBalance,
  validateAccount,
  type Account,
} from "../../prover/src/domain/account.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";

const KEY = devKeyPair("account-test").publicKey;

describe("account leaf: the balance word and isolated sub-accounts", function () {
  it("writes flag 0 for a cross account and 1 + market for an isolated one", function () {
    const cross = newAccount(KEY, 2, 100n);
    const iso = newAccount(KEY, 2, 100n, 1);
    assert.equal(isolationFlag(cross), 0n);
    assert.equal(isolationFlag(iso), 2n);
    assert.equal(unpackBalance(leafPreimage(cross)[2]).flag, 0n);
    assert.equal(unpackBalance(leafPreimage(iso)[2]).flag, 2n);
    assert.equal("isolatedMarket" in cross, false, "a cross account has no isolated market");
    assert.deepEqual(
      [0, 1].map((m) => [tradesIn(cross, m), tradesIn(iso, m)]),
      [
        [true, false],
        [true, true],
      ],
    );
  });

  it("refuses an isolated market that is not one of the markets, and a position outside it", function () {
    const refused = (a: Account, what: RegExp) =>
      assert.throws(
        () => validateAccount(a),
        (e: unknown) =>
          e instanceof ZkClearError && e.code === "ACCOUNT_BAD_ISOLATION" && what.test(e.message),
      );
    refused(newAccount(KEY, 2, 0n, 2), /isolated market 2 is not one of the 2 markets/);
    refused(newAccount(KEY, 2, 0n, -1), /isolated market -1/);
    refused({ ...newAccount(KEY, 2, 0n), isolatedMarket: 0.5 }, /isolated market 0.5/);
    const iso = newAccount(KEY, 2, 0n, 0);
    const elsewhere: Account = {
      ...iso,
      positions: [iso.positions[0], { ...iso.positions[1], size: 1n }],
    };
    refused(elsewhere, /isolated to market 0 holds a position in market 1/);
    validateAccount({ ...iso, positions: [{ ...iso.positions[0], size: -3n }, iso.positions[1]] });
  });
});
