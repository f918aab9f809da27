import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/process-withdrawals.circom that no test can kill, each with
// the argument why (docs/verification.md gives it in full, under the heading `doc`), and
// the files their premises are in (mutation-arguments.ts says how they are used).
export const processWithdrawals: FileArguments = {
  premises: ["circuits/src/process-withdrawals.circom", "circuits/src/constants.circom"],
  hash: "78e02fdb989ed20d",
  arguments: [
    {
      id: "process-withdrawals.circom:119:delete",
      before: "accountZero * enabled === 0;",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "Account 0's leaf is the empty leaf, 0, and no leaf hash equals 0 without a Poseidon preimage (as ExitAccount's isEmpty === 0).",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "process-withdrawals.circom:127:delete",
      before: "_ <== Num2Bits(FLAG_BITS())(toFlag);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "A transfer ties toFlag to the destination's flag, which AccountLeafUnpack reads in 3 bits and no writer sets above M, and a withdrawal does not read toFlag.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "process-withdrawals.circom:127:widen",
      before: "_ <== Num2Bits(FLAG_BITS())(toFlag);",
      after: "_ <== Num2Bits((FLAG_BITS()) + 1)(toFlag);",
      kind: "equivalent",
      why: "A transfer ties toFlag to the destination's flag, which AccountLeafUnpack reads in 3 bits, and a withdrawal does not read toFlag, so a 4-bit check admits nothing new.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "process-withdrawals.circom:178:unconstrain",
      before: "fundOwed.collateral <== 0;",
      after: "fundOwed.collateral <-- 0;",
      kind: "equivalent",
      why: "The second, judged SettleFunding's new collateral is not read in WithdrawalSlot (only its payment is), so freeing its collateral input changes nothing.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "process-withdrawals.circom:182:unconstrain",
      before: "fundOwed.word <== word;",
      after: "fundOwed.word <-- word;",
      kind: "equivalent",
      why: "The second, judged SettleFunding's new word is not read in WithdrawalSlot (only its payment is), so freeing its word input changes nothing.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
  ],
};
