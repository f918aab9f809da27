import fs from "node:fs";
import path from "node:path";
import type { MarketParams } from "../domain/market.ts";
import type { Owners } from "../domain/owners.ts";
import type { ParamSet } from "../domain/params.ts";
import {
  batchFileName,
  CONFIG_FILE_NAME as CONFIG_FILE,
  INDEX_FILE_NAME as INDEX_FILE,
  toBatchFile,
  toConfigFile,
} from "../engine/batch-file.ts";
import type { Store } from "../store/store.ts";
import { dataOf } from "./pipeline.ts";
import type { BatchBody } from "./operator.ts";

export interface PublishTarget {
  readonly chainId: bigint;
  readonly settlement: string;
  readonly params: ParamSet;
  readonly markets: readonly MarketParams[];
  readonly fundFloor: bigint;
  readonly owners: Owners;
  /** Where files are written (static hosting, archives); HTTP serves them either way. */
  readonly dir?: string;
}

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
    private readonly store: Store,
    private readonly t: PublishTarget,
  ) {}

  config(): Record<string, unknown> {
    const t = this.t;
    return toConfigFile({
      chainId: t.chainId,
      settlement: t.settlement,
      paramSet: t.params,
      markets: t.markets,
      fundFloor: t.fundFloor,
      owners: t.owners,
    });
  }

  /** A published document by file name (config, index, batch-NNNNNN), or undefined. */
  document(name: string): Record<string, unknown> | undefined {
    if (name === CONFIG_FILE) return this.config();
    if (name === INDEX_FILE) return this.index();
    const m = /^batch-([0-9]{1,9})\.json$/.exec(name);
    return m ? this.file(Number(m[1])) : undefined;
  }

  /** Batch `n`'s file, or undefined while it is not settled. */
  file(n: number): Record<string, unknown> | undefined {
    const stored = this.store.nthBatch<BatchBody>("settled", n);
    if (!stored) return undefined;
    return toBatchFile(dataOf(stored.body), {
      chainId: this.t.chainId,
      settlement: this.t.settlement,
      batch: n,
    });
  }

  index(): Record<string, unknown> {
    return {
      format: "zkclear-index/1",
      config: CONFIG_FILE,
      batches: this.store.batchSummaries("settled").map((b, n) => ({
        batch: n,
        kind: b.kind,
        file: batchFileName(n),
        txHash: b.txHash,
      })),
    };
  }

  /**
   * Writes the files not yet in `dir` (and the config and index). Returns how many. It
   * runs after every tick, so it reads batch bodies only for the files it writes.
   */
  /** Files 0..upTo-1 are in `dir` (this process wrote or found them). */
  private upTo = 0;

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
    const settled = this.store.countBatches("settled");
    // files before `upTo` are known to be written: each tick looks only at new batches
    for (let n = this.upTo; n < settled; n++) {
      const name = batchFileName(n);
      if (fs.existsSync(path.join(dir, name))) continue;
      write(name, this.file(n));
      written++;
    }
    this.upTo = settled;
    if (written || !fs.existsSync(path.join(dir, INDEX_FILE))) write(INDEX_FILE, this.index());
    return written;
  }
}
