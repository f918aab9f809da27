import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { SignedOffer } from "../../prover/src/domain/offer.ts";
import { Store, StoreError } from "../../prover/src/store/store.ts";
import { SCHEMA_VERSION } from "../../prover/src/store/schema.ts";

function tmpDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-offers-")), "zkclear.db");
}

const offer = (account: bigint, nonce: bigint, maxSize = 5n, discountBps = 50n): SignedOffer => ({
  offer: {
    account,
    nonce,
    terms: [
      { maxSize, discountBps },
      { maxSize: 0n, discountBps: 0n },
    ],
  },
  signature: { r8x: 1n, r8y: 2n, s: nonce },
});

describe("store: liquidators' offers", function () {
  it("keeps one offer per liquidator, the latest nonce; refuses a lower or equal one; survives a reopen", function () {
    const file = tmpDb();
    let s = new Store(file);
    const a = s.offers.put(offer(3n, 1n), false, 1000);
    const b = s.offers.put(offer(4n, 7n), false, 1001);
    assert.ok(b.seq > a.seq);
    for (const n of [1n, 0n]) {
      assert.throws(
        () => s.offers.put(offer(3n, n, 9n), false),
        (e: unknown) => e instanceof StoreError && e.code === "OFFER_NONCE_USED",
      );
    }
    assert.equal(
      s.offers.get(3n)?.signed.offer.terms[0].maxSize,
      5n,
      "the refused one stored nothing",
    );
    // a replacement counts as a new offer: acknowledged after every other one
    const c = s.offers.put(offer(3n, 2n, 8n), false, 1002);
    assert.ok(c.seq > b.seq);
    assert.deepEqual(
      s.offers.standing().map((o) => o.account),
      [4n, 3n],
    );
    s.close();
    s = new Store(file);
    const back = s.offers.get(3n)!;
    assert.equal(back.nonce, 2n);
    assert.equal(back.acknowledgedAt, 1002);
    assert.deepEqual(back.signed, offer(3n, 2n, 8n));
    assert.deepEqual(
      s.offers.standing().map((o) => [o.account, o.seq]),
      [
        [4n, b.seq],
        [3n, c.seq],
      ],
    );
    s.close();
  });

  it("a withdrawal leaves the book but keeps its nonce: an older offer cannot come back", function () {
    const s = new Store(tmpDb());
    s.offers.put(offer(3n, 1n), false);
    s.offers.put(offer(3n, 2n, 0n, 0n), true);
    assert.deepEqual(s.offers.standing(), []);
    assert.equal(s.offers.get(3n)?.withdrawn, true);
    assert.throws(
      () => s.offers.put(offer(3n, 1n), false),
      (e: unknown) => e instanceof StoreError && e.code === "OFFER_NONCE_USED",
    );
    assert.equal(s.offers.put(offer(3n, 3n), false).withdrawn, false);
    assert.equal(s.offers.standing().length, 1);
    s.close();
  });

  it("a version 3 store gains the offers table when opened", function () {
    const file = tmpDb();
    new Store(file).close();
    const raw = new Database(file);
    raw.exec("DROP TABLE offers; PRAGMA user_version = 3;");
    raw.close();
    const s = new Store(file);
    s.offers.put(offer(3n, 1n), false);
    assert.equal(s.offers.standing().length, 1);
    s.close();
    const check = new Database(file);
    assert.equal(check.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    check.close();
  });

  it("a suspension is stored with its reason, survives a reopen, and is lifted by setSuspended or by a new offer", function () {
    const file = tmpDb();
    let s = new Store(file);
    const a = s.offers.put(offer(3n, 1n), false);
    s.offers.put(offer(4n, 1n), false);
    s.offers.setSuspended(3n, "account 3 lacks 5 of equity");
    s.close();
    s = new Store(file);
    assert.equal(s.offers.get(3n)?.suspended, "account 3 lacks 5 of equity");
    assert.equal(s.offers.get(4n)?.suspended, undefined);
    assert.deepEqual(
      s.offers.standing().map((o) => [o.account, o.suspended]),
      [
        [3n, "account 3 lacks 5 of equity"],
        [4n, undefined],
      ],
      "a suspended offer is still standing",
    );
    s.offers.setSuspended(3n, undefined);
    assert.equal(s.offers.get(3n)?.suspended, undefined);
    assert.equal(s.offers.get(3n)?.seq, a.seq, "active again in its old rank");
    s.offers.setSuspended(3n, "again");
    assert.equal(s.offers.put(offer(3n, 2n), false).suspended, undefined);
    assert.equal(s.offers.get(3n)?.suspended, undefined, "a new offer is active");
    // a withdrawn offer is not suspended
    s.offers.put(offer(3n, 3n, 0n, 0n), true);
    s.offers.setSuspended(3n, "no");
    assert.equal(s.offers.get(3n)?.suspended, undefined);
    s.close();
  });

  it("a version 4 store's offers gain the suspension column when opened, and keep their rows", function () {
    const file = tmpDb();
    const s = new Store(file);
    s.offers.put(offer(3n, 1n), false, 1000);
    s.close();
    const raw = new Database(file);
    raw.exec(`CREATE TABLE offers_v4 (
      account TEXT PRIMARY KEY, nonce TEXT NOT NULL, signed TEXT NOT NULL,
      withdrawn INTEGER NOT NULL CHECK (withdrawn IN (0, 1)), seq INTEGER NOT NULL UNIQUE,
      acknowledged_at INTEGER NOT NULL);
      INSERT INTO offers_v4 SELECT account, nonce, signed, withdrawn, seq, acknowledged_at FROM offers;
      DROP TABLE offers; ALTER TABLE offers_v4 RENAME TO offers; PRAGMA user_version = 4;`);
    raw.close();
    const again = new Store(file);
    assert.equal(again.offers.get(3n)?.acknowledgedAt, 1000);
    again.offers.setSuspended(3n, "why");
    assert.equal(again.offers.get(3n)?.suspended, "why");
    again.close();
    const check = new Database(file);
    assert.equal(check.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    check.close();
  });
});
