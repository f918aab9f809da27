import type { ParamSet } from "../domain/params.ts";
import type { ProofJob, ProofOutcome, ProvingPool } from "../domain/ports.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { KeySet } from "./key-sets.ts";
import { WorkerProver } from "./worker-pool.ts";

/** A job's identity in a pool: batch, new root and attempt. */
export function jobKey(j: Pick<ProofJob, "batch" | "newRoot" | "attempt">): string {
  return `${j.batch}:${j.newRoot}:${j.attempt}`;
}

/**
 * The embedded pool (no queue server): N local proving processes (./worker-pool.ts), each
 * proving one job at a time, jobs taken in the order they were handed over. A job whose
 * process dies (PROVER_EXITED) goes back to the front of the line and is proved again by
 * the next free process (a new one replaces the dead). Nothing survives this process: after a
 * restart the operator hands its unproved batches over again.
 */
export class LocalProvingPool implements ProvingPool {
  private readonly provers: WorkerProver[];
  private readonly idle: number[];
  private readonly line: ProofJob[] = [];
  private readonly outcomes = new Map<string, ProofOutcome>();
  private readonly enqueuedAt = new Map<string, number>();
  /** close() was called: nothing is dispatched or requeued any more. */
  private closing = false;

  constructor(p: ParamSet, keys: KeySet, n: number) {
    if (!Number.isInteger(n) || n < 1)
      throw new ZkClearError("PROVE_FAILED", `the pool needs at least one prover, got ${n}`);
    this.provers = Array.from({ length: n }, () => new WorkerProver(p, keys));
    this.idle = this.provers.map((_, i) => i);
  }

  get size(): number {
    return this.provers.length;
  }

  /** The proving processes' pids (operators and tests: which process to look at). */
  pids(): (number | undefined)[] {
    return this.provers.map((p) => p.pid);
  }

  enqueue(job: ProofJob): Promise<void> {
    if (this.closing)
      return Promise.reject(new ZkClearError("PROVE_FAILED", "the proving pool is closed"));
    const k = jobKey(job);
    if (!this.outcomes.has(k)) {
      this.outcomes.set(k, { status: "pending" });
      this.enqueuedAt.set(k, Date.now());
      this.line.push(job);
      this.dispatch();
    }
    return Promise.resolve();
  }

  /** The job's outcome; a final one is handed out once (then forgotten). */
  outcome(job: ProofJob): Promise<ProofOutcome> {
    const k = jobKey(job);
    const o = this.outcomes.get(k);
    if (o && o.status !== "pending") this.outcomes.delete(k);
    return Promise.resolve(
      o ?? {
        status: "failed",
        code: "PROVE_FAILED",
        message: `no job ${k} in this pool (handed out already, or never handed over)`,
      },
    );
  }

  /** Starts the first jobs in line on the idle processes. */
  private dispatch(): void {
    while (!this.closing && this.idle.length > 0 && this.line.length > 0) {
      const i = this.idle.shift()!;
      const job = this.line.shift()!;
      void this.run(i, job);
    }
  }

  private async run(i: number, job: ProofJob): Promise<void> {
    const k = jobKey(job);
    const startedAt = Date.now();
    const worker = `local-${i}`;
    try {
      const result = await this.provers[i].prove(job.circuit, job.signals);
      this.outcomes.set(k, {
        status: "proved",
        result,
        worker,
        times: { enqueuedAt: this.enqueuedAt.get(k)!, startedAt, finishedAt: Date.now() },
      });
    } catch (e) {
      if (this.closing) {
        // closed under the job: nothing is requeued (the operator hands it over again)
        this.outcomes.set(k, {
          status: "failed",
          code: "PROVER_EXITED",
          message: "the proving pool was closed",
          worker,
        });
      } else if (e instanceof ZkClearError && e.code === "PROVER_EXITED") {
        // the process died under the job: it is proved again, first in line
        this.line.unshift(job);
      } else {
        const code = e instanceof ZkClearError ? e.code : "PROVE_FAILED";
        this.outcomes.set(k, {
          status: "failed",
          code,
          message: e instanceof Error ? e.message : String(e),
          worker,
        });
      }
    } finally {
      this.enqueuedAt.delete(k);
      this.idle.push(i);
      this.dispatch();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.line.length = 0;
    await Promise.all(this.provers.map((p) => p.close()));
  }
}
