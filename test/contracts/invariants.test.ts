import assert from "node:assert/strict";
import fc from "fast-check";
import { deployFuzzWorld, resetFuzzWorld, type FuzzWorld } from "../helpers/fuzz-world.ts";
import { digest, initModel, observe, violations, type Observed } from "../helpers/fuzz-model.ts";
import { newStats, runStep, stepSequences, type FuzzStats } from "../helpers/fuzz-run.ts";

/**
 * Contract invariants under random sequences (docs/verification.md, "Contract invariants"):
 * fast-check commands (deposits, reclaims, batches of every kind, oracle rounds, pauses,
 * role changes, forced requests, freezes, exits, claims, delayed credits' claims, time;
 * payouts beyond the Vault's per-window bound are delayed) against a real Hardhat chain
 * deployed with the TEST-ONLY accept-all verifier, checking after every step that the Vault
 * holds what it owes, that the root moves only with a batch from the current root, that no
 * role moves funds or unfreezes outside the rules, and that every refused call left the
 * observed state as it was. The budget: ZKCLEAR_FUZZ_RUNS sequences of up to
 * ZKCLEAR_FUZZ_STEPS steps, seed ZKCLEAR_FUZZ_SEED (fast-check prints the seed and the
 * path of a failure; ZKCLEAR_FUZZ_SHRINK=1 shrinks it); `npm run fuzz:contracts` runs long.
 */
const RUNS = Number(process.env.ZKCLEAR_FUZZ_RUNS ?? 4);
const STEPS = Number(process.env.ZKCLEAR_FUZZ_STEPS ?? 50);
const SEED = Number(process.env.ZKCLEAR_FUZZ_SEED ?? 22);
const SHRINK = process.env.ZKCLEAR_FUZZ_SHRINK === "1";

function report(s: FuzzStats, ms: number): string {
  const kinds = Object.entries(s.kinds)
    .map(([k, c]) => `${k} ${c.accepted}/${c.refused}`)
    .join(", ");
  const errors = Object.entries(s.errors)
    .sort((a, b) => b[1] - a[1])
    .map(([e, n]) => `${e} ${n}`)
    .join(", ");
  return (
    `      ${s.steps} steps (${s.calls} calls, ${s.refused} refused) in ${Math.round(ms / 1000)} s; ` +
    `every invariant held after each step\n      accepted/refused: ${kinds}\n      refusals: ${errors}`
  );
}

describe("contract invariants under random sequences (real chain, accept-all verifier)", function () {
  let w: FuzzWorld;

  before(async function () {
    w = await deployFuzzWorld();
  });

  it(`holds after every step: ${RUNS} runs of up to ${STEPS} steps, seed ${SEED}`, async function () {
    const stats = newStats();
    const t0 = Date.now();
    await fc.assert(
      fc.asyncProperty(stepSequences(STEPS), async (cmds) => {
        await fc.asyncModelRun(async () => {
          await resetFuzzWorld(w);
          return { model: await initModel(w), real: { w, stats } };
        }, cmds);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: !SHRINK },
    );
    console.log(report(stats, Date.now() - t0));
    assert.ok(stats.steps > 0);
  });

  describe("each check can fail", function () {
    let base: Observed;
    let model: Awaited<ReturnType<typeof initModel>>;

    before(async function () {
      await resetFuzzWorld(w);
      model = await initModel(w);
      // the chain as deployed, which the model agrees with; each case then alters one reading
      base = await observe(w, model);
      assert.deepEqual(violations(model, base), []);
    });

    const broken = (o: Partial<Observed>) =>
      violations(model, { ...base, ...o }).map((v) => v.invariant);

    it("solvency: a Vault holding less than it owes, or an exit pool off its accounting", function () {
      // the model's tree holds 10 units the Vault does not
      model.treeValue = 10n;
      try {
        assert.ok(violations(model, base).some((v) => v.invariant === "solvency"));
      } finally {
        model.treeValue = 0n;
      }
      assert.ok(broken({ exitPool: base.exitPool + 1n }).includes("solvency"));
      // a delayed credit the model's totalOwed does not count
      model.delayed.push({
        recipient: model.watched[0],
        amount: 5n,
        time: 0,
        pausedAt: 0,
        paid: false,
      });
      try {
        assert.ok(violations(model, base).some((v) => v.invariant === "solvency"));
      } finally {
        model.delayed.pop();
      }
      assert.ok(broken({ settlementEth: -1n }).includes("solvency"));
    });

    it("root: a root or a batch count the model did not see move", function () {
      assert.deepEqual(broken({ root: base.root + 1n }), ["root"]);
      assert.deepEqual(broken({ batchCount: 1 }), ["root"]);
    });

    it("model: a delayed credit the model did not predict", function () {
      assert.deepEqual(broken({ delayedCount: 1 }), ["model"]);
    });

    it("funds: tokens leaving the Vault, an unfrozen exchange, a role nobody granted", function () {
      const vault = base.vaultBalance;
      assert.ok(broken({ vaultBalance: vault + 1n }).includes("funds"));
      const someone = model.watched[5];
      assert.ok(broken({ balances: { ...base.balances, [someone]: 1n } }).includes("funds"));
      assert.ok(broken({ owed: { ...base.owed, [someone]: 1n } }).includes("funds"));
      assert.ok(broken({ frozen: true }).includes("funds"));
      assert.ok(broken({ roles: { ...base.roles, operator: [someone] } }).includes("funds"));
    });

    it("refusal: the digest of the observed state changes with any field", async function () {
      const d = digest(base);
      assert.equal(digest(await observe(w, model)), d);
      for (const o of [
        { pausedUntil: 1 },
        { depositCount: 1 },
        { forcedCount: 1 },
        { totalOwed: 1n },
        { pool: 1n },
      ] as Partial<Observed>[])
        assert.notEqual(digest({ ...base, ...o }), d);
    });

    it("model: a call the model predicts refused is caught when it succeeds (and the reverse)", async function () {
      const stats = newStats();
      // freezing with nothing overdue is refused: the model predicts NothingOverdue
      await runStep(w, model, { kind: "freeze", who: "stranger", wait: false }, stats);
      assert.equal(stats.errors.NothingOverdue, 1);
      // a model that believes the exchange frozen predicts a deposit refused: the chain accepts
      model.frozenAt = 1;
      await assert.rejects(
        runStep(
          w,
          model,
          {
            kind: "deposit",
            who: "alice",
            target: "new",
            amount: "one",
            some: 1n,
            badKey: false,
            pick: 0,
          },
          stats,
        ),
        /expected ExchangeFrozen, got success/,
      );
      model.frozenAt = 0;
    });
  });
});
