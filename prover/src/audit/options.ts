import type { Provider } from "ethers";
import type { VerificationKey } from "snarkjs";
import type { CircuitId } from "../domain/circuits.ts";
import type { PublishedConfig } from "../engine/batch-file.ts";
import type { Finding } from "./findings.ts";
import type { BatchPoint } from "./progress.ts";
import type { BatchFileSource } from "./sources.ts";
import type { CheckpointTarget } from "./checkpoint.ts";
import type { BatchData } from "../domain/batch.ts";
import type { SettledEvent } from "./batch-replay.ts";

/** What an audit is of (chain, contract, configuration, keys, files) and how it runs. */
export interface AuditorOptions {
  readonly provider: Provider;
  readonly settlement: string;
  readonly config: PublishedConfig;
  /** The local verification keys the proofs must verify under. */
  readonly vkeys: Record<CircuitId, VerificationKey>;
  /** Published batch files; without them the audit checks chain and proofs only. */
  readonly files?: BatchFileSource;
  /** First block to scan (the deployment block) when not resuming. */
  readonly fromBlock?: number;
  /**
   * Resume from this checkpoint (a JSON file, or another target: the replica's database)
   * if it holds one, and keep it up to date.
   */
  readonly checkpoint?: string | CheckpointTarget;
  /** Audit only blocks this many below the latest (reorganisation safety); default 0. */
  readonly confirmations?: number;
  /** Blocks per getLogs call. */
  readonly logChunk?: number;
  /** How long to wait for a batch file not yet published (follow mode), ms. */
  readonly fileWaitMs?: number;
  readonly onBatch?: (b: BatchPoint, findings: readonly Finding[]) => void;
  /**
   * A batch replayed to the chain's new root, with the data replay used (the file's, or the
   * Vault's queue for deposits): the replica stores its file.
   */
  readonly onReplayed?: (ev: SettledEvent, data: BatchData) => void;
  readonly onProgress?: (done: number, total: number) => void;
}
