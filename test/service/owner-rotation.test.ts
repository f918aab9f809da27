import assert from "node:assert/strict";
import { Contract } from "ethers";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair, type KeyPair } from "../../prover/src/domain/keys.ts";
import { devOwnerKeys, formatPublicKey } from "../../prover/src/domain/owners.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  WORLD_TIMELOCK_DELAY,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { type Operator } from "../../prover/src/service/operator.ts";
import { feeWithdrawal, refusalOf, scheduleOwnerKey, settleAll } from "../helpers/rotation.ts";
import { increaseTime } from "../helpers/chain.ts";
import { fundCompartments, startOperator, type OperatorRig } from "../helpers/operator.ts";
import { audit } from "../audit/helpers.ts";

const MARKS = [60_000_00n, 3_000_00n];
/** The fund's resting bid: inside its 1 % band around the mark, below every ask. */
const FUND_BID = MARKS[0] - MARKS[0] / 200n;
const TREASURY = "0x00000000000000000000000000000000000fee02";
const NEW_FEE = devKeyPair("rotated fee owner (service test)");
const NEW_FUND = devKeyPair("rotated fund owner (service test)");

/**
 * Owner key rotation end to end on a real chain with real proofs: the governance timelock
 * (delay WORLD_TIMELOCK_DELAY) queues new fee and fund owner keys in the Vault, the operator
 * credits them in a proven deposit batch, and what the old keys signed is settled first
 * (matches), cancelled (resting orders) or refused (withdrawal requests), never wedging the
 * batcher; afterwards only the new keys sign: the new fee owner's withdrawal is paid.
 */
describe("operator: owner key rotation through the governance on a real chain", function () {
  let rig: OperatorRig;
  let w: World;
  let op: Operator;
  let alice: Participant;
  let bob: Participant;
  /** The queue position of the first rotation. */
  let queuedAt = 0;
  const old = devOwnerKeys();
  const fund = (keys: KeyPair) => ({ index: INSURANCE_ACCOUNT, keys });
  const refusal = (f: () => unknown) => refusalOf(f).code;
  const feeOut = (keys: KeyPair, nonce: bigint, amount: bigint) =>
    feeWithdrawal(w, keys, nonce, amount, TREASURY);
  const settle = () => settleAll(op);
  const scheduleRotation = (account: bigint, keys: KeyPair) =>
    scheduleOwnerKey(w, account, keys, `rotation ${account}`);

  before(async function () {
    rig = await startOperator(2, "zkclear-rotation-");
    ({ w, op } = rig);
    [alice, bob] = w.participants;
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await deposit(
      w,
      { signer: bob.signer, keys: bob.keys, account: INSURANCE_ACCOUNT },
      100_000_000n,
    );
    await op.tick();
    await postRound(w, MARKS);
    await op.tick();
    // the fund owner trades the fund only with its markets' compartments funded
    await fundCompartments(rig, [2_000_000n, 100_000n]);
    const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
    const btc = { market: 0, nonce: 1n, amount: 1n, limitPrice: MARKS[0] };
    op.submitOrder(order(w, t(alice), { ...btc, side: "sell" }));
    op.submitOrder(order(w, t(bob), { ...btc, side: "buy" }));
    await op.tick({ flushTrades: true });
    assert.equal(op.state.getAccount(FEE_ACCOUNT).collateral, 4_200n);
  });

  after(async function () {
    await rig.close();
  });

  it("settles the old fund key's match first, cancels its resting order and refuses the old fee key's pending withdrawal, then rotates both keys in a proven deposit batch", async function () {
    // the governance schedules both rotations and waits out the delay; a fresh oracle round
    // follows (the delay outlasts maxPriceAge)
    queuedAt = Number(((await w.d.vault.getFunction("depositQueue")()) as bigint[])[0]);
    const fee = await scheduleRotation(FEE_ACCOUNT, NEW_FEE);
    const fundRotation = await scheduleRotation(INSURANCE_ACCOUNT, NEW_FUND);
    await increaseTime(WORLD_TIMELOCK_DELAY);
    await postRound(w, MARKS);
    await op.tick();

    // acknowledged under the old keys, not yet in a batch
    const eth = { market: 1, nonce: 1n, amount: 1n, limitPrice: MARKS[1] };
    op.submitOrder(
      order(w, { index: bob.account!, keys: bob.keys }, { ...eth, nonce: 2n, side: "sell" }),
    );
    const filled = op.submitOrder(order(w, fund(old.fund), { ...eth, side: "buy" }));
    assert.equal(filled.status, "filled");
    const resting = op.submitOrder(
      order(w, fund(old.fund), {
        market: 0,
        side: "buy",
        nonce: 1n,
        amount: 1n,
        limitPrice: FUND_BID,
      }),
    );
    assert.equal(resting.status, "open");
    const pendingWithdrawal = op.requestWithdrawal(feeOut(old.fee, 0n, 1_000n));

    // then the governance executes both
    await (await fee()).wait();
    await (await fundRotation()).wait();

    const before = rig.store.batchTotal();
    await settle();
    const cut = rig.store.batches<{ kind: string }>(undefined, before);
    // the fund's match (old key) went into a trade batch before the rotation
    assert.deepEqual(
      cut.map((b) => [b.kind, b.status]),
      [
        ["trades", "settled"],
        ["deposits", "settled"],
      ],
    );
    assert.equal(await rig.chain.stateRoot(), op.state.root);
    assert.deepEqual(op.state.getAccount(FEE_ACCOUNT).pubKey, NEW_FEE.publicKey);
    assert.deepEqual(op.state.getAccount(INSURANCE_ACCOUNT).pubKey, NEW_FUND.publicKey);
    assert.equal(op.state.getAccount(INSURANCE_ACCOUNT).positions[1].size, 1n);

    const cancelled = rig.store.getOrder(resting.id)!;
    assert.equal(cancelled.status, "cancelled");
    // cancelled as soon as the rotation was seen on-chain
    assert.match(
      cancelled.reason!,
      /fund owner's key of account 2 was rotated by deposit queue entry \d+ \(not yet credited\)/,
    );
    const refused = rig.store.withdrawals.get(pendingWithdrawal)!;
    assert.equal(refused.status, "refused");
    assert.match(refused.reason!, /fee owner's key of account 1 was rotated by deposit batch/);
    // the fund's trade paid its fees
    assert.ok(op.state.getAccount(FEE_ACCOUNT).collateral > 4_200n);
  });

  it("refuses the old keys from then on, and pays the new fee owner's withdrawal to the treasury", async function () {
    const fees = op.state.getAccount(FEE_ACCOUNT).collateral;
    assert.equal(
      refusal(() => op.requestWithdrawal(feeOut(old.fee, 0n, fees))),
      "WITHDRAW_BAD_SIGNATURE",
    );
    const btc = { market: 0, side: "buy" as const, nonce: 2n, amount: 1n, limitPrice: FUND_BID };
    assert.equal(
      refusal(() => op.submitOrder(order(w, fund(old.fund), btc))),
      "ORDER_BAD_SIGNATURE",
    );
    assert.equal(op.submitOrder(order(w, fund(NEW_FUND), btc)).status, "open");
    op.requestWithdrawal(feeOut(NEW_FEE, 0n, fees));
    await settle();
    assert.equal(await w.d.vault.getFunction("owed")(TREASURY), fees);
    assert.equal(op.state.getAccount(FEE_ACCOUNT).collateral, 0n);
    assert.equal(await rig.chain.stateRoot(), op.state.root);
    // the Vault pays the treasury (anyone may trigger it)
    const v = w.d.vault.connect(alice.signer) as Contract;
    await (await v.getFunction("claimFor")(TREASURY)).wait();
    assert.equal(await w.d.token.getFunction("balanceOf")(TREASURY), fees);
  });

  it("keeps the new keys through a restart: replayed from the store, nothing the old keys signed comes back", async function () {
    const root = op.state.root;
    op = rig.restart();
    await op.tick();
    assert.equal(op.halted, undefined);
    assert.equal(op.state.root, root);
    assert.deepEqual(op.state.getAccount(FEE_ACCOUNT).pubKey, NEW_FEE.publicKey);
    assert.deepEqual(op.state.getAccount(INSURANCE_ACCOUNT).pubKey, NEW_FUND.publicKey);
    assert.equal(rig.store.withdrawals.countPending(), 0);
    // the only resting order of the fund is the one its new key signed
    const fundOrders = rig.store
      .openOrders()
      .filter((o) => o.signed.order.account === INSURANCE_ACCOUNT);
    assert.equal(fundOrders.length, 1);
    assert.equal(fundOrders[0].signed.order.nonce, 2n);
  });

  it("the auditor lists both rotations with the batch that applied them, and the keys now", async function () {
    const r = await audit(w, undefined);
    assert.deepEqual(r.findings, []);
    assert.equal(r.owners.fee, formatPublicKey(NEW_FEE.publicKey));
    assert.equal(r.owners.fund, formatPublicKey(NEW_FUND.publicKey));
    const deposits = r.batches.filter((b) => b.kind === "deposits").at(-1)!;
    assert.deepEqual(r.owners.rotations, [
      {
        account: "1",
        key: formatPublicKey(NEW_FEE.publicKey),
        batch: deposits.batch,
        queueIndex: queuedAt,
      },
      {
        account: "2",
        key: formatPublicKey(NEW_FUND.publicKey),
        batch: deposits.batch,
        queueIndex: queuedAt + 1,
      },
    ]);
    assert.ok(r.notes.some((n) => n.startsWith("owner key rotation: account 1 (fees) to ")));
  });
});
