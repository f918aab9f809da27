import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/exit-account.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const exitAccount: FileArguments = {
  premises: ["circuits/src/exit-account.circom", "circuits/src/constants.circom"],
  hash: "d85f0ea48811aef3",
  arguments: [
    {
      id: "exit-account.circom:93:delete",
      before: "isEmpty === 0;",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "Account 0's leaf is the empty leaf, the value 0, which no leaf hash equals without a Poseidon preimage of 0.",
      doc: "Every mutant through the determinism stage (2026-12-06)",
    },
    {
      id: "exit-account.circom:148:unconstrain",
      before: "funding.word <== leafWord;",
      after: "funding.word <-- leafWord;",
      kind: "equivalent",
      why: "SettleFunding's new word is not read in the exit (as in the skip proof), so freeing its input word changes no output.",
      doc: "Every mutant through the determinism stage (2026-12-06)",
    },
    {
      id: "exit-account.circom:156:widen",
      before: "component sign = Num2Bits(134);",
      after: "component sign = Num2Bits((134) + 1);",
      kind: "equivalent",
      why: "The equity stays below 2^131.6 in magnitude, so the extra top bit of its sign decomposition is always 0.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
  ],
};
