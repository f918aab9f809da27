import type { FileArguments } from "../mutation-arguments.ts";

// The mutants of circuits/src/order.circom that no test can kill, each with the argument
// why (docs/verification.md gives it in full, under the heading `doc`), and the files
// their premises are in (mutation-arguments.ts says how they are used).
export const order: FileArguments = {
  premises: [
    "circuits/src/order.circom",
    "circuits/src/constants.circom",
    "circuits/src/trade.circom",
  ],
  hash: "575e3dba1f34a187",
  arguments: [
    {
      id: "order.circom:72:widen",
      before: "RangeCheck(NONCE_BITS())(orderNonce - leafNonce - 1 + continues);",
      after: "RangeCheck((NONCE_BITS()) + 1)(orderNonce - leafNonce - 1 + continues);",
      kind: "equivalent",
      why: "The nonce step is a difference of 32-bit values: an honest one is below 2^32 and a dishonest one is negative, a field element above 2^253, so 33 bits accept the same values.",
      doc: "Earlier runs: the circuit tests, file by file",
    },
    {
      id: "order.circom:75:widen",
      before: "RangeCheck(AMOUNT_BITS())(orderAmount - newFilled);",
      after: "RangeCheck((AMOUNT_BITS()) + 1)(orderAmount - newFilled);",
      kind: "equivalent",
      why: "What is left of the order is a difference of 64-bit values: an honest one is below 2^64 and an overfill is negative, a field element above 2^253, so 65 bits accept the same values.",
      doc: "Earlier runs: the circuit tests, file by file",
    },
    {
      id: "order.circom:84:widen",
      before: "RangeCheck(PRICE_BITS())(limitPrice - price);",
      after: "RangeCheck((PRICE_BITS()) + 1)(limitPrice - price);",
      kind: "equivalent",
      why: "A buy's price margin is a difference of 64-bit values: below 2^64 when within the limit, otherwise a field element above 2^253, so 65 bits accept the same values.",
      doc: "Earlier runs: the circuit tests, file by file",
    },
    {
      id: "order.circom:86:widen",
      before: "RangeCheck(PRICE_BITS())(price - limitPrice);",
      after: "RangeCheck((PRICE_BITS()) + 1)(price - limitPrice);",
      kind: "equivalent",
      why: "A sell's price margin is a difference of 64-bit values: below 2^64 when within the limit, otherwise a field element above 2^253, so 65 bits accept the same values.",
      doc: "Earlier runs: the circuit tests, file by file",
    },
    {
      id: "order.circom:100:widen",
      before: "RangeCheck(BPS_BITS())(maxFeeBps - rateBps);",
      after: "RangeCheck((BPS_BITS()) + 1)(maxFeeBps - rateBps);",
      kind: "equivalent",
      why: "The cap and the rate are both below 2^16, so their difference is below 2^16 or a field element above p - 2^16, and 17 bits accept the same values.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "order.circom:106:widen",
      before: "RangeCheck(14)(remainder);",
      after: "RangeCheck((14) + 1)(remainder);",
      kind: "equivalent",
      why: "The two remainder checks each bound the other side, keeping the remainder in [0, 9,999] at any width far below the field's.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "order.circom:107:widen",
      before: "RangeCheck(14)(BPS_DENOMINATOR() - 1 - remainder);",
      after: "RangeCheck((14) + 1)(BPS_DENOMINATOR() - 1 - remainder);",
      kind: "equivalent",
      why: "The two remainder checks each bound the other side, keeping the remainder in [0, 9,999] at any width far below the field's.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "order.circom:108:delete",
      before: "RangeCheck(FEE_BITS())(fee);",
      after: "/* mutant: deleted */",
      kind: "redundant",
      why: "Any other quotient with a remainder in range is a field element far above 2^131, and the trade refuses it where the fee is debited: no collateral minus such a fee lands within 2^128 of 0.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "order.circom:108:narrow",
      before: "RangeCheck(FEE_BITS())(fee);",
      after: "RangeCheck((FEE_BITS()) - 1)(fee);",
      kind: "equivalent",
      why: "A fee of 2^130 or more needs a notional near 2^128 at a rate above 40,000 bps, which no payer's collateral (below 2^128) covers, so the trade refuses it anyway.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
    {
      id: "order.circom:108:widen",
      before: "RangeCheck(FEE_BITS())(fee);",
      after: "RangeCheck((FEE_BITS()) + 1)(fee);",
      kind: "equivalent",
      why: "An honest fee is below 2^131, and any other quotient with a remainder in range is (scaled - r) / 10^4 for another r, a field element far above 2^132.",
      doc: "The pending mutants through the tests: WithdrawalSlot, CompartmentMove, TradingFee",
    },
  ],
};
