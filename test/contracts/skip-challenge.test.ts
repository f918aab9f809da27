import assert from "node:assert/strict";
import type { Contract } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { skipProofInput, skippedAccounts } from "../../prover/src/engine/skip-proof.ts";
import { toSolidityProof } from "../../prover/src/chain/calldata.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, revertName, signers } from "../helpers/chain.ts";
import {
  crashWorld,
  settleForgedDeleveraging,
  type CrashWorld,
} from "../helpers/forged-deleveraging.ts";

const P = PARAM_SETS.test;

/**
 * Skip proofs on a real chain with real proofs (DeleverageChallenge): an operator settles
 * a liquidation batch whose deleveraging leaves the top-ranked short out; a stranger
 * proves it and the exchange freezes. An honest batch admits no skip proof.
 */
describe("skip proofs on-chain: a deleveraging that leaves out a ranked account freezes the exchange (test parameters)", function () {
  let cw: CrashWorld;
  let forged: Awaited<ReturnType<typeof settleForgedDeleveraging>>;
  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    cw = await crashWorld();
    forged = await settleForgedDeleveraging(cw);
    // the world's state goes back to the batch's start: what a skip proof is built from
    forged.undo();
  });

  it("settles a batch that deleverages the lower-ranked short only, then a stranger's skip proof freezes the exchange", async function () {
    const { w, richShort, leveredShort } = cw;
    const { n, data, r } = forged;
    const before = w.state;
    // the circuit cannot see completeness: the chain accepted the batch
    assert.deepEqual(
      r.deleveraged[0].entries.map((e) => e.account),
      [richShort],
    );
    // the forged batch left one of the fund's two lots unplaced
    assert.deepEqual([r.deleveraged[0].fundSize, r.deleveraged[0].entries[0].lots], [2n, 1n]);
    assert.deepEqual(skippedAccounts(before, data, P), [{ market: 0, account: leveredShort }]);
    const input = skipProofInput(before, data, P, leveredShort, 0);
    const skip = await w.prover.prove(
      "skipped_deleverage",
      CIRCUITS.skipped_deleverage.toSignals(input),
    );
    const stranger = (await signers(5))[4];
    const challenge = w.d.settlement.connect(stranger) as Contract;
    const prove = challenge.getFunction("proveSkippedDeleverage");
    const sp = toSolidityProof(skip.proof);
    const args = [n, sp, data.dataCommitment, input.priceConfigHash, leveredShort, 0n] as const;
    // refused: a batch that is not a liquidation batch, another batch's commitment, a
    // proof for another account
    await assert.rejects(
      prove.staticCall(n - 1n, ...args.slice(1)),
      (e: unknown) => revertName(e) === "NotALiquidationBatch",
    );
    await assert.rejects(
      prove.staticCall(n, sp, data.dataCommitment + 1n, input.priceConfigHash, leveredShort, 0n),
      (e: unknown) => revertName(e) === "LiquidationMismatch",
    );
    await assert.rejects(
      prove.staticCall(n, sp, data.dataCommitment, input.priceConfigHash, richShort, 0n),
      (e: unknown) => revertName(e) === "InvalidSkipProof",
    );
    const rc = await (await prove(...args)).wait();
    const names = rc.logs.map(
      (l: { topics: string[]; data: string }) => challenge.interface.parseLog(l)?.name,
    );
    assert.ok(names.includes("DeleverageSkipProven"), names.join(", "));
    assert.ok(names.includes("Frozen"), names.join(", "));
    assert.equal(await challenge.getFunction("frozen")(), true);
    assert.equal(await challenge.getFunction("frozenRoot")(), r.newRoot);
    // once frozen, no second proof
    await assert.rejects(
      prove.staticCall(...args),
      (e: unknown) => revertName(e) === "ExchangeFrozen",
    );
  });

  it("finds nothing to prove against the honest deleveraging of the same batch", function () {
    const before = cw.w.state;
    const d = forged.data;
    before.startJournal();
    const r = liquidate(
      before,
      [cw.thin],
      d.marks,
      P.liquidations,
      { deleverages: P.deleverages },
      d.fundingIndices,
      d.margins,
    );
    before.rollback(before.stopJournal());
    const honest = {
      ...d,
      newRoot: r.newRoot,
      dataCommitment: r.dataCommitment,
      deleveraged: r.deleveraged,
    };
    assert.deepEqual(
      r.deleveraged[0].entries.map((e) => e.account),
      [cw.leveredShort, cw.richShort],
    );
    assert.deepEqual(skippedAccounts(before, honest, P), []);
  });
});
