import fs from "node:fs";
import path from "node:path";
import type { MarketParams } from "../domain/market.ts";
import type { ParamSet } from "../domain/params.ts";
import {
  batchFileName,
  CONFIG_FILE_NAME as CONFIG_FILE,
  INDEX_FILE_NAME as INDEX_FILE,
  toBatchFile,
  toConfigFile,
} from "../engine/batch-file.ts";
import type { StoredBatch } from "../store/store.ts";
import type { BatchBody } from "./operator.ts";

export interface PublishTarget {
  readonly chainId: bigint;
  readonly settlement: string;
  readonly params: ParamSet;
  readonly markets: readonly MarketParams[];
  /** Where files are written (static hosting, archives); HTTP serves them either way. */
  readonly dir?: string;
}

/** A settled batch with its on-chain batch number. */
export interface NumberedBatch {
  readonly batch: number;
  readonly stored: StoredBatch<BatchBody>;
}

export {
  CONFIG_FILE_NAME as CONFIG_FILE,
  INDEX_FILE_NAME as INDEX_FILE,
} from "../engine/batch-file.ts";

/**
 * Publishes settled batches for auditors (docs/batch-files.md): one zkclear-batch/1 file
 * per on-chain batch, whose records hash to the batch's on-chain commitment, plus the
 * configuration. The store is the source: files are rendered from it, so a lost or
 * deleted file is written again by the next `sync`.
 *
 * Batch numbers: the operator submits batches in store order and halts at the first
 * refusal, so the k-th settled batch in store order is the chain's batch k.
 */
export class Publisher {
  constructor(
    private readonly batches: () => StoredBatch<BatchBody>[],
    private readonly t: PublishTarget,
  ) {}

  config(): Record<string, unknown> {
    const t = this.t;
    return toConfigFile({
      chainId: t.chainId,
      settlement: t.settlement,
      paramSet: t.params,
      markets: t.markets,
    });
  }

  settled(): NumberedBatch[] {
    return this.batches()
      .filter((b) => b.status === "settled")
      .map((stored, batch) => ({ batch, stored }));
  }

  /** Batch `n`'s file, or undefined while it is not settled. */
  file(n: number): Record<string, unknown> | undefined {
    const b = this.settled()[n];
    if (!b) return undefined;
    return this.render(b);
  }

  index(): Record<string, unknown> {
    return {
      format: "zkclear-index/1",
      config: CONFIG_FILE,
      batches: this.settled().map((b) => ({
        batch: b.batch,
        kind: b.stored.kind,
        file: batchFileName(b.batch),
        txHash: b.stored.txHash,
      })),
    };
  }

  private render(b: NumberedBatch): Record<string, unknown> {
    const { circuitInput: _omit, ...data } = b.stored.body;
    void _omit;
    return toBatchFile(data, {
      chainId: this.t.chainId,
      settlement: this.t.settlement,
      batch: b.batch,
    });
  }

  /** Writes the files not yet in `dir` (and the config and index). Returns how many. */
  sync(): number {
    const dir = this.t.dir;
    if (!dir) return 0;
    fs.mkdirSync(dir, { recursive: true });
    let written = 0;
    const write = (name: string, value: unknown) => {
      const tmp = path.join(dir, `.${name}.tmp`);
      fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
      fs.renameSync(tmp, path.join(dir, name));
    };
    if (!fs.existsSync(path.join(dir, CONFIG_FILE))) write(CONFIG_FILE, this.config());
    const settled = this.settled();
    for (const b of settled) {
      const name = batchFileName(b.batch);
      if (fs.existsSync(path.join(dir, name))) continue;
      write(name, this.render(b));
      written++;
    }
    if (written || !fs.existsSync(path.join(dir, INDEX_FILE))) write(INDEX_FILE, this.index());
    return written;
  }
}
