pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";
include "order.circom";
include "market-binding.circom";
include "funding.circom";

// LiquidationSlot(D, M): liquidates one account whose equity is below its maintenance
// requirement at the batch's mark prices, after its accrued funding at the batch's indices
// is settled (SettleFunding), so an account funding pushed under is liquidated and one
// funding kept healthy is not. Its positions are closed at the mark price
// against the insurance fund (the fund takes them over), the liquidation penalty goes to
// the fund, and a negative equity is covered by the fund.
//   enabled: bit; padding slots change nothing.
//   account: < 2^D, not a system account; leaf preimage and siblings: as in TradeSide.
//   mark[M] < 2^64, index[M] (|.| <= 2^63), mmBps[M] and penaltyBps[M] < 2^16: checked by
//   MarketBinding.
// Outputs (0 when disabled), summed by the batch into one fund update:
//   fundDelta: equity - what the account keeps (the penalty, or the whole equity when it
//     is below the penalty; negative when the fund covers a shortfall);
//   sizeMoved[j], notionalMoved[j]: the position and its value at mark, moved to the fund.
template LiquidationSlot(D, M) {
    var NL = TREE_LEVELS(D);
    signal input enabled;
    signal input account;
    signal input ax;
    signal input ay;
    signal input balance;
    signal input word[M];
    signal input notional[M];
    signal input siblings[NL][TREE_SIBLINGS()];
    signal input mark[M];
    signal input index[M];
    signal input mmBps[M];
    signal input penaltyBps[M];
    signal input rootIn;
    signal output rootOut;
    signal output fundDelta;
    signal output sizeMoved[M];
    signal output notionalMoved[M];

    // A. The account and its leaf, range-checked.
    AssertBit()(enabled);
    component accountBits = Num2Bits(D);
    accountBits.in <== account;
    NotSystemAccount()(account, enabled);
    component old = AccountLeafUnpack(M);
    old.balance <== balance;
    old.word <== word;
    old.notional <== notional;
    component funding = SettleFunding(M);
    funding.collateral <== old.collateral;
    funding.size <== old.size;
    funding.lastIndex <== old.lastIndex;
    funding.index <== index;
    funding.word <== word;
    funding.enabled <== enabled;

    // B. Equity, maintenance requirement and penalty base at the marks.
    signal markValue[M];
    signal absMarkValue[M];
    signal mmTerm[M];
    signal penaltyTerm[M];
    var equity = funding.collateralOut;
    var maintenance = 0;
    var penaltyBase = 0;
    for (var j = 0; j < M; j++) {
        markValue[j] <== old.size[j] * mark[j];
        absMarkValue[j] <== markValue[j] * (1 - 2 * old.sizeNegative[j]);
        mmTerm[j] <== absMarkValue[j] * mmBps[j];
        penaltyTerm[j] <== absMarkValue[j] * penaltyBps[j];
        equity += markValue[j] - notional[j];
        maintenance += mmTerm[j];
        penaltyBase += penaltyTerm[j];
    }
    signal equitySignal <== equity;

    // C. Below maintenance, strictly: 10^4 * equity < requirement. An account exactly at
    // its requirement is healthy.
    signal shortfall <== enabled * (maintenance - BPS_DENOMINATOR() * equitySignal - 1);
    RangeCheck(MARGIN_DIFF_BITS())(shortfall);

    // D. penalty = floor(penaltyBase / 10^4), unique thanks to the range checks.
    signal penalty;
    signal remainder;
    penalty <-- penaltyBase \ BPS_DENOMINATOR();
    remainder <-- penaltyBase % BPS_DENOMINATOR();
    penaltyBase === penalty * BPS_DENOMINATOR() + remainder;
    RangeCheck(14)(remainder);
    RangeCheck(14)(BPS_DENOMINATOR() - 1 - remainder);
    RangeCheck(MARGIN_DIFF_BITS())(penalty);

    // E. The account keeps max(equity - penalty, 0); the rest goes to (or comes from) the fund.
    signal afterPenalty <== equitySignal - penalty;
    signal negative <== SignedRangeCheck(MARGIN_DIFF_BITS())(afterPenalty);
    signal kept <== afterPenalty * (1 - negative);
    _ <== SignedRangeCheck(COLLATERAL_BITS())(kept);

    // F. The new leaf: no positions, working orders kept (so they cannot be replayed).
    signal newWord[M];
    signal zeros[M];
    for (var j = 0; j < M; j++) {
        newWord[j] <== funding.wordOut[j] - old.size[j];
        zeros[j] <== 0;
        sizeMoved[j] <== enabled * old.size[j];
        notionalMoved[j] <== enabled * markValue[j];
    }
    signal newBalance <== PackBalance()(kept, old.withdrawNonce);
    signal oldLeaf <== LeafHash(M)(ax, ay, balance, word, notional);
    signal newLeaf <== LeafHash(M)(ax, ay, newBalance, newWord, zeros);
    component update = LeafUpdate(D);
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeaf;
    update.indexBits <== accountBits.out;
    update.siblings <== siblings;
    (update.oldRoot - rootIn) * enabled === 0;
    rootOut <== rootIn + enabled * (update.newRoot - rootIn);
    fundDelta <== enabled * (equitySignal - kept);
}

// LiquidateBatch(L, D, M): up to L liquidations at the batch's mark prices, and one
// update of the insurance fund (account 2) with their totals.
// Public inputs (4):
//   oldRoot, newRoot: account tree roots.
//   dataCommitment: c_L with c_0 = 0 and c_{i+1} = Poseidon(c_i, account_i) per enabled slot.
//   priceConfigHash: the market configuration, mark prices and funding indices, as in
//     SettleTrades.
// The fund settles its own accrued funding before it takes the positions (it holds
// positions like any account). The batch is invalid if the fund's collateral would end
// below zero.
template LiquidateBatch(L, D, M) {
    assert(D >= 2 && D <= ACCOUNT_BITS());
    var NL = TREE_LEVELS(D);
    signal input oldRoot;
    signal input newRoot;
    signal input dataCommitment;
    signal input priceConfigHash;

    signal input marketParam[M];
    // the deployment domain (MarketBinding): bound through priceConfigHash
    signal input domain;
    // the insurance fund's floor (MarketBinding): bound through priceConfigHash
    signal input fundFloor;
    signal input mark[M];
    // funding indices at the batch's round: bound through priceConfigHash
    signal input fundingIndex[M];
    signal input enabled[L];
    signal input account[L];
    signal input leafAx[L];
    signal input leafAy[L];
    signal input leafBalance[L];
    signal input leafWord[L][M];
    signal input leafNotional[L][M];
    signal input siblings[L][NL][TREE_SIBLINGS()];
    signal input fundAx;
    signal input fundAy;
    signal input fundBalance;
    signal input fundWord[M];
    signal input fundNotional[M];
    signal input fundSiblings[NL][TREE_SIBLINGS()];

    // A. Prices and configuration are the bound ones.
    component binding = MarketBinding(M);
    binding.param <== marketParam;
    binding.mark <== mark;
    binding.index <== fundingIndex;
    binding.domain <== domain;
    binding.fundFloor <== fundFloor;
    binding.priceConfigHash === priceConfigHash;

    // B. The liquidations, in order.
    signal root[L + 1];
    signal commitment[L + 1];
    root[0] <== oldRoot;
    commitment[0] <== 0;
    component slot[L];
    component slotHash[L];
    var totalDelta = 0;
    var totalSize[M];
    var totalNotional[M];
    for (var j = 0; j < M; j++) {
        totalSize[j] = 0;
        totalNotional[j] = 0;
    }
    for (var i = 0; i < L; i++) {
        slot[i] = LiquidationSlot(D, M);
        slot[i].enabled <== enabled[i];
        slot[i].account <== account[i];
        slot[i].ax <== leafAx[i];
        slot[i].ay <== leafAy[i];
        slot[i].balance <== leafBalance[i];
        slot[i].word <== leafWord[i];
        slot[i].notional <== leafNotional[i];
        slot[i].siblings <== siblings[i];
        slot[i].mark <== mark;
        slot[i].index <== fundingIndex;
        slot[i].mmBps <== binding.mmBps;
        slot[i].penaltyBps <== binding.penaltyBps;
        slot[i].rootIn <== root[i];
        root[i + 1] <== slot[i].rootOut;
        totalDelta += slot[i].fundDelta;
        for (var j = 0; j < M; j++) {
            totalSize[j] += slot[i].sizeMoved[j];
            totalNotional[j] += slot[i].notionalMoved[j];
        }
        slotHash[i] = SparsePoseidon(2);
        slotHash[i].inputs[0] <== commitment[i];
        slotHash[i].inputs[1] <== account[i];
        commitment[i + 1] <== commitment[i] + enabled[i] * (slotHash[i].out - commitment[i]);
    }

    // C. The insurance fund takes the positions and the penalties, covers the shortfalls,
    // and must stay solvent: its collateral cannot end below zero.
    component fund = AccountLeafUnpack(M);
    fund.balance <== fundBalance;
    fund.word <== fundWord;
    fund.notional <== fundNotional;
    component fundFunding = SettleFunding(M);
    fundFunding.collateral <== fund.collateral;
    fundFunding.size <== fund.size;
    fundFunding.lastIndex <== fund.lastIndex;
    fundFunding.index <== fundingIndex;
    fundFunding.word <== fundWord;
    fundFunding.enabled <== 1;
    signal newFundCollateral <== fundFunding.collateralOut + totalDelta;
    RangeCheck(COLLATERAL_BITS())(newFundCollateral);
    signal newFundWord[M];
    signal newFundNotional[M];
    for (var j = 0; j < M; j++) {
        _ <== SignedRangeCheck(SIZE_BITS())(fund.size[j] + totalSize[j]);
        newFundWord[j] <== fundFunding.wordOut[j] + totalSize[j];
        newFundNotional[j] <== fundNotional[j] + totalNotional[j];
        _ <== SignedRangeCheck(NOTIONAL_BITS())(newFundNotional[j]);
    }
    signal newFundBalance <== PackBalance()(newFundCollateral, fund.withdrawNonce);
    signal oldFundLeaf <== LeafHash(M)(fundAx, fundAy, fundBalance, fundWord, fundNotional);
    signal newFundLeaf <== LeafHash(M)(fundAx, fundAy, newFundBalance, newFundWord, newFundNotional);
    component fundUpdate = LeafUpdate(D);
    fundUpdate.oldLeaf <== oldFundLeaf;
    fundUpdate.newLeaf <== newFundLeaf;
    var fundIndex = INSURANCE_ACCOUNT();
    for (var k = 0; k < D; k++) {
        fundUpdate.indexBits[k] <== (fundIndex >> k) & 1;
    }
    fundUpdate.siblings <== fundSiblings;
    fundUpdate.oldRoot === root[L];
    fundUpdate.newRoot === newRoot;
    commitment[L] === dataCommitment;
}
