import assert from "node:assert/strict";
import { ownerFindings } from "../../prover/src/audit/deployment-checks.ts";
import { CHECKS } from "../../prover/src/audit/findings.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { DEV_CHAIN_ID, devOwners } from "../../prover/src/domain/owners.ts";

describe("audit: no public development owner key outside the development chain", function () {
  const own = devKeyPair("an owner key of the tests").publicKey;

  it("finds OWNER_INSECURE per development owner key on another chain, naming the role", function () {
    const f = ownerFindings(1n, { fee: own, fund: devOwners().fund });
    assert.deepEqual(
      f.map((x) => x.code),
      ["OWNER_INSECURE"],
    );
    assert.match(f[0].message, /^on chain 1 the fund owner's key is a public development key/);
    assert.deepEqual(
      ownerFindings(10n, devOwners()).map((x) => x.message.split(" key ")[0]),
      ["on chain 10 the fee owner's", "on chain 10 the fund owner's"],
    );
  });

  it("finds nothing with owner keys of their own, or on the development chain", function () {
    assert.deepEqual(ownerFindings(1n, { fee: own, fund: devKeyPair("another").publicKey }), []);
    assert.deepEqual(ownerFindings(DEV_CHAIN_ID, devOwners()), []);
  });

  it("is a check of the report's checklist, failed by OWNER_INSECURE", function () {
    assert.equal(CHECKS.filter((c) => c.codes.includes("OWNER_INSECURE")).length, 1);
  });
});
