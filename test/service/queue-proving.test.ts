import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import PgBoss from "pg-boss";
import { startPostgres, type PostgresServer } from "../../prover/src/dev/postgres.ts";
import { startProverWorker, workerLog } from "../../prover/src/dev/queue-rig.ts";
import { ServiceRig, stop, until } from "../../prover/src/dev/service-rig.ts";
import type { ProofResult } from "../../prover/src/domain/ports.ts";
import { BN128_Q } from "../../prover/src/proving/dev-zkey-common.ts";
import { devKeySet } from "../../prover/src/proving/key-sets.ts";
import { LocalProver } from "../../prover/src/proving/local-prover.ts";
import { loadDeployment } from "../../prover/src/deploy/deploy.ts";
import { queueName } from "../../prover/src/proving/queue-jobs.ts";
import { QueueWorker } from "../../prover/src/proving/queue-worker.ts";

/**
 * Pipelined proving on the real job queue: a PostgreSQL 15 server of the test's own
 * (prover/src/dev/postgres.ts) with pg-boss, the real service (`zkclear serve --queue`), real
 * `zkclear prover-worker` processes proving with the `test` keys, and a real chain. The
 * faults: a worker killed with SIGKILL mid-proof, the queue server restarted with jobs
 * queued, the operator killed with proofs outstanding, a worker returning bad proofs.
 */
describe("operator service: pipelined proving on a job queue (pg-boss, PostgreSQL)", function () {
  let pg: PostgresServer;
  let rig: ServiceRig;
  let queue: string;
  const workers = new Map<string, ChildProcess>();
  let nonce = 0n;
  /** The test's own connection to the queue server (it reconnects after a restart). */
  let reader: PgBoss;

  const startWorker = (name: string) => workers.set(name, startProverWorker(rig, pg.url, name));
  const stopWorker = async (name: string, signal: NodeJS.Signals = "SIGTERM") => {
    await stop(workers.get(name), signal);
    workers.delete(name);
  };

  /** `pairs` crossing pairs (trader 0 sells 1 lot to trader 1): pairs/2 trade batches. */
  async function trade(pairs: number): Promise<void> {
    for (let k = 0; k < pairs; k++) {
      nonce++;
      for (const [i, side] of [
        [0, "sell"],
        [1, "buy"],
      ] as const) {
        const r = await rig.postOrder(rig.order(i, { side, nonce, amount: 1n }));
        assert.equal(r.status, 201, JSON.stringify(r.json));
      }
    }
  }

  /** Waits for every named worker's log to match `re`; a timeout reports their logs and exits. */
  async function workersLog(names: string[], re: RegExp, what: string): Promise<void> {
    try {
      await until(what, async () =>
        names.every((w) => re.test(workerLog(rig, w))) ? true : undefined,
      );
    } catch (e) {
      const logs = names.map((w) => {
        const c = workers.get(w);
        return `worker ${w} (exit ${c?.exitCode ?? c?.signalCode ?? "running"}):\n${workerLog(rig, w).slice(-2000)}`;
      });
      throw new Error(`${(e as Error).message}\n${logs.join("\n")}`, { cause: e });
    }
  }

  const built = async () => (await rig.batches()).filter((b) => b.status === "built");

  /** The queue's jobs as (batch, attempt, state) rows, read from PostgreSQL itself. */
  async function jobs(): Promise<{ batch: number; attempt: number; state: string }[]> {
    const { rows } = (await reader.getDb().executeSql(
      `SELECT (data->>'batch')::int AS batch, (data->>'attempt')::int AS attempt, state::text AS state
         FROM pgboss.job WHERE name = $1
       UNION ALL
       SELECT (data->>'batch')::int, (data->>'attempt')::int, state::text
         FROM pgboss.archive WHERE name = $1`,
      [queue],
    )) as { rows: { batch: number; attempt: number; state: string }[] };
    return rows;
  }

  /** Every batch has exactly one job per attempt (nothing queued twice). */
  async function eachJobOnce(): Promise<void> {
    const seen = new Set<string>();
    for (const j of await jobs()) {
      const k = `${j.batch}/${j.attempt}`;
      assert.ok(!seen.has(k), `batch ${j.batch} attempt ${j.attempt} queued twice`);
      seen.add(k);
    }
  }

  before(async function () {
    pg = await startPostgres();
    reader = new PgBoss({ connectionString: pg.url, supervise: false, schedule: false });
    reader.on("error", () => {}); // the server's restart: the next query reconnects
    rig = await ServiceRig.start({
      traders: 2,
      serveArgs: ["--queue", pg.url, "--job-expiry", "20", "--queue-maintenance", "1"],
      beforeService: async (r) => {
        rig = r;
        queue = queueName(loadDeployment(r.deploymentFile));
        startWorker("a");
        startWorker("b");
      },
    });
    await reader.start();
  });

  after(async function () {
    for (const name of [...workers.keys()]) await stopWorker(name);
    await rig?.close();
    await reader?.stop({ graceful: false, wait: true });
    await pg?.close();
  });

  it("two worker processes prove a run of batches concurrently; every batch lands once, in order", async function () {
    // both workers fetch before the first batch is cut (a cold start takes a while)
    await workersLog(["a", "b"], /on the queue/, "both workers on the queue");
    await trade(6);
    // the six trades are three batches of two; wait for the last to be cut and settled too
    const bs = await until("three trade batches settled", async () => {
      const all = await rig.settledEverything();
      return all.filter((b) => b.kind === "trades").length >= 3 ? all : undefined;
    });
    const log = rig.serviceLog();
    assert.match(log, /proved by a /);
    assert.match(log, /proved by b /);
    assert.ok((await jobs()).length >= bs.length);
    await eachJobOnce();
  });

  it("a worker killed with SIGKILL mid-proof: its job is proved again by another, nothing lands twice", async function () {
    await stopWorker("b");
    const before = workerLog(rig, "a").split("proving").length - 1;
    await trade(2);
    // the batch's job is in worker a's hands: kill it there
    await workersLog(["a"], new RegExp(`(proving[^]*){${before + 1}}`), "worker a proving");
    const [b] = await built();
    await stopWorker("a", "SIGKILL");
    startWorker("c");
    const bs = await rig.settledEverything();
    assert.equal(bs.find((x) => x.id === b.id)?.status, "settled");
    assert.match(rig.serviceLog(), new RegExp(`batch ${b.id}: proved by c `));
    await eachJobOnce();
  });

  it("the queue server restarted while jobs are queued: nothing is lost", async function () {
    await stopWorker("c");
    await trade(2);
    const queued = await until("a batch queued", async () => {
      const bs = await built();
      const js = await jobs();
      return bs.length >= 1 && bs.every((b) => js.some((j) => j.batch === b.id)) ? bs : undefined;
    });
    await pg.stop();
    await pg.start();
    startWorker("d");
    const bs = await rig.settledEverything();
    for (const b of queued) assert.equal(bs.find((x) => x.id === b.id)?.status, "settled");
    await eachJobOnce();
  });

  it("the operator killed with proofs outstanding: on restart it collects what was proved meanwhile", async function () {
    await stopWorker("d");
    await trade(2);
    const outstanding = await until("a batch queued", async () => {
      const bs = await built();
      const js = await jobs();
      return bs.length >= 1 && bs.every((b) => js.some((j) => j.batch === b.id)) ? bs : undefined;
    });
    await stop(rig.service, "SIGKILL");
    // the jobs are proved while the operator is down
    startWorker("e");
    await until("the outstanding jobs proved", async () => {
      const js = await jobs();
      return outstanding.every((b) => js.some((j) => j.batch === b.id && j.state === "completed"))
        ? true
        : undefined;
    });
    rig.service = rig.startService();
    const bs = await rig.settledEverything();
    for (const b of outstanding) assert.equal(bs.find((x) => x.id === b.id)?.status, "settled");
    // collected, not queued again: each batch still has the one job
    for (const b of outstanding)
      assert.equal((await jobs()).filter((j) => j.batch === b.id).length, 1);
  });

  it("a worker returning bad proofs (a forged one, another batch's): refused (PROOF_REJECTED, the worker named), proved again", async function () {
    await stopWorker("e");
    const prover = new LocalProver(rig.p, devKeySet(rig.p));
    // the real proofs the rogue made, by batch: it answers a job with another batch's
    const made = new Map<number, ProofResult>();
    const rogue = await QueueWorker.start({
      url: pg.url,
      queue,
      paramSet: rig.p.name,
      name: "rogue",
      prove: async (job): Promise<ProofResult> => {
        const r = await prover.prove(job.circuit, job.signals);
        made.set(job.batch, r);
        const other = [...made].find(([b]) => b !== job.batch);
        if (other) return other[1];
        // a real proof of the job with its A point negated: on the curve, but not a proof
        const [x, y, z] = r.proof.pi_a;
        return { ...r, proof: { ...r.proof, pi_a: [x, String(BN128_Q - BigInt(y)), z] } };
      },
    });
    const refusal = (why: string) =>
      new RegExp(`PROOF_REJECTED: batch (\\d+) attempt \\d+: the proof from worker rogue ${why}`);
    let forged = "";
    try {
      await trade(4);
      forged = await until(
        "both refusals",
        async () => {
          const log = rig.serviceLog();
          const m = refusal("does not verify").exec(log);
          return m && refusal("names other public inputs than the batch's").test(log)
            ? m[1]
            : undefined;
        },
        300_000,
      );
    } finally {
      await rogue.stop();
    }
    startWorker("f");
    const bs = await rig.settledEverything();
    assert.ok(bs.every((b) => b.status === "settled" || b.status === "dropped"));
    assert.match(rig.serviceLog(), new RegExp(`batch ${forged}: proved by f `));
    const audit = await rig.audit();
    assert.equal(audit.code, 0, audit.out);
  });
});
