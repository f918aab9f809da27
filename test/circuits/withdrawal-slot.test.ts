import assert from "node:assert/strict";
import { pow2 } from "../../prover/src/domain/amounts.ts";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import {
  ADDRESS_BITS,
  COLLATERAL_BITS,
  FUNDING_SCALE_BITS,
  NONCE_BITS,
  TRANSFER_BITS,
  WITHDRAW_ACCOUNT_SHIFT,
  WITHDRAW_AMOUNT_SHIFT,
  WITHDRAW_NONCE_SHIFT,
  WITHDRAW_TAG,
} from "../../prover/src/domain/constants.ts";
import { FIELD_MODULUS, mod } from "../../prover/src/domain/field.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import type { ProcessWithdrawalsInput } from "../../prover/src/domain/inputs.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { signTransfer } from "../../prover/src/domain/sub-accounts.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { sampleExchange, type Sample, type Trader } from "../../prover/src/dev/sample.ts";
import { leafWitness } from "../../prover/src/engine/leaf-witness.ts";
import { processWithdrawals, TransferBatchError } from "../../prover/src/engine/transfers.ts";
import { assertRefusedAt, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";

// WithdrawalSlot (circuits/src/process-withdrawals.circom) checks each field of a signed
// withdrawal before it reads it. The mutation run (docs/verification.md) found that no test
// gave a slot a flag of 2, a negative amount, an amount or a recipient beyond its range or
// at its top, or an account at its last nonce: each of those checks could be deleted,
// narrowed or widened with every test green. Each case below is signed by the account's
// key and carries the public payout and new root that the rest of the circuit computes
// from it, so only the check named refuses it; the comments say what it would steal.

const P = TEST_PARAMS;
const R = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
const COLLATERAL = 1_000_000n;

const withdrawals = (input: ProcessWithdrawalsInput) => ({
  kind: "process_withdrawals" as const,
  input,
});

/** Refused by WithdrawalSlot's `statement`, not by anything before or after it. */
const refusedAt = (input: ProcessWithdrawalsInput, statement: string) =>
  assertRefusedAt(
    witnessFor(withdrawals(input)),
    "process-withdrawals.circom",
    "WithdrawalSlot",
    statement,
  );

/** A sample whose first trader's account is `edit`ed (written without the engine's checks). */
function sample(edit: Partial<Account> = {}): { s: Sample; t: Trader } {
  const s = sampleExchange(P, 2, COLLATERAL);
  const t = s.traders[0];
  s.state.setAccount(t.index, { ...s.state.getAccount(t.index), ...edit }, false);
  return { s, t };
}

/** The circuit's withdrawal message, in its field arithmetic (the twin assumes ranges). */
function fieldMessage(s: Sample, account: bigint, nonce: bigint, amount: bigint, to: bigint) {
  const first = mod(
    WITHDRAW_TAG +
      account * pow2(WITHDRAW_ACCOUNT_SHIFT) +
      nonce * pow2(WITHDRAW_NONCE_SHIFT) +
      amount * pow2(WITHDRAW_AMOUNT_SHIFT),
  );
  return poseidon([first, mod(to), s.domain]);
}

/** The batch's fields (markets, marks, binding, a padding slot) at the given funding indices. */
function batchTemplate(indices?: readonly bigint[]): ProcessWithdrawalsInput {
  const h = sample();
  const small = signWithdrawal(
    { account: h.t.index, nonce: 0n, amount: 1n, recipient: R },
    h.t.keys.privateKey,
    h.s.domain,
  );
  return processWithdrawals(h.s.state, [small], h.s.marks, P.withdrawals, {}, indices).input;
}

/**
 * A batch with one withdrawal slot as the circuit would compute it for these values (which
 * the engine refuses): signed by the account's key, its payout the circuit's word
 * `enabled * (recipient + amount << 160)` in the field, and the new root the tree's with
 * the account written as `after` (the leaf the circuit would write).
 */
function forged(
  edit: Partial<Account>,
  w: { amount: bigint; recipient: bigint; enabled?: bigint; indices?: readonly bigint[] },
  after: (a: Account) => Account,
  newRoot?: (oldRoot: bigint, written: bigint) => bigint,
): ProcessWithdrawalsInput {
  const { s, t } = sample(edit);
  const template = batchTemplate(w.indices);
  const before = s.state.getAccount(t.index);
  const sig = sign(
    t.keys.privateKey,
    fieldMessage(s, t.index, before.withdrawNonce, w.amount, w.recipient),
  );
  const enabled = w.enabled ?? 1n;
  const slot = {
    ...template.slots[0],
    ...leafWitness(s.state, t.index),
    enabled,
    account: t.index,
    amount: w.amount,
    recipient: w.recipient,
    sigR8x: sig.r8x,
    sigR8y: sig.r8y,
    sigS: sig.s,
  };
  const oldRoot = s.state.root;
  s.state.setAccount(t.index, after(before), false);
  const written = s.state.root;
  return {
    ...template,
    oldRoot,
    newRoot: newRoot ? newRoot(oldRoot, written) : written,
    payout: [mod(enabled * (w.recipient + w.amount * pow2(ADDRESS_BITS))), 0n],
    slots: [slot, template.slots[1]],
  };
}

/** The honest batch for one withdrawal by the sample's first trader, as the engine builds it. */
function honest(edit: Partial<Account>, amount: bigint, recipient = R): ProcessWithdrawalsInput {
  const { s, t } = sample(edit);
  const nonce = s.state.getAccount(t.index).withdrawNonce;
  const sw = signWithdrawal(
    { account: t.index, nonce, amount, recipient },
    t.keys.privateKey,
    s.domain,
  );
  return processWithdrawals(s.state, [sw], s.marks, P.withdrawals).input;
}

const debit = (amount: bigint) => (a: Account) => ({
  ...a,
  collateral: a.collateral - amount,
  withdrawNonce: a.withdrawNonce + 1n,
});

describe("WithdrawalSlot: each field's range, at its top and one beyond (test parameters)", function () {
  before(async function () {
    await testCircuit("process_withdrawals");
  });

  it("refuses a slot enabled twice: it would pay twice the amount, debited once", async function () {
    // enabled = 2 doubles the payout word (2 * recipient + 2 * amount << 160: twice the
    // amount, to an address the prover picks by signing half of it) and scales the root step
    await refusedAt(
      forged({}, { amount: 1_000n, recipient: R, enabled: 2n }, debit(1_000n), (old, written) =>
        mod(old + 2n * (written - old)),
      ),
      "AssertBit()(enabled);",
    );
  });

  it("refuses a transfer flag of 2", async function () {
    const input = honest({}, 1_000n);
    const [slot, pad] = input.slots;
    await refusedAt(
      { ...input, slots: [{ ...slot, isTransfer: 2n }, pad] },
      "AssertBit()(isTransfer);",
    );
  });

  it("pays the top amount, 2^92 - 1, leaving more than 2^127; refuses 2^92 with the collateral to cover it", async function () {
    // the engine takes amounts below 2^92 (TRANSFER_BITS) and collateral below 2^128
    const rich = { collateral: pow2(127) + pow2(TRANSFER_BITS) };
    const top = pow2(TRANSFER_BITS) - 1n;
    await witnessFor(withdrawals(honest(rich, top)));
    await witnessFor(withdrawals(honest({ collateral: pow2(TRANSFER_BITS) }, top)));
    assert.throws(
      () => honest({ collateral: pow2(TRANSFER_BITS) }, pow2(TRANSFER_BITS)),
      /withdrawal amount/,
    );
    await refusedAt(
      forged(
        { collateral: pow2(TRANSFER_BITS) },
        { amount: pow2(TRANSFER_BITS), recipient: R },
        debit(pow2(TRANSFER_BITS)),
      ),
      "RangeCheck(TRANSFER_BITS())(amount);",
    );
  });

  it("refuses a negative amount, signed: it would credit the account and pay a word that wraps the field", async function () {
    const k = 5_000n;
    await refusedAt(
      forged({}, { amount: FIELD_MODULUS - k, recipient: R }, debit(-k)),
      "RangeCheck(TRANSFER_BITS())(amount);",
    );
  });

  it("pays an address with its top bit set; refuses a recipient that spills into the amount", async function () {
    await witnessFor(withdrawals(honest({}, 1_000n, pow2(ADDRESS_BITS) - 1n)));
    await witnessFor(withdrawals(honest({}, 1_000n, pow2(ADDRESS_BITS - 1))));
    // recipient + 2^160 with amount - 1 makes the same payout word as the honest one: the
    // Vault pays the full amount, the account is debited one unit less
    const amount = 1_000n;
    await refusedAt(
      forged({}, { amount: amount - 1n, recipient: R + pow2(ADDRESS_BITS) }, debit(amount - 1n)),
      "RangeCheck(ADDRESS_BITS())(recipient);",
    );
  });

  it("withdraws at nonce 2^32 - 2; refuses the last nonce, 2^32 - 1, whose successor would spill into the leaf's flag", async function () {
    const last = pow2(NONCE_BITS) - 1n;
    await witnessFor(withdrawals(honest({ withdrawNonce: last - 1n }, 1_000n)));
    // the owner's wallet does not sign it, and the engine refuses it signed elsewhere, as
    // its slot's (the batcher refuses that request alone)
    const refusal = /withdrawal nonce = 4294967295 is outside \[0, 2\^32 - 1\)/;
    assert.throws(() => honest({ withdrawNonce: last }, 1_000n), refusal);
    const { s, t } = sample({ withdrawNonce: last });
    const sw = {
      withdrawal: { account: t.index, nonce: last, amount: 1_000n, recipient: R },
      signature: sign(t.keys.privateKey, fieldMessage(s, t.index, last, 1_000n, R)),
    };
    assert.throws(
      () => processWithdrawals(s.state, [sw], s.marks, P.withdrawals),
      (e: unknown) =>
        e instanceof TransferBatchError &&
        e.slot === 0 &&
        e.code === "VALUE_OUT_OF_RANGE" &&
        refusal.test(e.message),
    );
    // the balance packs the nonce at bit 129 and the flag at bit 161: nonce 2^32 would write
    // nonce 0 and flag 1, a sub-account of market 0 whose old signatures are good again
    await refusedAt(
      forged({ withdrawNonce: last }, { amount: 1_000n, recipient: R }, (a) => ({
        ...a,
        collateral: a.collateral - 1_000n,
        withdrawNonce: 0n,
        isolatedMarket: 0,
      })),
      "RangeCheck(NONCE_BITS())(newNonce);",
    );
  });
  it("refuses a withdrawal of unrealized profit: collateral stays >= 0 though the gain covers the margin", async function () {
    // a long of one lot 1,000,000 units in profit at the mark: equity 1,001,000 against an
    // initial margin of 600,000, but only 1,000 of it is collateral the Vault holds for it
    const { s } = sample();
    const gain = 1_000_000n;
    const long = { ...EMPTY_POSITION, size: 1n, notional: s.marks[0] - gain };
    const edit = {
      collateral: 1_000n,
      positions: s.state
        .getAccount(s.traders[0].index)
        .positions.map((p, j) => (j === 0 ? long : p)),
    };
    await witnessFor(withdrawals(honest(edit, 1_000n)));
    assert.throws(() => honest(edit, 1_001n), /exceeds collateral/);
    await refusedAt(
      forged(edit, { amount: 1_001n, recipient: R }, debit(1_001n)),
      "RangeCheck(COLLATERAL_BITS())(collateralCheck);",
    );
  });

  it("leaves collateral up to 2^128 - 1; refuses a withdrawal that funding would take to 2^128", async function () {
    // an account at the top of the collateral range, receiving funding on a long position:
    // settled, its collateral passes 2^128, and the balance word's collateral field would
    // spill into the nonce (the account left at -2^128 with nonce 2)
    const INDEX = -pow2(40);
    const top = pow2(COLLATERAL_BITS) - 1n;
    const { s } = sample();
    const long = { ...EMPTY_POSITION, size: 1n, notional: s.marks[0] };
    const edit = {
      collateral: top,
      positions: s.state
        .getAccount(s.traders[0].index)
        .positions.map((p, j) => (j === 0 ? long : p)),
    };
    await witnessFor(withdrawals(honest({ collateral: top }, 1n)));
    const indices = [INDEX, ...Array<bigint>(P.markets - 1).fill(0n)];
    const received = pow2(40 - FUNDING_SCALE_BITS);
    await refusedAt(
      forged(edit, { amount: 1n, recipient: R, indices }, (a) => ({
        ...a,
        collateral: top + received - 1n - pow2(COLLATERAL_BITS + 1),
        withdrawNonce: 2n,
        positions: a.positions.map((p, j) => (j === 0 ? { ...p, fundingIndex: INDEX } : p)),
      })),
      "RangeCheck(COLLATERAL_BITS())(collateralCheck);",
    );
  });

  it("credits a destination up to 2^128 - 1; refuses a transfer that would take it to 2^128", async function () {
    const ISO = 6n;
    const exchange = (destCollateral: bigint) => {
      const x = sample();
      x.s.state.openAccount(ISO, x.t.keys.publicKey, destCollateral, 0);
      return x;
    };
    const transfer = (x: ReturnType<typeof exchange>, amount: bigint) =>
      signTransfer(
        { from: x.t.index, to: ISO, nonce: 0n, amount, isolatedMarket: 0 },
        P.markets,
        x.t.keys.privateKey,
        x.s.domain,
      );
    const top = pow2(COLLATERAL_BITS) - 1n;
    const ok = exchange(top - 1_000n);
    await witnessFor(
      withdrawals(
        processWithdrawals(ok.s.state, [transfer(ok, 1_000n)], ok.s.marks, P.withdrawals).input,
      ),
    );
    const over = exchange(top - 999n);
    const st = transfer(over, 1_000n);
    assert.throws(
      () => processWithdrawals(over.s.state, [st], over.s.marks, P.withdrawals),
      /account 6's collateral would exceed 2\^128/,
    );
    // the slot as the circuit would take it: the source debited, then the destination's
    // leaf in the tree after that, credited to 2^128, which its balance word would hold as
    // collateral -2^128 and the next nonce
    const { s, t } = over;
    const template = batchTemplate();
    const oldRoot = s.state.root;
    const source = leafWitness(s.state, t.index);
    const a = s.state.getAccount(t.index);
    s.state.setAccount(t.index, { ...a, collateral: a.collateral - 1_000n, withdrawNonce: 1n });
    const dest = leafWitness(s.state, ISO);
    const d = s.state.getAccount(ISO);
    s.state.setAccount(ISO, { ...d, collateral: -pow2(COLLATERAL_BITS), withdrawNonce: 1n }, false);
    const slot = {
      ...template.slots[0],
      ...source,
      account: t.index,
      amount: 1_000n,
      recipient: 0n,
      sigR8x: st.signature.r8x,
      sigR8y: st.signature.r8y,
      sigS: st.signature.s,
      isTransfer: 1n,
      to: ISO,
      toFlag: 1n,
      toAx: dest.leafAx,
      toAy: dest.leafAy,
      toBalance: dest.leafBalance,
      toWord: dest.leafWord,
      toNotional: dest.leafNotional,
      toSiblings: dest.siblings,
    };
    await refusedAt(
      {
        ...template,
        oldRoot,
        newRoot: s.state.root,
        payout: [0n, 0n],
        slots: [slot, template.slots[1]],
      },
      "_ <== SignedRangeCheck(COLLATERAL_BITS())(transfer * destCollateral);",
    );
  });
});
