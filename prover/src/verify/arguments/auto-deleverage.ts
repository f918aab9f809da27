import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/auto-deleverage.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const autoDeleverage: FileArguments = {
  premises: [
    "circuits/src/auto-deleverage.circom",
    "circuits/src/constants.circom",
    "circuits/src/deleveraging.circom",
    "circuits/src/liquidate-batch.circom",
  ],
  hash: "eeb7d27cefd7679b",
  arguments: [
    {
      id: "auto-deleverage.circom:99:delete",
      before: "RangeCheck(SIZE_BITS())(enabled * (absSize - 1));",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "AccountLeafUnpack bounds |size| by 2^64 and an empty position fails ClampedFloorDiv's divisor check, so the candidate's size is already at least one lot and in range.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "auto-deleverage.circom:99:widen",
      before: "RangeCheck(SIZE_BITS())(enabled * (absSize - 1));",
      after: "RangeCheck((SIZE_BITS()) + 1)(enabled * (absSize - 1));",
      kind: "equivalent",
      why: "AccountLeafUnpack bounds |size| by 2^64 and an empty position fails ClampedFloorDiv's divisor check, so one more bit admits no other size.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "auto-deleverage.circom:117:widen",
      before: "RangeCheck(SIZE_BITS())(enabled * (q - 1));",
      after: "RangeCheck((SIZE_BITS()) + 1)(enabled * (q - 1));",
      kind: "equivalent",
      why: "The take is at most |size|, which AccountLeafUnpack bounds by 2^64, so q - 1 never reaches 2^64 and one more bit admits nothing new.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "auto-deleverage.circom:320:narrow",
      before: "RangeCheck(135)(deficit[j] - market[j]);",
      after: "RangeCheck((135) - 1)(deficit[j] - market[j]);",
      kind: "equivalent",
      why: "In LiquidateBatch the fund's new notional in a deleveraged market is fundSizeAfter * mark + deficit - signedPlaced * price (sections D and E with Deleverage's notionalDelta), and it lies in [-2^128, 2^128) (the signed check at liquidate-batch.circom:653), with |fundSizeAfter * mark| < 2^128 and |signedPlaced * price| < 2^128, so every accepted deficit is below 3 * 2^128 < 2^130: the 134-bit check refuses no deficit the rest accepts.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
    {
      id: "auto-deleverage.circom:320:widen",
      before: "RangeCheck(135)(deficit[j] - market[j]);",
      after: "RangeCheck((135) + 1)(deficit[j] - market[j]);",
      kind: "equivalent",
      why: "In LiquidateBatch the fund's new notional in a deleveraged market is fundSizeAfter * mark + deficit - signedPlaced * price (sections D and E with Deleverage's notionalDelta), and it lies in [-2^128, 2^128) (the signed check at liquidate-batch.circom:653), with |fundSizeAfter * mark| < 2^128 and |signedPlaced * price| < 2^128, so every accepted deficit is below 3 * 2^128 < 2^130: a 136-bit check admits no deficit the rest accepts.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
    {
      id: "auto-deleverage.circom:351:delete",
      before: "AssertBit()(entryEnabled[i]);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "bits === entryEnabled makes entryEnabled a sum of one-hot bits of active markets, and a value of 2 needs both funds short, the entry long in both, and a fund path hashing to 2N - R (a second preimage).",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "auto-deleverage.circom:365:delete",
      before: "entryMarket[i][j] * (1 - active[j]) === 0;",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "An inactive market has no lots left, so entryEnabled * noneLeft === 0 already refuses the first entry that picks it.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "auto-deleverage.circom:382:delete",
      before: "entryEnabled[i] * noneLeft[i] === 0;",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "An enabled entry in a market with no lots left hands DeleverageCandidate left = 0, so DeleverageTake's q <= left gives q = 0, which the candidate's at-least-one-lot check (line 117, RangeCheck(SIZE_BITS())(enabled * (q - 1))) refuses; an entry of no market is refused by line 379.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
    {
      id: "auto-deleverage.circom:411:narrow",
      before: "RangeCheck(66 + D)(entryEnabled[i] * (key[i - 1] - key[i] - 1));",
      after: "RangeCheck((66 + D) - 1)(entryEnabled[i] * (key[i - 1] - key[i] - 1));",
      kind: "equivalent",
      why: "Each key lies in (0, M * 2^(63 + D)) (a one-hot market below M, |score| < 2^62 from DeleverageScore, account < 2^D from DeleverageEntry), so keys in order differ by less than 4 * 2^(63 + D) = 2^(65 + D) at M <= 4 (every shipped set): 65 + D bits take every ordered pair. From M = 5 up the last bit is needed.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
    {
      id: "auto-deleverage.circom:411:widen",
      before: "RangeCheck(66 + D)(entryEnabled[i] * (key[i - 1] - key[i] - 1));",
      after: "RangeCheck((66 + D) + 1)(entryEnabled[i] * (key[i - 1] - key[i] - 1));",
      kind: "equivalent",
      why: "Each key lies in (0, M * 2^(63 + D)), so keys in order differ by less than 6 * 2^(63 + D) < 2^(66 + D) (M <= 6), and keys out of order give a field element far above 2^(67 + D): both widths judge alike.",
      doc: "The templates at their ends, the liquidation's links grafted (2026-12-07, third session)",
    },
  ],
};
