import type Database from "better-sqlite3";
import { BATCH_KIND_NAMES } from "../domain/batch-kinds.ts";
import { StoreError } from "./store-error.ts";

/**
 * The operator store's schema, versioned with SQLite's user_version: a store made by an
 * earlier version is brought up to this one when opened (each step in one transaction).
 */
export const SCHEMA_VERSION = 5;

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(", ");

const BATCH_STATUSES = ["built", "proved", "submitted", "settled", "refused", "dropped"] as const;
const WITHDRAWAL_STATUSES = ["pending", "batched", "refused"] as const;

const TABLES = `
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  account TEXT NOT NULL,
  market INTEGER NOT NULL,
  nonce TEXT NOT NULL,
  signed TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'filled', 'cancelled')),
  remaining TEXT NOT NULL,
  reason TEXT,
  received_at INTEGER NOT NULL,
  UNIQUE (account, market, nonce)
);
CREATE INDEX IF NOT EXISTS orders_open ON orders (status, seq);
CREATE INDEX IF NOT EXISTS orders_account ON orders (account, market);
-- nonces are decimal text: by length, then text, is by value (lastNonce reads one entry)
CREATE INDEX IF NOT EXISTS orders_last_nonce ON orders (account, market, length(nonce), nonce);
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN (${list(BATCH_KIND_NAMES)})),
  status TEXT NOT NULL CHECK (status IN (${list(BATCH_STATUSES)})),
  body TEXT NOT NULL,
  old_root TEXT NOT NULL,
  new_root TEXT NOT NULL,
  proof TEXT,
  tx TEXT,
  tx_hash TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_status ON batches (status, id);
CREATE TABLE IF NOT EXISTS withdrawals (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  nonce TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN (${list(WITHDRAWAL_STATUSES)})),
  reason TEXT,
  received_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS withdrawals_live ON withdrawals (account, nonce)
  WHERE status != 'refused';
CREATE INDEX IF NOT EXISTS withdrawals_pending ON withdrawals (status, received_at);
CREATE INDEX IF NOT EXISTS withdrawals_received ON withdrawals (received_at);
CREATE TABLE IF NOT EXISTS matches (
  seq INTEGER PRIMARY KEY,
  maker TEXT NOT NULL REFERENCES orders (id),
  taker TEXT NOT NULL REFERENCES orders (id),
  qty TEXT NOT NULL,
  price TEXT NOT NULL,
  round TEXT NOT NULL,
  batch INTEGER REFERENCES batches (id)
);
CREATE INDEX IF NOT EXISTS matches_pending ON matches (batch, seq);
CREATE TABLE IF NOT EXISTS snapshots (
  batch INTEGER PRIMARY KEY REFERENCES batches (id),
  root TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- liquidators' standing offers: one per liquidator, its latest nonce (withdrawn: all terms 0);
-- suspended: why its account no longer backs it (NULL: active)
CREATE TABLE IF NOT EXISTS offers (
  account TEXT PRIMARY KEY,
  nonce TEXT NOT NULL,
  signed TEXT NOT NULL,
  withdrawn INTEGER NOT NULL CHECK (withdrawn IN (0, 1)),
  seq INTEGER NOT NULL UNIQUE,
  acknowledged_at INTEGER NOT NULL,
  suspended TEXT
);
`;

/**
 * Rebuilds `table` under its current definition (a new CHECK list, new columns), keeping
 * the columns both have: the new table is made under another name, filled, and renamed
 * over the old one, so the other tables' REFERENCES to it stay as they are written.
 * Foreign keys must be off (migrate turns them off around the whole migration).
 */
function rebuild(db: Database.Database, table: string): void {
  const ddl = new RegExp(`CREATE TABLE IF NOT EXISTS ${table} \\(([\\s\\S]*?)\\n\\);`).exec(TABLES);
  if (!ddl) throw new StoreError("STORE_SCHEMA", `no definition of table ${table}`);
  const old = (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
  db.exec(`CREATE TABLE ${table}_next (${ddl[1]}\n)`);
  const now = (db.pragma(`table_info(${table}_next)`) as { name: string }[]).map((c) => c.name);
  const both = old.filter((c) => now.includes(c)).join(", ");
  db.exec(`INSERT INTO ${table}_next (${both}) SELECT ${both} FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${table}_next RENAME TO ${table}`);
}

/** Creates the tables, or brings an earlier store up to SCHEMA_VERSION. */
export function migrate(db: Database.Database): void {
  const version = Number(db.pragma("user_version", { simple: true }));
  const fresh =
    (
      db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'batches'").get() as {
        n: number;
      }
    ).n === 0;
  if (!fresh && version === SCHEMA_VERSION) return void db.exec(TABLES);
  // a table that others reference is rebuilt with foreign keys off, then checked
  const fk = Number(db.pragma("foreign_keys", { simple: true }));
  db.pragma("foreign_keys = OFF");
  try {
    db.transaction(() => {
      if (!fresh && version < 2) {
        // v1: no stored transactions, no dropped batches, no refused withdrawals, no matches
        db.exec("DROP INDEX IF EXISTS withdrawals_live");
        rebuild(db, "withdrawals");
      }
      // v2: four batch kinds (v3 adds the answers to forced requests)
      if (!fresh && version < 3) rebuild(db, "batches");
      // v5: an offer's suspension (v4 made the offers table, which TABLES creates)
      if (!fresh && version === 4) rebuild(db, "offers");
      db.exec(TABLES);
      const broken = db.pragma("foreign_key_check") as unknown[];
      if (broken.length > 0)
        throw new StoreError(
          "STORE_SCHEMA",
          `migrating the store to version ${SCHEMA_VERSION} broke ${broken.length} references`,
        );
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  } finally {
    db.pragma(`foreign_keys = ${fk ? "ON" : "OFF"}`);
  }
}

export type BatchStatus = (typeof BATCH_STATUSES)[number];
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];
