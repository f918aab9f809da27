import { BATCH_KINDS, batchPublicSignals } from "../domain/batch-kinds.ts";
import { ZkClearError } from "../domain/errors.ts";
import { priceConfigHash } from "../domain/market.ts";
import type {
  JobTimes,
  ProofJob,
  ProofResult,
  ProofVerifier,
  ProvingPool,
} from "../domain/ports.ts";
import type { StoredBatch } from "../store/store.ts";
import type { BatchBody, OperatorContext } from "./context.ts";
import { REFUSED_BY_PROVER } from "../proving/refusals.ts";
import type { BatchData } from "../domain/batch.ts";

const keyOf = (j: ProofJob) => `${j.batch}:${j.newRoot}:${j.attempt}`;

/** A proof the operator refused: which batch, attempt and worker, and why. */
export interface RejectedProof {
  readonly batch: number;
  readonly attempt: number;
  readonly worker: string;
  readonly error: ZkClearError;
}

/** A collected job's figures (the pipeline benchmark reads them). */
export interface CollectedJob extends JobTimes {
  readonly batch: number;
  readonly worker: string;
  readonly collectedAt: number;
  readonly proveMs: number;
  readonly witnessMs: number;
}

/**
 * The operator's side of pipelined proving: hands every batch cut and not yet proved to the
 * pool (in batch order), and collects the proofs that came back, in any order. Each proof is
 * verified against the batch's own public inputs, computed here from its stored data and
 * the configuration (never the worker's): a proof that fails is refused (PROOF_REJECTED,
 * the worker named) and the batch is proved again as the next attempt. A proved batch is
 * stored as `proved`; the pipeline submits them strictly in order.
 *
 * Nothing here needs to survive a crash: the jobs' ids are made from (batch, root, attempt),
 * so after a restart the same jobs are handed over again (no duplicates) and their outcomes
 * read back; an attempt whose proof was refused before is refused again and passed over.
 */
export class ProofCollector {
  private readonly attempts = new Map<number, number>();
  private readonly handed = new Set<string>();
  readonly rejected: RejectedProof[] = [];
  readonly collected: CollectedJob[] = [];

  constructor(
    private readonly ctx: OperatorContext,
    private readonly pool: ProvingPool,
    private readonly verifier: ProofVerifier,
    /** A prover refused a batch for good: the pipeline halts. */
    private readonly refuse: (b: StoredBatch<BatchBody>, why: string) => void,
  ) {}

  private job(b: StoredBatch<BatchBody>): ProofJob {
    return {
      batch: b.id,
      kind: b.body.kind,
      circuit: BATCH_KINDS[b.body.kind].circuit,
      newRoot: b.newRoot,
      attempt: this.attempts.get(b.id) ?? 0,
      signals: b.body.circuitInput,
    };
  }

  private async handOver(job: ProofJob): Promise<void> {
    const key = keyOf(job);
    if (this.handed.has(key)) return;
    await this.pool.enqueue(job);
    this.handed.add(key);
  }

  /** Hands over the jobs of `built` (in order), then collects what came back. */
  async collect(built: readonly StoredBatch<BatchBody>[]): Promise<void> {
    for (const b of built) await this.handOver(this.job(b));
    for (const b of built) {
      if (this.ctx.halted()) return;
      const job = this.job(b);
      const o = await this.pool.outcome(job);
      if (o.status === "pending") continue;
      if (o.status === "failed") {
        if (REFUSED_BY_PROVER.has(o.code)) {
          this.refuse(b, `the prover refuses it: ${o.message}`);
          return;
        }
        this.ctx.log(
          `batch ${b.id}: attempt ${job.attempt} failed (${o.code}: ${o.message}); proving it again`,
        );
        await this.next(b);
        continue;
      }
      const why = await this.check(b, o.result);
      if (why) {
        const error = new ZkClearError(
          "PROOF_REJECTED",
          `batch ${b.id} attempt ${job.attempt}: the proof from worker ${o.worker} ${why}`,
        );
        this.rejected.push({ batch: b.id, attempt: job.attempt, worker: o.worker, error });
        this.ctx.metrics.proofsRejected++;
        this.ctx.log(`${error.code}: ${error.message}; proving it again`);
        await this.next(b);
        continue;
      }
      this.ctx.metrics.proveMs += o.result.proveMs;
      this.ctx.timings.proved(b.kind, o.result.witnessMs + o.result.proveMs);
      this.ctx.store.setBatchStatus(b.id, "proved", { proof: o.result });
      this.handed.delete(keyOf(job));
      this.attempts.delete(b.id);
      this.collected.push({
        batch: b.id,
        worker: o.worker,
        ...o.times,
        collectedAt: Date.now(),
        proveMs: o.result.proveMs,
        witnessMs: o.result.witnessMs,
      });
      this.ctx.log(
        `batch ${b.id}: proved by ${o.worker} in ${(o.result.proveMs / 1000).toFixed(1)} s`,
      );
    }
  }

  /** The next attempt of `b`'s job, handed over now. */
  private async next(b: StoredBatch<BatchBody>): Promise<void> {
    this.attempts.set(b.id, (this.attempts.get(b.id) ?? 0) + 1);
    await this.handOver(this.job(b));
  }

  /** Why a returned proof is not the batch's (undefined: it is). */
  private async check(b: StoredBatch<BatchBody>, r: ProofResult): Promise<string | undefined> {
    const { circuitInput: _input, ...rest } = b.body;
    void _input;
    const d = rest as BatchData;
    const binding =
      "marks" in d ? priceConfigHash(this.ctx.state, d.marks, d.fundingIndices) : undefined;
    const expected = batchPublicSignals(d, binding);
    const got = r.publicSignals ?? [];
    if (got.length !== expected.length || got.some((s, i) => String(s) !== String(expected[i])))
      return "names other public inputs than the batch's";
    let ok = false;
    try {
      ok = await this.verifier(BATCH_KINDS[d.kind].circuit, expected, r.proof);
    } catch (e) {
      return `is unreadable: ${e instanceof Error ? e.message : String(e)}`;
    }
    return ok ? undefined : "does not verify under the circuit's verification key";
  }
}
