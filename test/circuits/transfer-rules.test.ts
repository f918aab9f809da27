import assert from "node:assert/strict";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import type { ProcessWithdrawalsInput } from "../../prover/src/domain/inputs.ts";
import { sign, type KeyPair } from "../../prover/src/domain/keys.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { transferMessage, type Transfer } from "../../prover/src/domain/sub-accounts.ts";
import { sampleExchange, type Sample } from "../../prover/src/dev/sample.ts";
import { processWithdrawals, TransferBatchError } from "../../prover/src/engine/transfers.ts";
import { assertRefusedAt, TEST_PARAMS as P, testCircuit, witnessFor } from "../helpers/circuit.ts";

// WithdrawalSlot's transfer rules (circuits/src/process-withdrawals.circom, sections A and
// F): a transfer moves collateral between two different trader accounts (>= 3) of one key,
// to the margin mode its owner signed. Each test after the first has the engine refuse a
// transfer that breaks one rule, then builds the batch an operator skipping the engine's
// checks would prove (`uncheckedTransfers`: the source's leaf debited, the destination's
// credited, every root and signature the circuit computes) and has the circuit refuse it
// at that rule's own statement. With the statement gone the circuit accepts the batch (or refuses
// it at another statement, for the two key coordinates), so each test fails on its mutant.

const FILE = "process-withdrawals.circom";
const AMOUNT = 1_000n;

// trader 3's (cross) and trader 4's accounts, from sampleExchange; then, opened below:
const FUND_KEYED = 5n; // a trader account opened with the insurance fund owner's key
const FEE_KEYED = 6n; // a trader account opened with the fee account owner's key
const MIRROR_X = 7n; // trader 3's key negated, (-x, y): another point sharing y
const MIRROR_Y = 8n; // trader 3's key with y negated, (x, -y): another point sharing x
const ISOLATED = 9n; // trader 3's sub-account isolated to market 0 (flag 1)

function exchange(): Sample {
  const s = sampleExchange(P, 2, 1_000_000n);
  const owners = devOwnerKeys();
  const k = s.traders[0].keys.publicKey;
  for (const system of [FEE_ACCOUNT, INSURANCE_ACCOUNT]) {
    const a = s.state.getAccount(system);
    s.state.setAccount(system, { ...a, collateral: 1_000_000n });
  }
  s.state.openAccount(FUND_KEYED, owners.fund.publicKey, 1_000_000n);
  s.state.openAccount(FEE_KEYED, owners.fee.publicKey, 1_000_000n);
  s.state.openAccount(MIRROR_X, { x: FIELD_MODULUS - k.x, y: k.y }, 0n);
  s.state.openAccount(MIRROR_Y, { x: k.x, y: FIELD_MODULUS - k.y }, 0n);
  s.state.openAccount(ISOLATED, k, 0n, 0);
  return s;
}

/**
 * The batch carrying `t`, signed by `signer` over the transfer message (which the domain's
 * signTransfer would refuse to sign): the engine refuses it with `code`, and without its
 * transfer checks it builds the witness the circuit is then given.
 */
function forged(t: Transfer, signer: KeyPair, code: string): ProcessWithdrawalsInput {
  const s = exchange();
  const st = { transfer: t, signature: sign(signer.privateKey, transferMessage(t, s.domain)) };
  assert.throws(
    () => processWithdrawals(s.state, [st], s.marks, P.withdrawals),
    (e: unknown) => e instanceof TransferBatchError && e.slot === 0 && e.code === code,
  );
  const r = processWithdrawals(s.state, [st], s.marks, P.withdrawals, {
    uncheckedTransfers: true,
  });
  assert.equal(r.input.slots[0].isTransfer, 1n);
  assert.deepEqual(r.payouts, [0n, 0n], "a transfer pays nothing out of the Vault");
  return r.input;
}

/** Refused by WithdrawalSlot's `statement`, not before it, nor after. */
const refusedAt = (input: ProcessWithdrawalsInput, statement: string) =>
  assertRefusedAt(
    witnessFor({ kind: "process_withdrawals", input }),
    FILE,
    "WithdrawalSlot",
    statement,
  );

const transfer = (from: bigint, to: bigint, isolatedMarket?: number): Transfer => ({
  from,
  to,
  nonce: 0n,
  amount: AMOUNT,
  ...(isolatedMarket === undefined ? {} : { isolatedMarket }),
});

describe("WithdrawalSlot: a transfer's own rules, each refused at its statement (test parameters)", function () {
  const owners = devOwnerKeys();
  let trader: KeyPair;

  before(async function () {
    await testCircuit("process_withdrawals");
    trader = exchange().traders[0].keys;
  });

  it("an honest transfer from trader 3 to its isolated sub-account goes through (the batches below differ from it in one rule)", async function () {
    const s = exchange();
    const t = transfer(3n, ISOLATED, 0);
    const st = { transfer: t, signature: sign(trader.privateKey, transferMessage(t, s.domain)) };
    const r = processWithdrawals(s.state, [st], s.marks, P.withdrawals);
    const w = await witnessFor({ kind: "process_withdrawals", input: r.input });
    assert.deepEqual(w.slice(1, 3), [r.oldRoot, r.newRoot]);
  });

  it("refuses a transfer out of the insurance fund, signed by its owner, into a trader account of the owner's key: the reserve would leave the fund with no payout the Vault shows", async function () {
    // Without the rule the fund's reserve passes the fund's withdrawal rules (its floor,
    // its funding judged) and lands in a trader leaf under the owner's key, by a move the
    // Vault never sees (payout 0): the reserve that backs every market's losses becomes
    // a trader's margin, in a leaf whose key the governance's owner key rotation no longer
    // reaches (a trader's key never changes). Fund money leaves only as a public payout.
    await refusedAt(
      forged(transfer(INSURANCE_ACCOUNT, FUND_KEYED), owners.fund, "TRANSFER_SYSTEM_ACCOUNT"),
      "NotSystemAccount()(account, transfer);",
    );
  });

  it("refuses a transfer out of the fee account, signed by its owner, into a trader account of the owner's key", async function () {
    // the collected fees would become a trader's margin the same way, off the Vault's books
    await refusedAt(
      forged(transfer(FEE_ACCOUNT, FEE_KEYED), owners.fee, "TRANSFER_SYSTEM_ACCOUNT"),
      "NotSystemAccount()(account, transfer);",
    );
  });

  it("refuses a transfer into the fee account from a trader account of the fee owner's key: trading money would pass for collected fees", async function () {
    // Nothing is taken from a third party, but the fee account's collateral would no longer
    // be the fees the trades paid it: the owner could book money as fee income (or, into
    // the fund, lift the fund above its floor from a trading account) by a move the Vault
    // never sees. The fee account and the fund are credited by deposits, fees and penalties.
    await refusedAt(
      forged(transfer(FEE_KEYED, FEE_ACCOUNT), owners.fee, "TRANSFER_SYSTEM_ACCOUNT"),
      "NotSystemAccount()(to, transfer);",
    );
  });

  it("refuses a transfer into the insurance fund from a trader account of the fund owner's key", async function () {
    await refusedAt(
      forged(transfer(FUND_KEYED, INSURANCE_ACCOUNT), owners.fund, "TRANSFER_SYSTEM_ACCOUNT"),
      "NotSystemAccount()(to, transfer);",
    );
  });

  it("refuses a transfer of an account to itself: the twin refuses it, the circuit would prove it as a no-op that spends the nonce", async function () {
    // Without the rule the destination is the source's own leaf, read in the tree after its
    // debit, credited back: its funding settled and its nonce spent, the amount moved
    // nowhere. No money moves, but the circuit would prove a batch its twin never builds
    // (TRANSFER_SELF), and the source's margin check would judge a debit that did not happen.
    await refusedAt(forged(transfer(3n, 3n), trader, "TRANSFER_SELF"), "toSelf * transfer === 0;");
  });

  it("refuses a destination whose key shares y with the owner's, (-x, y): its x alone differs", async function () {
    // the negated key is another key; only the x comparison tells it from the owner's
    await refusedAt(
      forged(transfer(3n, MIRROR_X), trader, "TRANSFER_BAD_DESTINATION"),
      "(toAx - ax) * transfer === 0;",
    );
  });

  it("refuses a destination whose key shares x with the owner's, (x, -y): its y alone differs", async function () {
    // (x, -y) is the owner's key negated plus (0, -1), the curve's point of order 2: another
    // point on the curve, another key; only the y comparison tells it from the owner's
    await refusedAt(
      forged(transfer(3n, MIRROR_Y), trader, "TRANSFER_BAD_DESTINATION"),
      "(toAy - ay) * transfer === 0;",
    );
  });

  it("refuses a transfer to another trader's account: a signature for one's own accounts would pay a stranger", async function () {
    // The owner signs `to` and its flag, not the destination's key. Without the key rule
    // (both coordinates' checks: trader 4's key differs from trader 3's in x and in y, so
    // with one of them gone the other refuses it, and the mirror keys above test each alone)
    // a transfer is a payment between keys inside the exchange, off the Vault's books, and
    // a signature meant for an own sub-account pays whoever holds index `to` when it is
    // proven (an index the owner mistyped, say). Nothing else names the destination's owner.
    await refusedAt(
      forged(transfer(3n, 4n), trader, "TRANSFER_BAD_DESTINATION"),
      "(toAx - ax) * transfer === 0;",
    );
  });

  it("refuses a transfer signed to a cross account into a sub-account isolated to market 0: the money would back one market only", async function () {
    // The owner signed a move into a cross-margin account (flag 0); account 9 is isolated to
    // market 0 (flag 1). Without the flag rule the money lands where its owner did not send
    // it: margin for one market's position instead of every position's, lost with that
    // sub-account's liquidation alone; the other way, money meant to stay isolated would
    // answer for every position's losses.
    await refusedAt(
      forged(transfer(3n, ISOLATED), trader, "TRANSFER_BAD_DESTINATION"),
      "(dest.flag - toFlag) * transfer === 0;",
    );
  });

  it("refuses a transfer signed to market 1's sub-account into market 0's", async function () {
    await refusedAt(
      forged(transfer(3n, ISOLATED, 1), trader, "TRANSFER_BAD_DESTINATION"),
      "(dest.flag - toFlag) * transfer === 0;",
    );
  });
});
