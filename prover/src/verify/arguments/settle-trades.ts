import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/settle-trades.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const settleTrades: FileArguments = {
  premises: [
    "circuits/src/settle-trades.circom",
    "circuits/src/constants.circom",
    "circuits/src/order.circom",
    "circuits/src/trade.circom",
    "contracts/Settlement.sol",
  ],
  hash: "56a2fbd38d68729a",
  arguments: [
    {
      id: "settle-trades.circom:105:widen",
      before: "component reduceBits = Num2Bits(M);",
      after: "component reduceBits = Num2Bits((M) + 1);",
      kind: "assumed",
      why: "reduceOnly is hashed into the public tradeBinding, which Settlement builds from an M-bit reduce-only mask, and nothing reads a bit past M.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "settle-trades.circom:173:widen",
      before: "RangeCheck(AMOUNT_BITS())(qty[i]);",
      after: "RangeCheck((AMOUNT_BITS()) + 1)(qty[i]);",
      kind: "equivalent",
      why: "Both orders' fill rules already refuse a fill of 2^64 or more (64-bit checks of amount - filled), so one more bit admits nothing.",
      doc: "Every mutant through the determinism stage (2026-12-06)",
    },
    {
      id: "settle-trades.circom:174:delete",
      before: "RangeCheck(PRICE_BITS())(price[i]);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "Both sides' PriceWithinLimit hold the price between the sell's and the buy's 64-bit-checked limits, so it is already in [0, 2^64).",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "settle-trades.circom:174:widen",
      before: "RangeCheck(PRICE_BITS())(price[i]);",
      after: "RangeCheck((PRICE_BITS()) + 1)(price[i]);",
      kind: "equivalent",
      why: "Both sides' PriceWithinLimit hold the price between the sell's and the buy's 64-bit-checked limits, so one more bit admits no other price.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "settle-trades.circom:211:unconstrain",
      before: "side[i][s].maxFeeBps <== orderMaxFeeBps[i][s];",
      after: "side[i][s].maxFeeBps <-- orderMaxFeeBps[i][s];",
      kind: "equivalent",
      why: "Each order's fee cap is a private input of SettleTrades read at this line alone, so the <-- only renames a free private input: both circuits accept the same public statements.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "settle-trades.circom:212:unconstrain",
      before: "side[i][s].amount <== orderAmount[i][s];",
      after: "side[i][s].amount <-- orderAmount[i][s];",
      kind: "equivalent",
      why: "Each order's amount is a private input of SettleTrades read at this line alone, so the <-- only renames a free private input: both circuits accept the same public statements.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
    {
      id: "settle-trades.circom:213:unconstrain",
      before: "side[i][s].limitPrice <== orderLimitPrice[i][s];",
      after: "side[i][s].limitPrice <-- orderLimitPrice[i][s];",
      kind: "equivalent",
      why: "Each order's limit price is a private input of SettleTrades read at this line alone, so the <-- only renames a free private input: both circuits accept the same public statements.",
      doc: "The signature verifier, the deleveraging chain and the slots' anchors (2026-12-06, evening)",
    },
  ],
};
