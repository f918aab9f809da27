import assert from "node:assert/strict";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import type { Store } from "../../prover/src/store/store.ts";
import { Operator, OperatorError } from "../../prover/src/service/operator.ts";
import type { ChainClient } from "../../prover/src/chain/client.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";
import { cancelMessage } from "../../prover/src/domain/messages.ts";

const MARKS = [60_000_00n, 3_000_00n];

describe("operator: sequencing, batches, proofs and settlement on a real chain", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let rig: OperatorRig;
  let store: Store;
  let chain: ChainClient;
  let op: Operator;

  const trader = (x: Participant) => ({ index: x.account!, keys: x.keys });
  const codeOf = (f: () => unknown) => {
    try {
      f();
      return "accepted";
    } catch (e) {
      return (e as OperatorError).code;
    }
  };

  before(async function () {
    rig = await startOperator(2, "zkclear-op-");
    ({ w, store, op, chain } = rig);
    [alice, bob] = w.participants;
  });

  after(async function () {
    await rig.close();
  });

  it("credits on-chain deposits in a proven batch", async function () {
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await op.tick();
    assert.equal(op.state.getAccount(3n).collateral, 1_000_000_00n);
    assert.equal(await chain.stateRoot(), op.state.root);
    assert.deepEqual(
      store.batches().map((b) => [b.kind, b.status]),
      [["deposits", "settled"]],
    );
  });

  it("refuses orders before prices, with bad signatures, used nonces or unknown accounts", async function () {
    const o = order(w, trader(alice), {
      market: 0,
      side: "sell",
      nonce: 1n,
      amount: 2n,
      limitPrice: MARKS[0],
    });
    assert.equal(
      codeOf(() => op.submitOrder(o)),
      "NO_PRICES",
    );
    await postRound(w, MARKS);
    await op.tick();
    assert.equal(
      codeOf(() => op.submitOrder({ ...o, signature: { ...o.signature, s: o.signature.s + 1n } })),
      "ORDER_BAD_SIGNATURE",
    );
    const stranger = order(
      w,
      { index: 9n, keys: alice.keys },
      { market: 0, side: "sell", nonce: 1n, amount: 1n, limitPrice: 1n },
    );
    assert.equal(
      codeOf(() => op.submitOrder(stranger)),
      "ACCOUNT_NOT_FOUND",
    );
    assert.equal(op.submitOrder(o).status, "open");
    assert.equal(
      codeOf(() => op.submitOrder(o)),
      "ORDER_NONCE_USED",
    );
    assert.equal(store.openOrders().length, 1, "refused orders are not stored");
  });

  it("matches, batches, proves and settles trades; partial fills stay open", async function () {
    const buy = order(w, trader(bob), {
      market: 0,
      side: "buy",
      nonce: 1n,
      amount: 3n,
      limitPrice: MARKS[0] + 100n,
    });
    const ack = op.submitOrder(buy);
    assert.deepEqual([ack.status, ack.remaining], ["open", 1n]);
    await op.tick({ flushTrades: true });
    assert.equal(await chain.stateRoot(), op.state.root);
    const batches = store.batches();
    assert.deepEqual(
      batches.map((b) => [b.kind, b.status]),
      [
        ["deposits", "settled"],
        ["trades", "settled"],
      ],
    );
    assert.equal(op.state.getAccount(bob.account!).positions[0].size, 2n);
    assert.equal(store.getOrder(ack.id)?.status, "open");
    assert.equal(store.getOrder(ack.id)?.remaining, 1n);
    assert.equal(store.openOrders().length, 1);
  });

  it("cancels an order only with its owner's signature", function () {
    const [open] = store.openOrders();
    assert.equal(
      codeOf(() =>
        op.cancelOrder(
          open.id,
          sign(alice.keys.privateKey, cancelMessage(open.signed.order, w.domain)),
        ),
      ),
      "CANCEL_BAD_SIGNATURE",
    );
    const ack = op.cancelOrder(
      open.id,
      sign(bob.keys.privateKey, cancelMessage(open.signed.order, w.domain)),
    );
    assert.equal(ack.status, "cancelled");
    assert.equal(store.getOrder(open.id)?.status, "cancelled");
    assert.equal(
      codeOf(() =>
        op.cancelOrder(
          open.id,
          sign(bob.keys.privateKey, cancelMessage(open.signed.order, w.domain)),
        ),
      ),
      "ORDER_NOT_OPEN",
    );
  });

  it("pays a signed withdrawal through a proven batch", async function () {
    const to = BigInt(await alice.signer.getAddress());
    const sw = signWithdrawal(
      { account: alice.account!, nonce: 0n, amount: 1_000_00n, recipient: to },
      alice.keys.privateKey,
      w.domain,
    );
    op.requestWithdrawal(sw);
    assert.throws(() => op.requestWithdrawal(sw), /nonce/);
    await op.tick();
    assert.equal(await w.d.vault.getFunction("owed")(await alice.signer.getAddress()), 1_000_00n);
    assert.equal(await chain.stateRoot(), op.state.root);
  });

  it("recovers from a restart: same state, same open orders, nothing resubmitted", async function () {
    const resting = order(w, trader(alice), {
      market: 1,
      side: "buy",
      nonce: 1n,
      amount: 1n,
      limitPrice: MARKS[1] - 100n,
    });
    op.submitOrder(resting);
    const root = op.state.root;
    const batches = store.batches().length;
    op = rig.restart();
    store = rig.store;
    assert.equal(op.state.root, root);
    assert.deepEqual(
      store.openOrders().map((o) => o.signed),
      [resting],
    );
    await op.tick();
    assert.equal(store.batches().length, batches);
    assert.equal(op.halted, undefined);
  });
});
