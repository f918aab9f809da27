import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/compartments.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const compartments: FileArguments = {
  premises: [
    "circuits/src/compartments.circom",
    "circuits/src/constants.circom",
    "circuits/src/liquidate-batch.circom",
    "circuits/src/account-leaf.circom",
    "circuits/src/market-binding.circom",
  ],
  hash: "e2c0b25edc873e46",
  arguments: [
    {
      id: "compartments.circom:24:widen",
      before: "RangeCheck(14)(rem);",
      after: "RangeCheck((14) + 1)(rem);",
      kind: "equivalent",
      why: "Like ScaleBps's: the other remainder check bounds rem <= 9,999 and this one only supplies rem >= 0, which any width far below the field's keeps.",
      doc: "Compartments and deleveraging: the new templates",
    },
    {
      id: "compartments.circom:25:widen",
      before: "RangeCheck(14)(BPS_DENOMINATOR() - 1 - rem);",
      after: "RangeCheck((14) + 1)(BPS_DENOMINATOR() - 1 - rem);",
      kind: "equivalent",
      why: "Like ScaleBps's: the other remainder check supplies rem >= 0 and this one only bounds rem <= 9,999, which any width far below the field's keeps.",
      doc: "Compartments and deleveraging: the new templates",
    },
    {
      id: "compartments.circom:26:widen",
      before: "RangeCheck(N - 13)(out);",
      after: "RangeCheck((N - 13) + 1)(out);",
      kind: "equivalent",
      why: "The split stays unique at either width (|out - out'| * 10^4 stays far below the field), and the two differ only for an input of at least 2^131 * 10^4 > 2^144, which LiquidateBatch never hands DivBps(144): its penalty and share bases are a value below 2^128 (leaf size, bound mark) times a rate below 2^16.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
    {
      id: "compartments.circom:84:widen",
      before: "resultNegative[j] <== SignedRangeCheck(129)(result[j]);",
      after: "resultNegative[j] <== SignedRangeCheck((129) + 1)(result[j]);",
      kind: "equivalent",
      why: "In LiquidateBatch result_j = size_j * mark_j - notional_j with |size_j| <= 2^64 and -2^128 <= notional_j < 2^128 (AccountLeafUnpack, unconditional) and mark_j < 2^64 (MarketBinding), so -2^129 < result_j < 2^129 and a 130-bit check reads the same sign for every witness.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
    {
      id: "compartments.circom:97:widen",
      before: "signal rNegative <== SignedRangeCheck(132)(r);",
      after: "signal rNegative <== SignedRangeCheck((132) + 1)(r);",
      kind: "equivalent",
      why: "The resources R stay below 2^132 in magnitude (M <= 6), so a 133-bit sign check reads the same sign for every witness.",
      doc: "Compartments and deleveraging: the new templates",
    },
    {
      id: "compartments.circom:104:widen",
      before: "wantBelow[k] <== SignedRangeCheck(132)(want - left[k]);",
      after: "wantBelow[k] <== SignedRangeCheck((132) + 1)(want - left[k]);",
      kind: "equivalent",
      why: "Every want - left lies in (-2^132, 2^132) (M <= 6), so a 133-bit sign check reads the same sign for every witness.",
      doc: "Compartments and deleveraging: the new templates",
    },
    {
      id: "compartments.circom:127:widen",
      before: "beats[j] <== SignedRangeCheck(129)(best[j] - key[j]);",
      after: "beats[j] <== SignedRangeCheck((129) + 1)(best[j] - key[j]);",
      kind: "equivalent",
      why: "Every key is a loss below 2^129 (result_j > -2^129, line 84's reading of LiquidateBatch's ranges) or, when no market loses, an absMarkValue below 2^128, and best is 0 or an earlier key, so best - key lies in (-2^129, 2^129) and a 130-bit check reads the same sign.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
  ],
};
