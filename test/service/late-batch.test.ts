import assert from "node:assert/strict";
import type { Contract } from "ethers";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant } from "../../prover/src/dev/onchain.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { increaseTime, provider, signers } from "../helpers/chain.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";
import type { BatchBody } from "../../prover/src/service/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];

/**
 * A trade batch that reaches Settlement after its oracle round's window (here: held back
 * by a pause while a newer round is posted and the grace runs out) is refused as late
 * (RoundSuperseded); the operator does not halt: it drops the batch and cuts the same
 * fills again at the latest round, and they settle.
 */
describe("operator: a batch late for its oracle round is cut again at the latest round", function () {
  let rig: OperatorRig;
  let alice: Participant;
  let bob: Participant;

  before(async function () {
    rig = await startOperator(2, "zkclear-late-", { waitMs: 1500 });
    [alice, bob] = rig.w.participants;
    await deposit(rig.w, alice, 1_000_000_00n);
    await deposit(rig.w, bob, 1_000_000_00n);
    await rig.op.tick();
    await postRound(rig.w, MARKS);
    await rig.op.tick();
  });

  after(async function () {
    await rig.close();
  });

  it("drops the late batch, keeps the reported fills and settles them at the new round", async function () {
    const w = rig.w;
    const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
    const sell = rig.op.submitOrder(
      order(w, t(alice), { market: 0, side: "sell", nonce: 1n, amount: 2n, limitPrice: MARKS[0] }),
    );
    const buy = rig.op.submitOrder(
      order(w, t(bob), { market: 0, side: "buy", nonce: 1n, amount: 2n, limitPrice: MARKS[0] }),
    );
    assert.equal(buy.status, "filled");
    const [guardian] = await signers(1);
    const s = w.d.settlement.connect(guardian) as Contract;
    await (await s.getFunction("pause")(3600n)).wait();
    // cut and proved at round 1, held back by the pause
    await assert.rejects(rig.op.tick({ flushTrades: true }), /paused/);
    const [held] = rig.store.batches().filter((b) => b.kind === "trades");
    assert.equal(held.status, "proved");
    // a newer round, and its grace runs out
    await postRound(w, [MARKS[0] + 100n, MARKS[1]]);
    await increaseTime(DEPLOY_DEFAULTS.roundGrace + 1);
    await (await s.getFunction("unpause")()).wait();
    for (let i = 0; i < 20 && rig.store.getBatch(held.id)?.status !== "dropped"; i++) {
      await new Promise((r) => setTimeout(r, 600));
      await rig.op.tick().catch(() => {});
    }
    assert.equal(rig.store.getBatch(held.id)?.status, "dropped");
    assert.match(rig.store.getBatch(held.id)?.error ?? "", /RoundSuperseded/);
    assert.equal(rig.op.halted, undefined);
    await rig.op.tick({ flushTrades: true });
    const again = rig.store
      .batches<BatchBody>()
      .filter((b) => b.kind === "trades" && b.id > held.id && b.status === "settled");
    assert.equal(again.length, 1);
    assert.equal(again[0].body.kind === "trades" && again[0].body.round, w.round);
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
    for (const ack of [sell, buy]) assert.equal(rig.store.getOrder(ack.id)?.status, "filled");
    assert.equal(rig.op.state.getAccount(bob.account!).positions[0].size, 2n);
  });

  it("asks Settlement why a transaction mined too late reverted, and cuts its fills again at a newer round", async function () {
    const w = rig.w;
    const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
    const before = Math.max(...rig.store.batches().map((b) => b.id));
    const trades = () =>
      rig.store.batches<BatchBody>().filter((b) => b.kind === "trades" && b.id > before);
    rig.op.submitOrder(
      order(w, t(alice), {
        market: 0,
        side: "sell",
        nonce: 2n,
        amount: 1n,
        limitPrice: w.marks[0],
      }),
    );
    rig.op.submitOrder(
      order(w, t(bob), { market: 0, side: "buy", nonce: 2n, amount: 1n, limitPrice: w.marks[0] }),
    );
    await provider.send("evm_setAutomine", [false]);
    try {
      await rig.op.tick({ flushTrades: true });
      const [sent] = trades();
      assert.equal(sent.status, "submitted");
      // the block that mines it comes after the round's age ran out: it reverts
      await provider.send("evm_increaseTime", [DEPLOY_DEFAULTS.maxPriceAge + 1]);
      await provider.send("evm_mine", []);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
    await rig.op.tick();
    assert.equal(rig.op.halted, undefined, "a late transaction is not a halt");
    await postRound(w, w.marks);
    for (let i = 0; i < 10; i++) {
      await rig.op.tick({ flushTrades: true }).catch(() => {});
      if (trades().some((b) => b.status === "settled")) break;
    }
    assert.deepEqual(
      trades().map((b) => b.status),
      ["dropped", "settled"],
    );
    assert.equal(rig.op.halted, undefined);
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
  });
});
