import assert from "node:assert/strict";
import {
  currentOwners,
  ownerFindings,
  pendingRotations,
  recordRotations,
} from "../../prover/src/audit/owner-checks.ts";
import { newProgress } from "../../prover/src/audit/progress.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
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

  it("judges the keys now: a development key rotated away is not found, one rotated in is, naming the batch", function () {
    const dev = devOwners();
    const away = [{ account: FEE_ACCOUNT, key: own, batch: 4, queueIndex: 7 }];
    const owners = currentOwners(dev, away);
    assert.deepEqual(owners, { fee: own, fund: dev.fund });
    assert.deepEqual(
      ownerFindings(1n, owners, away).map((f) => f.message.split(" key ")[0]),
      ["on chain 1 the fund owner's"],
    );
    const back = [...away, { account: INSURANCE_ACCOUNT, key: own, batch: 5, queueIndex: 9 }];
    assert.deepEqual(ownerFindings(1n, currentOwners(dev, back), back), []);
    const into = [{ account: INSURANCE_ACCOUNT, key: dev.fee, batch: 6, queueIndex: 11 }];
    const f = ownerFindings(1n, currentOwners({ fee: own, fund: own }, into), into);
    assert.equal(f.length, 1);
    assert.match(
      f[0].message,
      /the fund owner's key is a public development key, rotated to it by batch 6/,
    );
  });

  it("records the rotations a deposit batch credits, and only those (not top-ups or new accounts)", function () {
    const p = newProgress(0n, 0, false);
    const entry = (index: number, account: bigint, pubKey: { x: bigint; y: bigint }) => ({
      index,
      deposit: { account, amount: 0n, pubKey },
      queueHash: 0n,
    });
    recordRotations(p, 3, [
      entry(0, 3n, own),
      entry(1, INSURANCE_ACCOUNT, { x: 0n, y: 0n }),
      entry(2, FEE_ACCOUNT, own),
    ]);
    assert.deepEqual(p.ownerRotations, [
      { account: FEE_ACCOUNT, key: own, batch: 3, queueIndex: 2 },
    ]);
  });

  it("judges a rotation queued but not credited: a pending development key is OWNER_INSECURE, naming its position", function () {
    const dev = devOwners();
    const entry = (index: number, account: bigint, pubKey: { x: bigint; y: bigint }) => ({
      index,
      deposit: { account, amount: 0n, pubKey },
      queueHash: 0n,
    });
    const pending = pendingRotations([
      entry(4, 3n, dev.fund),
      entry(5, INSURANCE_ACCOUNT, dev.fee),
      entry(6, FEE_ACCOUNT, own),
    ]);
    // a new account's key is no rotation; both rotations are pending, in queue order
    assert.deepEqual(pending, [
      { account: INSURANCE_ACCOUNT, key: dev.fee, queueIndex: 5 },
      { account: FEE_ACCOUNT, key: own, queueIndex: 6 },
    ]);
    const owners = { fee: own, fund: devKeyPair("a fund key of its own").publicKey };
    const f = ownerFindings(1n, owners, [], pending);
    assert.deepEqual(
      f.map((x) => x.code),
      ["OWNER_INSECURE"],
    );
    assert.match(
      f[0].message,
      /the rotation queued at position 5, not credited yet, names a public development key as the fund owner's/,
    );
    assert.deepEqual(ownerFindings(DEV_CHAIN_ID, owners, [], pending), []);
    // one recorded behind a closed queue (Vault.ownerRotation, no position) is judged too
    const stranded = ownerFindings(
      1n,
      owners,
      [],
      [{ account: FEE_ACCOUNT, key: dev.fund, queueIndex: null }],
    );
    assert.match(
      stranded[0].message,
      /the rotation recorded behind the closed deposit queue, not credited yet, names a public development key as the fee owner's/,
    );
  });
});
