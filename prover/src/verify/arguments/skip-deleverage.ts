import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/skip-deleverage.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const skipDeleverage: FileArguments = {
  premises: [
    "circuits/src/skip-deleverage.circom",
    "circuits/src/constants.circom",
    "circuits/src/auto-deleverage.circom",
    "circuits/src/deleveraging.circom",
  ],
  hash: "dfc51fe5e8dbbdbd",
  arguments: [
    {
      id: "skip-deleverage.circom:122:delete",
      before: "AssertBit()(entryEnabled[i]);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "With bit flags summing to it, an entry enabled with 2 or more would need a Poseidon preimage to land on the commitment.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:124:delete",
      before: "entryEnabled[i] * (1 - entryEnabled[i - 1]) === 0;",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "A padding entry before an enabled one reads the same chain and counts nothing, so the prefix rule admits no other claim.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:135:widen",
      before: "RangeCheck(D)(entryAccount[i]);",
      after: "RangeCheck((D) + 1)(entryAccount[i]);",
      kind: "equivalent",
      why: "Any account width up to 32 bits keeps the entry word's reading unique.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:136:widen",
      before: "RangeCheck(SIZE_BITS())(entryEnabled[i] * (entryLots[i] - 1));",
      after: "RangeCheck((SIZE_BITS()) + 1)(entryEnabled[i] * (entryLots[i] - 1));",
      kind: "equivalent",
      why: "Lots stay far below what would let the entry word wrap, so one more bit admits no other reading.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:137:delete",
      before: "_ <== SignedRangeCheck(62)(entryScore[i]);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "The score is the batch's own, bounded by DeleverageScore, and a padding entry is in no market, so its key meets no comparison.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:137:widen",
      before: "_ <== SignedRangeCheck(62)(entryScore[i]);",
      after: "_ <== SignedRangeCheck((62) + 1)(entryScore[i]);",
      kind: "equivalent",
      why: "The score is the batch's own, bounded by DeleverageScore, and a padding entry is in no market, so a wider check admits nothing the comparisons use.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:173:delete",
      before: "found === 1;",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "A market out of range selects no head, and the root of 0 it then reads refuses it.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:175:delete",
      before: "RangeCheck(SIZE_BITS())(lots - 1);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "No lots in the challenged market means no entries and nothing unplaced, and the side pins the word's reading.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:175:widen",
      before: "RangeCheck(SIZE_BITS())(lots - 1);",
      after: "RangeCheck((SIZE_BITS()) + 1)(lots - 1);",
      kind: "equivalent",
      why: "No lots in the challenged market means no entries and nothing unplaced, and the side pins the word's reading, so a wider check admits nothing new.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
    {
      id: "skip-deleverage.circom:205:unconstrain",
      before: "funding.word <== word;",
      after: "funding.word <-- word;",
      kind: "equivalent",
      why: "The skip proof writes no leaf, so SettleFunding's new word is unused and --O2 removes the constraint with it.",
      doc: "The skip proof: every statement of SkippedDeleverage",
    },
  ],
};
