import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import type { ProofJob, ProofOutcome } from "../../prover/src/domain/ports.ts";
import {
  settleTradesPublicSignals,
  toSettleTradesSignals,
} from "../../prover/src/domain/inputs.ts";
import { sampleTrades } from "../../prover/src/dev/demo.ts";
import { sampleExchange } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { ensureDevKeySet } from "../../prover/src/proving/key-sets.ts";
import { LocalProvingPool } from "../../prover/src/proving/local-pool.ts";
import { keySetVerifier } from "../../prover/src/proving/proof-check.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";

const P = PARAM_SETS.test;

/**
 * The embedded pool (`zkclear serve --provers N`): real proving processes and real proofs of
 * a test trade batch; a process killed with SIGKILL under its job is replaced and the job
 * proved again.
 */
describe("proving: the embedded pool of local proving processes", function () {
  let pool: LocalProvingPool;
  const s = sampleExchange(P, 4);
  const batch = settleTrades(s.state, sampleTrades(s, P.batch), s.marks, P.batch);
  const job = (n: number): ProofJob => ({
    batch: n,
    kind: "trades",
    circuit: "settle_trades",
    newRoot: batch.newRoot,
    attempt: 0,
    signals: toSettleTradesSignals(batch.input),
  });
  const settled = async (j: ProofJob): Promise<ProofOutcome> => {
    for (;;) {
      const o = await pool.outcome(j);
      if (o.status !== "pending") return o;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  after(async function () {
    await pool?.close();
    await terminateCurve();
  });

  it("proves jobs on two processes at once; a process killed mid-proof is replaced and its job proved again", async function () {
    const keys = await ensureDevKeySet(P);
    pool = new LocalProvingPool(P, keys, 2);
    const verify = keySetVerifier(keys);
    const expected = settleTradesPublicSignals(batch.input);
    const [a, b] = [job(1), job(2)];
    await pool.enqueue(a);
    await pool.enqueue(b);
    // the same job handed over again is the same job
    await pool.enqueue(a);
    const killed = pool.pids()[0]!;
    await new Promise((r) => setTimeout(r, 300));
    process.kill(killed, "SIGKILL");
    for (const j of [a, b]) {
      const o = await settled(j);
      assert.equal(o.status, "proved", JSON.stringify(o));
      if (o.status !== "proved") return;
      assert.deepEqual(o.result.publicSignals, expected.map(String));
      assert.equal(await verify("settle_trades", expected, o.result.proof), true);
    }
    assert.notEqual(pool.pids()[0], killed);
    // a job of a broken input is refused for good, not retried
    const broken = { ...job(3), signals: { ...job(3).signals, oldRoot: "1" } };
    await pool.enqueue(broken);
    const o = await settled(broken);
    assert.equal(o.status, "failed");
    if (o.status === "failed") assert.equal(o.code, "WITNESS_CONSTRAINT_FAILED", o.message);
  });

  it("closed while a proof is in flight: close() returns promptly, nothing is requeued or dispatched again (no busy loop)", async function () {
    const keys = await ensureDevKeySet(P);
    const one = new LocalProvingPool(P, keys, 1);
    const j = job(7);
    await one.enqueue(j);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await one.close();
    assert.ok(performance.now() - t0 < 5000, `close() took ${performance.now() - t0} ms`);
    const o = await one.outcome(j);
    assert.equal(o.status, "failed", JSON.stringify(o));
    if (o.status === "failed") assert.equal(o.code, "PROVER_EXITED");
    // the event loop is free: no job spins on the closed prover
    const cpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 300));
    const used = process.cpuUsage(cpu);
    assert.ok(used.user + used.system < 150_000, `${used.user + used.system} µs of CPU while idle`);
    await assert.rejects(one.enqueue(job(8)), /the proving pool is closed/);
  });
});
