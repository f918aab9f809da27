import { ZkClearError } from "../../prover/src/domain/errors.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SignedOrder } from "../../prover/src/domain/order.ts";
import { Store, StoreError } from "../../prover/src/store/store.ts";
import { SCHEMA_VERSION } from "../../prover/src/store/schema.ts";
import { fromJson, toJson } from "../../prover/src/domain/json.ts";
import Database from "better-sqlite3";

function tmpDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-store-")), "zkclear.db");
}

const signed = (nonce: bigint, account = 3n): SignedOrder => ({
  order: {
    account,
    market: 1,
    side: "buy",
    nonce,
    maxFeeBps: 10n,
    amount: 5n,
    limitPrice: 12_345n,
  },
  signature: { r8x: 1n, r8y: 2n, s: 3n },
});

describe("SQLite store", function () {
  it("round-trips bigints through JSON", function () {
    const v = { a: 1n, b: [-(2n ** 200n), "x"], c: { d: 0n } };
    assert.deepEqual(fromJson(toJson(v)), v);
  });

  it("keeps orders and batches across a reopen, in WAL mode", function () {
    const file = tmpDb();
    const s = new Store(file);
    assert.equal(s.journalMode(), "wal");
    s.insertOrder("a", signed(1n));
    s.insertOrder("b", signed(2n));
    s.updateOrder("a", "filled", 0n);
    const id = s.insertBatch("trades", { trades: [1n, 2n] }, 10n, 11n);
    s.setBatchStatus(id, "proved", { proof: { pi: ["1"] } });
    s.setMeta("queueHash", "42");
    s.close();
    const t = new Store(file);
    assert.deepEqual(
      t.openOrders().map((o) => o.id),
      ["b"],
    );
    assert.deepEqual(t.getOrder("b")?.signed, signed(2n));
    assert.equal(t.getOrder("a")?.status, "filled");
    const b = t.getBatch<{ trades: bigint[] }>(id)!;
    assert.deepEqual(
      [b.status, b.body.trades, b.oldRoot, b.newRoot],
      ["proved", [1n, 2n], 10n, 11n],
    );
    assert.equal(t.getMeta("queueHash"), "42");
    assert.equal(t.lastNonce(3n, 1), 2n);
    assert.equal(t.lastNonce(4n, 1), undefined);
    t.close();
  });

  it("brings a version 2 store (four batch kinds) up to this one, keeping its rows and the references to its batches", function () {
    const file = tmpDb();
    const old = new Database(file);
    old.exec(`
      CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('trades', 'deposits', 'withdrawals', 'liquidations')),
        status TEXT NOT NULL,
        body TEXT NOT NULL,
        old_root TEXT NOT NULL,
        new_root TEXT NOT NULL,
        proof TEXT, tx TEXT, tx_hash TEXT, error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE snapshots (
        batch INTEGER PRIMARY KEY REFERENCES batches (id),
        root TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL
      );
      INSERT INTO batches VALUES (1, 'deposits', 'settled', '{}', '1', '2', NULL, NULL, NULL, NULL, 0, 0);
      INSERT INTO snapshots VALUES (1, '2', '{}', 0);
      PRAGMA user_version = 2;
    `);
    assert.throws(() =>
      old.exec(
        `INSERT INTO batches VALUES (2, 'forced', 'built', '{}', '2', '3', NULL, NULL, NULL, NULL, 0, 0)`,
      ),
    );
    old.close();
    const s = new Store(file);
    assert.equal(s.getBatch(1)?.kind, "deposits");
    const id = s.insertBatch("forced", { requests: [] }, 2n, 3n);
    assert.equal(s.getBatch(id)?.kind, "forced");
    s.close();
    const raw = new Database(file);
    assert.equal(raw.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    const sql = raw.prepare("SELECT sql FROM sqlite_master WHERE name = 'snapshots'").get() as {
      sql: string;
    };
    assert.match(sql.sql, /REFERENCES batches \(id\)/);
    assert.deepEqual(raw.pragma("foreign_key_check"), []);
    raw.close();
  });

  it("lists the withdrawal requests received since a time and not refused (the anomaly watch's outflow)", function () {
    const s = new Store(tmpDb());
    s.withdrawals.insert("w1", 3n, 0n, { amount: 1n }, 1_000);
    s.withdrawals.insert("w2", 3n, 1n, { amount: 2n }, 2_000);
    s.withdrawals.insert("w3", 4n, 0n, { amount: 3n }, 3_000);
    s.withdrawals.insert("w4", 4n, 1n, { amount: 4n }, 4_000);
    s.withdrawals.markBatched(["w2"]);
    s.withdrawals.refuse("w3", "not enough collateral");
    assert.deepEqual(
      s.withdrawals.liveSince<{ amount: bigint }>(2_000).map((w) => [w.id, w.body.amount]),
      [
        ["w2", 2n],
        ["w4", 4n],
      ],
    );
    assert.deepEqual(s.withdrawals.liveSince(5_000), []);
    s.close();
  });

  it("refuses a second order with the same account, market and nonce", function () {
    const s = new Store(tmpDb());
    s.insertOrder("a", signed(1n));
    assert.throws(
      () => s.insertOrder("b", signed(1n)),
      (e: unknown) => e instanceof StoreError && e.code === "ORDER_DUPLICATE_NONCE",
    );
    s.insertOrder("c", signed(1n, 4n));
    s.close();
  });

  it("writes a transaction whole or not at all", function () {
    const s = new Store(tmpDb());
    assert.throws(() =>
      s.transaction(() => {
        s.insertOrder("a", signed(1n));
        s.insertBatch("trades", {}, 1n, 2n);
        throw new Error("crash in the middle");
      }),
    );
    assert.equal(s.getOrder("a"), undefined);
    assert.deepEqual(s.batches(), []);
    s.close();
  });

  it("commits a group whole or not at all, durable once its fsync resolves, FULL sync after it", async function () {
    const file = tmpDb();
    const s = new Store(file);
    assert.throws(() =>
      s.commitGroup(() => {
        s.insertOrder("a", signed(1n));
        throw new Error("crash in the middle");
      }),
    );
    assert.equal(s.getOrder("a"), undefined);
    const { value, durable } = s.commitGroup(() => {
      s.insertOrder("b", signed(2n));
      s.insertOrder("c", signed(3n));
      return 2;
    });
    assert.equal(value, 2);
    await durable;
    // another connection sees both (committed), and the other writes are synchronous again
    const other = new Database(file, { readonly: true });
    assert.equal((other.prepare("SELECT COUNT(*) AS n FROM orders").get() as { n: number }).n, 2);
    other.close();
    const db = (s as unknown as { db: Database.Database }).db;
    assert.equal(db.pragma("synchronous", { simple: true }), 2); // FULL
    s.close();
  });

  it("reports a log it cannot open after the commit as the group's durability failing, not as a refusal", async function () {
    const file = tmpDb();
    const s = new Store(file);
    const open = fs.openSync;
    // the process is out of file descriptors when the group's log is to be opened
    fs.openSync = ((p: fs.PathLike, ...rest: never[]) => {
      if (String(p).endsWith("-wal"))
        throw Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE" });
      return (open as (...a: unknown[]) => number)(p, ...rest);
    }) as typeof fs.openSync;
    let r: ReturnType<Store["commitGroup"]>;
    try {
      r = s.commitGroup(() => s.insertOrder("d", signed(4n)));
    } finally {
      fs.openSync = open;
    }
    await assert.rejects(r.durable, (e: unknown) => {
      assert.ok(e instanceof ZkClearError);
      assert.equal(e.code, "STORE_NOT_DURABLE");
      assert.match(e.message, /-wal could not be synced: EMFILE/);
      return true;
    });
    // it was committed all the same: the order is there (its outcome is unknown, not refused)
    assert.equal(s.getOrder("d")?.id, "d");
    s.close();
  });

  it("loses no acknowledged order when the process is killed with SIGKILL", async function () {
    const file = tmpDb();
    const script = `
      import { Store } from ${JSON.stringify(path.resolve("prover/src/store/store.ts"))};
      const s = new Store(${JSON.stringify(file)});
      for (let i = 1; ; i++) {
        s.insertOrder("o" + i, { order: { account: 3n, market: 0, side: "sell", nonce: BigInt(i), maxFeeBps: 1n, amount: 1n, limitPrice: 1n }, signature: { r8x: 0n, r8y: 0n, s: 0n } });
        process.stdout.write("ack o" + i + "\\n");
      }`;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const acked: string[] = [];
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        for (const line of d.toString().split("\n"))
          if (line.startsWith("ack ")) acked.push(line.slice(4));
        if (acked.length >= 50 && !child.killed) {
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((r) => child.on("exit", r));
    const s = new Store(file);
    const stored = new Set(s.openOrders().map((o) => o.id));
    for (const id of acked) assert.ok(stored.has(id), `acknowledged ${id} survived`);
    s.close();
  });
});
