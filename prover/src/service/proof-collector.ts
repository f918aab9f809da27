import { BATCH_KINDS, batchPublicSignals, kindBinding } from "../domain/batch-kinds.ts";
import { ZkClearError } from "../domain/errors.ts";
import { priceConfigHash } from "../domain/market.ts";
import type {
  InputCheck,
  JobTimes,
  ProofJob,
  ProofResult,
  ProofVerifier,
  ProvingPool,
} from "../domain/ports.ts";
import type { StoredBatch } from "../store/store.ts";
import type { BatchBody, OperatorContext } from "./context.ts";
import { REFUSED_BY_PROVER } from "../proving/refusals.ts";
import { readProofResult } from "../proving/proof-shape.ts";
import type { BatchData } from "../domain/batch.ts";

const keyOf = (j: ProofJob) => `${j.batch}:${j.newRoot}:${j.attempt}`;

/** Waits between attempts of a batch: BACKOFF_MS · 2^(attempt-1), at most BACKOFF_MAX_MS. */
export const BACKOFF_MS = 500;
export const BACKOFF_MAX_MS = 60_000;
/** Attempts of one batch past which every further one is logged as an ALERT. */
export const ATTEMPTS_ALERT = 5;

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
 * the worker named) and the batch is proved again as the next attempt, after a backoff that
 * doubles with each attempt. A malformed or non-canonical result is refused the same way,
 * and so is a worker's refusal of the batch unless the operator's own witness check of the
 * stored input refuses it too (only then the pipeline halts). A proved batch is stored as
 * `proved`; the pipeline submits them strictly in order.
 *
 * Nothing here needs to survive a crash: the jobs' ids are made from (batch, root, attempt),
 * so after a restart the same jobs are handed over again (no duplicates) and their outcomes
 * read back; an attempt whose proof was refused before is refused again and passed over.
 */
export class ProofCollector {
  private readonly attempts = new Map<number, number>();
  private readonly handed = new Set<string>();
  /** When each batch's next attempt may be handed over (ms; its backoff). */
  private readonly notBefore = new Map<number, number>();
  readonly rejected: RejectedProof[] = [];
  readonly collected: CollectedJob[] = [];

  constructor(
    private readonly ctx: OperatorContext,
    private readonly pool: ProvingPool,
    private readonly verifier: ProofVerifier,
    /** The operator's own witness check: decides whether a batch a pool refuses is wrong. */
    private readonly inputCheck: InputCheck,
    /** The batch itself is wrong (the operator's own check refuses it): the pipeline halts. */
    private readonly refuse: (b: StoredBatch<BatchBody>, why: string) => void,
    private readonly backoffMs = BACKOFF_MS,
  ) {}

  /** How many attempts of batch `id` failed so far (0: none, or proved). */
  attemptsOf(id: number): number {
    return this.attempts.get(id) ?? 0;
  }

  /** Proves `b` again as a fresh attempt (its proof was refused by the chain). */
  async proveAgain(b: StoredBatch<BatchBody>): Promise<void> {
    await this.next(b);
  }

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
    const now = Date.now();
    for (const b of built)
      if ((this.notBefore.get(b.id) ?? 0) <= now) await this.handOver(this.job(b));
    for (const b of built) {
      if (this.ctx.halted()) return;
      const job = this.job(b);
      // an attempt still waiting out its backoff is not handed over yet
      if (!this.handed.has(keyOf(job))) continue;
      const o = await this.pool.outcome(job);
      if (o.status === "pending") continue;
      if (o.status === "failed") {
        if (REFUSED_BY_PROVER.has(o.code)) {
          // never on the pool's word: the operator computes the witness itself
          const own = await this.ownRefusal(b);
          if (own) {
            this.refuse(b, `the circuit refuses it (the operator's own witness check): ${own}`);
            return;
          }
          await this.reject(
            b,
            job,
            o.worker ?? "(unnamed)",
            `(${o.code}: ${o.message}) is not taken: the operator's own witness check of the batch passes`,
            "refusal",
          );
          continue;
        }
        if (o.code === "PROOF_REJECTED") {
          await this.reject(b, job, o.worker ?? "(unnamed)", o.message);
          continue;
        }
        this.ctx.log(
          `batch ${b.id}: attempt ${job.attempt} failed (${o.code}: ${o.message}); proving it again`,
        );
        await this.next(b);
        continue;
      }
      let read: { ok: true; result: ProofResult } | { ok: false; why: string };
      try {
        read = await this.check(b, o.result);
      } catch (e) {
        read = { ok: false, why: `is unreadable: ${e instanceof Error ? e.message : String(e)}` };
      }
      if (!read.ok) {
        await this.reject(b, job, o.worker, read.why);
        continue;
      }
      const r = read.result;
      this.ctx.metrics.proveMs += r.proveMs;
      this.ctx.timings.proved(b.kind, r.witnessMs + r.proveMs);
      this.ctx.store.setBatchStatus(b.id, "proved", { proof: r });
      this.handed.delete(keyOf(job));
      this.attempts.delete(b.id);
      this.notBefore.delete(b.id);
      this.ctx.metrics.proofAttempts.delete(b.id);
      this.collected.push({
        batch: b.id,
        worker: o.worker,
        ...o.times,
        collectedAt: Date.now(),
        proveMs: r.proveMs,
        witnessMs: r.witnessMs,
      });
      this.ctx.log(`batch ${b.id}: proved by ${o.worker} in ${(r.proveMs / 1000).toFixed(1)} s`);
    }
  }

  /** Why the circuit refuses `b`'s stored input (the operator's own check), or undefined. */
  private async ownRefusal(b: StoredBatch<BatchBody>): Promise<string | undefined> {
    try {
      await this.inputCheck(BATCH_KINDS[b.body.kind].circuit, b.body.circuitInput);
      return undefined;
    } catch (e) {
      if (e instanceof ZkClearError && REFUSED_BY_PROVER.has(e.code)) return e.message;
      throw e; // the check itself could not run: try again at a later tick
    }
  }

  /** Refuses an attempt's outcome (PROOF_REJECTED, the worker named); the batch is proved again. */
  private async reject(
    b: StoredBatch<BatchBody>,
    job: ProofJob,
    worker: string,
    why: string,
    what: "proof" | "refusal" = "proof",
  ): Promise<void> {
    const error = new ZkClearError(
      "PROOF_REJECTED",
      `batch ${b.id} attempt ${job.attempt}: the ${what} from worker ${worker} ${why}`,
    );
    this.rejected.push({ batch: b.id, attempt: job.attempt, worker, error });
    this.ctx.metrics.proofsRejected++;
    this.ctx.log(`${error.code}: ${error.message}; proving it again`);
    await this.next(b);
  }

  /**
   * The next attempt of `b`'s job, handed over after a backoff that doubles with every
   * attempt (a batch that always kills its prover is not retried in a tight loop).
   */
  private async next(b: StoredBatch<BatchBody>): Promise<void> {
    const n = (this.attempts.get(b.id) ?? 0) + 1;
    this.attempts.set(b.id, n);
    this.ctx.metrics.proofAttempts.set(b.id, n);
    const wait = Math.min(this.backoffMs * 2 ** (n - 1), BACKOFF_MAX_MS);
    this.notBefore.set(b.id, Date.now() + wait);
    if (n >= ATTEMPTS_ALERT)
      this.ctx.log(
        `ALERT: batch ${b.id} has failed ${n} proving attempts; the next in ${(wait / 1000).toFixed(1)} s`,
      );
    if (wait <= 0) await this.handOver(this.job(b));
  }

  /**
   * The returned result, checked whole (./proving/proof-shape.ts: canonical coordinates,
   * decimal public signals, finite timings, a size limit), then against the batch's own
   * public inputs and the verification key; or why it is not the batch's proof.
   */
  private async check(
    b: StoredBatch<BatchBody>,
    raw: unknown,
  ): Promise<{ ok: true; result: ProofResult } | { ok: false; why: string }> {
    const { circuitInput: _input, ...rest } = b.body;
    void _input;
    const d = rest as BatchData;
    const binding =
      "marks" in d
        ? kindBinding(d, priceConfigHash(this.ctx.state, d.marks, d.fundingIndices, d.margins))
        : undefined;
    const expected = batchPublicSignals(d, binding);
    const read = readProofResult(raw, expected.length);
    if (!read.ok) return read;
    const r = read.result;
    if (r.publicSignals.some((s, i) => s !== String(expected[i])))
      return { ok: false, why: "names other public inputs than the batch's" };
    let ok = false;
    try {
      ok = await this.verifier(BATCH_KINDS[d.kind].circuit, expected, r.proof);
    } catch (e) {
      return { ok: false, why: `is unreadable: ${e instanceof Error ? e.message : String(e)}` };
    }
    return ok ? read : { ok: false, why: "does not verify under the circuit's verification key" };
  }
}
