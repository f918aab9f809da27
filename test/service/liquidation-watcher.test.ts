import assert from "node:assert/strict";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import type { Store } from "../../prover/src/store/store.ts";
import { Operator, OperatorError } from "../../prover/src/service/operator.ts";
import { fundCompartment, startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];

describe("operator: liquidation watcher", function () {
  let w: World;
  let thin: Participant;
  let rich: Participant;
  let rig: OperatorRig;
  let store: Store;
  let op: Operator;

  before(async function () {
    rig = await startOperator(2, "zkclear-liq-");
    ({ w, store, op } = rig);
    [thin, rich] = w.participants;
    await deposit(w, thin, 1_000_000n);
    await deposit(w, rich, 100_000_000n);
    await op.tick();
    await deposit(
      w,
      { signer: rich.signer, keys: rich.keys, account: INSURANCE_ACCOUNT },
      5_000_000n,
    );
    await postRound(w, MARKS);
    await op.tick();
  });

  after(async function () {
    await rig.close();
  });

  it("liquidates an account a price crash puts below maintenance, ahead of trades, and refuses its orders meanwhile", async function () {
    const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
    op.submitOrder(
      order(w, t(rich), { market: 0, side: "sell", nonce: 1n, amount: 1n, limitPrice: MARKS[0] }),
    );
    op.submitOrder(
      order(w, t(thin), { market: 0, side: "buy", nonce: 1n, amount: 1n, limitPrice: MARKS[0] }),
    );
    await op.tick({ flushTrades: true });
    assert.equal(op.state.getAccount(thin.account!).positions[0].size, 1n);
    // a resting order of the thin account, then the crash
    op.submitOrder(
      order(w, t(thin), {
        market: 1,
        side: "buy",
        nonce: 1n,
        amount: 1n,
        limitPrice: MARKS[1] - 1000n,
      }),
    );
    // the fund owner funds BTC's compartment: the crash batch carries the move, then the
    // liquidation whose 1,000,000 shortfall the compartment pays
    fundCompartment(rig, 0, 2_000_000n);
    await postRound(w, [40_000_00n, MARKS[1]]);
    const settledBefore = op.metrics.batchesSettled.liquidations;
    const ticking = op.tick();
    await ticking;
    const liq = op.batches().filter((b) => b.kind === "liquidations");
    assert.equal(liq.length, 1);
    assert.deepEqual((liq[0].body as { accounts: readonly bigint[] }).accounts, [thin.account]);
    assert.equal(liq[0].status, "settled");
    assert.equal(op.metrics.batchesSettled.liquidations, settledBefore + 1);
    assert.equal(op.state.getAccount(thin.account!).positions[0].size, 0n);
    assert.equal(op.state.getAccount(INSURANCE_ACCOUNT).positions[0].size, 1n);
    assert.equal(
      store.openOrders().filter((o) => o.signed.order.account === thin.account).length,
      0,
      "its resting order was cancelled",
    );
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);
    // healthy accounts are left alone
    assert.equal(op.state.getAccount(rich.account!).positions[0].size, -1n);
  });

  it("refuses orders from an account while its liquidation is pending", function () {
    // simulate the window between cutting and settling the liquidation batch
    (op as unknown as { ctx: { liquidating: Set<bigint> } }).ctx.liquidating.add(thin.account!);
    const o = order(
      w,
      { index: thin.account!, keys: thin.keys },
      { market: 0, side: "buy", nonce: 5n, amount: 1n, limitPrice: 1n },
    );
    assert.throws(
      () => op.submitOrder(o),
      (e: unknown) => e instanceof OperatorError && e.code === "ACCOUNT_IN_LIQUIDATION",
    );
    (op as unknown as { ctx: { liquidating: Set<bigint> } }).ctx.liquidating.delete(thin.account!);
  });
});
