import assert from "node:assert/strict";
import { devOwners } from "../../prover/src/domain/owners.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { Store } from "../../prover/src/store/store.ts";
import { SubmitError } from "../../prover/src/chain/settlement.ts";
import { Operator } from "../../prover/src/service/operator.ts";
import { type ProofResult } from "../../prover/src/domain/ports.ts";
import { type ChainPort, type ProverPort } from "../../prover/src/domain/ports.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import type { ProofJob } from "../../prover/src/domain/ports.ts";
import { ensureDevKeySet } from "../../prover/src/proving/key-sets.ts";
import { LocalProvingPool } from "../../prover/src/proving/local-pool.ts";
import { circuitInputCheck, keySetVerifier } from "../../prover/src/proving/proof-check.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";

/**
 * The pipeline's reaction to a refusal, in isolation: the chain and the prover are test
 * doubles here (the real ones are exercised in operator.test.ts and crash-recovery.test.ts).
 */
describe("operator: a batch the chain refuses", function () {
  it("is marked refused with the chain's reason, halts the pipeline and is not retried", async function () {
    const P = PARAM_SETS.test;
    const markets = defaultMarkets(P.markets);
    const genesis = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners()).root;
    let submits = 0;
    const chain: ChainPort = {
      latestRound: async () => undefined,
      depositsFrom: async (from) =>
        from === 0 ? [{ account: 3n, amount: 100n, pubKey: devKeyPair("refused").publicKey }] : [],
      stateRoot: async () => genesis,
      // the contract refuses it when asked (the gas estimate), so no transaction is made
      prepare: async () => {
        submits++;
        throw new SubmitError(
          "BATCH_REFUSED",
          "submitDeposits: Settlement refuses it (InvalidProof)",
        );
      },
      check: async () => assert.fail("nothing was sent, so nothing is checked again"),
      send: async () => assert.fail("nothing is sent"),
      submit: async () => assert.fail("the pipeline prepares, stores, then sends"),
    };
    const prover: ProverPort = {
      prove: async () =>
        ({ proof: {}, publicSignals: [], witnessMs: 0, proveMs: 0 }) as unknown as ProofResult,
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-refused-")), "op.db");
    const store = new Store(file);
    const op = Operator.open({
      params: P,
      markets,
      domain: SAMPLE_DOMAIN,
      owners: devOwners(),
      store,
      chain,
      prover,
    });
    await op.tick();
    const [b] = store.batches();
    assert.equal(b.status, "refused");
    assert.match(b.error ?? "", /InvalidProof/);
    assert.match(op.halted ?? "", /refused/);
    assert.equal(op.metrics.batchesRefused, 1);
    await op.tick();
    assert.equal(submits, 1, "a halted pipeline sends nothing more");
    store.close();
    // a restart reports it again instead of dropping it
    const again = Operator.open({
      params: P,
      markets,
      domain: SAMPLE_DOMAIN,
      owners: devOwners(),
      store: new Store(file),
      chain,
      prover,
    });
    assert.match(again.halted ?? "", /batch 1/);
  });

  it("with a pool: a proof Settlement refuses as InvalidProof is proved again (a fresh attempt), not halted; another refusal still halts", async function () {
    this.timeout(120_000);
    const P = PARAM_SETS.test;
    const markets = defaultMarkets(P.markets);
    const genesis = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners()).root;
    const reasons = ["InvalidProof", "RootMismatch"];
    const prepared: string[] = [];
    const chain: ChainPort = {
      latestRound: async () => undefined,
      depositsFrom: async (from) =>
        from === 0 ? [{ account: 3n, amount: 100n, pubKey: devKeyPair("refused").publicKey }] : [],
      stateRoot: async () => genesis,
      prepare: async (_d, proof) => {
        const why = reasons[prepared.length];
        prepared.push(JSON.stringify(proof.pi_a));
        throw new SubmitError("BATCH_REFUSED", `submitDeposits: Settlement refuses it (${why})`);
      },
      check: async () => assert.fail("nothing was sent"),
      send: async () => assert.fail("nothing is sent"),
      submit: async () => assert.fail("the pipeline prepares, stores, then sends"),
    };
    const keys = await ensureDevKeySet(P);
    const jobs = new LocalProvingPool(P, keys, 1);
    const attempts: number[] = [];
    const pool = {
      jobs: {
        enqueue: (j: ProofJob) => {
          attempts.push(j.attempt);
          return jobs.enqueue(j);
        },
        outcome: (j: ProofJob) => jobs.outcome(j),
        close: () => jobs.close(),
      },
      verifier: keySetVerifier(keys),
      inputCheck: circuitInputCheck(P),
    };
    const store = new Store(
      path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-refused-")), "op.db"),
    );
    const prover: ProverPort = { prove: async () => assert.fail("the pool proves") };
    const op = Operator.open({
      params: P,
      markets,
      domain: SAMPLE_DOMAIN,
      owners: devOwners(),
      store,
      chain,
      prover,
      pool,
    });
    try {
      for (let i = 0; i < 400 && prepared.length < 2; i++) {
        await op.tick();
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(prepared.length, 2);
      // refused as InvalidProof: proved again as attempt 1, not halted
      assert.deepEqual(attempts, [0, 1]);
      const [b] = store.batches();
      assert.equal(b.status, "refused");
      assert.match(b.error ?? "", /RootMismatch/);
      assert.match(op.halted ?? "", /RootMismatch/);
      assert.equal(op.metrics.batchesRefused, 1);
    } finally {
      await jobs.close();
      await terminateCurve();
      store.close();
    }
  });
});
