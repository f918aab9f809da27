import assert from "node:assert/strict";
import PgBoss from "pg-boss";
import { startPostgres, type PostgresServer } from "../../prover/src/dev/postgres.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import type { ProofJob } from "../../prover/src/domain/ports.ts";
import { ensureDevKeySet } from "../../prover/src/proving/key-sets.ts";
import { LocalProver } from "../../prover/src/proving/local-prover.ts";
import { openQueue } from "../../prover/src/proving/queue-jobs.ts";
import { QueueWorker } from "../../prover/src/proving/queue-worker.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";

const P = PARAM_SETS.test;
const QUEUE = "zkclear-prove-worker-test";

/**
 * `zkclear prover-worker` against a real queue server: a job's data is anyone's with the
 * queue's credential, so jobs it cannot read (data null, fields missing, signals not JSON)
 * fail with the reason and the worker goes on to the next job.
 */
describe("proving: the queue worker survives jobs it cannot read", function () {
  let pg: PostgresServer;
  let boss: PgBoss;
  let worker: QueueWorker | undefined;
  const proving: ProofJob[] = [];

  before(async function () {
    pg = await startPostgres();
    boss = new PgBoss({ connectionString: pg.url, supervise: false, schedule: false });
    boss.on("error", () => {});
    await boss.start();
    await boss.createQueue(QUEUE, { name: QUEUE, retryLimit: 0 });
  });
  after(async function () {
    await worker?.stop();
    await boss?.stop({ graceful: false, wait: true });
    await pg?.close();
    await terminateCurve();
  });

  const settled = async (id: string) => {
    for (;;) {
      const j = await boss.getJobById(QUEUE, id, { includeArchive: true });
      if (j && (j.state === "failed" || j.state === "completed")) return j;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it("processes opening a new queue at once all get it: PostgreSQL's deadlock between them is looked at again", async function () {
    // the operator and its workers started together: without the second look, about two
    // rounds in three ended with one process refused "deadlock detected"
    for (let round = 0; round < 6; round++) {
      const name = `${QUEUE}-race-${round}`;
      const opened = await Promise.allSettled(
        Array.from({ length: 5 }, () => openQueue({ url: pg.url }, name)),
      );
      for (const o of opened)
        if (o.status === "fulfilled") await o.value.stop({ graceful: false, wait: true });
      const refused = opened.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []));
      assert.deepEqual(refused, [], `round ${round}`);
      assert.ok(await boss.getQueue(name), `round ${round}: the queue was made`);
    }
  });

  it("bad job data (null, missing fields, signals not JSON) fails with a reason; the worker goes on", async function () {
    const keys = await ensureDevKeySet(P);
    const prover = new LocalProver(P, keys);
    worker = await QueueWorker.start({
      url: pg.url,
      queue: QUEUE,
      paramSet: P.name,
      pollMs: 50,
      prove: (job) => {
        proving.push(job);
        return prover.prove(job.circuit, job.signals);
      },
    });
    const bad: [unknown, RegExp][] = [
      [null, /the job's data is unreadable: .*null/],
      [{ paramSet: P.name, batch: 1 }, /the job's data is unreadable/],
      [
        { paramSet: P.name, batch: 2, newRoot: "1", attempt: 0, signals: "{not json" },
        /the job's data is unreadable: .*JSON/,
      ],
    ];
    for (const [data, why] of bad) {
      const id = (await boss.send(QUEUE, data as object, { retryLimit: 0 }))!;
      const j = await settled(id);
      assert.equal(j.state, "failed", JSON.stringify(data));
      assert.match(String((j.output as { message?: string }).message), why);
    }
    // still alive: a job of another parameter set is failed with its own reason
    const id = (await boss.send(
      QUEUE,
      { paramSet: "prod", batch: 3, newRoot: "1", attempt: 0, signals: "{}" },
      { retryLimit: 0 },
    ))!;
    const j = await settled(id);
    assert.match(String((j.output as { message?: string }).message), /prover has keys for "test"/);
    assert.equal(proving.length, 0);
  });
});
