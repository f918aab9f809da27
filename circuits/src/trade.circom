pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";
include "order.circom";
include "margin.circom";
include "funding.circom";
include "sparse-poseidon.circom";

// TradeSide(SIDE, D, M): applies one side of a matched trade (SIDE 0 = the buy order,
// SIDE 1 = the sell order) to its account and moves the tree root.
//   D: binary tree depth (2..32); M: markets (<= 6).
// Inputs from the caller (already checked there):
//   enabled (bit), marketSelect[M] (one-hot), qty (1..2^64), price (1..2^64),
//   tradeNotional = qty * price, feeRateBps (< 2^16), mark[M] (< 2^64),
//   imBps[M], mmBps[M] (< 2^16; the round's initial requirement, and the maintenance one a
//   reducing trade must meet: MarketBinding's imBps and liqMmBps), index[M] (funding
//   indices, |.| <= 2^63), rootIn, domain and fundFloor (< 2^127) (bound and checked by
//   the batch's MarketBinding), reduceOnly (bit: the traded market's circuit breaker is on).
// In a reduce-only market an enabled trade must only reduce this side's exposure (G).
// A sub-account isolated to a market (its leaf's flag, 1 + market) trades only there (C'').
// The account is any trader's or the insurance fund's (2, whose leaf holds the fund
// owner's key), never the empty leaf 0 nor the fee account 1 (NotFeeAccount); after a
// trade of the fund its equity at the marks is at least fundFloor plus its margin
// requirement (MarginRequirement's floor).
// Private inputs checked here: the order (account, nonce, maxFeeBps, amount, limitPrice,
// market from the trade), its signature, the account leaf preimage and Merkle siblings.
// The account's accrued funding is settled into its collateral (SettleFunding) before the
// trade, so the margin check sees equity after funding.
// The fund trades under its compartments' rules (docs/isolation.md, section 1): it settles
// the traded market's funding alone (its other markets keep their index: their size does not
// change here, so what they owe waits, exact), into that market's notional, not its
// collateral (the reserve); a position of the fund's that reaches zero realises nothing, so
// the market's result stays in its compartment C = size * mark - notional. Its price band,
// the compartment's requirement and its reserve are checked once per trade by SettleTrades,
// from the fund outputs.
// Outputs: rootOut (rootIn when disabled), fee, msg (the packed order, which the batch
// commitment records; the key signs Poseidon(domain, msg)); isFund (bit), and for the fund
// (0 for any other account) the traded market's new size, |size| and notional, whether the
// trade only reduced its exposure, and its collateral (the reserve) after it.
// TypeScript twin: prover/src/engine/trades.ts (applyTradeSide).
template TradeSide(SIDE, D, M) {
    var NL = TREE_LEVELS(D);
    signal input enabled;
    signal input market;
    signal input marketSelect[M];
    signal input qty;
    signal input price;
    signal input tradeNotional;
    signal input feeRateBps;
    signal input mark[M];
    signal input imBps[M];
    signal input mmBps[M];
    signal input index[M];
    signal input rootIn;
    signal input domain;
    signal input fundFloor;
    signal input reduceOnly;

    signal input account;
    signal input nonce;
    signal input maxFeeBps;
    signal input amount;
    signal input limitPrice;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;

    signal input ax;
    signal input ay;
    signal input balance;
    signal input word[M];
    signal input notional[M];
    signal input siblings[NL][TREE_SIBLINGS()];

    signal output rootOut;
    signal output fee;
    signal output msg;
    signal output isFund;
    signal output fundSize;
    signal output fundAbsSize;
    signal output fundNotional;
    signal output fundReducing;
    signal output fundCollateral;

    // A. Order fields are range-checked; the account index gives the Merkle path.
    component accountBits = Num2Bits(D);
    accountBits.in <== account;
    NotFeeAccount()(account, enabled);
    RangeCheck(NONCE_BITS())(nonce);
    RangeCheck(BPS_BITS())(maxFeeBps);
    RangeCheck(AMOUNT_BITS())(amount);
    RangeCheck(PRICE_BITS())(limitPrice);

    // B. The order is signed by the key in the account leaf, for this deployment: the key
    // signs Poseidon(domain, order), so an order signed for another deployment never passes.
    msg <== OrderMessage()(account, market, SIDE, nonce, maxFeeBps, amount, limitPrice);
    signal signedMsg <== SparsePoseidon(2)([domain, msg]);
    OrderSignature()(enabled, ax, ay, sigR8x, sigR8y, sigS, signedMsg);

    // C. The leaf read from the tree is range-checked field by field.
    component old = AccountLeafUnpack(M);
    old.balance <== balance;
    old.word <== word;
    old.notional <== notional;

    // C''. A sub-account isolated to a market (flag = 1 + market) trades in that market
    // only, so its collateral backs that market alone.
    TradesIn()(old.flag, market, enabled);

    // C'. Accrued funding is settled into collateral; every position moves to the
    // current index (SettleFunding). The fund pays nothing there: it settles the traded
    // market alone (D': its own rounding, into the traded notional, F), and its other
    // markets keep their word, index included (H).
    isFund <== IsZero()(account - INSURANCE_ACCOUNT());
    signal keep[M];
    for (var j = 0; j < M; j++) {
        keep[j] <== isFund * (1 - marketSelect[j]);
    }
    component funding = SettleFunding(M);
    funding.collateral <== old.collateral;
    funding.size <== old.size;
    funding.lastIndex <== old.lastIndex;
    funding.index <== index;
    funding.word <== word;
    funding.enabled <== enabled - enabled * isFund;

    // D. Select the traded market's fields.
    var selNotional = 0;
    var selSize = 0;
    var selNegative = 0;
    var selNonce = 0;
    var selFilled = 0;
    var selLastIndex = 0;
    var selIndex = 0;
    signal pickNotional[M];
    signal pickSize[M];
    signal pickNegative[M];
    signal pickNonce[M];
    signal pickFilled[M];
    signal pickLastIndex[M];
    signal pickIndex[M];
    for (var j = 0; j < M; j++) {
        pickLastIndex[j] <== marketSelect[j] * old.lastIndex[j];
        pickIndex[j] <== marketSelect[j] * index[j];
        selLastIndex += pickLastIndex[j];
        selIndex += pickIndex[j];
        pickNotional[j] <== marketSelect[j] * notional[j];
        pickSize[j] <== marketSelect[j] * old.size[j];
        pickNegative[j] <== marketSelect[j] * old.sizeNegative[j];
        pickNonce[j] <== marketSelect[j] * old.nonce[j];
        pickFilled[j] <== marketSelect[j] * old.filled[j];
        selNotional += pickNotional[j];
        selSize += pickSize[j];
        selNegative += pickNegative[j];
        selNonce += pickNonce[j];
        selFilled += pickFilled[j];
    }

    // D'. The fund's funding in the traded market, rounded on its own (a padding slot and
    // any other account pay nothing here).
    component fundFunding = SettleFunding(1);
    fundFunding.collateral <== 0;
    fundFunding.size[0] <== selSize;
    fundFunding.lastIndex[0] <== selLastIndex;
    fundFunding.index[0] <== selIndex;
    fundFunding.word[0] <== 0;
    fundFunding.enabled <== enabled * isFund;
    signal fundPayment <== fundFunding.payment;

    // E. Trading rules: not replayed, not overfilled, within the limit price, fee bounded.
    signal newFilled <== OrderFillRule()(nonce, amount, selNonce, selFilled, qty);
    PriceWithinLimit(SIDE)(price, limitPrice);
    fee <== TradingFee()(tradeNotional, feeRateBps, maxFeeBps);

    // F. New position. A buy adds qty and its cost; a sell removes them. A position that
    // reaches zero realises its open notional into collateral, but for the fund's. The
    // fund's funding payment moves from its collateral to the traded notional.
    var direction = 1 - 2 * SIDE;
    signal newSize <== selSize + direction * qty;
    signal newNegative <== SignedRangeCheck(SIZE_BITS())(newSize);
    signal newZero <== IsZero()(newSize);
    signal oldZero <== IsZero()(selSize);
    signal grossNotional <== selNotional + fundPayment + direction * tradeNotional;
    signal realises <== newZero * (1 - isFund);
    signal realised <== realises * grossNotional;
    signal newNotional <== grossNotional - realised;
    signal newCollateral <== funding.collateralOut - fee - realised;
    _ <== SignedRangeCheck(NOTIONAL_BITS())(newNotional);
    _ <== SignedRangeCheck(COLLATERAL_BITS())(newCollateral);

    // G. The trade only reduces exposure when it moves a position towards zero without
    // crossing it: a buy against a short, a sell against a long.
    signal reducing;
    if (SIDE == 0) {
        reducing <== selNegative * (newNegative + newZero);
    } else {
        reducing <== (1 - selNegative - oldZero) * (1 - newNegative);
    }

    // G'. A market under its circuit breaker takes only trades that reduce exposure.
    signal blocked <== reduceOnly * enabled;
    blocked * (1 - reducing) === 0;

    // H. Write the traded market back (size, nonce and filled change; the funding field is
    // already current); other markets keep their settled words (the fund's, their old ones).
    signal wordChange <== (newSize - selSize)
        + (nonce - selNonce) * (1 << WORD_NONCE_SHIFT())
        + (newFilled - selFilled) * (1 << WORD_FILLED_SHIFT());
    signal restored[M];
    signal newWord[M];
    signal newNotionals[M];
    signal newSizes[M];
    signal newNegatives[M];
    for (var j = 0; j < M; j++) {
        // the fund's markets it does not trade keep their word as it was
        restored[j] <== keep[j] * (funding.wordOut[j] - word[j]);
        newWord[j] <== funding.wordOut[j] - restored[j] + marketSelect[j] * wordChange;
        newNotionals[j] <== notional[j] + marketSelect[j] * (newNotional - selNotional);
        newSizes[j] <== old.size[j] + marketSelect[j] * (newSize - selSize);
        newNegatives[j] <== old.sizeNegative[j] + marketSelect[j] * (newNegative - selNegative);
    }

    // I. After the trade the account meets initial margin, or maintenance margin if the
    // trade only reduced its exposure; the insurance fund with its floor of equity to spare
    // (its value at the marks, so an off-market trade cannot pass value below the floor).
    signal floor <== isFund * fundFloor;
    MarginRequirement(M)(newCollateral, newSizes, newNegatives, newNotionals, mark, imBps, mmBps,
        reducing, floor, enabled);

    // J. Old leaf is in the tree at rootIn; the new leaf gives the next root.
    signal newBalance <== PackBalance()(newCollateral, old.withdrawNonce, old.flag);
    signal oldLeaf <== LeafHash(M)(ax, ay, balance, word, notional);
    signal newLeaf <== LeafHash(M)(ax, ay, newBalance, newWord, newNotionals);
    component update = LeafUpdate(D);
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeaf;
    update.indexBits <== accountBits.out;
    update.siblings <== siblings;
    (update.oldRoot - rootIn) * enabled === 0;
    rootOut <== rootIn + enabled * (update.newRoot - rootIn);

    // K. The fund's traded market after the trade, for SettleTrades' checks.
    fundSize <== isFund * newSize;
    signal absSize <== newSize * (1 - 2 * newNegative);
    fundAbsSize <== isFund * absSize;
    fundNotional <== isFund * newNotional;
    fundReducing <== isFund * reducing;
    fundCollateral <== isFund * newCollateral;
}

// FundTradeBand(): a trade of the insurance fund's pays at most its market's penalty rate
// worse than the mark (docs/isolation.md, section 1): a buy at most mark * (1 + rate), a
// sell at least mark * (1 - rate), so one trade moves little of a compartment to its
// counterparty. A price better than the mark for the fund is not limited (it raises the
// compartment at the counterparty's expense, and a stranger's cheap ask must not block
// the fund's buy):
//   (isBuyer + isSeller) * mark * penaltyBps - 10^4 * (isBuyer - isSeller) * (price - mark) >= 0.
// All inputs 0 but price and mark (a trade without the fund) pass.
// Preconditions (the caller checks them): isBuyer, isSeller bits, not both 1 (no
// self-trade); price < 2^64 (SettleTrades); mark < 2^64 and penaltyBps < 2^16
// (MarketBinding). So the width is below 2^80 and |10^4 * (price - mark)| < 2^78: the value
// lies in (-2^78, 2^81), and a negative one is p minus less than 2^78, far above 2^82.
// TypeScript twin: prover/src/engine/trades.ts (fundTradeRules).
template FundTradeBand() {
    signal input isBuyer;
    signal input isSeller;
    signal input price;
    signal input mark;
    signal input penaltyBps;
    signal width <== mark * penaltyBps;
    signal allowed <== (isBuyer + isSeller) * width;
    signal worse <== (isBuyer - isSeller) * (price - mark);
    RangeCheck(82)(allowed - BPS_DENOMINATOR() * worse);
}

// FundReserve(): after a trade of the insurance fund's its collateral (the reserve, which
// pays the trade's fee) is not negative: a fee never becomes a debt the compartments carry.
// 0 (a trade without the fund) passes.
// Precondition (the caller checks it): reserve signed, |.| < 2^128 (TradeSide's range check
// of the collateral it writes), so a negative one is p minus at most 2^128, far above 2^128.
// TypeScript twin: prover/src/engine/trades.ts (fundTradeRules).
template FundReserve() {
    signal input reserve;
    RangeCheck(COLLATERAL_BITS())(reserve);
}

// FundCompartmentRequirement(): after a trade of the insurance fund's, its compartment in
// the traded market, C = size * mark - notional, holds at least its position's requirement
// at `bps` (docs/isolation.md, section 1: the round's initial rate after a trade that
// increases the fund's exposure, its liquidation rate after one that only reduces it):
//   10^4 * (size * mark - notional) - absSize * mark * bps >= 0.
// All inputs 0 (a trade without the fund) pass.
// Preconditions (the caller checks them): size signed, |.| < 2^64, absSize = |size|, and
// notional signed, |.| <= 2^128 (TradeSide's range checks: its fund outputs); mark < 2^64
// and bps < 2^16 (MarketBinding). So |C| < 2^129, and the slack lies in (-2^145, 2^143):
// a negative one is p minus less than 2^145, far above 2^143.
// TypeScript twin: prover/src/engine/trades.ts (fundTradeRules).
template FundCompartmentRequirement() {
    signal input size;
    signal input absSize;
    signal input notional;
    signal input mark;
    signal input bps;
    signal value <== size * mark;
    signal absValue <== absSize * mark;
    signal requirement <== absValue * bps;
    signal slack <== BPS_DENOMINATOR() * (value - notional) - requirement;
    RangeCheck(143)(slack);
}
