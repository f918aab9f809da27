import assert from "node:assert/strict";
import { type Contract } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  proveLiquidations,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  type World,
  devAttestations,
  devAttestationsFor,
} from "../../prover/src/dev/onchain.ts";
import { toSolidityProof } from "../../prover/src/chain/calldata.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, revertName, signers } from "../helpers/chain.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];

describe("liquidations on-chain with real proofs (test parameters)", function () {
  let w: World;
  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]]);
    const [thin, rich] = w.participants;
    await deposit(w, thin, 1_000_000n); // 10,000.00 against a 60,000.00 lot: 10% margin
    await deposit(w, rich, 100_000_000n);
    await settleDeposits(w);
    await deposit(
      w,
      { signer: rich.signer, keys: rich.keys, account: INSURANCE_ACCOUNT },
      5_000_000n,
    ); // fund top-up
    await settleDeposits(w);
    await postRound(w, MARKS);
    const t = (x: typeof thin) => ({ index: x.account!, keys: x.keys });
    await settleTradeBatch(w, [
      {
        buy: order(w, t(thin), {
          market: 0,
          side: "buy",
          nonce: 1n,
          amount: 1n,
          limitPrice: MARKS[0],
        }),
        sell: order(w, t(rich), {
          market: 0,
          side: "sell",
          nonce: 1n,
          amount: 1n,
          limitPrice: MARKS[0],
        }),
        qty: 1n,
        price: MARKS[0],
        takerIsBuyer: true,
      },
    ]);
  });

  it("settles a proven liquidation after a price crash; the event carries the prices", async function () {
    const thin = w.participants[0].account!;
    await postRound(w, [40_000_00n, MARKS[1]]);
    const fundBefore = w.state.getAccount(INSURANCE_ACCOUNT).collateral;
    const { data: r, proof } = await proveLiquidations(w, [thin]);
    assert.ok(
      w.state.getAccount(INSURANCE_ACCOUNT).collateral < fundBefore,
      "the fund covers the shortfall",
    );
    const submit = w.d.settlement.getFunction("submitLiquidations");
    const sp = toSolidityProof(proof.proof);
    await assert.rejects(
      submit.staticCall(
        sp,
        r.oldRoot,
        r.newRoot + 1n,
        r.dataCommitment,
        w.round,
        await devAttestationsFor(
          w.d,
          "liquidations",
          r.oldRoot,
          r.newRoot + 1n,
          r.dataCommitment,
          w.round,
        ),
      ),
      (e: unknown) => revertName(e) === "InvalidProof",
    );
    await assert.rejects(
      submit.staticCall(
        sp,
        r.oldRoot,
        r.newRoot,
        r.dataCommitment + 1n,
        w.round,
        await devAttestationsFor(
          w.d,
          "liquidations",
          r.oldRoot,
          r.newRoot,
          r.dataCommitment + 1n,
          w.round,
        ),
      ),
      (e: unknown) => revertName(e) === "InvalidProof",
    );
    const rc = await (
      await submit(
        sp,
        r.oldRoot,
        r.newRoot,
        r.dataCommitment,
        w.round,
        await devAttestations(w.d, r),
      )
    ).wait();
    const ev = rc.logs
      .map((l: { topics: string[]; data: string }) =>
        (w.d.settlement as Contract).interface.parseLog(l),
      )
      .find((e: { name: string } | null) => e?.name === "LiquidationsSettled");
    assert.deepEqual([...ev.args.prices], [40_000_00n, MARKS[1]]);
    assert.equal(ev.args.roundId, w.round);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
    assert.equal(w.state.getAccount(thin).positions[0].size, 0n);
    assert.equal(w.state.getAccount(INSURANCE_ACCOUNT).positions[0].size, 1n);
  });
});
