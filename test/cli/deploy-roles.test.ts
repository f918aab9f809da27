import assert from "node:assert/strict";
import { DEV_CHAIN_ID, sharedKeyCheck } from "../../prover/src/cli/deploy.ts";

const OWNER = "0x00000000000000000000000000000000000000a1";
const OTHER = "0x00000000000000000000000000000000000000b2";
const THIRD = "0x00000000000000000000000000000000000000c3";

describe("deploy: the guardian and the operator keep keys of their own outside development", function () {
  it("refuses a guardian or an operator that is the owner's key on another chain, naming them", function () {
    const r = sharedKeyCheck(1n, { owner: OWNER, operator: OWNER, guardian: OTHER }, false);
    assert.match(
      r.refusal ?? "",
      /the operator is the owner's key .* on chain 1: give --guardian and --operator/,
    );
    const both = sharedKeyCheck(10n, { owner: OWNER, operator: OWNER, guardian: OWNER }, false);
    assert.match(both.refusal ?? "", /the guardian and the operator are the owner's key/);
    // addresses compare whatever their case
    const g = sharedKeyCheck(
      1n,
      { owner: OWNER.toUpperCase().replace("0X", "0x"), operator: OTHER, guardian: OWNER },
      false,
    );
    assert.match(g.refusal ?? "", /the guardian is the owner's key/);
  });

  it("lets them share with --allow-shared-keys, and on the development chain, with a loud warning", function () {
    for (const [chain, allow] of [
      [1n, true],
      [DEV_CHAIN_ID, false],
    ] as const) {
      const r = sharedKeyCheck(chain, { owner: OWNER, operator: OWNER, guardian: OWNER }, allow);
      assert.equal(r.refusal, null);
      assert.match(
        r.warnings.join("\n"),
        /^WARNING: the guardian and the operator are the owner's key/,
      );
    }
  });

  it("says nothing when every role has its own key", function () {
    assert.deepEqual(
      sharedKeyCheck(1n, { owner: OWNER, operator: OTHER, guardian: THIRD }, false),
      {
        refusal: null,
        warnings: [],
      },
    );
  });
});
