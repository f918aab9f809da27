import assert from "node:assert/strict";
import { devOwners } from "../../prover/src/domain/owners.ts";
import fc from "fast-check";
import { FIRST_USER_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import {
  signWithdrawal,
  withdrawalMessage,
  type Deposit,
} from "../../prover/src/domain/transfers.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import {
  applyDeposits,
  processWithdrawals,
  TransferBatchError,
} from "../../prover/src/engine/transfers.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import type {
  ApplyDepositsInput,
  ProcessWithdrawalsInput,
} from "../../prover/src/domain/inputs.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { assertRefused, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { DEFAULT_MARKS } from "../../prover/src/domain/market.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";

const P = TEST_PARAMS;
const MARKS = DEFAULT_MARKS.slice(0, P.markets);
const key = (i: number) => devKeyPair(`depositor-${i}`).publicKey;
const RECIPIENT = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;

function genesis() {
  return ExchangeState.genesis(P.depth, defaultMarkets(P.markets), SAMPLE_DOMAIN, devOwners());
}

const deposits = (input: ApplyDepositsInput) => ({ kind: "apply_deposits" as const, input });
const withdrawals = (input: ProcessWithdrawalsInput) => ({
  kind: "process_withdrawals" as const,
  input,
});

function code(f: () => unknown): string {
  try {
    f();
    return "accepted";
  } catch (e) {
    return (e as TransferBatchError).code;
  }
}

describe("ApplyDeposits circuit (test parameters)", function () {
  it("creates accounts on first deposit and credits them after, as the engine does (property)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ who: fc.nat(2), amount: fc.bigInt(1n, (1n << 92n) - 1n) }), {
          minLength: 0,
          maxLength: P.deposits,
        }),
        async (rows) => {
          const s = genesis();
          // a first deposit names the new account's key, a top-up none (as the Vault queues them)
          const ds: Deposit[] = rows.map((r, i) => ({
            account: FIRST_USER_ACCOUNT + BigInt(r.who),
            amount: r.amount,
            pubKey: rows.slice(0, i).some((q) => q.who === r.who) ? { x: 0n, y: 0n } : key(r.who),
          }));
          const r = applyDeposits(s, ds, 123n, P.deposits);
          const w = await witnessFor(deposits(r.input));
          assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.queueFrom, r.queueTo]);
          for (const d of ds) assert.ok(s.hasAccount(d.account));
        },
      ),
      { numRuns: 6 },
    );
  });

  it("refuses claiming an existing account is new, and a new key off the curve", async function () {
    const s = genesis();
    applyDeposits(s, [{ account: 3n, amount: 10n, pubKey: key(0) }], 0n, P.deposits);
    // a top-up names no key (the Vault queues it so)
    const r = applyDeposits(
      s,
      [{ account: 3n, amount: 5n, pubKey: { x: 0n, y: 0n } }],
      0n,
      P.deposits,
    );
    const slot = r.input.slots[0];
    await assertRefused(
      deposits({ ...r.input, slots: [{ ...slot, isNew: 1n }, r.input.slots[1]] }),
      "DepositSlot",
    );
    const s2 = genesis();
    const bad = { x: 5n, y: 7n };
    assert.equal(
      code(() => applyDeposits(s2, [{ account: 3n, amount: 1n, pubKey: bad }], 0n, P.deposits)),
      "DEPOSIT_BAD_KEY",
    );
    const ok = applyDeposits(
      genesis(),
      [{ account: 3n, amount: 1n, pubKey: key(0) }],
      0n,
      P.deposits,
    );
    const forged = { ...ok.input.slots[0], pkX: bad.x, pkY: bad.y };
    await assertRefused(deposits({ ...ok.input, slots: [forged, ok.input.slots[1]] }), "BabyCheck");
  });

  it("refuses a slot's enable or new-account flag that is not a bit, where it is checked", async function () {
    // a 2 would scale the slot's root and queue steps (root + enabled * (new - root)), or mix
    // an existing leaf into a new one
    const r = applyDeposits(
      genesis(),
      [{ account: 3n, amount: 1n, pubKey: key(0) }],
      0n,
      P.deposits,
    );
    const [slot, pad] = r.input.slots;
    await assertRefused(
      deposits({ ...r.input, slots: [{ ...slot, enabled: 2n }, pad] }),
      "AssertBit",
    );
    await assertRefused(
      deposits({ ...r.input, slots: [{ ...slot, isNew: 2n }, pad] }),
      "AssertBit",
    );
    await assertRefused(
      deposits({ ...r.input, slots: [slot, { ...pad, isNew: 2n }] }),
      "AssertBit",
    );
  });

  it("credits exactly the queued deposits, in order, as a prefix", async function () {
    const s = genesis();
    const ds: Deposit[] = [
      { account: 3n, amount: 10n, pubKey: key(0) },
      { account: 4n, amount: 20n, pubKey: key(1) },
    ];
    const r = applyDeposits(s, ds, 0n, P.deposits);
    // a different end of the queue (e.g. a deposit left out) is refused
    await assertRefused(deposits({ ...r.input, queueTo: r.queueTo + 1n }), "ApplyDeposits");
    // a padding slot before a real one (a hole in the queue) is refused by the prefix rule,
    // even when every slot is otherwise consistent
    const [a, b] = r.input.slots;
    const one = applyDeposits(genesis(), [ds[0]], 0n, P.deposits);
    const [real, pad] = one.input.slots;
    await witnessFor(deposits(one.input));
    await assertRefused(deposits({ ...one.input, slots: [pad, real] }), "ApplyDeposits");
    // an amount at 2^92 is refused
    await assertRefused(
      deposits({ ...r.input, slots: [{ ...a, amount: 1n << 92n }, b] }),
      "RangeCheck",
    );
  });
});

describe("ProcessWithdrawals circuit (test parameters)", function () {
  function funded() {
    const s = sampleExchange(P, 2, 1_000_000n);
    return s;
  }

  it("pays a signed withdrawal once: the payout is public and the nonce moves on", async function () {
    const s = funded();
    const t = s.traders[0];
    const sw = signWithdrawal(
      { account: t.index, nonce: 0n, amount: 400_000n, recipient: RECIPIENT },
      t.keys.privateKey,
      s.domain,
    );
    const r = processWithdrawals(s.state, [sw], s.marks, P.withdrawals);
    const w = await witnessFor(withdrawals(r.input));
    assert.deepEqual(w.slice(1, 1 + 3 + P.withdrawals), [
      r.oldRoot,
      r.newRoot,
      r.priceConfigHash,
      ...r.payouts,
    ]);
    assert.equal(r.payouts[0], RECIPIENT + (400_000n << 160n));
    assert.equal(r.payouts[1], 0n);
    assert.equal(s.state.getAccount(t.index).withdrawNonce, 1n);
    // the same signed withdrawal again: the engine refuses the nonce ...
    assert.equal(
      code(() => processWithdrawals(s.state, [sw], s.marks, P.withdrawals)),
      "WITHDRAW_BAD_NONCE",
    );
    // ... and the circuit refuses the old signature against the new nonce
    const fresh = signWithdrawal(
      { account: t.index, nonce: 1n, amount: 400_000n, recipient: RECIPIENT },
      t.keys.privateKey,
      s.domain,
    );
    const r2 = processWithdrawals(s.state, [fresh], s.marks, P.withdrawals);
    const replay = {
      ...r2.input.slots[0],
      sigR8x: sw.signature.r8x,
      sigR8y: sw.signature.r8y,
      sigS: sw.signature.s,
    };
    await assertRefused(
      withdrawals({ ...r2.input, slots: [replay, r2.input.slots[1]] }),
      "ForceEqualIfEnabled",
    );
  });

  it("refuses a withdrawal to the zero address, even properly signed", async function () {
    const s = funded();
    const t = s.traders[0];
    const w0 = { account: t.index, nonce: 0n, amount: 1_000n, recipient: 0n };
    assert.equal(
      code(() => signWithdrawal(w0, t.keys.privateKey, s.domain)),
      "WITHDRAW_NO_RECIPIENT",
    );
    // a valid batch, then the slot rewritten to the zero address and signed as such
    const sw = signWithdrawal({ ...w0, recipient: RECIPIENT }, t.keys.privateKey, s.domain);
    const r = processWithdrawals(s.state, [sw], s.marks, P.withdrawals);
    const sig = sign(t.keys.privateKey, withdrawalMessage(w0, s.domain));
    const [slot, pad] = r.input.slots;
    const files = await testCircuit("process_withdrawals");
    await assert.rejects(
      calculateWitness(
        files.wasm,
        CIRCUITS.process_withdrawals.toSignals({
          ...r.input,
          payout: [1_000n << 160n, 0n],
          slots: [{ ...slot, recipient: 0n, sigR8x: sig.r8x, sigR8y: sig.r8y, sigS: sig.s }, pad],
        }),
      ),
      (e: unknown) =>
        e instanceof WitnessError && e.templates[0]?.startsWith("WithdrawalSlot") === true,
    );
  });

  it("refuses another key's signature, a changed recipient, and an overdraft", async function () {
    const s = funded();
    const t = s.traders[0];
    const sw = signWithdrawal(
      { account: t.index, nonce: 0n, amount: 1_000n, recipient: RECIPIENT },
      t.keys.privateKey,
      s.domain,
    );
    const r = processWithdrawals(s.state, [sw], s.marks, P.withdrawals);
    const [slot, pad] = r.input.slots;
    const mallory = signWithdrawal(
      { account: t.index, nonce: 0n, amount: 1_000n, recipient: RECIPIENT },
      devKeyPair("mallory").privateKey,
      s.domain,
    );
    await assertRefused(
      withdrawals({
        ...r.input,
        slots: [
          {
            ...slot,
            sigR8x: mallory.signature.r8x,
            sigR8y: mallory.signature.r8y,
            sigS: mallory.signature.s,
          },
          pad,
        ],
      }),
      "ForceEqualIfEnabled",
    );
    // the public payout names another recipient
    await assertRefused(
      withdrawals({ ...r.input, payout: [r.payouts[0] + 1n, 0n] }),
      "ProcessWithdrawals",
    );
    // more than the collateral, properly signed: engine and circuit refuse
    const big = signWithdrawal(
      { account: t.index, nonce: 0n, amount: 2_000_000n, recipient: RECIPIENT },
      t.keys.privateKey,
      s.domain,
    );
    assert.equal(
      code(() => processWithdrawals(funded().state, [big], s.marks, P.withdrawals)),
      "WITHDRAW_INSUFFICIENT",
    );
    const over = {
      ...slot,
      amount: 2_000_000n,
      sigR8x: big.signature.r8x,
      sigR8y: big.signature.r8y,
      sigS: big.signature.s,
    };
    await assertRefused(withdrawals({ ...r.input, slots: [over, pad] }), "WithdrawalSlot");
  });

  it("refuses a withdrawal that leaves an open position below initial margin", async function () {
    const s = sampleExchange(P, 2, 1_000_000n);
    const [a, b] = s.traders;
    // 1 lot at 60,000.00 (6,000,000 units) needs 600,000 of initial margin; the fee took 3,000
    settleTrades(
      s.state,
      [simpleTrade(s, a, b, 0, 1n, MARKS[0], { buy: 1n, sell: 1n })],
      MARKS,
      P.batch,
    );
    const sw = signWithdrawal(
      { account: a.index, nonce: 0n, amount: 398_000n, recipient: RECIPIENT },
      a.keys.privateKey,
      s.domain,
    );
    assert.equal(
      code(() => processWithdrawals(s.state, [sw], MARKS, P.withdrawals)),
      "MARGIN_INSUFFICIENT",
    );
    const ok = signWithdrawal(
      { account: a.index, nonce: 0n, amount: 300_000n, recipient: RECIPIENT },
      a.keys.privateKey,
      s.domain,
    );
    const r = processWithdrawals(s.state, [ok], MARKS, P.withdrawals);
    await witnessFor(withdrawals(r.input));
    // the same slot with the bigger, properly signed amount fails the margin rule
    const s2 = sampleExchange(P, 2, 1_000_000n);
    settleTrades(
      s2.state,
      [simpleTrade(s2, s2.traders[0], s2.traders[1], 0, 1n, MARKS[0], { buy: 1n, sell: 1n })],
      MARKS,
      P.batch,
    );
    const r2 = processWithdrawals(s2.state, [ok], MARKS, P.withdrawals);
    const slot = {
      ...r2.input.slots[0],
      amount: 398_000n,
      sigR8x: sw.signature.r8x,
      sigR8y: sw.signature.r8y,
      sigS: sw.signature.s,
    };
    await assertRefused(
      withdrawals({ ...r2.input, slots: [slot, r2.input.slots[1]] }),
      "MarginRequirement",
    );
  });
});
