import { CONFIG_FILE_NAME } from "../engine/batch-file.ts";
import type { BatchFileHint, BatchFileSource } from "../audit/sources.ts";
import type { ReplicaDb } from "./db.ts";

/**
 * The files a replica replays from: its own database first (the settled file of the
 * batch, else the attested file that states the chain's commitment and new root), then the
 * upstream (the operator's /v1/published or another replica's: the same names). An
 * upstream that cannot be reached answers "not there" (the replica waits for the file and
 * says so) rather than stopping the follow loop. Every text answered is remembered by name
 * until the replica stores it.
 */
export class ReplicaFileSource implements BatchFileSource {
  /** Texts answered, by file name (the replica takes them when the replay accepts them). */
  readonly answered = new Map<string, string>();
  /** The upstream's last failure, or null. */
  upstreamError: string | null = null;

  constructor(
    private readonly db: ReplicaDb,
    private readonly upstream: BatchFileSource | undefined,
  ) {}

  get describe(): string {
    return `${this.db.path}${this.upstream ? ` then ${this.upstream.describe}` : ""}`;
  }

  async read(name: string, hint?: BatchFileHint): Promise<string | undefined> {
    if (name === CONFIG_FILE_NAME) {
      const own = this.db.config();
      if (own !== undefined) return own;
    }
    const m = /^batch-([0-9]+)\.json$/.exec(name);
    if (m) {
      const n = Number(m[1]);
      const own =
        this.db.settled(n) ?? (hint && this.db.attested(n, hint.commitment, hint.newRoot));
      if (own) {
        this.answered.set(name, own.text);
        return own.text;
      }
    }
    if (!this.upstream) return undefined;
    let text: string | undefined;
    try {
      text = await this.upstream.read(name, hint);
      this.upstreamError = null;
    } catch (e) {
      this.upstreamError = (e as Error).message;
      return undefined;
    }
    if (text !== undefined && m) this.answered.set(name, text);
    return text;
  }
}
