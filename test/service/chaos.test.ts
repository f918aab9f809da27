import assert from "node:assert/strict";
import { runChaos } from "../../prover/src/dev/chaos.ts";

/**
 * The chaos run's short version (`npm run chaos` kills 20 times or more): the real service
 * killed with SIGKILL at random moments while orders, cancels and withdrawals arrive;
 * runChaos fails on a lost order, fill or withdrawal, a batch landed twice or missing,
 * roots that differ, or a failed audit.
 */
describe("operator service: a short chaos run (real processes)", function () {
  it("accounts for every acknowledged order, fill, cancel and withdrawal through 3 SIGKILLs", async function () {
    const r = await runChaos({ kills: 3, seed: 7 });
    assert.equal(r.kills, 3);
    assert.ok(r.orders > 0 && r.batches > 1, JSON.stringify(r));
  });
});
