import assert from "node:assert/strict";
import type { Contract } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import type { BatchDataOf } from "../../prover/src/domain/batch.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { submitProven } from "../../prover/src/service/pipeline.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { skipProofInput, skippedAccounts } from "../../prover/src/engine/skip-proof.ts";
import { toSolidityProof } from "../../prover/src/chain/calldata.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, revertName, signers } from "../helpers/chain.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
const CRASH = [40_000_00n, 3_000_00n];

/**
 * Skip proofs on a real chain with real proofs (DeleverageChallenge): an operator settles
 * a liquidation batch whose deleveraging leaves the top-ranked short out; a stranger
 * proves it and the exchange freezes. An honest batch admits no skip proof.
 */
describe("skip proofs on-chain: a deleveraging that leaves out a ranked account freezes the exchange (test parameters)", function () {
  let w: World;
  let stranger: Awaited<ReturnType<typeof signers>>[number];
  let forgedBatch: { n: bigint; data: BatchDataOf<"liquidations"> };
  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s = await signers(5);
    stranger = s[4];
    // a 33 % crash: the breaker is not what this test is about
    w = await setupWorld(P, s[0], [s[1], s[2], s[3]], { breakerMoveBps: 10_000 });
    const [thin, richShort, leveredShort] = w.participants;
    await deposit(w, thin, 1_300_000n); // 2 lots of 60,000.00 on 13,000.00
    await deposit(w, richShort, 100_000_000n);
    await deposit(w, leveredShort, 2_000_000n);
    while (w.pending.length > 0) await settleDeposits(w);
    await postRound(w, MARKS);
    const t = (x: typeof thin) => ({ index: x.account!, keys: x.keys });
    // thin buys a lot from each short
    await settleTradeBatch(
      w,
      [richShort, leveredShort].map((seller, i) => ({
        buy: order(w, t(thin), {
          market: 0,
          side: "buy",
          nonce: 1n,
          amount: 2n,
          limitPrice: MARKS[0],
        }),
        sell: order(w, t(seller), {
          market: 0,
          side: "sell",
          nonce: 1n + BigInt(i),
          amount: 1n,
          limitPrice: MARKS[0],
        }),
        qty: 1n,
        price: MARKS[0],
        takerIsBuyer: true,
      })),
    );
    await postRound(w, CRASH);
  });

  it("settles a batch that deleverages the lower-ranked short only, then a stranger's skip proof freezes the exchange", async function () {
    const [thin, richShort, leveredShort] = w.participants.map((p) => p.account!);
    // the operator's forged deleveraging: the ranking without its first (leveredShort)
    w.state.startJournal();
    const r = liquidate(
      w.state,
      [thin],
      w.marks,
      P.liquidations,
      {
        unchecked: true,
        deleverages: P.deleverages,
        forgeDeleverage: { markets: [0], ranking: (rk) => rk.slice(1) },
      },
      w.fundingIndices,
      w.margins,
    );
    // the world's state goes back to the batch's start: what a skip proof is built from
    w.state.rollback(w.state.stopJournal());
    const before = w.state;
    assert.deepEqual(
      r.deleveraged[0].entries.map((e) => e.account),
      [richShort],
    );
    const data: BatchDataOf<"liquidations"> = {
      kind: "liquidations",
      accounts: [thin],
      takers: [null],
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
      oldRoot: r.oldRoot,
      newRoot: r.newRoot,
      dataCommitment: r.dataCommitment,
      deleveraged: r.deleveraged,
      funding: [],
    };
    const proof = await w.prover.prove(
      "liquidate_batch",
      CIRCUITS.liquidate_batch.toSignals(r.input),
    );
    const n = (await w.d.settlement.getFunction("batchCount")()) as bigint;
    // the circuit cannot see completeness: the chain accepts the batch
    await submitProven(w.chain, data, proof);
    forgedBatch = { n, data };
    assert.deepEqual(skippedAccounts(before, data, P), [{ market: 0, account: leveredShort }]);
    const input = skipProofInput(before, data, P, leveredShort, 0);
    const skip = await w.prover.prove(
      "skipped_deleverage",
      CIRCUITS.skipped_deleverage.toSignals(input),
    );
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
    // once frozen, no second proof and no batch
    await assert.rejects(
      prove.staticCall(...args),
      (e: unknown) => revertName(e) === "ExchangeFrozen",
    );
    // the forged batch left one of the fund's two lots unplaced
    assert.deepEqual([r.deleveraged[0].fundSize, r.deleveraged[0].entries[0].lots], [2n, 1n]);
  });

  it("finds nothing to prove against the honest deleveraging of the same batch", function () {
    const before = w.state;
    before.startJournal();
    const r = liquidate(
      before,
      [forgedBatch.data.accounts[0]],
      forgedBatch.data.marks,
      P.liquidations,
      { deleverages: P.deleverages },
      forgedBatch.data.fundingIndices,
      forgedBatch.data.margins,
    );
    before.rollback(before.stopJournal());
    const data = {
      ...forgedBatch.data,
      newRoot: r.newRoot,
      dataCommitment: r.dataCommitment,
      deleveraged: r.deleveraged,
    };
    assert.equal(r.deleveraged[0].entries.length, 2);
    assert.deepEqual(skippedAccounts(before, data, P), []);
  });
});
