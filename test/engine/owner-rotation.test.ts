import assert from "node:assert/strict";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { isRotation, type Deposit } from "../../prover/src/domain/transfers.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { applyDeposits, TransferBatchError } from "../../prover/src/engine/transfers.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { TEST_PARAMS } from "../helpers/circuit.ts";
import { SMALL_ORDER_POINTS } from "../helpers/small-order.ts";

const P = TEST_PARAMS;
const NEW_KEY = devKeyPair("rotated owner").publicKey;
const NO_KEY = { x: 0n, y: 0n };

function genesis(): ExchangeState {
  return ExchangeState.genesis(P.depth, defaultMarkets(P.markets), SAMPLE_DOMAIN, devOwners());
}

function code(s: ExchangeState, ds: Deposit[]): string {
  try {
    applyDeposits(s, ds, 0n, P.deposits);
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof TransferBatchError, String(e));
    return e.code;
  }
}

/**
 * Owner key rotations in the engine (the twin of DepositSlot): an entry naming a key on the
 * fee account or the fund replaces its owner key; on any other existing account it is
 * refused, as is a rotation key that cannot sign.
 */
describe("engine: owner key rotation through the deposit queue", function () {
  for (const account of [FEE_ACCOUNT, INSURANCE_ACCOUNT]) {
    it(`replaces the owner key of account ${account} and keeps its collateral and nonce`, function () {
      const s = genesis();
      applyDeposits(s, [{ account, amount: 9n, pubKey: NO_KEY }], 0n, P.deposits);
      const before = s.getAccount(account);
      const d: Deposit = { account, amount: 0n, pubKey: NEW_KEY };
      assert.ok(isRotation(d));
      const r = applyDeposits(s, [d], 0n, P.deposits);
      const after = s.getAccount(account);
      assert.deepEqual(after.pubKey, NEW_KEY);
      assert.equal(after.collateral, before.collateral);
      assert.equal(after.withdrawNonce, before.withdrawNonce);
      assert.notEqual(r.newRoot, r.oldRoot);
      // the other owner's key is untouched
      const other = account === FEE_ACCOUNT ? INSURANCE_ACCOUNT : FEE_ACCOUNT;
      assert.deepEqual(
        s.getAccount(other).pubKey,
        other === FEE_ACCOUNT ? devOwners().fee : devOwners().fund,
      );
    });
  }

  it("refuses a key named on a trader's existing account (DEPOSIT_KEY_ON_TOP_UP), all or nothing", function () {
    const s = genesis();
    applyDeposits(s, [{ account: 3n, amount: 5n, pubKey: devKeyPair("t").publicKey }], 0n, 2);
    const root = s.root;
    assert.equal(
      code(s, [
        { account: FEE_ACCOUNT, amount: 0n, pubKey: NEW_KEY },
        { account: 3n, amount: 0n, pubKey: NEW_KEY },
      ]),
      "DEPOSIT_KEY_ON_TOP_UP",
    );
    assert.equal(s.root, root);
    assert.deepEqual(s.getAccount(FEE_ACCOUNT).pubKey, devOwners().fee);
  });

  it("refuses a rotation key off the curve or of small order (OWNER_ROTATION_BAD_KEY)", function () {
    const bad = [{ x: 5n, y: 7n }, ...SMALL_ORDER_POINTS.map(([x, y]) => ({ x, y }))];
    for (const pubKey of bad)
      assert.equal(
        code(genesis(), [{ account: INSURANCE_ACCOUNT, amount: 0n, pubKey }]),
        "OWNER_ROTATION_BAD_KEY",
      );
  });

  it("keeps the owner key on a top-up naming none", function () {
    const s = genesis();
    applyDeposits(s, [{ account: FEE_ACCOUNT, amount: 3n, pubKey: NO_KEY }], 0n, P.deposits);
    assert.deepEqual(s.getAccount(FEE_ACCOUNT).pubKey, devOwners().fee);
    assert.equal(isRotation({ account: FEE_ACCOUNT, amount: 3n, pubKey: NO_KEY }), false);
  });
});
