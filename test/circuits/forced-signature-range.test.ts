import assert from "node:assert/strict";
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

describe("AnswerForced: a signature's scalar below the subgroup order (test parameters)", function () {
  it("refuses a scalar S + l for the owner's good S, where it checks the range", async function () {
    const s = sampleExchange(P, 3);
    const t = s.traders[0];
    const good: ForcedRequest = signForcedRequest(
      { account: t.index, amount: 1_000n, recipient: RECIPIENT },
      s.state.getAccount(t.index).withdrawNonce,
      t.keys.privateKey,
      s.domain,
    );
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
});
