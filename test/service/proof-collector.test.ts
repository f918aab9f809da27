import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import type {
  ProofJob,
  ProofOutcome,
  ProofResult,
  ProvingPool,
} from "../../prover/src/domain/ports.ts";
import { sampleTrades } from "../../prover/src/dev/demo.ts";
import { sampleExchange } from "../../prover/src/dev/sample.ts";
import { applyBatch } from "../../prover/src/engine/kinds.ts";
import { BN128_Q } from "../../prover/src/proving/dev-zkey-common.ts";
import { ensureDevKeySet } from "../../prover/src/proving/key-sets.ts";
import { LocalProver } from "../../prover/src/proving/local-prover.ts";
import { circuitInputCheck, keySetVerifier } from "../../prover/src/proving/proof-check.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import type { BatchBody, OperatorContext } from "../../prover/src/service/context.ts";
import { NO_TIMINGS } from "../../prover/src/service/metrics.ts";
import { ProofCollector } from "../../prover/src/service/proof-collector.ts";
import { Store, type StoredBatch } from "../../prover/src/store/store.ts";

const P = PARAM_SETS.test;

/** What a worker on the queue completed a job with: any value (the pool is the port). */
type Answer = (job: ProofJob) => ProofOutcome;

/** A pool whose workers answer as scripted per attempt (what anyone on the queue can do). */
class ScriptedPool implements ProvingPool {
  readonly handed: ProofJob[] = [];
  constructor(private readonly answers: Answer[]) {}
  enqueue(job: ProofJob): Promise<void> {
    this.handed.push(job);
    return Promise.resolve();
  }
  outcome(job: ProofJob): Promise<ProofOutcome> {
    const a = this.answers[job.attempt];
    return Promise.resolve(a ? a(job) : { status: "pending" });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The operator's collector of pooled proofs, with the real ProofCollector, a real store, the
 * test keys' verifier and witness calculator and a real proof of a trade batch: whatever a
 * worker completes a job with (a refusal code, a re-encoded proof, malformed output) never
 * halts the operator unless its own witness check refuses the batch, and never jams it.
 */
describe("operator service: the proof collector never takes a worker's word", function () {
  const s = sampleExchange(P, 4);
  const req = {
    kind: "trades" as const,
    trades: sampleTrades(s, P.batch),
    marks: s.marks,
    round: 1n,
    fundingIndices: s.marks.map(() => 0n),
    margins: oneX(s.marks.length),
    reduceOnly: 0n,
  };
  const applied = applyBatch(s.state, req, P);
  const body: BatchBody = { ...applied.data, circuitInput: applied.signals };
  let dir: string;
  let store: Store;
  let proof: ProofResult;
  let keys: Awaited<ReturnType<typeof ensureDevKeySet>>;

  before(async function () {
    keys = await ensureDevKeySet(P);
    proof = await new LocalProver(P, keys).prove("settle_trades", applied.signals);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-collector-"));
  });
  after(async function () {
    await terminateCurve();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  /** A fresh store holding the batch (`input` overrides its stored circuit input). */
  const rig = (answers: Answer[], input = body.circuitInput, backoffMs = 0) => {
    store = new Store(path.join(dir, `s${n++}.db`));
    const b = { ...body, circuitInput: input };
    const id = store.insertBatch("trades", b, b.oldRoot, b.newRoot);
    const logs: string[] = [];
    const refused: string[] = [];
    const ctx = {
      p: P,
      state: s.state,
      store,
      log: (l: string) => logs.push(l),
      metrics: { proveMs: 0, proofsRejected: 0, proofAttempts: new Map<number, number>() },
      timings: NO_TIMINGS,
      halted: () => refused[0],
    } as unknown as OperatorContext;
    const pool = new ScriptedPool(answers);
    const c = new ProofCollector(
      ctx,
      pool,
      keySetVerifier(keys),
      circuitInputCheck(P),
      (_b, why) => refused.push(why),
      backoffMs,
    );
    const stored = () => store.getBatch<BatchBody>(id)!;
    const tick = () => c.collect([stored()].filter((x) => x.status === "built"));
    return { c, ctx, pool, logs, refused, stored, tick };
  };
  const proved =
    (result: unknown, worker = "honest"): Answer =>
    () => ({
      status: "proved",
      result: result as ProofResult,
      worker,
      times: { enqueuedAt: 0 },
    });
  const refusal =
    (code: string): Answer =>
    () => ({ status: "failed", code, message: "so says the worker", worker: "rogue" });

  /** Ticks until the batch is proved or refused (every attempt answered at once). */
  const settle = async (r: ReturnType<typeof rig>): Promise<StoredBatch<BatchBody>> => {
    for (let i = 0; i < 20 && r.stored().status === "built" && !r.refused[0]; i++) await r.tick();
    return r.stored();
  };

  it("a worker's refusal code (WITNESS_CONSTRAINT_FAILED, PROVE_BAD_KEY) does not halt: the operator's own witness check passes, the batch is proved again", async function () {
    for (const code of ["WITNESS_CONSTRAINT_FAILED", "PROVE_BAD_KEY"]) {
      const r = rig([refusal(code), proved(proof)]);
      const b = await settle(r);
      assert.deepEqual(r.refused, [], code);
      assert.equal(b.status, "proved", code);
      assert.equal(r.c.rejected.length, 1);
      const [x] = r.c.rejected;
      assert.equal(x.error.code, "PROOF_REJECTED");
      assert.equal(x.worker, "rogue");
      assert.match(
        x.error.message,
        new RegExp(
          `the refusal from worker rogue \\(${code}: .*\\) is not taken: the operator's own witness check of the batch passes`,
        ),
      );
      assert.deepEqual(
        r.pool.handed.map((j) => j.attempt),
        [0, 1],
      );
    }
  });

  it("a batch whose stored input really breaks the circuit: the operator's own check refuses it and halts", async function () {
    const r = rig([refusal("WITNESS_CONSTRAINT_FAILED")], { ...body.circuitInput, oldRoot: "1" });
    await settle(r);
    assert.equal(r.refused.length, 1);
    assert.match(r.refused[0], /operator's own witness check.*violates a circuit constraint/);
    assert.equal(r.c.rejected.length, 0);
  });

  it("a valid proof re-encoded non-canonically (projective pi_a, x + q): snarkjs accepts it, the collector rejects it and proves the batch again", async function () {
    const q = BN128_Q;
    const [x, y] = proof.proof.pi_a.map(BigInt);
    const z = 2n;
    const projective = {
      ...proof,
      proof: {
        ...proof.proof,
        pi_a: [((x * z * z) % q).toString(), ((y * z * z * z) % q).toString(), z.toString()],
      },
    };
    const plusQ = {
      ...proof,
      proof: { ...proof.proof, pi_a: [(x + q).toString(), y.toString(), "1"] },
    };
    const signals = proof.publicSignals.map(BigInt);
    // the fault is real: snarkjs's verifier takes the projective encoding
    assert.equal(
      await keySetVerifier(keys)("settle_trades", signals, projective.proof as never),
      true,
    );
    const r = rig([proved(projective, "rogue"), proved(plusQ, "rogue"), proved(proof)]);
    const b = await settle(r);
    assert.equal(b.status, "proved");
    assert.equal(r.c.rejected.length, 2);
    assert.match(r.c.rejected[0].error.message, /worker rogue is malformed: proof\.pi_a\.2: /);
    assert.match(
      r.c.rejected[1].error.message,
      /worker rogue is malformed: proof\.pi_a\.0: not canonical: a decimal below the base field's modulus q/,
    );
    // what is stored is the canonical proof Settlement reads
    assert.deepEqual((b.proof as ProofResult).proof.pi_a, proof.proof.pi_a);
  });

  it("each malformed output is rejected (PROOF_REJECTED) and the next attempt handed over; metrics stay numbers", async function () {
    const bad: [string, unknown, RegExp][] = [
      ["proof null", { ...proof, proof: null }, /proof: /],
      ["no result", null, /\(the result\)/],
      ["signals a string", { ...proof, publicSignals: "1,2" }, /publicSignals/],
      [
        "a signal not decimal",
        { ...proof, publicSignals: ["0x1", ...proof.publicSignals.slice(1)] },
        /publicSignals\.0: /,
      ],
      [
        "too few signals",
        { ...proof, publicSignals: proof.publicSignals.slice(1) },
        /publicSignals/,
      ],
      ["proveMs a word", { ...proof, proveMs: "fast" }, /proveMs/],
      ["witnessMs NaN", { ...proof, witnessMs: NaN }, /witnessMs/],
      ["proveMs negative", { ...proof, proveMs: -1 }, /proveMs/],
      ["a bigint inside", { ...proof, proveMs: 1n }, /not JSON|proveMs/],
      ["too large", { ...proof, padding: "x".repeat(100_000) }, /characters long/],
      [
        "pi_b's z not [1, 0]",
        {
          ...proof,
          proof: { ...proof.proof, pi_b: [proof.proof.pi_b[0], proof.proof.pi_b[1], ["0", "1"]] },
        },
        /pi_b\.2/,
      ],
    ];
    const r = rig([...bad.map(([, v]) => proved(v, "rogue")), proved(proof)]);
    const b = await settle(r);
    assert.equal(b.status, "proved");
    assert.equal(r.c.rejected.length, bad.length);
    bad.forEach(([what, , why], i) => {
      assert.equal(r.c.rejected[i].attempt, i, what);
      assert.match(r.c.rejected[i].error.message, why, what);
    });
    assert.equal(r.ctx.metrics.proofsRejected, bad.length);
    assert.equal(typeof r.ctx.metrics.proveMs, "number");
    assert.ok(Number.isFinite(r.ctx.metrics.proveMs));
    // proved: its attempt count is cleared; on the way it was logged as an alert
    assert.equal(r.ctx.metrics.proofAttempts.size, 0);
    assert.ok(r.logs.some((l) => /^ALERT: batch \d+ has failed 5 proving attempts/.test(l)));
  });

  it("attempts of a batch back off: the next is handed over only after the wait, which doubles", async function () {
    const failed: Answer = () => ({ status: "failed", code: "PROVER_EXITED", message: "killed" });
    const r = rig([failed, failed, proved(proof)], body.circuitInput, 150);
    await r.tick();
    assert.deepEqual(
      r.pool.handed.map((j) => j.attempt),
      [0],
    );
    assert.equal(r.ctx.metrics.proofAttempts.get(r.stored().id), 1);
    await r.tick(); // within the wait: nothing new
    assert.deepEqual(
      r.pool.handed.map((j) => j.attempt),
      [0],
    );
    await new Promise((res) => setTimeout(res, 170));
    await r.tick(); // attempt 1 handed over and fails: the wait doubles (300 ms)
    assert.deepEqual(
      r.pool.handed.map((j) => j.attempt),
      [0, 1],
    );
    assert.equal(r.ctx.metrics.proofAttempts.get(r.stored().id), 2);
    await new Promise((res) => setTimeout(res, 170));
    await r.tick();
    assert.deepEqual(
      r.pool.handed.map((j) => j.attempt),
      [0, 1],
    );
    await new Promise((res) => setTimeout(res, 170));
    await r.tick();
    assert.deepEqual(
      r.pool.handed.map((j) => j.attempt),
      [0, 1, 2],
    );
    assert.equal(r.stored().status, "proved");
  });
});
