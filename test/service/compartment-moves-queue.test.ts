import assert from "node:assert/strict";
import type { Contract } from "ethers";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { signCompartmentMove } from "../../prover/src/domain/compartment-moves.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant } from "../../prover/src/dev/onchain.ts";
import { increaseTime, signers } from "../helpers/chain.ts";
import { fundCompartment, startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];
const FUND_KEY = devOwnerKeys().fund.privateKey;

/**
 * The fund owner's compartment moves share the fund's withdrawal nonces with its
 * withdrawals (service/compartment-moves.ts): whatever happens to a request ahead of a move,
 * or to the batch that carries it, the fund's queue must not wedge.
 */
describe("operator: the fund's queue of withdrawals and compartment moves", function () {
  describe("a fund withdrawal refused at its cut", function () {
    let rig: OperatorRig;
    before(async function () {
      rig = await startOperator(2, "zkclear-move-queue-");
    });
    after(async function () {
      await rig.close();
    });

    it("refuses the move queued behind it too, so the fund's next nonce is free again", async function () {
      const { w, op, store } = rig;
      const [thin, rich] = w.participants as Participant[];
      await deposit(w, thin, 1_000_000n);
      await deposit(w, rich, 100_000_000n);
      await deposit(
        w,
        { signer: rich.signer, keys: rich.keys, account: INSURANCE_ACCOUNT },
        5_000_000n,
      );
      await postRound(w, MARKS);
      await op.tick();
      const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
      const limitPrice = MARKS[0];
      op.submitOrder(
        order(w, t(rich), { market: 0, side: "sell", nonce: 1n, amount: 1n, limitPrice }),
      );
      op.submitOrder(
        order(w, t(thin), { market: 0, side: "buy", nonce: 1n, amount: 1n, limitPrice }),
      );
      await op.tick({ flushTrades: true });
      // BTC's compartment pays thin's shortfall at the crash; the fund then holds thin's long
      fundCompartment(rig, 0, 3_000_000n);
      await postRound(w, [40_000_00n, MARKS[1]]);
      await op.tick();
      const fund = op.state.getAccount(INSURANCE_ACCOUNT);
      assert.equal(fund.positions[0].size, 1n);
      assert.equal(fund.withdrawNonce, 1n);
      // the whole reserve out (nonce 1), then a move (nonce 2); a deeper fall before the cut
      // leaves the fund short of its margin, so the withdrawal is refused at its cut
      const recipient = BigInt(await rich.signer.getAddress());
      const wid = op.requestWithdrawal(
        signWithdrawal(
          { account: INSURANCE_ACCOUNT, nonce: 1n, amount: fund.collateral, recipient },
          FUND_KEY,
          op.state.domain,
        ),
      );
      const move = (nonce: bigint, market: number, amount: bigint, toReserve: boolean) =>
        signCompartmentMove({ market, nonce, amount, toReserve }, 2, FUND_KEY, op.state.domain);
      // out of BTC's compartment (it holds 19,970.00 above its 2,000.00 requirement)
      const mid = op.requestCompartmentMove(move(2n, 0, 100_000n, true));
      // (to 21,000.00: BTC's compartment keeps about 94,000 of its cover, above 0, so
      // nothing is deleveraged, but below the long's requirement once the reserve is gone)
      await postRound(w, [21_000_00n, MARKS[1]]);
      for (let i = 0; i < 3; i++) await op.tick();
      assert.equal(store.withdrawals.get(wid)?.status, "refused");
      assert.equal(store.withdrawals.get(mid)?.status, "refused");
      assert.match(store.withdrawals.get(mid)?.reason ?? "", new RegExp(`follows request ${wid}`));
      // nonce 1 is the fund's next again: a new move takes it and lands
      const again = op.requestCompartmentMove(move(1n, 1, 1n, false));
      await op.tick();
      assert.equal(store.withdrawals.get(again)?.status, "batched");
      assert.equal(op.state.getAccount(INSURANCE_ACCOUNT).withdrawNonce, 2n);
    });
  });

  describe("a liquidation batch carrying a move, cut again after a late batch", function () {
    let rig: OperatorRig;
    before(async function () {
      rig = await startOperator(2, "zkclear-move-redo-", { waitMs: 1500 });
    });
    after(async function () {
      await rig.close();
    });

    it("returns the move to the queue, and the next liquidation batch carries it", async function () {
      const { w } = rig;
      const [alice, bob] = w.participants as Participant[];
      await deposit(w, alice, 1_000_000_00n);
      await deposit(w, bob, 1_000_000_00n);
      await deposit(
        w,
        { signer: bob.signer, keys: bob.keys, account: INSURANCE_ACCOUNT },
        5_000_000n,
      );
      await rig.op.tick();
      await postRound(w, MARKS);
      await rig.op.tick();
      const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
      const limitPrice = MARKS[0];
      rig.op.submitOrder(
        order(w, t(alice), { market: 0, side: "sell", nonce: 1n, amount: 2n, limitPrice }),
      );
      rig.op.submitOrder(
        order(w, t(bob), { market: 0, side: "buy", nonce: 1n, amount: 2n, limitPrice }),
      );
      // the guardian's pause keeps the trade batch from landing at its round
      const [guardian] = await signers(1);
      const settlement = w.d.settlement.connect(guardian) as Contract;
      await (await settlement.getFunction("pause")(3600n)).wait();
      await assert.rejects(rig.op.tick({ flushTrades: true }), /paused/);
      const id = fundCompartment(rig, 0, 1_000_000n);
      await rig.op.tick().catch(() => {});
      // a new round supersedes the trade batch's: it is late, and the batches after it with it
      await postRound(w, [MARKS[0] + 100n, MARKS[1]]);
      await increaseTime(DEPLOY_DEFAULTS.roundGrace + 1);
      await (await settlement.getFunction("unpause")()).wait();
      for (let i = 0; i < 20 && !rig.store.batches().some((b) => b.status === "dropped"); i++) {
        await new Promise((r) => setTimeout(r, 600));
        await rig.op.tick().catch(() => {});
      }
      for (let i = 0; i < 3; i++) await rig.op.tick({ flushTrades: true });
      const liquidations = rig.store.batches().filter((b) => b.kind === "liquidations");
      assert.deepEqual(
        liquidations.map((b) => b.status),
        ["dropped", "settled"],
      );
      assert.equal(rig.store.withdrawals.get(id)?.status, "batched");
      assert.equal(rig.op.state.getAccount(INSURANCE_ACCOUNT).withdrawNonce, 1n);
      assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
    });
  });
});
