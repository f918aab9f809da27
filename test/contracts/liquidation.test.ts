import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type Contract } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { signOffer } from "../../prover/src/domain/offer.ts";
import type { BatchData } from "../../prover/src/domain/batch.ts";
import { batchFileName } from "../../prover/src/engine/batch-file.ts";
import { audit, codes, tempDir } from "../audit/helpers.ts";
import {
  deposit,
  postRound,
  fundMove,
  proveLiquidations,
  settleDeposits,
  settleLiquidations,
  writeBatchFile,
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
/** What the fund owner moves from the fund's 5,000,000 into BTC's compartment. */
const MOVED = 3_000_000n;

describe("liquidations on-chain with real proofs (test parameters)", function () {
  let w: World;
  /** Every settled batch's data, by batch number, for the auditor. */
  const settled: BatchData[] = [];
  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s = await signers(4);
    w = await setupWorld(P, s[0], [s[1], s[2], s[3]]);
    const [thin, rich, thin2] = w.participants;
    await deposit(w, thin, 1_000_000n); // 10,000.00 against a 60,000.00 lot: 10% margin
    await deposit(w, rich, 100_000_000n);
    await deposit(w, thin2, 1_000_000n);
    settled.push((await settleDeposits(w)).data);
    await deposit(
      w,
      { signer: rich.signer, keys: rich.keys, account: INSURANCE_ACCOUNT },
      5_000_000n,
    ); // fund top-up
    settled.push((await settleDeposits(w)).data);
    await postRound(w, MARKS);
    const t = (x: typeof thin) => ({ index: x.account!, keys: x.keys });
    // thin and thin2 each buy 1 lot from rich (one order of 2 lots, filled twice)
    const trades = await settleTradeBatch(
      w,
      [thin, thin2].map((buyer) => ({
        buy: order(w, t(buyer), {
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
          amount: 2n,
          limitPrice: MARKS[0],
        }),
        qty: 1n,
        price: MARKS[0],
        takerIsBuyer: true,
      })),
    );
    settled.push(trades.data);
  });

  it("settles a proven liquidation after a price crash; the event carries the prices", async function () {
    const thin = w.participants[0].account!;
    await postRound(w, [40_000_00n, MARKS[1]]);
    const fundBefore = w.state.getAccount(INSURANCE_ACCOUNT).collateral;
    // the batch carries the fund owner's move into BTC's compartment, which pays the shortfall
    const { data: r, proof } = await proveLiquidations(w, [thin], undefined, fundMove(w, 0, MOVED));
    settled.push(r);
    const fund = w.state.getAccount(INSURANCE_ACCOUNT);
    assert.equal(fund.collateral, fundBefore - MOVED);
    assert.ok(compartmentValues(fund, [40_000_00n, MARKS[1]])[0] < MOVED, "BTC's compartment pays");
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

  it("settles a proven liquidation whose position a liquidator takes under its signed offer", async function () {
    // rich (short 2 lots) takes thin2's long lot at the crash mark for 50 bps of its value
    const [, rich, thin2] = w.participants;
    const offer = signOffer(
      {
        account: rich.account!,
        nonce: 1n,
        terms: [
          { maxSize: 5n, discountBps: 50n },
          { maxSize: 0n, discountBps: 0n },
        ],
      },
      rich.keys.privateKey,
      P.markets,
      w.state.domain,
    );
    const richBefore = w.state.getAccount(rich.account!);
    const r = await settleLiquidations(w, [thin2.account!], [{ offer, take: [true, false] }]);
    settled.push(r.data);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
    assert.equal(r.data.newRoot, w.state.root);
    const richAfter = w.state.getAccount(rich.account!);
    assert.equal(richAfter.positions[0].size, richBefore.positions[0].size + 1n);
    assert.equal(richAfter.collateral, richBefore.collateral + (40_000_00n * 50n) / 10_000n);
    assert.equal(w.state.getAccount(thin2.account!).positions[0].size, 0n);
  });

  it("the auditor replays the liquidation with a liquidator from its file, and finds taker records other than the proven ones", async function () {
    const dir = tempDir("zkclear-liquidators-");
    settled.forEach((d, n) => writeBatchFile(w, dir, n, d));
    assert.deepEqual(codes(await audit(w, dir)), []);
    const n = settled.length - 1;
    const file = path.join(dir, batchFileName(n));
    const f = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.equal(f.takers.length, 1);
    // the liquidator's discount lowered in the file: the records no longer hash to the
    // commitment the proof bound
    f.takers[0].offer.terms[0].discountBps = "40";
    fs.writeFileSync(file, JSON.stringify(f));
    assert.deepEqual(codes(await audit(w, dir)), [`${n}:FILE_TAMPERED`]);
  });
});
