import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/answer-forced.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const answerForced: FileArguments = {
  premises: [
    "circuits/src/answer-forced.circom",
    "circuits/src/constants.circom",
    "contracts/EscapeHatch.sol",
    "contracts/Settlement.sol",
  ],
  hash: "b24ab80b317e6e9f",
  arguments: [
    {
      id: "answer-forced.circom:58:unconstrain",
      before: "for (var i = 0; i < 253; i++) sBound.in[i] <== sBits.out[i];",
      after: "for (var i = 0; i < 253; i++) sBound.in[i] <-- sBits.out[i];",
      kind: "assumed",
      why: "S < l holds for every queued request (EscapeHatch refuses S >= l), and on S + l the verdict would be the one the owner signed, so freeing the comparator's inputs admits no other answer.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "answer-forced.circom:59:unconstrain",
      before: "sBound.in[253] <== 0;",
      after: "sBound.in[253] <-- 0;",
      kind: "assumed",
      why: "The comparator's top input only extends S's bits with a 0; S < l holds for every queued request (EscapeHatch refuses S >= l), so freeing it admits no other answer.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "answer-forced.circom:139:widen",
      before: "RangeCheck(TRANSFER_BITS())(amount);",
      after: "RangeCheck((TRANSFER_BITS()) + 1)(amount);",
      kind: "assumed",
      why: "Re-splitting the queued payout word with a 93-bit amount needs an amount above 2^93.9, and Settlement queues no amount of 2^92 or more.",
      doc: "Every mutant through the determinism stage (2026-12-06)",
    },
    {
      id: "answer-forced.circom:189:widen",
      before: "component collateralSign = Num2Bits(130);",
      after: "component collateralSign = Num2Bits((130) + 1);",
      kind: "equivalent",
      why: "The new collateral stays below 2^129 in magnitude, so the extra top bit of its sign decomposition is always 0.",
      doc: "Every mutant through the determinism stage (2026-12-06)",
    },
    {
      id: "answer-forced.circom:204:widen",
      before: "component marginSign = Num2Bits(151);",
      after: "component marginSign = Num2Bits((151) + 1);",
      kind: "equivalent",
      why: "The margin difference stays below 2^150 in magnitude, so the extra top bit of its sign decomposition is always 0.",
      doc: "Every mutant through the determinism stage (2026-12-06)",
    },
  ],
};
