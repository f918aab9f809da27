import assert from "node:assert/strict";
import { signForcedRequest, type ForcedRequest } from "../../prover/src/domain/forced.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import type { AnswerForcedInput } from "../../prover/src/domain/inputs.ts";
import { answerForcedPublicSignals } from "../../prover/src/domain/inputs.ts";
import { answerForced, unpackOutcomes, FORCED_OUTCOMES } from "../../prover/src/engine/forced.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { sampleExchange, simpleTrade, type Sample } from "../../prover/src/dev/sample.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { ADDRESS_BITS, TRANSFER_BITS } from "../../prover/src/domain/constants.ts";
import { FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import { assertRefused, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";

const P = TEST_PARAMS;
const RECIPIENT = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
const forced = (input: AnswerForcedInput) => ({ kind: "answer_forced" as const, input });

function request(s: Sample, trader: number, amount: bigint, signer = trader): ForcedRequest {
  const t = s.traders[trader];
  const nonce = s.state.getAccount(t.index).withdrawNonce;
  return signForcedRequest(
    { account: t.index, amount, recipient: RECIPIENT },
    nonce,
    s.traders[signer].keys.privateKey,
    s.domain,
  );
}

/** The circuit's public signals, as its witness computes them (after the constant 1). */
async function publicOf(input: AnswerForcedInput): Promise<bigint[]> {
  const w = await witnessFor(forced(input));
  return w.slice(1, 1 + answerForcedPublicSignals(input).length);
}

describe("AnswerForced circuit (test parameters)", function () {
  it("pays a request signed by the account key and refuses one signed by another key, as the engine does", async function () {
    const s = sampleExchange(P, 3);
    const before = s.state.getAccount(s.traders[0].index);
    const reqs = [request(s, 0, 1_000n), request(s, 1, 500n, 2)];
    const r = answerForced(s.state, reqs, 77n, s.marks, P.withdrawals);
    assert.deepEqual(r.outcomes, ["paid", "bad_signature"]);
    assert.deepEqual(unpackOutcomes(r.packedOutcomes, 2), r.outcomes);
    assert.equal(r.payouts[0], RECIPIENT | (1_000n << 160n));
    assert.equal(r.payouts[1], 0n);
    const after = s.state.getAccount(s.traders[0].index);
    assert.equal(after.collateral, before.collateral - 1_000n);
    assert.equal(after.withdrawNonce, before.withdrawNonce + 1n);
    assert.deepEqual(await publicOf(r.input), answerForcedPublicSignals(r.input));
    // replayed after it was paid, the same signature is stale (the nonce moved): refused
    const again = answerForced(s.state, [reqs[0]], r.queueTo, s.marks, P.withdrawals);
    assert.deepEqual(again.outcomes, ["bad_signature"]);
    assert.equal(again.newRoot, again.oldRoot);
    assert.deepEqual(await publicOf(again.input), answerForcedPublicSignals(again.input));
  });

  it("refuses for lack of collateral, for initial margin, and for an account with no leaf, as the engine does", async function () {
    const s = sampleExchange(P, 4);
    // traders 2 and 3 trade: trader 2 holds a position whose margin needs collateral
    const trade = simpleTrade(s, s.traders[2], s.traders[3], 0, 1_000n, s.marks[0], {
      buy: 1n,
      sell: 1n,
    });
    settleTrades(s.state, [trade], s.marks, P.batch);
    const c0 = s.state.getAccount(s.traders[0].index).collateral;
    const c2 = s.state.getAccount(s.traders[2].index).collateral;
    const overdraw = answerForced(s.state, [request(s, 0, c0 + 1n)], 0n, s.marks, P.withdrawals);
    assert.deepEqual(overdraw.outcomes, ["cannot_pay"]);
    assert.deepEqual(await publicOf(overdraw.input), answerForcedPublicSignals(overdraw.input));
    // all of trader 2's collateral: it stays >= 0, but the position's margin fails
    const margin = answerForced(s.state, [request(s, 2, c2)], 0n, s.marks, P.withdrawals);
    assert.deepEqual(margin.outcomes, ["cannot_pay"]);
    assert.deepEqual(await publicOf(margin.input), answerForcedPublicSignals(margin.input));
    // an account index whose first deposit is not credited: the empty leaf
    const ghost = signForcedRequest(
      { account: 200n, amount: 5n, recipient: RECIPIENT },
      0n,
      devKeyPair("ghost").privateKey,
      s.domain,
    );
    const none = answerForced(s.state, [ghost], 0n, s.marks, P.withdrawals);
    assert.deepEqual(none.outcomes, ["no_account"]);
    assert.deepEqual(await publicOf(none.input), answerForcedPublicSignals(none.input));
  });

  describe("forged witnesses", function () {
    let s: Sample;
    let good: ReturnType<typeof answerForced>;
    let bad: ReturnType<typeof answerForced>;
    before(function () {
      s = sampleExchange(P, 3);
      const copy = sampleExchange(P, 3);
      good = answerForced(s.state, [request(s, 0, 1_000n)], 5n, s.marks, P.withdrawals);
      bad = answerForced(copy.state, [request(copy, 1, 1_000n, 2)], 5n, s.marks, P.withdrawals);
    });

    it("refuses paying a request whose signature does not verify", async function () {
      const slot = bad.input.slots[0];
      const paid = FORCED_OUTCOMES.paid;
      await assertRefused(
        forced({
          ...bad.input,
          outcomes: paid,
          payout: [slot.recipient | (slot.amount << 160n), 0n],
        }),
        "AnswerForced",
      );
    });

    it("refuses refusing a request that must be paid (claiming a bad signature)", async function () {
      await assertRefused(
        forced({
          ...good.input,
          newRoot: good.input.oldRoot,
          outcomes: FORCED_OUTCOMES.bad_signature,
          payout: [0n, 0n],
        }),
        "AnswerForced",
      );
    });

    it("refuses a payout to another recipient or of another amount", async function () {
      const p = good.input.payout[0];
      await assertRefused(forced({ ...good.input, payout: [p + 1n, 0n] }), "AnswerForced");
      await assertRefused(
        forced({ ...good.input, payout: [p + (1n << 160n), 0n] }),
        "AnswerForced",
      );
    });

    it("refuses another queue end, a skipped request, and a request not in the queue", async function () {
      await assertRefused(forced({ ...good.input, queueTo: good.queueTo + 1n }), "AnswerForced");
      const [real, pad] = good.input.slots;
      await assertRefused(forced({ ...good.input, slots: [pad, real] }), "AnswerForced");
      // the same answer one slot later, every public value moved with it: a padding slot
      // before an answered one is what the prefix rule refuses (Settlement reads the
      // outcomes and payouts by position)
      await assertRefused(
        forced({
          ...good.input,
          outcomes: good.input.outcomes * 8n,
          payout: [0n, good.input.payout[0]],
          slots: [pad, real],
        }),
        "AnswerForced",
      );
      // the same request with another amount is another queue entry
      await assertRefused(
        forced({ ...good.input, slots: [{ ...real, amount: real.amount + 1n }, pad] }),
        "AnswerForced",
      );
    });

    it("refuses claiming an existing account has no leaf", async function () {
      const [real, pad] = bad.input.slots;
      await assertRefused(
        forced({
          ...bad.input,
          outcomes: FORCED_OUTCOMES.no_account,
          slots: [{ ...real, leafAx: 0n }, pad],
        }),
        "ForcedSlot",
      );
    });

    // The queue binds a request's payout word, recipient | amount << 160, not how the slot
    // splits it: the range checks of amount and recipient make the split unique. Split
    // otherwise, the signed message no longer verifies, and the operator could answer a
    // good request as badly signed (censoring the way out) with every other check passing.
    it("refuses re-splitting a queued payout word, so a good request cannot be called badly signed", async function () {
      const [real, pad] = good.input.slots;
      const refusedAsBadlySigned = (slot: typeof real) =>
        forced({
          ...good.input,
          newRoot: good.input.oldRoot,
          outcomes: FORCED_OUTCOMES.bad_signature,
          payout: [0n, 0n],
          slots: [slot, pad],
        });
      const shift = 1n << BigInt(ADDRESS_BITS);
      // the recipient one 2^160 higher, the amount one lower: the same word
      await assertRefused(
        refusedAsBadlySigned({
          ...real,
          recipient: real.recipient + shift,
          amount: real.amount - 1n,
        }),
        "RangeCheck",
      );
      // the recipient lowered by p's excess over a multiple of 2^160: an address again, with
      // the amount k = floor((recipient + p) / 2^160) > 2^92 higher (the same word mod p)
      const k = (real.recipient + FIELD_MODULUS) / shift;
      await assertRefused(
        refusedAsBadlySigned({
          ...real,
          recipient: real.recipient + FIELD_MODULUS - k * shift,
          amount: real.amount + k,
        }),
        "RangeCheck",
      );
    });

    it("answers requests at the top of the queue's ranges, and refuses a slot outside them", async function () {
      const s = sampleExchange(P, 3);
      const t = s.traders[0];
      const top = signForcedRequest(
        {
          account: t.index,
          amount: (1n << BigInt(TRANSFER_BITS)) - 1n,
          recipient: (1n << BigInt(ADDRESS_BITS)) - 1n,
        },
        s.state.getAccount(t.index).withdrawNonce,
        t.keys.privateKey,
        s.domain,
      );
      const r = answerForced(s.state, [top], 9n, s.marks, P.withdrawals);
      assert.deepEqual(r.outcomes, ["cannot_pay"]);
      assert.deepEqual(await publicOf(r.input), answerForcedPublicSignals(r.input));
      // a slot the queue cannot hold, each refused by its own check
      const [real, pad] = good.input.slots;
      const slot = (f: { enabled?: bigint; account?: bigint }) =>
        forced({ ...good.input, slots: [{ ...real, ...f }, pad] });
      await assertRefused(slot({ enabled: 2n }), "AssertBit");
      await assertRefused(slot({ account: 1n }), "NotSystemAccount");
    });

    // The witness calculator computes each slot's payout and outcome from its verdict, so
    // an input that claims others is refused by `===` whatever the slot's own constraints
    // say. Only a witness edited after the calculator ran shows that the slot's payout and
    // outcome are constrained, not just computed: a `<==` made `<--` there passes every
    // test above and the determinism check (the payout wire is the public input's).
    it("binds each slot's payout and outcome to its verdict (witnesses edited at the R1CS level)", async function () {
      const files = await testCircuit("answer_forced");
      const r1cs = readR1cs(files.r1cs);
      const sym = readSymbols(files.sym);
      const wire = (name: string) => {
        const w = sym.get(name);
        assert.ok(w !== undefined && w > 0, `${name} is a wire`);
        return w;
      };
      for (const [label, x, forge] of [
        // pay the request whose signature does not verify, in full
        [
          "a payout for a bad signature",
          bad,
          (w: bigint[]) => {
            const slot = bad.input.slots[0];
            w[wire("main.payout[0]")] = slot.recipient | (slot.amount << 160n);
          },
        ],
        // refuse, without paying, the request that must be paid
        ["no payout for a good one", good, (w: bigint[]) => (w[wire("main.payout[0]")] = 0n)],
        // report the bad signature as paid (the outcomes word with the slot's own outcome)
        [
          "a paid outcome for a bad signature",
          bad,
          (w: bigint[]) => {
            w[wire("main.outcomes")] = FORCED_OUTCOMES.paid;
            const own = sym.get("main.answer[0].outcome");
            if (own !== undefined && own > 0) w[own] = FORCED_OUTCOMES.paid;
          },
        ],
      ] as const) {
        const honest = await witnessFor(forced(x.input));
        assert.deepEqual(unsatisfiedConstraints(r1cs, honest), [], label);
        const forged = [...honest];
        forge(forged);
        assert.ok(
          unsatisfiedConstraints(r1cs, forged).length > 0,
          `${label} must break a constraint`,
        );
      }
    });
  });
});
