pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";

// ScaleBps(): a margin rate scaled by a multiplier, rounded up:
//   out = ceil(rate * mult / 10^4), i.e. 10^4 * out = rate * mult + 9999 - rem, 0 <= rem <= 9999.
//   rate: < 2^16; mult: < 2^16 (both checked by the caller).
//   out (output): < 2^16, checked here (a rate and multiplier whose product needs more are
//     refused; the deployment keeps rate * ceiling within it).
// TypeScript twin: prover/src/domain/volatility.ts (scaledBps).
template ScaleBps() {
    signal input rate;
    signal input mult;
    signal output out;
    signal product <== rate * mult;
    out <-- (product + 9999) \ 10000;
    signal rem <== product + 9999 - 10000 * out;
    // 0 <= rem <= 9999: rem and 9999 - rem are both below 2^14 (a field element that is
    // not in [0, 9999] fails one of them); with out < 2^16, 10^4 * out + rem < 2^31 cannot wrap
    RangeCheck(14)(rem);
    RangeCheck(14)(9999 - rem);
    RangeCheck(BPS_BITS())(out);
}

// MarketBinding(M): unpacks and range-checks the market parameters, the fund floor, mark
// prices, funding indices and margin multipliers, scales the margin rates, and computes the
// binding that the settlement contract checks:
//   configHash = Poseidon(2)(marketsHash, domain),
//   marketsHash = Poseidon(M + 1)(param[0..M-1], fundFloor) (the deployer computes it,
//     Settlement stores Poseidon(marketsHash, domain) without recomputing it),
//   priceConfigHash = Poseidon(3)(Poseidon(1 + M)(configHash, mark[0..M-1]),
//                                 Poseidon(M)(index[0..M-1] + 2^63), margins).
//   domain: the deployment domain Poseidon(chainId, Settlement address), which Settlement
//     computes in its constructor; every message an account signs names it, so binding it
//     here binds every signature the batch checks to this one deployment.
//   param[j]: imBps | mmBps << 16 | makerFeeBps << 32 | takerFeeBps << 48
//             | liquidationPenaltyBps << 64 (80 bits).
//   fundFloor: the least collateral the insurance fund (account 2) keeps after its owner's
//     withdrawals and trades, in collateral units; 0 <= fundFloor < 2^127 (checked here).
//   mark[j]: mark price, < 2^64.
//   index[j]: market j's cumulative funding index (signed, -2^63 <= index < 2^63; checked
//     here), as the Funding contract recorded it for the batch's oracle round.
//   margins: the oracle round's margin multipliers (PriceOracle.roundMarginsWord, the
//     volatility rule): for each market j, mult[j] at bits [32j, 32j + 16) and liqMult[j] at
//     [32j + 16, 32j + 32); < 2^(32M) (checked here), each multiplier >= 10^4 (1x, checked).
//   M <= 7, so that 32M bits stay below the field's 254 (Num2Bits would alias beyond).
// Outputs: imBps[j] = ceil(param imBps * mult[j] / 10^4) and mmBps[j] likewise (the
// requirements of this round), liqMmBps[j] = ceil(param mmBps * liqMult[j] / 10^4) (the
// maintenance requirement below which an account may be liquidated), all < 2^16; the fees
// and penalty as configured.
// TypeScript twin: prover/src/domain/market.ts (configHash, priceConfigHash),
// prover/src/domain/funding.ts (fundingHash) and prover/src/domain/volatility.ts (scaledBps,
// scaledMarkets).
template MarketBinding(M) {
    signal input param[M];
    signal input mark[M];
    signal input index[M];
    signal input domain;
    signal input fundFloor;
    signal input margins;
    signal output imBps[M];
    signal output mmBps[M];
    signal output liqMmBps[M];
    signal output makerFeeBps[M];
    signal output takerFeeBps[M];
    signal output penaltyBps[M];
    signal output priceConfigHash;

    assert(M >= 1 && M <= 7);
    component multBits = Num2Bits(32 * M);
    multBits.in <== margins;
    component bits[M];
    for (var j = 0; j < M; j++) {
        bits[j] = Num2Bits(MARKET_PARAM_BITS());
        bits[j].in <== param[j];
        var field[5] = [0, 0, 0, 0, 0];
        for (var f = 0; f < 5; f++) {
            for (var k = 0; k < BPS_BITS(); k++) {
                field[f] += bits[j].out[BPS_BITS() * f + k] * (1 << k);
            }
        }
        var mult = 0;
        var liqMult = 0;
        for (var k = 0; k < 16; k++) {
            mult += multBits.out[32 * j + k] * (1 << k);
            liqMult += multBits.out[32 * j + 16 + k] * (1 << k);
        }
        // at least 1x: mult - 10^4 is below 2^16 only when mult >= 10^4 (mult < 2^16)
        RangeCheck(16)(mult - 10000);
        RangeCheck(16)(liqMult - 10000);
        imBps[j] <== ScaleBps()(field[0], mult);
        mmBps[j] <== ScaleBps()(field[1], mult);
        liqMmBps[j] <== ScaleBps()(field[1], liqMult);
        makerFeeBps[j] <== field[2];
        takerFeeBps[j] <== field[3];
        penaltyBps[j] <== field[4];
        RangeCheck(PRICE_BITS())(mark[j]);
    }
    RangeCheck(COLLATERAL_BITS() - 1)(fundFloor);
    component markets = SparsePoseidon(M + 1);
    for (var j = 0; j < M; j++) {
        markets.inputs[j] <== param[j];
    }
    markets.inputs[M] <== fundFloor;
    signal marketsHash <== markets.out;
    signal configHash <== SparsePoseidon(2)([marketsHash, domain]);
    component prices = SparsePoseidon(1 + M);
    prices.inputs[0] <== configHash;
    signal biasedIndex[M];
    for (var j = 0; j < M; j++) {
        prices.inputs[1 + j] <== mark[j];
        biasedIndex[j] <== index[j] + (1 << FUNDING_INDEX_BITS());
        RangeCheck(FUNDING_INDEX_BITS() + 1)(biasedIndex[j]);
    }
    signal fundingHash <== SparsePoseidon(M)(biasedIndex);
    priceConfigHash <== SparsePoseidon(3)([prices.out, fundingHash, margins]);
}
