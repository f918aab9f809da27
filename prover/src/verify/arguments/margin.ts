import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/margin.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const margin: FileArguments = {
  premises: ["circuits/src/margin.circom", "circuits/src/constants.circom"],
  hash: "b9bdbb46ecd33c54",
  arguments: [
    {
      id: "margin.circom:50:narrow",
      before: "RangeCheck(MARGIN_DIFF_BITS())(surplus);",
      after: "RangeCheck((MARGIN_DIFF_BITS()) - 1)(surplus);",
      kind: "equivalent",
      why: "|surplus| < 2^147.01 (the header's bound, below 2^148), so an honest surplus fits 149 bits and a negative one is a field element above 2^253, refused at any width up to about 250.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "margin.circom:50:widen",
      before: "RangeCheck(MARGIN_DIFF_BITS())(surplus);",
      after: "RangeCheck((MARGIN_DIFF_BITS()) + 1)(surplus);",
      kind: "equivalent",
      why: "|surplus| < 2^147.01 (the header's bound, below 2^148), so an honest surplus fits 151 bits as 150 and a negative one is a field element above 2^253, refused at any width up to about 250.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
  ],
};
