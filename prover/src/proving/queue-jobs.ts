import { createHash } from "node:crypto";
import PgBoss from "pg-boss";
import { CIRCUIT_IDS, type CircuitId } from "../domain/circuits.ts";
import type { Deployment } from "../domain/deployment.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { ProofJob, ProofResult } from "../domain/ports.ts";
import { fromJson, toJson } from "../domain/json.ts";

/**
 * What the operator (./queue-pool.ts) and the provers (./queue-worker.ts) share about the
 * job queue: pg-boss on PostgreSQL. One queue per deployment, named after its chain and
 * Settlement address, so that several deployments may share a server.
 */
export class QueueError extends ZkClearError {}

/**
 * The queue of a deployment's proving jobs: its chain and Settlement address, and a hash of
 * what tells one deployment there from another (its block, genesis root, configuration
 * hash and verification keys), so that a dev chain redeployed at the same address never
 * reads an earlier deployment's outcomes, and a prover with other keys never sees its jobs.
 */
export function queueName(
  d: Pick<Deployment, "chainId" | "block" | "genesisRoot" | "configHash" | "addresses" | "keys">,
): string {
  const vkeys = CIRCUIT_IDS.map((id) => d.keys.circuits[id]?.vkeySha256 ?? "");
  const tag = createHash("sha256")
    .update([d.block, d.genesisRoot, d.configHash, ...vkeys].join("/"))
    .digest("hex")
    .slice(0, 12);
  return `zkclear-prove-${d.chainId}-${d.addresses.settlement.toLowerCase()}-${tag}`;
}

/** A job's id: a UUID made from the queue, the batch, its new root and the attempt. */
export function jobId(queue: string, j: Pick<ProofJob, "batch" | "newRoot" | "attempt">): string {
  const h = createHash("sha256")
    .update(`${queue}/${j.batch}/${j.newRoot}/${j.attempt}`)
    .digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A job as it travels: the circuit input as zkclear JSON (bigints as strings). */
export interface JobData {
  readonly batch: number;
  readonly kind: ProofJob["kind"];
  readonly circuit: CircuitId;
  readonly newRoot: string;
  readonly attempt: number;
  /** The parameter set the job's circuit belongs to (a prover refuses another). */
  readonly paramSet: string;
  readonly signals: string;
}

/** A finished job's output: a proof (made by `worker`, timed), or a refusal for good. */
export interface JobOutput {
  readonly worker: string;
  readonly proof?: string;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export function jobData(j: ProofJob, paramSet: string): JobData {
  return {
    batch: j.batch,
    kind: j.kind,
    circuit: j.circuit,
    newRoot: j.newRoot.toString(),
    attempt: j.attempt,
    paramSet,
    signals: toJson(j.signals),
  };
}

export function jobOf(d: JobData): ProofJob {
  return {
    batch: d.batch,
    kind: d.kind,
    circuit: d.circuit,
    newRoot: BigInt(d.newRoot),
    attempt: d.attempt,
    signals: fromJson(d.signals),
  };
}

export const proofOf = (o: JobOutput): ProofResult => fromJson<ProofResult>(o.proof!);
export const proofText = (r: ProofResult): string => toJson(r);

export interface QueueOptions {
  readonly url: string;
  /**
   * How often expired jobs (a prover that died mid-proof) are put back, seconds (pg-boss
   * maintenance; default 10). Every process on the queue takes part.
   */
  readonly maintenanceSeconds?: number;
  readonly log?: (s: string) => void;
}

/** Connects to the queue server, making pg-boss's schema and `queue` if they are missing. */
export async function openQueue(o: QueueOptions, queue: string): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: o.url,
    maintenanceIntervalSeconds: o.maintenanceSeconds ?? 10,
    // completed jobs stay a day before archiving: the operator collects from either table
    archiveCompletedAfterSeconds: 24 * 3600,
  });
  // a lost connection (the server restarting) is reported here and retried by pg-boss
  boss.on("error", (e: Error) => o.log?.(`queue: ${e.message}`));
  try {
    await boss.start();
    await ensureQueue(boss, queue);
  } catch (e) {
    await boss.stop({ graceful: false, wait: true }).catch(() => {});
    throw new QueueError(
      "PROVE_QUEUE_FAILED",
      `the job queue at ${redact(o.url)} is unreachable: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return boss;
}

/**
 * Makes `queue` unless it exists. Processes starting together on a fresh server (the
 * operator and its workers) race here, and PostgreSQL may end the race with a deadlock,
 * aborting all but one: whoever lost looks again, after a short random pause, and finds the
 * queue the winner made. The last attempt's error is thrown.
 */
async function ensureQueue(boss: PgBoss, queue: string, attempts = 8): Promise<void> {
  for (let k = 1; ; k++) {
    if (await boss.getQueue(queue)) return;
    try {
      await boss.createQueue(queue, { name: queue, retryLimit: 10, retryDelay: 0 });
      return;
    } catch (e) {
      if (k >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30 * k));
    }
  }
}

/** The URL without its password (for messages). */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, "$1:***@");
}
