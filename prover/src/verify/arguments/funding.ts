import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/funding.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const funding: FileArguments = {
  premises: ["circuits/src/funding.circom", "circuits/src/constants.circom"],
  hash: "9ba24e351bfb554f",
  arguments: [
    {
      id: "funding.circom:46:widen",
      before: "component bits = Num2Bits(B + 1);",
      after: "component bits = Num2Bits((B + 1) + 1);",
      kind: "equivalent",
      why: "Like line 89's: owed + 2^20 - 1 + 2^132 lies in [0, 2^133) under the header's ranges (|owed| < 6 * 2^128), so a 134-bit decomposition has a top bit of 0, which the ceiling does not read, and the same bits below it.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
    {
      id: "funding.circom:89:widen",
      before: "bits[j] = Num2Bits(B + 1);",
      after: "bits[j] = Num2Bits((B + 1) + 1);",
      kind: "equivalent",
      why: "The funding term plus its offset lies in [0, 2^130), so a 131-bit decomposition has a top bit of 0 and the same bits below it.",
      doc: "Compartments and deleveraging: the new templates",
    },
  ],
};
