import assert from "node:assert/strict";
import { WitnessError } from "../../prover/src/proving/prover.ts";
import { signForcedRequest, type ForcedRequest } from "../../prover/src/domain/forced.ts";
import type { AnswerForcedInput } from "../../prover/src/domain/inputs.ts";
import { answerForced, unpackOutcomes } from "../../prover/src/engine/forced.ts";
import { sampleExchange } from "../../prover/src/dev/sample.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";

// EdDSAPoseidonValid (circuits/src/answer-forced.circom) reads a signature's scalar S as
// 253 bits and requires S < l, Baby Jubjub's subgroup order (`sBound`, CompConstant(l - 1)).
// S + l names the same multiple of B8 as S, so without the check a request whose scalar is
// out of range would be judged as the one the owner signed. EscapeHatch refuses to queue
// such a scalar (s >= l), and the engine's twin calls it a bad signature; the circuit must
// refuse it all the same, where it checks the range, so that its verdict is the twin's on
// every input it accepts.

const P = TEST_PARAMS;
const RECIPIENT = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
/** Baby Jubjub's prime subgroup order l (the circuit's constant is l - 1). */
const L = 2736030358979909402780800718157159386076813972158567259200215660948447373041n;

/** The owner's good request, and the exchange it is answered on. */
function goodRequest() {
  const s = sampleExchange(P, 3);
  const t = s.traders[0];
  const good: ForcedRequest = signForcedRequest(
    { account: t.index, amount: 1_000n, recipient: RECIPIENT },
    s.state.getAccount(t.index).withdrawNonce,
    t.keys.privateKey,
    s.domain,
  );
  return { s, good };
}

describe("AnswerForced: a signature's scalar below the subgroup order (test parameters)", function () {
  it("refuses a scalar S + l for the owner's good S, where it checks the range", async function () {
    const { s, good } = goodRequest();
    const wide = { ...good, signature: { ...good.signature, s: good.signature.s + L } };
    assert.ok(wide.signature.s < 1n << 253n, "S + l still fits the 253 bits read");
    const r = answerForced(s.state, [wide], 5n, s.marks, P.withdrawals);
    assert.equal(unpackOutcomes(r.input.outcomes, 1)[0], "bad_signature");
    const input: AnswerForcedInput = r.input;
    await assertRefusedAt(
      witnessFor({ kind: "answer_forced", input }),
      "answer-forced.circom",
      "EdDSAPoseidonValid",
      "sBound.out === 0;",
    );
  });

  it("refuses a scalar S + 2^253 for the owner's good S, where it splits S into 253 bits", async function () {
    // S's bits above 252 are read by nothing: the S < l check and S·B8 take bits 0..252. A
    // decomposition one bit wider would read S + 2^253 as S, the owner's good signature; the
    // 253-bit one has no witness for it (S + 2^253 < p: it is not S modulo p)
    const { s, good } = goodRequest();
    const wide = { ...good, signature: { ...good.signature, s: good.signature.s + (1n << 253n) } };
    const r = answerForced(s.state, [wide], 5n, s.marks, P.withdrawals);
    assert.equal(unpackOutcomes(r.input.outcomes, 1)[0], "bad_signature");
    // the good request goes through: the refusal is the scalar's
    const ok = answerForced(s.state, [good], 5n, s.marks, P.withdrawals);
    assert.equal(unpackOutcomes(ok.input.outcomes, 1)[0], "paid");
    await witnessFor({ kind: "answer_forced", input: ok.input });
    await assert.rejects(witnessFor({ kind: "answer_forced", input: r.input }), (e: unknown) => {
      assert.ok(e instanceof WitnessError, `expected a refusal, got ${String(e)}`);
      // circomlib's Num2Bits (bitify.circom), `lc1 === in`: the bits do not sum to S
      assert.match(e.message, /Error in template Num2Bits_\d+ line: 38\b/);
      return true;
    });
  });
});
