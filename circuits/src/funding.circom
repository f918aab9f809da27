pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "constants.circom";

// SettleFunding(M): settles an account's accrued funding into its collateral and moves
// every position to the current funding index.
//   owed = sum_j size[j] * (index[j] - lastIndex[j])        (2^-20 quote units)
//   payment = ceil(owed / 2^20)                              (quote units; < 0: received)
//   collateralOut = collateral - payment
//   wordOut[j] = word[j] with its funding field set to index[j]
// enabled (bit, the caller's): 0 pays nothing (a padding slot, whose leaf is not written).
// The payment is a product with it, so that it stays a wire of its own under --O2 and
// the range checks of values built from it read that wire, not these bits.
// Rounding up favours the system whichever side the account is on.
// Preconditions (the caller checks them):
//   size[j]: signed |.| <= 2^64; lastIndex[j]: signed |.| <= 2^63, the funding field of
//   word[j] (AccountLeafUnpack); index[j]: signed |.| <= 2^63 (MarketBinding); M <= 6.
//   So |owed| < 6 * 2^128 < 2^131, and owed + 2^20 - 1 + 2^132 lies in [0, 2^133): its
//   133 bits are unique, and bits 20.. of it are floor((owed + 2^20 - 1) / 2^20) + 2^112,
//   that is ceil(owed / 2^20) + 2^112. No witness is guessed: every wire is a function of
//   the inputs.
//   collateral: signed |.| < 2^128; |payment| < 2^111, so |collateralOut| < 2^128 + 2^111.
// TypeScript twin: prover/src/domain/funding.ts (settleFunding).
template SettleFunding(M) {
    assert(M >= 1 && M <= 6);
    signal input collateral;
    signal input size[M];
    signal input lastIndex[M];
    signal input index[M];
    signal input word[M];
    signal input enabled;
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
    var S = FUNDING_SCALE_BITS();
    var B = FUNDING_OWED_BITS();
    component bits = Num2Bits(B + 1);
    bits.in <== owed + (1 << S) - 1 + (1 << B);
    var ceiling = 0;
    for (var k = S; k <= B; k++) {
        ceiling += bits.out[k] * (1 << (k - S));
    }
    payment <== enabled * (ceiling - (1 << (B - S)));
    collateralOut <== collateral - payment;
}

// SettleFundingByMarket(M): the insurance fund's funding, market by market
// (docs/isolation.md, section 1): each market's payment is rounded on its own and charged
// to that market's notional, so the fund's compartment C_j = size_j * mark_j - notional_j
// pays market j's funding and nothing else; the collateral (the fund's reserve) is not
// touched.
//   payment[j] = ceil(size[j] * (index[j] - lastIndex[j]) / 2^20)   (< 0: received)
//   notionalOut[j] = notional[j] + payment[j]
//   wordOut[j] = word[j] with its funding field set to index[j]
// Preconditions (the caller checks them): size[j] signed, |.| <= 2^64; lastIndex[j] signed,
//   |.| <= 2^63, the funding field of word[j] (AccountLeafUnpack); index[j] signed,
//   |.| <= 2^63 (MarketBinding); notional[j] signed, |.| < 2^128. So |term| <= 2^128, and
//   term + 2^20 - 1 + 2^129 lies in [0, 2^130): its 130 bits are unique, and bits 20.. of it
//   are ceil(term / 2^20) + 2^109. |payment[j]| <= 2^108, |notionalOut[j]| < 2^128 + 2^108
//   (the caller range-checks the notional it writes).
// TypeScript twin: prover/src/domain/funding.ts (settleFundingByMarket).
template SettleFundingByMarket(M) {
    assert(M >= 1 && M <= 6);
    signal input size[M];
    signal input lastIndex[M];
    signal input index[M];
    signal input word[M];
    signal input notional[M];
    signal output payment[M];
    signal output notionalOut[M];
    signal output wordOut[M];

    var S = FUNDING_SCALE_BITS();
    var B = 2 * SIZE_BITS() + 1;
    signal term[M];
    component bits[M];
    for (var j = 0; j < M; j++) {
        term[j] <== size[j] * (index[j] - lastIndex[j]);
        wordOut[j] <== word[j] + (index[j] - lastIndex[j]) * (1 << WORD_FUNDING_SHIFT());
        bits[j] = Num2Bits(B + 1);
        bits[j].in <== term[j] + (1 << S) - 1 + (1 << B);
        var ceiling = 0;
        for (var k = S; k <= B; k++) {
            ceiling += bits[j].out[k] * (1 << (k - S));
        }
        payment[j] <== ceiling - (1 << (B - S));
        notionalOut[j] <== notional[j] + payment[j];
    }
}
