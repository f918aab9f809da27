import type PgBoss from "pg-boss";
import type { ProofJob, ProofOutcome, ProvingPool } from "../domain/ports.ts";
import {
  jobData,
  jobId,
  openQueue,
  proofOf,
  QueueError,
  type JobData,
  type JobOutput,
  type QueueOptions,
} from "./queue-jobs.ts";

export interface QueuePoolOptions extends QueueOptions {
  readonly queue: string;
  readonly paramSet: string;
  /**
   * How long a prover may hold a job before it is taken back and given to another, seconds
   * (a prover that died mid-proof; default 900). Longer than the slowest proof.
   */
  readonly jobExpirySeconds?: number;
}

/**
 * The operator's side of the job queue (pg-boss on PostgreSQL): each batch's proving job is
 * sent with an id made from the batch, its new root and the attempt, so sending it again
 * (after a restart, or when the server did not answer) never makes a second job; its
 * outcome is read back from the job's state and output, completed ones from the archive too.
 * A job whose prover died (the job expires in its hands) is retried by pg-boss for another
 * prover; one that failed for good comes back as failed and the operator sends the next
 * attempt.
 */
export class QueueProvingPool implements ProvingPool {
  private constructor(
    private readonly boss: PgBoss,
    private readonly o: QueuePoolOptions,
  ) {}

  static async open(o: QueuePoolOptions): Promise<QueueProvingPool> {
    return new QueueProvingPool(await openQueue(o, o.queue), o);
  }

  async enqueue(job: ProofJob): Promise<void> {
    try {
      await this.boss.send(this.o.queue, jobData(job, this.o.paramSet) as unknown as object, {
        id: jobId(this.o.queue, job),
        expireInSeconds: this.o.jobExpirySeconds ?? 900,
        retryLimit: 10,
        retryDelay: 0,
      });
    } catch (e) {
      throw new QueueError(
        "PROVE_QUEUE_FAILED",
        `batch ${job.batch}'s job could not be queued: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  async outcome(job: ProofJob): Promise<ProofOutcome> {
    let j: PgBoss.JobWithMetadata<JobData> | null;
    try {
      j = await this.boss.getJobById<JobData>(this.o.queue, jobId(this.o.queue, job), {
        includeArchive: true,
      });
    } catch (e) {
      throw new QueueError(
        "PROVE_QUEUE_FAILED",
        `batch ${job.batch}'s job could not be read: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    if (!j) return { status: "failed", code: "PROVE_QUEUE_FAILED", message: "the job is gone" };
    const out = j.output as (JobOutput & { message?: string; value?: { message?: string } }) | null;
    if (j.state === "completed" && out?.proof) {
      // anything may come back (anyone with the queue's credential completes jobs): a text
      // that is not JSON is a failed attempt here; the collector checks the rest
      let result;
      try {
        result = proofOf(out);
      } catch (e) {
        return {
          status: "failed",
          code: "PROOF_REJECTED",
          message: `the proof is not JSON: ${e instanceof Error ? e.message : String(e)}`,
          worker: String(out.worker),
        };
      }
      return {
        status: "proved",
        result,
        worker: String(out.worker),
        times: {
          enqueuedAt: new Date(j.createdOn).getTime(),
          startedAt: out.startedAt,
          finishedAt: new Date(j.completedOn ?? Date.now()).getTime(),
        },
      };
    }
    if (j.state === "completed" && out?.error)
      return {
        status: "failed",
        code: String(out.error.code),
        message: String(out.error.message),
        worker: String(out.worker),
      };
    if (j.state === "failed" || j.state === "cancelled" || j.state === "completed")
      return {
        status: "failed",
        code: "PROVE_FAILED",
        message: `job ${j.state}: ${out?.message ?? out?.value?.message ?? "no output"}`,
      };
    return { status: "pending" };
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true });
  }
}
