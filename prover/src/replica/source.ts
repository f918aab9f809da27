import { getAddress } from "ethers";
import { BATCH_KINDS, batchCommitment } from "../domain/batch-kinds.ts";
import { batchFileName, CONFIG_FILE_NAME, parseBatchFile } from "../engine/batch-file.ts";
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
    private readonly deployment: { readonly chainId: bigint; readonly settlement: string },
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
    if (text === undefined || !m) return text;
    // an upstream's file that is not the chain's batch is not this batch's data: "not there"
    // (the replica waits, says why, and takes the right file from a later answer or another
    // source) rather than a finding that would stop the replica for good
    const wrong = hint && this.notTheChains(text, Number(m[1]), hint);
    if (wrong) {
      this.upstreamError = `${this.upstream.describe}/${name} is not the chain's batch: ${wrong}`;
      return undefined;
    }
    this.answered.set(name, text);
    return text;
  }

  /** Why `text` is not batch `n` as the chain recorded it (undefined: it is). */
  private notTheChains(text: string, n: number, hint: BatchFileHint): string | undefined {
    let f;
    try {
      f = parseBatchFile(text, batchFileName(n));
    } catch (e) {
      return (e as Error).message;
    }
    const d = f.data;
    const wrong: string[] = [];
    if (f.meta.chainId !== this.deployment.chainId) wrong.push(`chain ${f.meta.chainId}`);
    if (getAddress(f.meta.settlement) !== this.deployment.settlement)
      wrong.push(`Settlement ${f.meta.settlement}`);
    if (f.meta.batch !== n) wrong.push(`batch number ${f.meta.batch}`);
    if (hint.oldRoot !== undefined && d.oldRoot !== hint.oldRoot)
      wrong.push(`old root ${d.oldRoot}`);
    if (d.newRoot !== hint.newRoot) wrong.push(`new root ${d.newRoot}`);
    if (
      hint.roundId !== undefined &&
      "round" in d &&
      BATCH_KINDS[d.kind].priced &&
      d.round !== hint.roundId
    )
      wrong.push(`round ${d.round}`);
    const commitment = batchCommitment(d);
    if (commitment !== hint.commitment || f.statedCommitment !== hint.commitment)
      wrong.push(`records hashing to ${commitment}`);
    return wrong.length ? wrong.join(", ") : undefined;
  }
}
