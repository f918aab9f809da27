pragma circom 2.1.9;

include "circomlib/circuits/comparators.circom";
include "constants.circom";
include "range-check.circom";

// The insurance fund's compartments (docs/isolation.md, sections 1 and 2): who pays a
// liquidation's result, market by market, and what a compartment pays of a charge.
// These are the building blocks of LiquidateBatch's per-market fund ledger; they are
// checked against their twins before LiquidateBatch uses them.

// DivBps(N): out = floor(in / 10^4) for 0 <= in < 2^N, N in 14..200 (the caller's range).
// in = out * 10^4 + rem with 0 <= rem < 10^4 and out < 2^(N - 13) (in / 10^4 is below it,
// since 10^4 > 2^13): out * 10^4 + rem < 2^(N + 2) is below the field's modulus, so the
// equation holds over the integers and out and rem are unique.
template DivBps(N) {
    assert(N >= 14 && N <= 200);
    signal input in;
    signal output out;
    signal rem;
    out <-- in \ BPS_DENOMINATOR();
    rem <-- in % BPS_DENOMINATOR();
    in === out * BPS_DENOMINATOR() + rem;
    RangeCheck(14)(rem);
    RangeCheck(14)(BPS_DENOMINATOR() - 1 - rem);
    RangeCheck(N - 13)(out);
}

// AttributeCharges(M): splits a liquidated account's result for the fund by market.
//   penalty[j] = floor(|size_j| * mark_j * penaltyBps_j / 10^4)
//   share[j]   = floor(shareBase_j / 10^4)   (the liquidator's share in market j)
//   u_j = markValue_j - notional_j; loss_j = max(0, -u_j) for an open market, 0 for a flat
//   one; R = collateral + sum_j (u_j + loss_j).
//   max(R, 0) covers the losses in market order, then pays the penalties in market order
//   (covered_j, paid_j); what is left is kept = max(equity - penaltyTotal, 0).
//   charge[j] = paid_j - share_j - loss_j + covered_j, plus R when R < 0 in the open market
//     with the largest loss (with the largest absMarkValue when no open market has a loss;
//     ties to the lower index), market 0 when none is open.
// The charges add up to equity - kept - sum_j share_j. enabled (a bit, the caller's): 0
// charges nothing, so a padding slot, whose leaf the caller does not check, moves no
// compartment.
// Preconditions (the caller's): collateral signed, |.| < 2^129 (after funding);
//   size[j] signed, |.| <= 2^64; markValue[j] = size_j * mark_j and absMarkValue[j] =
//   |markValue[j]| with mark_j < 2^64 (so both below 2^128 in size); notional[j] signed,
//   -2^128 <= . < 2^128; penaltyBps[j] < 2^16; 0 <= shareBase[j] <= absMarkValue[j] * penaltyBps[j]
//   (a liquidator's discount is at most the penalty), so share_j <= penalty_j; M <= 6.
// Bounds: penaltyBase < 2^144, penalty_j < 2^131, |u_j| < 2^129, 0 <= u_j + loss_j < 2^129
//   for an open market (|.| < 2^129 for a flat one), |R| < 7 * 2^129 < 2^132,
//   0 <= left <= max(R, 0) < 2^132, so every want - left is in (-2^132, 2^132); keys (a
//   loss or a value) are below 2^129, and so are their differences; |charge[j]| < 2^134.
// TypeScript twin: prover/src/domain/compartments.ts (attributeLiquidation).
template AttributeCharges(M) {
    assert(M >= 1 && M <= 6);
    signal input enabled;
    signal input collateral;
    signal input size[M];
    signal input markValue[M];
    signal input absMarkValue[M];
    signal input notional[M];
    signal input penaltyBps[M];
    signal input shareBase[M];
    signal output penalty[M];
    signal output share[M];
    signal output penaltyTotal;
    signal output kept;
    signal output charge[M];

    // A. Each market's penalty, share, result and loss.
    signal penaltyBase[M];
    signal result[M];
    signal resultNegative[M];
    signal flat[M];
    signal open[M];
    signal losing[M];
    signal loss[M];
    var resources = collateral;
    var total = 0;
    var losses = 0;
    for (var j = 0; j < M; j++) {
        penaltyBase[j] <== absMarkValue[j] * penaltyBps[j];
        penalty[j] <== DivBps(144)(penaltyBase[j]);
        share[j] <== DivBps(144)(shareBase[j]);
        result[j] <== markValue[j] - notional[j];
        resultNegative[j] <== SignedRangeCheck(129)(result[j]);
        flat[j] <== IsZero()(size[j]);
        open[j] <== 1 - flat[j];
        losing[j] <== open[j] * resultNegative[j];
        loss[j] <== -losing[j] * result[j];
        resources += result[j] + loss[j];
        total += penalty[j];
        losses += loss[j];
    }
    penaltyTotal <== total;

    // B. The resources cover the losses, then pay the penalties, in market order.
    signal r <== resources;
    signal rNegative <== SignedRangeCheck(132)(r);
    signal left[2 * M + 1];
    signal wantBelow[2 * M];
    signal got[2 * M];
    left[0] <== r * (1 - rNegative);
    for (var k = 0; k < 2 * M; k++) {
        var want = k < M ? loss[k] : penalty[k - M];
        wantBelow[k] <== SignedRangeCheck(132)(want - left[k]);
        got[k] <== left[k] + wantBelow[k] * (want - left[k]);
        left[k + 1] <== left[k] - got[k];
    }
    kept <== left[2 * M];

    // C. A negative R goes to the open market with the largest loss, or the largest value
    // when none has a loss: the first open market whose key beats every earlier one.
    signal noLoss <== IsZero()(losses);
    signal key[M];
    signal best[M + 1];
    signal found[M + 1];
    signal beats[M];
    signal keeps[M];
    signal pick[M];
    signal choice[M + 1][M];
    best[0] <== 0;
    found[0] <== 0;
    for (var j = 0; j < M; j++) {
        choice[0][j] <== 0;
    }
    for (var j = 0; j < M; j++) {
        key[j] <== loss[j] + noLoss * (absMarkValue[j] - loss[j]);
        beats[j] <== SignedRangeCheck(129)(best[j] - key[j]);
        // an earlier open market with a key at least as large keeps the choice
        keeps[j] <== found[j] * (1 - beats[j]);
        pick[j] <== open[j] * (1 - keeps[j]);
        best[j + 1] <== best[j] + pick[j] * (key[j] - best[j]);
        found[j + 1] <== found[j] + open[j] - found[j] * open[j];
        for (var i = 0; i < M; i++) {
            if (i == j) {
                choice[j + 1][i] <== pick[j];
            } else {
                choice[j + 1][i] <== choice[j][i] * (1 - pick[j]);
            }
        }
    }
    signal negativeR <== rNegative * r;
    signal toChosen[M];
    for (var j = 0; j < M; j++) {
        toChosen[j] <== negativeR * choice[M][j];
    }
    // no open market at all: market 0 (no rule of the exchange leaves such an account)
    signal toFirst <== negativeR * (1 - found[M]);
    for (var j = 0; j < M; j++) {
        var extra = toChosen[j];
        if (j == 0) {
            extra += toFirst;
        }
        charge[j] <== enabled * (got[M + j] - share[j] - loss[j] + got[j] + extra);
    }
}
