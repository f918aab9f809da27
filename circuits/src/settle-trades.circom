pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";
include "trade.circom";
include "market-binding.circom";

// SettleTrades(B, D, M): a batch of up to B matched trades moves the account tree from
// oldRoot to newRoot.
//   B: trade slots (1..); D: binary tree depth (2..32); M: markets (1..6).
// Public inputs (4):
//   oldRoot, newRoot: account tree roots before and after the batch.
//   dataCommitment: c_B where c_0 = 0 and, for every enabled slot,
//     c_{i+1} = Poseidon(c_i, buyMsg, sellMsg, qty | price << 64 | takerIsBuyer << 128);
//     a disabled (padding) slot leaves it unchanged.
//   tradeBinding: Poseidon(2)(priceConfigHash, reduceOnly), priceConfigHash binding the
//     market configuration, mark prices, funding indices and margin multipliers
//     (MarketBinding) and reduceOnly
//     the round's reduce-only markets (bit j: market j's circuit breaker is on,
//     PriceOracle.roundReduceOnly; Settlement.roundTradeBinding).
// Private inputs: market parameters, the deployment domain, the insurance fund's floor,
// mark prices, funding indices, the round's margin multipliers (MarketBinding) and the
// reduce-only mask (M bits, checked here); per slot
// the trade (enabled, market, qty, price, takerIsBuyer) and for each side [0 = buy, 1 = sell] the order,
// its signature, the account leaf preimage and siblings; the fee account leaf.
// A side's account is a trader's or the insurance fund's (its owner's orders; the fund
// keeps its equity at the marks at least fundFloor above its margin requirement), never
// the fee account (TradeSide).
// Every slot's fees accumulate and reach the fee account in one update at the end.
// Every trading account settles its accrued funding first (TradeSide); the fee account
// holds no position, so it has none to settle.
// In a reduce-only market every enabled trade only reduces both sides' exposure (TradeSide).
// A trade of the insurance fund's stays inside its market (docs/isolation.md, section 1;
// TradeSide keeps the fund's result and funding in the market's notional), checked once per
// trade since at most one side is the fund (no self-trade): FundTradeBand,
// FundCompartmentRequirement (at the initial rate after a trade that increases the fund's
// exposure, at the liquidation rate after one that reduces it) and FundReserve
// (trade.circom), from the sides' fund outputs (all 0 for a trade without the fund, which
// the checks pass).
// TypeScript twin: prover/src/engine/trades.ts (settleTrades).
template SettleTrades(B, D, M) {
    assert(D >= 2 && D <= ACCOUNT_BITS());
    var NL = TREE_LEVELS(D);

    signal input oldRoot;
    signal input newRoot;
    signal input dataCommitment;
    signal input tradeBinding;

    signal input marketParam[M];
    // the deployment domain (MarketBinding): bound through tradeBinding
    signal input domain;
    // the insurance fund's floor (MarketBinding): bound through tradeBinding
    signal input fundFloor;
    // the oracle round's margin multipliers (MarketBinding): bound through tradeBinding
    signal input margins;
    signal input mark[M];
    // the markets' funding indices at the batch's round: bound through tradeBinding
    signal input fundingIndex[M];
    // the round's reduce-only markets (bit j: market j), bound through tradeBinding
    signal input reduceOnly;

    signal input enabled[B];
    signal input market[B];
    signal input qty[B];
    signal input price[B];
    signal input takerIsBuyer[B];

    signal input orderAccount[B][2];
    signal input orderNonce[B][2];
    signal input orderMaxFeeBps[B][2];
    signal input orderAmount[B][2];
    signal input orderLimitPrice[B][2];
    signal input sigR8x[B][2];
    signal input sigR8y[B][2];
    signal input sigS[B][2];

    signal input leafAx[B][2];
    signal input leafAy[B][2];
    signal input leafBalance[B][2];
    signal input leafWord[B][2][M];
    signal input leafNotional[B][2][M];
    signal input siblings[B][2][NL][TREE_SIBLINGS()];

    signal input feeAx;
    signal input feeAy;
    signal input feeBalance;
    signal input feeWord[M];
    signal input feeNotional[M];
    signal input feeSiblings[NL][TREE_SIBLINGS()];

    // A. Market configuration and prices are the ones bound by the public input.
    component binding = MarketBinding(M);
    binding.param <== marketParam;
    binding.mark <== mark;
    binding.index <== fundingIndex;
    binding.domain <== domain;
    binding.fundFloor <== fundFloor;
    binding.margins <== margins;
    component reduceBits = Num2Bits(M);
    reduceBits.in <== reduceOnly;
    signal bound <== SparsePoseidon(2)([binding.priceConfigHash, reduceOnly]);
    bound === tradeBinding;

    // B. Trades, in order; each moves the root and extends the commitment.
    signal root[B + 1];
    signal commitment[B + 1];
    root[0] <== oldRoot;
    commitment[0] <== 0;
    var totalFees = 0;

    component select[B][M];
    component side[B][2];
    component slotHash[B];
    signal feeSum[B][2];
    signal tradeNotional[B];
    signal makerRate[B];
    signal takerRate[B];
    signal buyRate[B];
    signal sellRate[B];
    signal pickMaker[B][M];
    signal pickTaker[B][M];
    signal pickReduce[B][M];
    signal selfTrade[B];
    signal pickMark[B][M];
    signal pickPenalty[B][M];
    signal pickLiqMm[B][M];
    signal pickIm[B][M];
    signal fundRate[B];
    signal qtyZero[B];
    signal priceZero[B];
    for (var i = 0; i < B; i++) {
        AssertBit()(enabled[i]);
        AssertBit()(takerIsBuyer[i]);
        // the market index selects exactly one market
        var oneHot = 0;
        var maker = 0;
        var taker = 0;
        var reduce = 0;
        var markSel = 0;
        var penaltySel = 0;
        var liqMmSel = 0;
        var imSel = 0;
        for (var j = 0; j < M; j++) {
            select[i][j] = IsEqual();
            select[i][j].in[0] <== market[i];
            select[i][j].in[1] <== j;
            oneHot += select[i][j].out;
            pickMaker[i][j] <== select[i][j].out * binding.makerFeeBps[j];
            pickTaker[i][j] <== select[i][j].out * binding.takerFeeBps[j];
            pickReduce[i][j] <== select[i][j].out * reduceBits.out[j];
            reduce += pickReduce[i][j];
            pickMark[i][j] <== select[i][j].out * mark[j];
            pickPenalty[i][j] <== select[i][j].out * binding.penaltyBps[j];
            pickLiqMm[i][j] <== select[i][j].out * binding.liqMmBps[j];
            markSel += pickMark[i][j];
            penaltySel += pickPenalty[i][j];
            liqMmSel += pickLiqMm[i][j];
            pickIm[i][j] <== select[i][j].out * binding.imBps[j];
            imSel += pickIm[i][j];
            maker += pickMaker[i][j];
            taker += pickTaker[i][j];
        }
        oneHot === 1;
        makerRate[i] <== maker;
        takerRate[i] <== taker;
        // the fill and the price are positive 64-bit amounts
        RangeCheck(AMOUNT_BITS())(qty[i]);
        RangeCheck(PRICE_BITS())(price[i]);
        qtyZero[i] <== IsZero()(qty[i]);
        qtyZero[i] * enabled[i] === 0;
        priceZero[i] <== IsZero()(price[i]);
        priceZero[i] * enabled[i] === 0;
        tradeNotional[i] <== qty[i] * price[i];
        // no self-trade
        selfTrade[i] <== IsEqual()([orderAccount[i][0], orderAccount[i][1]]);
        selfTrade[i] * enabled[i] === 0;
        // the taker pays the taker rate, the maker the maker rate
        buyRate[i] <== makerRate[i] + takerIsBuyer[i] * (takerRate[i] - makerRate[i]);
        sellRate[i] <== takerRate[i] + makerRate[i] - buyRate[i];

        for (var s = 0; s < 2; s++) {
            side[i][s] = TradeSide(s, D, M);
            side[i][s].enabled <== enabled[i];
            side[i][s].market <== market[i];
            for (var j = 0; j < M; j++) {
                side[i][s].marketSelect[j] <== select[i][j].out;
            }
            side[i][s].reduceOnly <== reduce;
            side[i][s].qty <== qty[i];
            side[i][s].price <== price[i];
            side[i][s].tradeNotional <== tradeNotional[i];
            // padding slots pay no fee, so all-zero padding passes the fee rule
            side[i][s].feeRateBps <== enabled[i] * (s == 0 ? buyRate[i] : sellRate[i]);
            side[i][s].mark <== mark;
            side[i][s].index <== fundingIndex;
            side[i][s].domain <== domain;
            side[i][s].fundFloor <== fundFloor;
            side[i][s].imBps <== binding.imBps;
            // a reducing trade needs the maintenance requirement liquidations use: an
            // account a rise cannot liquidate yet may still reduce, in steps
            side[i][s].mmBps <== binding.liqMmBps;
            side[i][s].rootIn <== s == 0 ? root[i] : side[i][0].rootOut;
            side[i][s].account <== orderAccount[i][s];
            side[i][s].nonce <== orderNonce[i][s];
            side[i][s].maxFeeBps <== orderMaxFeeBps[i][s];
            side[i][s].amount <== orderAmount[i][s];
            side[i][s].limitPrice <== orderLimitPrice[i][s];
            side[i][s].sigR8x <== sigR8x[i][s];
            side[i][s].sigR8y <== sigR8y[i][s];
            side[i][s].sigS <== sigS[i][s];
            side[i][s].ax <== leafAx[i][s];
            side[i][s].ay <== leafAy[i][s];
            side[i][s].balance <== leafBalance[i][s];
            side[i][s].word <== leafWord[i][s];
            side[i][s].notional <== leafNotional[i][s];
            side[i][s].siblings <== siblings[i][s];
            feeSum[i][s] <== enabled[i] * side[i][s].fee;
            totalFees += feeSum[i][s];
        }
        root[i + 1] <== side[i][1].rootOut;

        // the fund's trade stays inside its market (see the header; at most one side is
        // the fund, and a side that is not has every fund output 0)
        FundTradeBand()(side[i][0].isFund, side[i][1].isFund, price[i], markSel, penaltySel);
        // the initial rate after a trade that increases the fund's exposure
        fundRate[i] <== liqMmSel + (side[i][0].isFund + side[i][1].isFund
            - side[i][0].fundReducing - side[i][1].fundReducing) * (imSel - liqMmSel);
        FundCompartmentRequirement()(side[i][0].fundSize + side[i][1].fundSize,
            side[i][0].fundAbsSize + side[i][1].fundAbsSize,
            side[i][0].fundNotional + side[i][1].fundNotional, markSel, fundRate[i]);
        FundReserve()(side[i][0].fundCollateral + side[i][1].fundCollateral);

        slotHash[i] = SparsePoseidon(4);
        slotHash[i].inputs[0] <== commitment[i];
        slotHash[i].inputs[1] <== side[i][0].msg;
        slotHash[i].inputs[2] <== side[i][1].msg;
        slotHash[i].inputs[3] <== qty[i] + price[i] * (1 << TRADE_PRICE_SHIFT())
            + takerIsBuyer[i] * (1 << TRADE_TAKER_SHIFT());
        commitment[i + 1] <== commitment[i] + enabled[i] * (slotHash[i].out - commitment[i]);
    }

    // C. The batch's fees reach the fee account in one Merkle update.
    component feeLeaf = AccountLeafUnpack(M);
    feeLeaf.balance <== feeBalance;
    feeLeaf.word <== feeWord;
    feeLeaf.notional <== feeNotional;
    // the fee account is a cross-margin account (genesis writes it so; no writer changes it)
    feeLeaf.flag === 0;
    signal newFeeCollateral <== feeLeaf.collateral + totalFees;
    _ <== SignedRangeCheck(COLLATERAL_BITS())(newFeeCollateral);
    signal newFeeBalance <== PackBalance()(newFeeCollateral, feeLeaf.withdrawNonce, feeLeaf.flag);
    signal oldFeeLeaf <== LeafHash(M)(feeAx, feeAy, feeBalance, feeWord, feeNotional);
    signal newFeeLeaf <== LeafHash(M)(feeAx, feeAy, newFeeBalance, feeWord, feeNotional);
    component feeUpdate = LeafUpdate(D);
    feeUpdate.oldLeaf <== oldFeeLeaf;
    feeUpdate.newLeaf <== newFeeLeaf;
    var feeIndex = FEE_ACCOUNT();
    for (var k = 0; k < D; k++) {
        feeUpdate.indexBits[k] <== (feeIndex >> k) & 1;
    }
    feeUpdate.siblings <== feeSiblings;
    feeUpdate.oldRoot === root[B];

    // D. Public outputs of the batch.
    feeUpdate.newRoot === newRoot;
    commitment[B] === dataCommitment;
}
