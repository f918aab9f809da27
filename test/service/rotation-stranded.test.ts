import assert from "node:assert/strict";
import { Contract } from "ethers";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair, type KeyPair } from "../../prover/src/domain/keys.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
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

const MARKS = [60_000_00n, 3_000_00n];
/** The fund's resting bids: inside its 1 % band around the mark, below every ask. */
const FUND_BID = MARKS.map((m) => m - m / 200n);
const TREASURY = "0x00000000000000000000000000000000000fee03";
const NEW_FEE = devKeyPair("queued fee owner (stranded test)");
const STRANDED_FEE = devKeyPair("stranded fee owner (stranded test)");
const STRANDED_FUND = devKeyPair("stranded fund owner (stranded test)");

/**
 * The operator reads the Vault's record of the owned accounts' rotations (ownerRotation),
 * on a real chain with real proofs: a queued rotation not yet credited refuses the old key's
 * withdrawal requests (as its orders), and a rotation stranded behind a deposit queue closed
 * by a reclaim cancels the old key's resting orders, refuses its pending withdrawals and
 * refuses its new orders and withdrawals (ACCOUNT_KEY_ROTATING), also straight after a
 * restart, before any step.
 */
describe("operator: owner key rotations read from the Vault (queued and stranded)", function () {
  let rig: OperatorRig;
  let w: World;
  let op: Operator;
  let alice: Participant;
  let bob: Participant;
  let puppet: Participant;
  let salts = 0;
  const old = devOwnerKeys();
  const fund = (keys: KeyPair) => ({ index: INSURANCE_ACCOUNT, keys });
  const refused = refusalOf;
  const feeOut = (keys: KeyPair, nonce: bigint, amount: bigint) =>
    feeWithdrawal(w, keys, nonce, amount, TREASURY);
  const settle = () => settleAll(op);

  /** Vault.queueOwnerKey(account, keys) through the governance timelock, after its delay. */
  async function rotate(account: bigint, keys: KeyPair) {
    const execute = await scheduleOwnerKey(w, account, keys, `stranded test ${salts++}`);
    await increaseTime(WORLD_TIMELOCK_DELAY);
    await (await execute()).wait();
  }

  before(async function () {
    rig = await startOperator(3, "zkclear-stranded-");
    ({ w, op } = rig);
    [alice, bob, puppet] = w.participants;
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
    await settle();
    assert.ok(op.state.getAccount(FEE_ACCOUNT).collateral > 1_000n);
  });

  after(async function () {
    await rig.close();
  });

  it("refuses the old key's withdrawal while its queued rotation is not yet credited, then credits it", async function () {
    const at = Number(await w.d.vault.getFunction("depositCount")());
    await rotate(FEE_ACCOUNT, NEW_FEE);
    // read as every step (and the service's startup) does, before a batch credits it
    await op.readRotations();
    const r = refused(() => op.requestWithdrawal(feeOut(old.fee, 0n, 1_000n)));
    assert.equal(r.code, "ACCOUNT_KEY_ROTATING");
    assert.match(r.message, new RegExp(`deposit queue entry ${at}, not yet credited`));
    assert.equal(rig.store.withdrawals.countPending(), 0);
    await postRound(w, MARKS);
    await settle();
    assert.deepEqual(op.state.getAccount(FEE_ACCOUNT).pubKey, NEW_FEE.publicKey);
  });

  it("refuses the old keys at once when a rotation is stranded behind a deposit queue closed by a reclaim", async function () {
    // acknowledged under the keys of the moment, not yet in a batch
    const resting = op.submitOrder(
      order(w, fund(old.fund), {
        market: 0,
        side: "buy",
        nonce: 1n,
        amount: 1n,
        limitPrice: FUND_BID[0],
      }),
    );
    assert.equal(resting.status, "open");
    const pending = op.requestWithdrawal(feeOut(NEW_FEE, 0n, 1_000n));

    // a deposit the operator never credits, reclaimed after depositDeadline: the queue closes
    const vault = w.d.vault;
    await deposit(w, puppet, 1_000_000n);
    const index = BigInt(await vault.getFunction("depositCount")()) - 1n;
    await increaseTime(Number(await vault.getFunction("depositDeadline")()));
    const pk = puppet.keys.publicKey;
    await (
      await (vault.connect(puppet.signer) as Contract).getFunction("reclaimDeposit")(
        index,
        puppet.account!,
        1_000_000n,
        pk.x,
        pk.y,
      )
    ).wait();
    // the governance rotates both keys: recorded, stranded (no queue entry)
    await rotate(FEE_ACCOUNT, STRANDED_FEE);
    await rotate(INSURANCE_ACCOUNT, STRANDED_FUND);
    assert.equal(await vault.getFunction("depositCount")(), index + 1n);
    const position = ((await vault.getFunction("ownerRotation")(FEE_ACCOUNT)) as bigint[])[4];
    assert.equal(position, 2n ** 64n - 1n);

    await op.readRotations();
    const cancelled = rig.store.getOrder(resting.id)!;
    assert.equal(cancelled.status, "cancelled");
    assert.match(
      cancelled.reason!,
      /fund owner's key of account 2 was rotated by the governance at .* behind the closed deposit queue \(stranded/,
    );
    const w0 = rig.store.withdrawals.get(pending)!;
    assert.equal(w0.status, "refused");
    assert.match(w0.reason!, /fee owner's key of account 1 was rotated .*stranded/);

    const check = () => {
      const o = refused(() =>
        op.submitOrder(
          order(w, fund(old.fund), {
            market: 1,
            side: "buy",
            nonce: 1n,
            amount: 1n,
            limitPrice: FUND_BID[1],
          }),
        ),
      );
      assert.equal(o.code, "ACCOUNT_KEY_ROTATING");
      assert.match(o.message, /account 2 was rotated by the governance .*stranded.*orders/);
      const x = refused(() => op.requestWithdrawal(feeOut(NEW_FEE, 0n, 1_000n)));
      assert.equal(x.code, "ACCOUNT_KEY_ROTATING");
      assert.match(x.message, /account 1 was rotated by the governance .*stranded.*withdrawals/);
    };
    check();
    // the traders' orders still go in
    const eth = { market: 1, nonce: 1n, amount: 1n, limitPrice: 1n, side: "buy" as const };
    assert.equal(
      op.submitOrder(order(w, { index: alice.account!, keys: alice.keys }, eth)).status,
      "open",
    );

    // a restart: the service reads the rotations before its API serves (no step yet)
    op = rig.restart();
    await op.readRotations();
    check();
    assert.equal(
      rig.store.openOrders().filter((o) => o.signed.order.account === INSURANCE_ACCOUNT).length,
      0,
    );
  });
});
