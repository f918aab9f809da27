import os from "node:os";
import type PgBoss from "pg-boss";
import { ZkClearError } from "../domain/errors.ts";
import type { ProofJob, ProofResult } from "../domain/ports.ts";
import {
  jobOf,
  openQueue,
  proofText,
  type JobData,
  type JobOutput,
  type QueueOptions,
} from "./queue-jobs.ts";
import { REFUSED_BY_PROVER } from "./refusals.ts";

export interface QueueWorkerOptions extends QueueOptions {
  readonly queue: string;
  /** The parameter set this prover has keys for: jobs of another are failed. */
  readonly paramSet: string;
  /** Proves a job's circuit input (a LocalProver's prove, with the machine's keys). */
  readonly prove: (job: ProofJob) => Promise<ProofResult>;
  /** How this prover names itself in job outputs (default host:pid). */
  readonly name?: string;
  /** How often an idle prover asks for a job, ms (default 200). */
  readonly pollMs?: number;
}

/**
 * `zkclear prover-worker`: takes proving jobs from the queue one at a time, proves them and
 * completes each with the proof (or with the prover's refusal, for good). A prover that dies
 * mid-proof leaves its job active: it expires and pg-boss gives it to another. Nothing a
 * worker returns is trusted: the operator checks every proof, and every refusal (by its own
 * witness check), itself; a job whose data this worker cannot read is failed with the reason.
 */
export class QueueWorker {
  readonly name: string;
  proved = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly boss: PgBoss,
    private readonly o: QueueWorkerOptions,
  ) {
    this.name = o.name ?? `${os.hostname()}:${process.pid}`;
  }

  static async start(o: QueueWorkerOptions): Promise<QueueWorker> {
    const w = new QueueWorker(await openQueue(o, o.queue), o);
    w.loop = w.run();
    return w;
  }

  private log(s: string): void {
    this.o.log?.(`${this.name}: ${s}`);
  }

  private async run(): Promise<void> {
    const poll = this.o.pollMs ?? 200;
    while (!this.stopping) {
      let jobs: PgBoss.JobWithMetadata<JobData>[] = [];
      try {
        jobs = await this.boss.fetch<JobData>(this.o.queue, {
          batchSize: 1,
          includeMetadata: true,
        });
      } catch (e) {
        this.log(`fetch failed (retrying): ${e instanceof Error ? e.message : String(e)}`);
      }
      if (jobs.length === 0) {
        await new Promise((r) => setTimeout(r, poll));
        continue;
      }
      await this.work(jobs[0]);
    }
  }

  private async work(j: PgBoss.JobWithMetadata<JobData>): Promise<void> {
    const startedAt = Date.now();
    let output: JobOutput;
    // a job's data is anyone's with the queue's credential: one this prover cannot read
    // fails with the reason, and the worker goes on to the next
    let d: JobData;
    let job: ProofJob;
    try {
      d = j.data;
      if (d.paramSet !== this.o.paramSet) {
        await this.settle(j, "fail", {
          message: `prover has keys for "${this.o.paramSet}", the job is "${d.paramSet}"`,
        });
        return;
      }
      job = jobOf(d);
    } catch (e) {
      const message = `the job's data is unreadable: ${e instanceof Error ? e.message : String(e)}`;
      this.log(`job ${j.id}: ${message}`);
      await this.settle(j, "fail", { message, worker: this.name });
      return;
    }
    this.log(`batch ${d.batch} (${d.kind}, attempt ${d.attempt}): proving`);
    try {
      const result = await this.o.prove(job);
      output = { worker: this.name, proof: proofText(result), startedAt, finishedAt: Date.now() };
      this.proved++;
      this.log(`batch ${d.batch}: proved in ${(result.proveMs / 1000).toFixed(1)} s`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof ZkClearError && REFUSED_BY_PROVER.has(e.code)) {
        output = { worker: this.name, error: { code: e.code, message } };
      } else {
        // this prover, not the batch: another attempt (pg-boss's retry)
        this.log(`batch ${d.batch}: failed: ${message}`);
        await this.settle(j, "fail", { message, worker: this.name });
        return;
      }
    }
    await this.settle(j, "complete", output);
  }

  /**
   * Completes or fails a job, trying again while the server does not answer (it may be
   * restarting); a job left active expires and is proved again elsewhere.
   */
  private async settle(
    j: PgBoss.JobWithMetadata<JobData>,
    how: "complete" | "fail",
    output: object,
  ): Promise<void> {
    const expiry = Number((j as { expireInSeconds?: unknown }).expireInSeconds) || 900;
    const until = Date.now() + expiry * 1000;
    while (Date.now() < until) {
      try {
        await this.boss[how](this.o.queue, j.id, output);
        return;
      } catch (e) {
        this.log(`${how} failed (retrying): ${e instanceof Error ? e.message : String(e)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Stops after the job in hand (if any). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.boss.stop({ graceful: false, wait: true, close: true });
  }
}
