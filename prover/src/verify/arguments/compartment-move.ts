import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/compartment-move.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const compartmentMove: FileArguments = {
  premises: [
    "circuits/src/compartment-move.circom",
    "circuits/src/constants.circom",
    "circuits/src/compartments.circom",
  ],
  hash: "7f44c5b1e731383a",
  arguments: [
    {
      id: "compartment-move.circom:61:delete",
      before: "AssertBit()(enabled);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "The market bits sum to enabled, and amount * (1 - enabled) with noAmount * enabled then force enabled to 0 or 1.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "compartment-move.circom:101:widen",
      before: "RangeCheck(COLLATERAL_BITS())(reserveChecked);",
      after: "RangeCheck((COLLATERAL_BITS()) + 1)(reserveChecked);",
      kind: "equivalent",
      why: "The reserve after a move in stays below 2^128 (the leaf's collateral is), and a negative one is a field element far above 2^129, so 129 bits judge it alike.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "compartment-move.circom:116:narrow",
      before: "RangeCheck(146)(slack);",
      after: "RangeCheck((146) - 1)(slack);",
      kind: "equivalent",
      why: "A non-negative slack stays below 2^142.3 under the caller's bounds and a negative one is a field element far above 2^146, so 145 bits judge it alike.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "compartment-move.circom:116:widen",
      before: "RangeCheck(146)(slack);",
      after: "RangeCheck((146) + 1)(slack);",
      kind: "equivalent",
      why: "A non-negative slack stays below 2^142.3 under the caller's bounds and a negative one is a field element far above 2^147, so 147 bits judge it alike.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
  ],
};
