import type { ChildProcess } from "node:child_process";
import PgBoss from "pg-boss";
import { paramSet } from "../../domain/params.ts";
import { fromJson } from "../../domain/json.ts";
import type { ProofResult } from "../../domain/ports.ts";
import { loadDeployment } from "../../deploy/deploy.ts";
import { queueName } from "../../proving/queue-jobs.ts";
import { startPostgres } from "../postgres.ts";
import { startProverWorker, workerLog } from "../queue-rig.ts";
import { RigError } from "../processes.ts";
import { ServiceRig, stop, until, type BatchRow } from "../service-rig.ts";

/**
 * `npm run bench:pipeline`: settled trades per minute through the real service
 * (`zkclear serve --queue`), a PostgreSQL job queue and 1, 2, 4 `zkclear prover-worker`
 * processes, on one hardhat node and deployment reused across the runs. Each run sends a
 * burst of crossing order pairs (one market, FIFO: pair k is trade k, in trade batch
 * floor(k / B) of the run) and waits until every batch settled.
 */
export interface PipelineRun {
  readonly workers: number;
  readonly trades: number;
  readonly batches: number;
  readonly seconds: number;
  readonly tradesPerMinute: number;
  /** Order (the pair's second order acknowledged) to its batch seen settled, ms. */
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  /** Witness + proof in the worker, per job, median ms. */
  readonly proveMs: number;
  /** A job's wait for an idle worker (created or worker free -> started), median ms. */
  readonly pickupMs: number;
  /** In the worker around the proof (decode, encode, complete), median ms. */
  readonly workerOverheadMs: number;
  /** Completed -> collected (verified and stored) by the operator, median ms. */
  readonly collectMs: number;
  /** The operator's submission of a batch (prepare, send, mined), mean ms. */
  readonly submitMs: number;
  readonly gasPerBatch: number;
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

interface JobRow {
  batch: number;
  created: number;
  started: number;
  completed: number;
  worker: string;
  workMs: number;
}

async function jobRows(reader: PgBoss, queue: string, batches: Set<number>): Promise<JobRow[]> {
  const { rows } = (await reader.getDb().executeSql(
    `SELECT (data->>'batch')::int AS batch, created_on, started_on, completed_on, output
       FROM pgboss.job WHERE name = $1 AND state = 'completed'
     UNION ALL
     SELECT (data->>'batch')::int, created_on, started_on, completed_on, output
       FROM pgboss.archive WHERE name = $1 AND state = 'completed'`,
    [queue],
  )) as {
    rows: {
      batch: number;
      created_on: Date;
      started_on: Date;
      completed_on: Date;
      output: { worker: string; proof?: string };
    }[];
  };
  return rows
    .filter((r) => batches.has(r.batch) && r.output.proof)
    .map((r) => {
      const p = fromJson<ProofResult>(r.output.proof!);
      return {
        batch: r.batch,
        created: new Date(r.created_on).getTime(),
        started: new Date(r.started_on).getTime(),
        completed: new Date(r.completed_on).getTime(),
        worker: r.output.worker,
        workMs: p.witnessMs + p.proveMs,
      };
    });
}

/** The submission histogram's sum (s) and count from the service's /metrics. */
async function submitted(rig: ServiceRig): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${rig.api}/metrics`)).text();
  let sum = 0;
  let count = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("zkclear_submit_seconds_sum")) sum += Number(line.split(" ").pop());
    if (line.startsWith("zkclear_submit_seconds_count")) count += Number(line.split(" ").pop());
  }
  return { sum, count };
}

export async function benchPipeline(o: {
  params: string;
  workers: readonly number[];
  pairs: number;
  log: (s: string) => void;
}): Promise<PipelineRun[]> {
  const p = paramSet(o.params);
  const pg = await startPostgres();
  const reader = new PgBoss({ connectionString: pg.url, supervise: false, schedule: false });
  reader.on("error", () => {});
  let boot: ChildProcess | undefined;
  let rig: ServiceRig | undefined;
  const runs: PipelineRun[] = [];
  try {
    rig = await ServiceRig.start({
      params: p,
      traders: 2,
      // only full batches: pair k is then trade k % B of the run's batch floor(k / B)
      batchTimeoutMs: 3_600_000,
      serveArgs: ["--queue", pg.url, "--queue-maintenance", "5"],
      beforeService: async (r) => {
        boot = startProverWorker(r, pg.url, "boot");
      },
      log: o.log,
    });
    await stop(boot, "SIGTERM");
    await reader.start();
    const queue = queueName(loadDeployment(rig.deploymentFile));
    let nonce = 0n;
    for (const n of o.workers) {
      const names = Array.from({ length: n }, (_, i) => `n${n}-w${i}`);
      const procs = names.map((name) => startProverWorker(rig!, pg.url, name));
      await until(`${n} workers ready`, async () =>
        names.every((w) => workerLog(rig!, w).includes("on the queue")) ? true : undefined,
      );
      const before = new Set((await rig.batches()).map((b) => b.id));
      const sub0 = await submitted(rig);
      const t0 = Date.now();
      const acked: number[] = [];
      for (let k = 0; k < o.pairs; k++) {
        nonce++;
        for (const [i, side] of [
          [0, "sell"],
          [1, "buy"],
        ] as const) {
          const r = await rig.postOrder(rig.order(i, { side, nonce, amount: 1n }));
          if (r.status !== 201)
            throw new RigError("RIG_REFUSED", `order refused: ${JSON.stringify(r.json)}`);
        }
        acked.push(Date.now());
      }
      // each batch's settlement, seen by polling the API
      const settledAt = new Map<number, number>();
      let mine: BatchRow[] = [];
      await until(
        `the run's ${o.pairs / p.batch} trade batches settled`,
        async () => {
          mine = (await rig!.batches()).filter((b) => !before.has(b.id) && b.kind === "trades");
          for (const b of mine)
            if (b.status === "settled" && !settledAt.has(b.id)) settledAt.set(b.id, Date.now());
          const trades = mine.length * p.batch;
          return trades >= o.pairs && mine.every((b) => b.status === "settled") ? true : undefined;
        },
        1_800_000,
      );
      const t1 = Math.max(...settledAt.values());
      const ids = mine.map((b) => b.id).sort((a, b) => a - b);
      const latency = acked.map((at, k) => settledAt.get(ids[Math.floor(k / p.batch)])! - at);
      const jobs = await jobRows(reader, queue, new Set(ids));
      // a job's wait for an idle worker: from when it was created or its worker became free
      const byWorker = new Map<string, JobRow[]>();
      for (const j of jobs) byWorker.set(j.worker, [...(byWorker.get(j.worker) ?? []), j]);
      const pickup: number[] = [];
      for (const js of byWorker.values()) {
        js.sort((a, b) => a.started - b.started);
        js.forEach((j, i) =>
          pickup.push(j.started - Math.max(j.created, i > 0 ? js[i - 1].completed : 0)),
        );
      }
      const log = rig.serviceLog();
      const collect = jobs.map((j) => {
        const m = new RegExp(`\\[([^\\]]+)\\] batch ${j.batch}: proved by `).exec(log);
        return m ? new Date(m[1]).getTime() - j.completed : NaN;
      });
      const sub1 = await submitted(rig);
      const gas = [...log.matchAll(/batch (\d+): settled in \S+ \((\d+) gas\)/g)]
        .filter((m) => ids.includes(Number(m[1])))
        .map((m) => Number(m[2]));
      const run: PipelineRun = {
        workers: n,
        trades: o.pairs,
        batches: ids.length,
        seconds: (t1 - t0) / 1000,
        tradesPerMinute: (o.pairs * 60_000) / (t1 - t0),
        latencyMs: { p50: median(latency), p99: quantile(latency, 0.99) },
        proveMs: median(jobs.map((j) => j.workMs)),
        pickupMs: median(pickup),
        workerOverheadMs: median(jobs.map((j) => j.completed - j.started - j.workMs)),
        collectMs: median(collect.filter((x) => !Number.isNaN(x))),
        submitMs: ((sub1.sum - sub0.sum) * 1000) / Math.max(1, sub1.count - sub0.count),
        gasPerBatch: median(gas),
      };
      o.log(
        `${n} worker(s): ${run.trades} trades in ${run.seconds.toFixed(1)} s = ${run.tradesPerMinute.toFixed(1)} trades/min`,
      );
      runs.push(run);
      for (const w of procs) await stop(w, "SIGTERM");
    }
  } finally {
    await stop(boot, "SIGTERM");
    await rig?.close();
    await reader.stop({ graceful: false, wait: true }).catch(() => {});
    await pg.close();
  }
  return runs;
}
