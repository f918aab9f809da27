import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { OperatorError, type Operator } from "../../prover/src/service/operator.ts";
import { checkWithdrawalFunds } from "../../prover/src/service/intake-checks.ts";
import { fundCompartments, startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];
/** The fund's resting bid on ETH: inside its 1 % band around the mark, below every ask. */
const FUND_BID = MARKS[1] - MARKS[1] / 200n;
const TREASURY = "0x00000000000000000000000000000000000fee01";
const FLOOR = 2_000_000n;
const ETH_COMPARTMENT = 100_000n;

/**
 * Issue 18 through the operator on a real chain: the fee owner's withdrawal of the fees is
 * proven and paid to the treasury it names, and nobody else's is taken; the fund is topped
 * up by a deposit, its owner's orders are taken and its withdrawals stop at the floor the
 * deployment binds.
 */
describe("operator: the fee and fund owners on a real chain", function () {
  let rig: OperatorRig;
  let w: World;
  let op: Operator;
  let alice: Participant;
  let bob: Participant;
  const owners = devOwnerKeys();
  const refusal = (f: () => unknown) => {
    try {
      f();
      return "accepted";
    } catch (e) {
      return (e as OperatorError).code;
    }
  };
  const trader = (x: Participant) => ({ index: x.account!, keys: x.keys });

  before(async function () {
    rig = await startOperator(2, "zkclear-owners-", { deploy: { fundFloor: FLOOR } });
    ({ w, op } = rig);
    [alice, bob] = w.participants;
    assert.equal(w.deployment.fundFloor, FLOOR);
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    // anyone tops the fund up: a deposit to account 2 names no key
    await deposit(
      w,
      { signer: bob.signer, keys: bob.keys, account: INSURANCE_ACCOUNT },
      5_000_000n,
    );
    await op.tick();
    assert.equal(op.state.getAccount(INSURANCE_ACCOUNT).collateral, 5_000_000n);
    assert.deepEqual(op.state.getAccount(INSURANCE_ACCOUNT).pubKey, owners.fund.publicKey);
    await postRound(w, MARKS);
    await op.tick();
    // the fund owner trades the fund only with the market's compartment funded: 100,000
    // into ETH's (at the fund's withdrawal nonce 0)
    await fundCompartments(rig, [0n, ETH_COMPARTMENT]);
    op.submitOrder(
      order(w, trader(alice), {
        market: 0,
        side: "sell",
        nonce: 1n,
        amount: 1n,
        limitPrice: MARKS[0],
      }),
    );
    op.submitOrder(
      order(w, trader(bob), {
        market: 0,
        side: "buy",
        nonce: 1n,
        amount: 1n,
        limitPrice: MARKS[0],
      }),
    );
    await op.tick({ flushTrades: true });
    assert.equal(op.state.getAccount(FEE_ACCOUNT).collateral, 4_200n);
  });

  after(async function () {
    await rig.close();
  });

  it("refuses a fee withdrawal signed by anyone but the fee owner", function () {
    for (const key of [alice.keys, owners.fund]) {
      const sw = signWithdrawal(
        { account: FEE_ACCOUNT, nonce: 0n, amount: 4_200n, recipient: BigInt(TREASURY) },
        key.privateKey,
        w.domain,
      );
      assert.equal(
        refusal(() => op.requestWithdrawal(sw)),
        "WITHDRAW_BAD_SIGNATURE",
      );
    }
  });

  it("pays the fee owner's withdrawal to the treasury through a proven batch", async function () {
    const sw = signWithdrawal(
      { account: FEE_ACCOUNT, nonce: 0n, amount: 4_200n, recipient: BigInt(TREASURY) },
      owners.fee.privateKey,
      w.domain,
    );
    op.requestWithdrawal(sw);
    await op.tick();
    assert.equal(await w.d.vault.getFunction("owed")(TREASURY), 4_200n);
    assert.equal(op.state.getAccount(FEE_ACCOUNT).collateral, 0n);
    assert.equal(await rig.chain.stateRoot(), op.state.root);
  });

  it("takes the fund owner's orders and refuses the fee account's", function () {
    const fund = { index: INSURANCE_ACCOUNT, keys: owners.fund };
    const ack = op.submitOrder(
      order(w, fund, { market: 1, side: "buy", nonce: 1n, amount: 1n, limitPrice: FUND_BID }),
    );
    assert.equal(ack.status, "open");
    assert.equal(
      refusal(() =>
        op.submitOrder({
          order: {
            account: FEE_ACCOUNT,
            market: 1,
            side: "buy",
            nonce: 1n,
            maxFeeBps: 10n,
            amount: 1n,
            limitPrice: 100n,
          },
          signature: { r8x: 0n, r8y: 0n, s: 0n },
        }),
      ),
      "ORDER_SYSTEM_ACCOUNT",
    );
  });

  it("stops the fund owner's withdrawals at the floor, and pays one above it", async function () {
    const fundOut = (amount: bigint, nonce: bigint) =>
      signWithdrawal(
        { account: INSURANCE_ACCOUNT, nonce, amount, recipient: BigInt(TREASURY) },
        owners.fund.privateKey,
        w.domain,
      );
    // the floor is on the fund's equity: its reserve and ETH's compartment, 5,000,000
    assert.equal(
      refusal(() => op.requestWithdrawal(fundOut(3_000_001n, 1n))),
      "FUND_BELOW_FLOOR",
    );
    op.requestWithdrawal(fundOut(3_000_000n, 1n));
    // a second request would take it below: judged with the first one pending
    assert.equal(
      refusal(() => op.requestWithdrawal(fundOut(1n, 2n))),
      "FUND_BELOW_FLOOR",
    );
    await op.tick();
    assert.equal(await w.d.vault.getFunction("owed")(TREASURY), 4_200n + 3_000_000n);
    assert.equal(op.state.getAccount(INSURANCE_ACCOUNT).collateral + ETH_COMPARTMENT, FLOOR);
  });

  it("judges the floor only for the fund (intake check)", function () {
    // the same flat account with 1,000,000.00: all of it may leave a trader's, not the fund's
    const a = op.state.getAccount(alice.account!);
    const flat = { ...a, positions: a.positions.map((p) => ({ ...p, size: 0n, notional: 0n })) };
    const check = (index: bigint) =>
      checkWithdrawalFunds(index, flat, [flat.collateral], op.state, MARKS, [0n, 0n], oneX(2))
        ?.code;
    assert.equal(check(alice.account!), undefined);
    assert.equal(check(INSURANCE_ACCOUNT), "FUND_BELOW_FLOOR");
  });
});
