pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";

// MarketBinding(M): unpacks and range-checks the market parameters, the fund floor, mark
// prices and funding indices and computes the binding that the settlement contract checks:
//   configHash = Poseidon(2)(marketsHash, domain),
//   marketsHash = Poseidon(M + 1)(param[0..M-1], fundFloor) (the deployer computes it,
//     Settlement stores Poseidon(marketsHash, domain) without recomputing it),
//   priceConfigHash = Poseidon(2)(Poseidon(1 + M)(configHash, mark[0..M-1]),
//                                 Poseidon(M)(index[0..M-1] + 2^63)).
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
// TypeScript twin: prover/src/domain/market.ts (configHash, priceConfigHash) and
// prover/src/domain/funding.ts (fundingHash).
template MarketBinding(M) {
    signal input param[M];
    signal input mark[M];
    signal input index[M];
    signal input domain;
    signal input fundFloor;
    signal output imBps[M];
    signal output mmBps[M];
    signal output makerFeeBps[M];
    signal output takerFeeBps[M];
    signal output penaltyBps[M];
    signal output priceConfigHash;

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
        imBps[j] <== field[0];
        mmBps[j] <== field[1];
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
    priceConfigHash <== SparsePoseidon(2)([prices.out, fundingHash]);
}
