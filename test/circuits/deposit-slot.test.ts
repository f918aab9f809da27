import assert from "node:assert/strict";
import { pow2 } from "../../prover/src/domain/amounts.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { depositQueueHash, type Deposit } from "../../prover/src/domain/transfers.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { applyDeposits, TransferBatchError } from "../../prover/src/engine/transfers.ts";
import type { ApplyDepositsInput } from "../../prover/src/domain/inputs.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";

// DepositSlot (circuits/src/apply-deposits.circom) range-checks the collateral a deposit
// leaves: 2^128 and above would carry into the balance word's withdrawal nonce (old
// withdrawal signatures good again) and flag. The mutation run (docs/verification.md)
// found the check's top untested: deleted or one bit wider, every test passed. Deposits
// are capped (2^92 each) and come from the Vault, so reaching it needs an account already
// near 2^128; the circuit must refuse it all the same, and prove everything below.

const P = TEST_PARAMS;
const ACCOUNT = 3n;
const NO_KEY = { x: 0n, y: 0n };
const deposits = (input: ApplyDepositsInput) => ({ kind: "apply_deposits" as const, input });
const topUp = (amount: bigint): Deposit => ({ account: ACCOUNT, amount, pubKey: NO_KEY });

/** An exchange where account 3 holds `collateral` (put in the tree directly). */
function holding(collateral: bigint): ExchangeState {
  const s = ExchangeState.genesis(P.depth, defaultMarkets(P.markets), SAMPLE_DOMAIN, devOwners());
  const pubKey = devKeyPair("depositor-0").publicKey;
  applyDeposits(s, [{ account: ACCOUNT, amount: 1n, pubKey }], 0n, P.deposits);
  s.setAccount(ACCOUNT, { ...s.getAccount(ACCOUNT), collateral });
  return s;
}

describe("DepositSlot: a deposit takes a balance to 2^128 - 1, never past it (test parameters)", function () {
  const X = 1_000n;

  it("credits a top-up that takes the collateral to 2^128 - 1", async function () {
    const s = holding(pow2(128) - 1n - X);
    const r = applyDeposits(s, [topUp(X)], 0n, P.deposits);
    await witnessFor(deposits(r.input));
    assert.equal(s.getAccount(ACCOUNT).collateral, pow2(128) - 1n);
  });

  it("refuses one unit more: the engine before the batch, the circuit at the collateral's range check", async function () {
    const s = holding(pow2(128) - X);
    assert.throws(
      () => applyDeposits(s, [topUp(X)], 0n, P.deposits),
      (e: unknown) => e instanceof TransferBatchError && e.code === "DEPOSIT_OVERFLOW",
    );
    // the batch the operator would prove: the honest one for X - 1, with X in its slot and
    // the queue and root X gives (the leaf packs 2^128 as the circuit would, unchecked)
    const honest = applyDeposits(holding(pow2(128) - X), [topUp(X - 1n)], 0n, P.deposits).input;
    const after = holding(pow2(128) - X);
    after.setAccount(ACCOUNT, { ...after.getAccount(ACCOUNT), collateral: pow2(128) }, false);
    const [slot, ...rest] = honest.slots;
    const forged: ApplyDepositsInput = {
      ...honest,
      newRoot: after.root,
      queueTo: depositQueueHash(0n, topUp(X)),
      slots: [{ ...slot, amount: X }, ...rest],
    };
    await assertRefusedAt(
      witnessFor(deposits(forged)),
      "apply-deposits.circom",
      "DepositSlot",
      "_ <== SignedRangeCheck(COLLATERAL_BITS())(newCollateral);",
    );
  });
});
