import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { runChainDemo } from "../../prover/src/dev/chain-demo.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, signers } from "../helpers/chain.ts";

describe("the demo (npm run demo) on the test parameter set", function () {
  after(terminateCurve);

  it("settles deposits, trades and withdrawals on-chain and ends at the engine's root", async function () {
    await prepareTestContracts();
    const s = await signers(5);
    const r = await runChainDemo(PARAM_SETS.test, s[0], s.slice(1), () => {}, 1);
    assert.deepEqual(
      r.batches.map((b) => b.kind),
      ["deposits", "trades", "withdrawals"],
    );
    for (let i = 1; i < r.batches.length; i++)
      assert.equal(r.batches[i].oldRoot, r.batches[i - 1].newRoot);
    assert.equal(r.onChainRoot, r.finalRoot);
    assert.ok(r.batches.every((b) => b.gasUsed > 0n));
  });
});
