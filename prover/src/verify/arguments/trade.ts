import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/trade.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const trade: FileArguments = {
  premises: [
    "circuits/src/trade.circom",
    "circuits/src/constants.circom",
    "circuits/src/order.circom",
  ],
  hash: "844230c1f770f804",
  arguments: [
    {
      id: "trade.circom:97:delete",
      before: "RangeCheck(PRICE_BITS())(limitPrice);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "PriceWithinLimit against the 64-bit-checked price already keeps the limit within 2^64 of it, and the limit is the signed order word's top field, so no other order reads from it.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "trade.circom:97:widen",
      before: "RangeCheck(PRICE_BITS())(limitPrice);",
      after: "RangeCheck((PRICE_BITS()) + 1)(limitPrice);",
      kind: "equivalent",
      why: "PriceWithinLimit against the 64-bit-checked price already keeps the limit within 2^64 of it, and the limit is the signed order word's top field, so one more bit admits no other order.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "trade.circom:167:unconstrain",
      before: "fundFunding.collateral <== 0;",
      after: "fundFunding.collateral <-- 0;",
      kind: "equivalent",
      why: "The fund's SettleFunding(1) in TradeSide is read only for its payment, so its collateral input, freed, changes no output anything reads.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "trade.circom:171:unconstrain",
      before: "fundFunding.word[0] <== 0;",
      after: "fundFunding.word[0] <-- 0;",
      kind: "equivalent",
      why: "The fund's SettleFunding(1) in TradeSide is read only for its payment, so its word input, freed, changes no output anything reads.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "trade.circom:278:narrow",
      before: "RangeCheck(82)(allowed - BPS_DENOMINATOR() * worse);",
      after: "RangeCheck((82) - 1)(allowed - BPS_DENOMINATOR() * worse);",
      kind: "equivalent",
      why: "The band's value lies in (-2^78, 2^81) and a negative one is a field element far above 2^82, so 81 bits accept exactly what 82 do.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "trade.circom:278:widen",
      before: "RangeCheck(82)(allowed - BPS_DENOMINATOR() * worse);",
      after: "RangeCheck((82) + 1)(allowed - BPS_DENOMINATOR() * worse);",
      kind: "equivalent",
      why: "The band's value lies in (-2^78, 2^81) and a negative one is a field element far above 2^83, so 83 bits accept exactly what 82 do.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "trade.circom:289:widen",
      before: "RangeCheck(COLLATERAL_BITS())(reserve);",
      after: "RangeCheck((COLLATERAL_BITS()) + 1)(reserve);",
      kind: "equivalent",
      why: "The reserve is signed with |.| < 2^128 (TradeSide's collateral check), so a negative one is a field element far above 2^129 and 129 bits accept exactly what 128 do.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "trade.circom:313:widen",
      before: "RangeCheck(143)(slack);",
      after: "RangeCheck((143) + 1)(slack);",
      kind: "equivalent",
      why: "The compartment's slack lies in (-2^145, 2^143) and a negative one is a field element far above 2^144, so 144 bits accept exactly what 143 do.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
  ],
};
