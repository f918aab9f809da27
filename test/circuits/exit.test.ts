import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { exitPayout, exitSignerHash, signExit, verifyExit } from "../../prover/src/domain/exit.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import { exitAccountPublicSignals, type ExitAccountInput } from "../../prover/src/domain/inputs.ts";
import { exitInput } from "../../prover/src/engine/exit.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { sampleExchange, simpleTrade, type Sample } from "../../prover/src/dev/sample.ts";
import {
  assertRefused,
  editWitness,
  TEST_PARAMS,
  testCircuit,
  witnessFor,
  type WireEdit,
} from "../helpers/circuit.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";

const P = TEST_PARAMS;
const ZERO = zeroIndices(P.markets);
const TO = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
const exit = (input: ExitAccountInput) => ({ kind: "exit_account" as const, input });

function inputFor(s: Sample, trader: number, marks = s.marks, signer = trader): ExitAccountInput {
  const t = s.traders[trader];
  const sig = signExit(t.index, TO, s.traders[signer].keys.privateKey, s.domain);
  return exitInput(s.state, t.index, TO, sig, marks, zeroIndices(marks.length), oneX(marks.length));
}

async function publicOf(input: ExitAccountInput): Promise<bigint[]> {
  const w = await witnessFor(exit(input));
  return w.slice(1, 1 + exitAccountPublicSignals(input).length);
}

/**
 * ExitAccount: the exit after a freeze pays max(0, equity at the frozen round's marks) to
 * the address the leaf's key named (a trader's, or the fee or fund owner's: every exit is
 * signed), for a leaf in the given root; nothing else passes.
 */
describe("ExitAccount circuit (test parameters)", function () {
  let s: Sample;
  /** Marks at which trader 2 (long) is under water. */
  let crash: bigint[];

  before(function () {
    s = sampleExchange(P, 4, 1_000_000n);
    // trader 2 buys 1 lot of market 0 from trader 3 at the mark (10% of it is margin)
    const trade = simpleTrade(s, s.traders[2], s.traders[3], 0, 1n, s.marks[0], {
      buy: 1n,
      sell: 1n,
    });
    settleTrades(s.state, [trade], s.marks, P.batch);
    crash = [s.marks[0] / 2n, s.marks[1]];
  });

  it("pays the equity of a flat account, and of an open position at the marks, as the engine does", async function () {
    const flat = inputFor(s, 0);
    assert.equal(flat.payout, s.state.getAccount(s.traders[0].index).collateral);
    assert.deepEqual(await publicOf(flat), exitAccountPublicSignals(flat));
    // the short side gains when the price halves: positions settle at the marks
    const short = inputFor(s, 3, crash);
    const e = equity(s.state.getAccount(s.traders[3].index), crash);
    assert.ok(e > s.state.getAccount(s.traders[3].index).collateral);
    assert.equal(short.payout, e);
    assert.deepEqual(await publicOf(short), exitAccountPublicSignals(short));
  });

  it("pays to any address, the top one included, and refuses a recipient of 0 or beyond 160 bits for its own check", async function () {
    const t = s.traders[0];
    const top = (1n << 160n) - 1n;
    const sig = signExit(t.index, top, t.keys.privateKey, s.domain);
    const input = exitInput(s.state, t.index, top, sig, s.marks, ZERO, oneX(s.marks.length));
    assert.deepEqual(await publicOf(input), exitAccountPublicSignals(input));
    // no address has these: each is refused in the circuit's first section, before the
    // signature over it is looked at (Settlement passes an address, so they never arrive)
    await assertRefused(exit({ ...input, recipient: 1n << 160n }), "RangeCheck");
    await assertRefused(exit({ ...input, recipient: 0n }), "ExitAccount");
  });

  it("pays 0 to an account under water, never a negative amount", async function () {
    const long = s.state.getAccount(s.traders[2].index);
    assert.ok(equity(long, crash) < 0n, "trader 2 is under water at the crash marks");
    const under = inputFor(s, 2, crash);
    assert.equal(under.payout, 0n);
    assert.equal(exitPayout(long, crash, zeroIndices(crash.length)), 0n);
    assert.deepEqual(await publicOf(under), exitAccountPublicSignals(under));
    // claiming its (negative) equity, or anything above 0, is refused
    await assertRefused(exit({ ...under, payout: equity(long, crash) }), "ExitAccount");
    await assertRefused(exit({ ...under, payout: 1n }), "ExitAccount");
  });

  it("refuses a payout above the equity (the amount is bound to the proven leaf)", async function () {
    const flat = inputFor(s, 0);
    await assertRefused(exit({ ...flat, payout: flat.payout + 1n }), "ExitAccount");
  });

  it("refuses another root, another account's index, and another account's leaf", async function () {
    const flat = inputFor(s, 0);
    await assertRefused(exit({ ...flat, root: flat.root + 1n }), "ExitAccount");
    // trader 0's leaf and signature, claimed at trader 1's index
    await assertRefused(exit({ ...flat, account: s.traders[1].index }), "ExitAccount");
    // trader 1's leaf data (richer or not) with trader 0's signature at trader 0's index
    const other = inputFor(s, 1);
    await assertRefused(
      exit({
        ...flat,
        leafAx: other.leafAx,
        leafAy: other.leafAy,
        leafBalance: other.leafBalance,
        siblings: other.siblings,
      }),
      "ExitAccount",
    );
  });

  it("refuses a recipient the account key did not sign, and another key's signature", async function () {
    const flat = inputFor(s, 0);
    await assertRefused(exit({ ...flat, recipient: TO + 1n }), "EdDSAPoseidonVerifier");
    const stranger = inputFor(s, 0, s.marks, 1);
    assert.equal(
      verifyExit(
        s.traders[0].index,
        TO,
        { r8x: stranger.sigR8x, r8y: stranger.sigR8y, s: stranger.sigS },
        s.traders[0].keys.publicKey,
        s.domain,
      ),
      false,
    );
    await assertRefused(exit(stranger), "EdDSAPoseidonVerifier");
  });

  it("refuses other marks than the binding names", async function () {
    const flat = inputFor(s, 3);
    await assertRefused(exit({ ...flat, mark: crash }), "ExitAccount");
  });

  it("needs the fee owner's and the fund owner's signatures for their accounts' exits, as a trader's", async function () {
    const owners = devOwnerKeys();
    const systems = [
      { account: FEE_ACCOUNT, owner: owners.fee, other: owners.fund },
      { account: INSURANCE_ACCOUNT, owner: owners.fund, other: owners.fee },
    ];
    for (const { account, owner, other } of systems) {
      // signed by the owner whose key is in the leaf: passes, paying the account's equity
      const sig = signExit(account, TO, owner.privateKey, s.domain);
      const input = exitInput(s.state, account, TO, sig, s.marks, ZERO, oneX(s.marks.length));
      assert.equal(input.payout, exitPayout(s.state.getAccount(account), s.marks, ZERO));
      assert.deepEqual(await publicOf(input), exitAccountPublicSignals(input));
      // no signature: the twin refuses it, and the circuit's verifier (always enabled) too
      assert.throws(
        () => exitInput(s.state, account, TO, null, s.marks, ZERO, oneX(s.marks.length)),
        (e: unknown) => e instanceof ZkClearError && e.code === "EXIT_UNSIGNED",
      );
      await assertRefused(
        exit({ ...input, sigR8x: 0n, sigR8y: 0n, sigS: 0n }),
        "EdDSAPoseidonVerifier",
      );
      // signed by another key (the other owner's, a trader's): refused
      for (const k of [other, s.traders[0].keys]) {
        const wrong = signExit(account, TO, k.privateKey, s.domain);
        assert.equal(verifyExit(account, TO, wrong, owner.publicKey, s.domain), false);
        await assertRefused(
          exit(exitInput(s.state, account, TO, wrong, s.marks, ZERO, oneX(s.marks.length))),
          "EdDSAPoseidonVerifier",
        );
      }
      // the owner's signature of another recipient: the proof cannot name a substitute
      await assertRefused(exit({ ...input, recipient: TO + 1n }), "EdDSAPoseidonVerifier");
    }
  });

  it("refuses an unsigned trader's exit and the empty leaf", async function () {
    assert.throws(
      () => exitInput(s.state, 0n, TO, null, s.marks, ZERO, oneX(s.marks.length)),
      /empty leaf/,
    );
    // a trader's exit without its signature is refused by the twin and by the circuit
    assert.throws(
      () => exitInput(s.state, s.traders[0].index, TO, null, s.marks, ZERO, oneX(s.marks.length)),
      (e: unknown) => e instanceof ZkClearError && e.code === "EXIT_UNSIGNED",
    );
    const unsigned = { ...inputFor(s, 0), sigR8x: 0n, sigR8y: 0n, sigS: 0n };
    await assertRefused(exit(unsigned), "EdDSAPoseidonVerifier");
    // the fee account's leaf and its owner's signature claimed at index 0 (the empty leaf)
    const feeSig = signExit(FEE_ACCOUNT, TO, devOwnerKeys().fee.privateKey, s.domain);
    const fee = exitInput(s.state, FEE_ACCOUNT, TO, feeSig, s.marks, ZERO, oneX(s.marks.length));
    await assertRefused(exit({ ...fee, account: 0n }), "ExitAccount");
  });

  it("with signer != 0 takes a system account's exit signed by the key hashing to it (a pending owner key), never a trader's", async function () {
    const pending = devKeyPair("pending fund owner");
    const sig = signExit(INSURANCE_ACCOUNT, TO, pending.privateKey, s.domain);
    const input = exitInput(
      s.state,
      INSURANCE_ACCOUNT,
      TO,
      sig,
      s.marks,
      ZERO,
      oneX(s.marks.length),
      pending.publicKey,
    );
    assert.equal(input.signer, exitSignerHash(pending.publicKey));
    assert.deepEqual(await publicOf(input), exitAccountPublicSignals(input));
    // the pending key's signature with signer 0: the leaf's key is checked, refused
    await assertRefused(exit({ ...input, signer: 0n }), "EdDSAPoseidonVerifier");
    // signer != Poseidon(signerX, signerY): refused in ExitAccount's body
    await assertRefused(exit({ ...input, signer: input.signer + 1n }), "ExitAccount");
    // the old (leaf) key's signature with the pending key named: refused by the verifier
    const old = signExit(INSURANCE_ACCOUNT, TO, devOwnerKeys().fund.privateKey, s.domain);
    await assertRefused(
      exit({ ...input, sigR8x: old.r8x, sigR8y: old.r8y, sigS: old.s }),
      "EdDSAPoseidonVerifier",
    );
    // signer 0 with the leaf key's signature still passes (no rotation pending)
    const leaf = exitInput(
      s.state,
      INSURANCE_ACCOUNT,
      TO,
      old,
      s.marks,
      ZERO,
      oneX(s.marks.length),
    );
    assert.equal(leaf.signer, 0n);
    assert.deepEqual(await publicOf(leaf), exitAccountPublicSignals(leaf));
    // a trader with a signer != 0: the twin refuses it, and so does the circuit
    const t = s.traders[0];
    const own = devKeyPair("a trader's second key");
    const tSig = signExit(t.index, TO, own.privateKey, s.domain);
    assert.throws(
      () =>
        exitInput(s.state, t.index, TO, tSig, s.marks, ZERO, oneX(s.marks.length), own.publicKey),
      (e: unknown) => e instanceof ZkClearError && e.code === "EXIT_SIGNER_NOT_SYSTEM",
    );
    const trader = inputFor(s, 0);
    await assertRefused(
      exit({
        ...trader,
        signer: exitSignerHash(own.publicKey),
        signerX: own.publicKey.x,
        signerY: own.publicKey.y,
        sigR8x: tSig.r8x,
        sigR8y: tSig.r8y,
        sigS: tSig.s,
      }),
      "ExitAccount",
    );
  });
  // The witness calculator computes the leaf's unpacked collateral and the funding from the
  // inputs, so an input cannot claim others; only a witness edited after it ran shows that
  // they are constrained. With `leaf.balance`, `funding.lastIndex` or `funding.index` made
  // `<--` (exit-account.circom), every test above passes and the determinism check runs out
  // of solver time, yet the exiting user could pay themselves 2^112 more than their equity.
  it("binds the exit's collateral and funding to the proven leaf and the frozen indices (witnesses edited at the R1CS level)", async function () {
    const files = await testCircuit("exit_account");
    const r1cs = readR1cs(files.r1cs);
    const sym = readSymbols(files.sym);
    const honest = await witnessFor(exit(inputFor(s, 2)));
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    const D = 1n << 112n;
    // equity E < 2^112 (bit 112 of E + 2^133 is 0): the payout raised by 2^112
    const payoutRaised: WireEdit[] = [
      ["main.funding.collateralOut", "add", D],
      ["main.sign.in", "add", D],
      ["main.sign.out[112]", "flip", 0n],
      ["main.payout", "add", D],
    ];
    const forgeries: [string, WireEdit[]][] = [
      [
        // the unpacked collateral 2^112 above the hashed balance's (bit 112 of c + 2^128)
        "a collateral the leaf does not hold",
        [
          ["main.leaf.balanceBits.out[112]", "flip", 0n],
          ["main.leaf.balance", "add", D],
          ["main.leaf.collateral", "add", D],
          ["main.funding.collateral", "add", D],
          ...payoutRaised,
        ],
      ],
      // funding received that the indices do not give: owed -2^132, a payment of -2^112,
      // through the position's last index or through the frozen index
      ...(
        [
          ["main.funding.lastIndex[0]", 1n << 132n],
          ["main.funding.index[0]", -(1n << 132n)],
        ] as const
      ).map(([moved, value]): [string, WireEdit[]] => [
        `funding the frozen indices do not give (${moved})`,
        [
          ["main.funding.term[0]", "set", -(1n << 132n)],
          ["main.funding.bits.out[132]", "flip", 1n],
          ["main.funding.bits.in", "add", -(1n << 132n)],
          ["main.funding.payment", "add", -D],
          [moved, "set", value],
          ["main.funding.wordOut[0]", "add", -(1n << 293n)],
          ...payoutRaised,
        ],
      ]),
    ];
    for (const [label, edits] of forgeries) {
      const forged = editWitness(honest, sym, edits);
      assert.notDeepEqual(forged, honest, label);
      assert.ok(
        unsatisfiedConstraints(r1cs, forged).length > 0,
        `${label} must break a constraint`,
      );
    }
  });
});
