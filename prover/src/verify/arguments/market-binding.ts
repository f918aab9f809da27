import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/market-binding.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const marketBinding: FileArguments = {
  premises: ["circuits/src/market-binding.circom", "circuits/src/constants.circom"],
  hash: "4d89cff1597c5986",
  arguments: [
    {
      id: "market-binding.circom:23:widen",
      before: "RangeCheck(14)(rem);",
      after: "RangeCheck((14) + 1)(rem);",
      kind: "equivalent",
      why: "This check only supplies rem >= 0 (the other bounds rem <= 9,999), which any width far below the field's keeps.",
      doc: "MarketBinding: every deletion and width change",
    },
    {
      id: "market-binding.circom:24:widen",
      before: "RangeCheck(14)(9999 - rem);",
      after: "RangeCheck((14) + 1)(9999 - rem);",
      kind: "equivalent",
      why: "This check only supplies rem <= 9,999 (the other supplies rem >= 0), which any width far below the field's keeps.",
      doc: "MarketBinding: every deletion and width change",
    },
    {
      id: "market-binding.circom:92:widen",
      before: "RangeCheck(16)(mult - 10000);",
      after: "RangeCheck((16) + 1)(mult - 10000);",
      kind: "equivalent",
      why: "The multiplier comes from 16 bits, so mult - 10^4 is below 2^16 or a negative field element, and 17 bits accept the same values as 16.",
      doc: "MarketBinding: every deletion and width change",
    },
    {
      id: "market-binding.circom:93:widen",
      before: "RangeCheck(16)(liqMult - 10000);",
      after: "RangeCheck((16) + 1)(liqMult - 10000);",
      kind: "equivalent",
      why: "The liquidation multiplier comes from 16 bits, so liqMult - 10^4 is below 2^16 or a negative field element, and 17 bits accept the same values as 16.",
      doc: "MarketBinding: every deletion and width change",
    },
  ],
};
