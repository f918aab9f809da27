pragma circom 2.1.9;

include "constants.circom";
include "range-check.circom";

// SettleFunding(M): settles an account's accrued funding into its collateral and moves
// every position to the current funding index.
//   owed = sum_j size[j] * (index[j] - lastIndex[j])        (10^-6 quote units)
//   payment = ceil(owed / FUNDING_SCALE)                     (quote units; < 0: received)
//   collateralOut = collateral - payment
//   wordOut[j] = word[j] with its funding field set to index[j]
// Rounding up favours the system whichever side the account is on.
// Preconditions (the caller checks them):
//   size[j]: signed |.| < 2^64; lastIndex[j]: signed |.| <= 2^63, the funding field of
//   word[j] (AccountLeafUnpack); index[j]: signed |.| <= 2^63 (MarketBinding); M <= 6,
//   so |owed| < 2^131.
//   collateral: signed |.| < 2^128, so |collateralOut| < 2^128 + 2^112.
// payment is range-checked (|payment| <= 2^112, which |owed| / 10^6 < 2^111 meets), so
// payment * 10^6 - owed = remainder holds over the integers and, with 0 <= remainder <
// 10^6, payment is the ceiling, and the only one.
// TypeScript twin: prover/src/domain/funding.ts (settleFunding).
template SettleFunding(M) {
    signal input collateral;
    signal input size[M];
    signal input lastIndex[M];
    signal input index[M];
    signal input word[M];
    signal output collateralOut;
    signal output payment;
    signal output wordOut[M];

    signal term[M];
    var owed = 0;
    for (var j = 0; j < M; j++) {
        term[j] <== size[j] * (index[j] - lastIndex[j]);
        owed += term[j];
        wordOut[j] <== word[j] + (index[j] - lastIndex[j]) * (1 << WORD_FUNDING_SHIFT());
    }
    // payment is the ceiling of owed / 10^6: the witness computes it from the signed
    // value; the constraints below fix it.
    // (circom compares field elements as signed values in (-p/2, p/2])
    var negative = owed < 0 ? 1 : 0;
    var magnitude = negative == 1 ? -owed : owed;
    var q = negative == 1 ? -(magnitude \ FUNDING_SCALE())
                           : (magnitude + FUNDING_SCALE() - 1) \ FUNDING_SCALE();
    payment <-- q;
    _ <== SignedRangeCheck(FUNDING_PAYMENT_BITS())(payment);
    signal remainder <== payment * FUNDING_SCALE() - owed;
    RangeCheck(FUNDING_REMAINDER_BITS())(remainder);
    RangeCheck(FUNDING_REMAINDER_BITS())(FUNDING_SCALE() - 1 - remainder);
    collateralOut <== collateral - payment;
}
