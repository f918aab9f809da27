import Database from "better-sqlite3";
import { getAddress } from "ethers";
import { CommitteeError } from "../domain/committee.ts";
import type { CheckpointTarget } from "../audit/checkpoint.ts";

/**
 * A replica's own database (SQLite, WAL, synchronous = FULL): the deployment it belongs
 * to, every batch file it holds (settled, or only attested: signed for and not yet seen on
 * the chain), every attestation it signed, and the replayed state (the auditor's
 * checkpoint: progress and accounts). A batch's files and the state that replays them are
 * written in one SQL transaction (`commit`), so a crash never leaves them out of step.
 */
export const REPLICA_DB_FORMAT = "zkclear-replica/1";

/** The deployment a database belongs to; another deployment's database is refused. */
export interface ReplicaScope {
  readonly chainId: bigint;
  readonly settlement: string;
}

/** What the replay is of, bound on first use: the configuration and the keys. */
export interface ReplicaBinding {
  /** The published configuration (zkclear-config/2 text). */
  readonly config: string;
  /** configHash of that configuration (domain/market.ts). */
  readonly configHash: bigint;
  /** sha256 of the verification keys (audit/checkpoint.ts vkeysHash). */
  readonly vkeys: string;
}

/** A batch file the replica holds. */
export interface HeldFile {
  readonly batch: number;
  readonly name: string;
  readonly kind: string;
  /** The file's exact text. */
  readonly text: string;
  readonly commitment: bigint;
  readonly newRoot: bigint;
  /** The transaction that settled it (settled files only). */
  readonly txHash: string | null;
}

/** An attestation the replica signed. */
export interface SignedAttestation {
  readonly batch: number;
  readonly digest: string;
  readonly signature: string;
  readonly fileText: string;
  /** The proof as received (snarkjs JSON). */
  readonly proof: string;
  /** Unix seconds. */
  readonly time: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
  batch INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('settled', 'attested')),
  commitment TEXT NOT NULL,
  new_root TEXT NOT NULL,
  text TEXT NOT NULL,
  tx_hash TEXT,
  PRIMARY KEY (batch, status, commitment, new_root)
);
CREATE UNIQUE INDEX IF NOT EXISTS files_settled ON files (batch) WHERE status = 'settled';
CREATE TABLE IF NOT EXISTS attestations (
  id INTEGER PRIMARY KEY,
  batch INTEGER NOT NULL,
  digest TEXT NOT NULL,
  signature TEXT NOT NULL,
  file_text TEXT NOT NULL,
  proof TEXT NOT NULL,
  time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), text TEXT NOT NULL);
`;

interface FileRow {
  batch: number;
  name: string;
  kind: string;
  status: string;
  commitment: string;
  new_root: string;
  text: string;
  tx_hash: string | null;
}

const fileOf = (r: FileRow): HeldFile => ({
  batch: r.batch,
  name: r.name,
  kind: r.kind,
  text: r.text,
  commitment: BigInt(r.commitment),
  newRoot: BigInt(r.new_root),
  txHash: r.tx_hash,
});

export class ReplicaDb {
  private readonly db: Database.Database;

  /**
   * Opens (or creates) the database at `path` for `scope`; throws REPLICA_DB_INVALID when
   * it belongs to another deployment (chain, Settlement, configuration or keys) or is not
   * a replica database.
   */
  constructor(
    readonly path: string,
    scope: ReplicaScope,
  ) {
    this.fail = (why: string): never => {
      throw new CommitteeError("REPLICA_DB_INVALID", `replica database ${path}: ${why}`);
    };
    try {
      this.db = new Database(path);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new CommitteeError(
        "REPLICA_DB_INVALID",
        `replica database ${path}: cannot be opened as SQLite (${(e as Error).message})`,
      );
    }
    this.expect({
      format: REPLICA_DB_FORMAT,
      chainId: scope.chainId.toString(),
      settlement: getAddress(scope.settlement),
    });
  }

  private readonly fail: (why: string) => never;

  private meta(): Record<string, string> {
    const rows = this.db.prepare("SELECT key, value FROM meta").all() as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Checks the meta rows named in `want`; the ones not written yet are written. */
  private expect(want: Record<string, string>): void {
    const have = this.meta();
    const wrong = Object.keys(want).filter((k) => k in have && have[k] !== want[k]);
    if (wrong.length) {
      this.db.close();
      this.fail(
        `it belongs to another deployment (${wrong
          .map((k) => `${k} ${have[k]}, expected ${want[k]}`)
          .join("; ")}); give another --db for this one`,
      );
    }
    const put = this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)");
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(want)) put.run(k, v);
    })();
  }

  /** The configuration text the database was bound to, if any. */
  config(): string | undefined {
    return this.meta().config;
  }

  /**
   * Binds the database to a configuration and verification keys (first run), or checks it
   * was made with these (REPLICA_DB_INVALID otherwise).
   */
  bind(b: ReplicaBinding): void {
    this.expect({ configHash: b.configHash.toString(), vkeys: b.vkeys });
    this.expect({ config: b.config });
  }

  close(): void {
    this.db.close();
  }

  journalMode(): string {
    return String(this.db.pragma("journal_mode", { simple: true }));
  }

  /** The settled file of batch `n`, if held. */
  settled(n: number): HeldFile | undefined {
    const r = this.db
      .prepare("SELECT * FROM files WHERE batch = ? AND status = 'settled'")
      .get(n) as FileRow | undefined;
    return r && fileOf(r);
  }

  /** Batch `n`'s attested file that states this commitment and new root, if held. */
  attested(n: number, commitment: bigint, newRoot: bigint): HeldFile | undefined {
    const r = this.db
      .prepare(
        "SELECT * FROM files WHERE batch = ? AND status = 'attested' AND commitment = ? AND new_root = ?",
      )
      .get(n, commitment.toString(), newRoot.toString()) as FileRow | undefined;
    return r && fileOf(r);
  }

  /** Every settled file, by batch number (without texts). */
  settledList(): { batch: number; name: string; kind: string; txHash: string | null }[] {
    return (
      this.db
        .prepare(
          "SELECT batch, name, kind, tx_hash FROM files WHERE status = 'settled' ORDER BY batch",
        )
        .all() as FileRow[]
    ).map((r) => ({ batch: r.batch, name: r.name, kind: r.kind, txHash: r.tx_hash }));
  }

  countSettled(): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM files WHERE status = 'settled'").get() as {
        n: number;
      }
    ).n;
  }

  /**
   * Stores settled files and the checkpoint text in one transaction (the replayed state
   * and the files that brought it there go to disk together or not at all).
   */
  commit(files: readonly HeldFile[], checkpoint: string): void {
    const put = this.db.prepare(
      "INSERT OR REPLACE INTO files (batch, name, kind, status, commitment, new_root, text, tx_hash) VALUES (?, ?, ?, 'settled', ?, ?, ?, ?)",
    );
    const cp = this.db.prepare("INSERT OR REPLACE INTO checkpoint (id, text) VALUES (1, ?)");
    this.db.transaction(() => {
      for (const f of files)
        put.run(
          f.batch,
          f.name,
          f.kind,
          f.commitment.toString(),
          f.newRoot.toString(),
          f.text,
          f.txHash,
        );
      cp.run(checkpoint);
    })();
  }

  /** Stores an attestation and the file it is of, before the signature is answered. */
  attest(file: HeldFile, a: SignedAttestation): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT OR IGNORE INTO files (batch, name, kind, status, commitment, new_root, text, tx_hash) VALUES (?, ?, ?, 'attested', ?, ?, ?, NULL)",
        )
        .run(
          file.batch,
          file.name,
          file.kind,
          file.commitment.toString(),
          file.newRoot.toString(),
          file.text,
        );
      this.db
        .prepare(
          "INSERT INTO attestations (batch, digest, signature, file_text, proof, time) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(a.batch, a.digest, a.signature, a.fileText, a.proof, a.time);
    })();
  }

  countAttestations(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM attestations").get() as { n: number }).n;
  }

  attestations(): SignedAttestation[] {
    return (
      this.db
        .prepare(
          "SELECT batch, digest, signature, file_text, proof, time FROM attestations ORDER BY id",
        )
        .all() as {
        batch: number;
        digest: string;
        signature: string;
        file_text: string;
        proof: string;
        time: number;
      }[]
    ).map((r) => ({
      batch: r.batch,
      digest: r.digest,
      signature: r.signature,
      fileText: r.file_text,
      proof: r.proof,
      time: r.time,
    }));
  }

  /**
   * The auditor's checkpoint target: reads the saved text; a write commits it with the
   * files in `pending` (the batches replayed since the last write), then empties it.
   */
  checkpointTarget(pending: HeldFile[]): CheckpointTarget {
    return {
      describe: `${this.path} (checkpoint)`,
      read: () =>
        (
          this.db.prepare("SELECT text FROM checkpoint WHERE id = 1").get() as
            | { text: string }
            | undefined
        )?.text,
      write: (text) => {
        this.commit(pending, text);
        pending.length = 0;
      },
    };
  }
}
