pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";
include "order.circom";
include "margin.circom";
include "market-binding.circom";
include "funding.circom";
include "compartments.circom";
include "compartment-move.circom";
include "auto-deleverage.circom";

// OfferMessage(M): what a liquidator's key signs for its standing offer:
//   Poseidon(OFFER_TAG | account << 4 | nonce << 36, domain, term[0], ..., term[M-1]),
//   term[j] = maxSize_j | discountBps_j << 64.
// Preconditions (caller): account < 2^32, nonce < 2^32, so the head is unique; domain is
// the deployment domain bound by the batch's MarketBinding. M <= 6 (Poseidon(2 + M)).
// TypeScript twin: prover/src/domain/offer.ts (offerMessage).
template OfferMessage(M) {
    signal input account;
    signal input nonce;
    signal input domain;
    signal input term[M];
    signal output msg;
    component h = SparsePoseidon(2 + M);
    h.inputs[0] <== OFFER_TAG() + account * (1 << OFFER_ACCOUNT_SHIFT()) + nonce * (1 << OFFER_NONCE_SHIFT());
    h.inputs[1] <== domain;
    for (var j = 0; j < M; j++) {
        h.inputs[2 + j] <== term[j];
    }
    msg <== h.out;
}

// TakeBits(M): take[j] are bits, all 0 unless takerEnabled (a bit, checked by the caller):
// a position goes to a liquidator only in a slot that has one; a slot that has one takes
// at least one position (takerEnabled * IsZero(sum take) === 0), and only positions of
// nonzero size (take[j] * IsZero(size[j]) === 0), as the engine requires
// (OFFER_NOT_COVERING).
//   size[j]: the liquidated account's signed sizes (AccountLeafUnpack); sum take <= M.
// TypeScript twin: prover/src/engine/liquidators.ts (the offer covers every taken position).
template TakeBits(M) {
    signal input take[M];
    signal input takerEnabled;
    signal input size[M];
    signal flat[M];
    var sum = 0;
    for (var j = 0; j < M; j++) {
        AssertBit()(take[j]);
        take[j] * (1 - takerEnabled) === 0;
        flat[j] <== IsZero()(size[j]);
        take[j] * flat[j] === 0;
        sum += take[j];
    }
    signal none <== IsZero()(sum);
    takerEnabled * none === 0;
}

// TakerIsNotAccount: when enabled, the liquidator is not the liquidated account.
//   taker, account: < 2^32 (caller); enabled: bit (caller).
template TakerIsNotAccount() {
    signal input taker;
    signal input account;
    signal input enabled;
    signal same <== IsZero()(taker - account);
    same * enabled === 0;
}

// OfferCoversSize: a taken position is within the offer's size: take * (maxSize - |size|)
// is in [0, 2^64).
//   maxSize < 2^64 (from the offer term's bits), |size| <= 2^64 (AccountLeafUnpack):
//   the difference lies in (-2^65, 2^64), and a negative one is r - d with r - d > 2^253,
//   so the 64-bit check passes exactly when |size| <= maxSize (or take = 0).
template OfferCoversSize() {
    signal input take;
    signal input maxSize;
    signal input absSize;
    signal slack <== take * (maxSize - absSize);
    RangeCheck(SIZE_BITS())(slack);
}

// DiscountWithinPenalty: a taken position's discount is at most the market's penalty:
// take * (penaltyBps - discountBps) is in [0, 2^16); both are < 2^16 (caller).
template DiscountWithinPenalty() {
    signal input take;
    signal input penaltyBps;
    signal input discountBps;
    signal slack <== take * (penaltyBps - discountBps);
    RangeCheck(BPS_BITS())(slack);
}

// LiquidationSlot(D, M): liquidates one account whose equity is below its maintenance
// requirement at the batch's mark prices, after its accrued funding at the batch's indices
// is settled (SettleFunding), so an account funding pushed under is liquidated and one
// funding kept healthy is not. Its positions are closed at the mark price: those the
// slot's liquidator takes (take[j] = 1) move to the liquidator, the others to the
// insurance fund. The account keeps max(equity - penalty, 0); the rest of its result is
// split by market (AttributeCharges): each market's compartment of the fund earns that
// market's penalty less the liquidator's share there, and pays that market's uncovered loss.
//   enabled: bit; padding slots change nothing.
//   account: < 2^D, not a system account; leaf preimage and siblings: as in TradeSide.
//   mark[M] < 2^64, index[M] (|.| <= 2^63), imBps[M], mmBps[M] and penaltyBps[M] < 2^16:
//   checked by MarketBinding. domain: bound by MarketBinding. mmBps is the round's
//   liquidation requirement (MarketBinding's liqMmBps: the volatility rule's rise reaches
//   it after the grace), imBps the round's initial requirement (the liquidator's check).
// The liquidator (takerEnabled = 1, only in an enabled slot):
//   taker: < 2^D, not a system account, not `account`; its leaf preimage and siblings in
//     the tree after the account's update (the root chain rootIn -> mid -> rootOut).
//   offerNonce < 2^32, offerTerm[j] < 2^80 (= maxSize | discountBps << 64), offerSig*: its
//     standing offer, signed by its leaf key over OfferMessage naming `domain`.
//   take[j]: bits, 0 unless takerEnabled. For each taken market: |size_j| <= maxSize_j and
//     discountBps_j <= penaltyBps_j; and, if the liquidator is a sub-account isolated to a
//     market (its leaf's flag, 1 + market), j is that market.
//   It settles its own funding at the batch's indices, takes each taken position at the
//   mark (size += size_j, notional += size_j * mark_j), is paid
//     share = sum_j floor(take_j * |size_j| * mark_j * discountBps_j / 10^4),
//   each term at most its market's penalty, and meets its initial margin afterwards. Its
//   word keeps its order nonce and filled.
// Outputs (0 when disabled), applied by the batch to the fund:
//   charge[j]: what compartment j gains (negative: pays), AttributeCharges' charge; they
//     add up to equity - kept - share;
//   sizeMoved[j], notionalMoved[j]: the untaken position and its value at mark, moved to
//     the fund;
//   takerWord: takerEnabled * (taker | takeBits << 32 | (sum_j take_j * discountBps_j
//     << 16j) << (32 + M)), committed by the batch (134 bits at most for M <= 6).
// TypeScript twin: prover/src/engine/liquidations.ts (liquidate), with
// prover/src/domain/compartments.ts (attributeLiquidation), and
// prover/src/engine/liquidators.ts (checkTaker, takeOver, liquidatorShare).
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
    signal input takerEnabled;
    signal input taker;
    signal input takerAx;
    signal input takerAy;
    signal input takerBalance;
    signal input takerWord[M];
    signal input takerNotional[M];
    signal input takerSiblings[NL][TREE_SIBLINGS()];
    signal input offerNonce;
    signal input offerTerm[M];
    signal input offerSigR8x;
    signal input offerSigR8y;
    signal input offerSigS;
    signal input take[M];
    signal input mark[M];
    signal input index[M];
    signal input imBps[M];
    signal input mmBps[M];
    signal input penaltyBps[M];
    signal input domain;
    signal input rootIn;
    signal output rootOut;
    signal output charge[M];
    signal output sizeMoved[M];
    signal output notionalMoved[M];
    signal output committedTaker;

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

    // B. Equity and maintenance requirement at the marks.
    signal markValue[M];
    signal absMarkValue[M];
    signal mmTerm[M];
    var equity = funding.collateralOut;
    var maintenance = 0;
    for (var j = 0; j < M; j++) {
        markValue[j] <== old.size[j] * mark[j];
        absMarkValue[j] <== markValue[j] * (1 - 2 * old.sizeNegative[j]);
        mmTerm[j] <== absMarkValue[j] * mmBps[j];
        equity += markValue[j] - notional[j];
        maintenance += mmTerm[j];
    }
    signal equitySignal <== equity;

    // C. Below maintenance, strictly: 10^4 * equity < requirement. An account exactly at
    // its requirement is healthy.
    signal shortfall <== enabled * (maintenance - BPS_DENOMINATOR() * equitySignal - 1);
    RangeCheck(MARGIN_DIFF_BITS())(shortfall);

    // D. The liquidator: a user account other than the liquidated one, whose signed offer
    // covers every position it takes, with a discount within the penalty.
    AssertBit()(takerEnabled);
    takerEnabled * (1 - enabled) === 0;
    TakeBits(M)(take, takerEnabled, old.size);
    component takerBits = Num2Bits(D);
    takerBits.in <== taker;
    NotSystemAccount()(taker, takerEnabled);
    TakerIsNotAccount()(taker, account, takerEnabled);
    RangeCheck(NONCE_BITS())(offerNonce);
    component termBits[M];
    signal maxSize[M];
    signal discountBps[M];
    signal absSize[M];
    for (var j = 0; j < M; j++) {
        termBits[j] = Num2Bits(OFFER_TERM_BITS());
        termBits[j].in <== offerTerm[j];
        var ms = 0;
        for (var k = 0; k < OFFER_DISCOUNT_SHIFT(); k++) {
            ms += termBits[j].out[k] * (1 << k);
        }
        maxSize[j] <== ms;
        var d = 0;
        for (var k = OFFER_DISCOUNT_SHIFT(); k < OFFER_TERM_BITS(); k++) {
            d += termBits[j].out[k] * (1 << (k - OFFER_DISCOUNT_SHIFT()));
        }
        discountBps[j] <== d;
        absSize[j] <== old.size[j] * (1 - 2 * old.sizeNegative[j]);
        OfferCoversSize()(take[j], maxSize[j], absSize[j]);
        DiscountWithinPenalty()(take[j], penaltyBps[j], discountBps[j]);
    }
    component taker_ = AccountLeafUnpack(M);
    taker_.balance <== takerBalance;
    taker_.word <== takerWord;
    taker_.notional <== takerNotional;
    // A liquidator that is a sub-account isolated to a market takes positions there only.
    for (var j = 0; j < M; j++) {
        TradesIn()(taker_.flag, j, take[j]);
    }
    signal offerMsg <== OfferMessage(M)(taker, offerNonce, domain, offerTerm);
    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== takerEnabled;
    sig.Ax <== takerAx;
    sig.Ay <== takerAy;
    sig.R8x <== offerSigR8x;
    sig.R8y <== offerSigR8y;
    sig.S <== offerSigS;
    sig.M <== offerMsg;

    // E. The result split by market (AttributeCharges, docs/isolation.md section 2): each
    // market's penalty, the liquidator's share in each market it takes,
    //   share_j = floor(take_j * |size_j| * mark_j * discountBps_j / 10^4) <= penalty_j
    // (every taken discount is within its market's penalty), what the account keeps,
    // max(equity - sum_j penalty_j, 0), and each compartment's charge.
    signal takenValue[M];
    signal shareBase[M];
    for (var j = 0; j < M; j++) {
        takenValue[j] <== take[j] * absMarkValue[j];
        shareBase[j] <== takenValue[j] * discountBps[j];
    }
    component attribution = AttributeCharges(M);
    attribution.enabled <== enabled;
    attribution.collateral <== funding.collateralOut;
    attribution.size <== old.size;
    attribution.markValue <== markValue;
    attribution.absMarkValue <== absMarkValue;
    attribution.notional <== notional;
    attribution.penaltyBps <== penaltyBps;
    attribution.shareBase <== shareBase;
    signal kept <== attribution.kept;
    _ <== SignedRangeCheck(COLLATERAL_BITS())(kept);
    var shares = 0;
    for (var j = 0; j < M; j++) {
        shares += attribution.share[j];
    }
    signal share <== shares;

    // F. The account's new leaf: it keeps max(equity - penalty, 0), no positions, and its
    // working orders (so they cannot be replayed). Root rootIn -> mid.
    signal newWord[M];
    signal zeros[M];
    for (var j = 0; j < M; j++) {
        newWord[j] <== funding.wordOut[j] - old.size[j];
        zeros[j] <== 0;
    }
    signal newBalance <== PackBalance()(kept, old.withdrawNonce, old.flag);
    signal oldLeaf <== LeafHash(M)(ax, ay, balance, word, notional);
    signal newLeaf <== LeafHash(M)(ax, ay, newBalance, newWord, zeros);
    component update = LeafUpdate(D);
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeaf;
    update.indexBits <== accountBits.out;
    update.siblings <== siblings;
    (update.oldRoot - rootIn) * enabled === 0;
    signal mid <== rootIn + enabled * (update.newRoot - rootIn);

    // G. The liquidator settles its funding, takes the positions at the mark, is paid its
    // share and meets its initial margin. Root mid -> rootOut.
    component takerFunding = SettleFunding(M);
    takerFunding.collateral <== taker_.collateral;
    takerFunding.size <== taker_.size;
    takerFunding.lastIndex <== taker_.lastIndex;
    takerFunding.index <== index;
    takerFunding.word <== takerWord;
    takerFunding.enabled <== takerEnabled;
    signal takerCollateral <== takerFunding.collateralOut + share;
    _ <== SignedRangeCheck(COLLATERAL_BITS())(takerCollateral);
    signal takenSize[M];
    signal takerSize[M];
    signal takerSizeNegative[M];
    signal newTakerWord[M];
    signal takenNotional[M];
    signal newTakerNotional[M];
    for (var j = 0; j < M; j++) {
        takenSize[j] <== take[j] * old.size[j];
        takerSize[j] <== taker_.size[j] + takenSize[j];
        takerSizeNegative[j] <== SignedRangeCheck(SIZE_BITS())(takerSize[j]);
        newTakerWord[j] <== takerFunding.wordOut[j] + takenSize[j];
        takenNotional[j] <== take[j] * markValue[j];
        newTakerNotional[j] <== takerNotional[j] + takenNotional[j];
        _ <== SignedRangeCheck(NOTIONAL_BITS())(newTakerNotional[j]);
    }
    MarginRequirement(M)(takerCollateral, takerSize, takerSizeNegative, newTakerNotional, mark, imBps, mmBps, 0, 0, takerEnabled);
    signal newTakerBalance <== PackBalance()(takerCollateral, taker_.withdrawNonce, taker_.flag);
    signal oldTakerLeaf <== LeafHash(M)(takerAx, takerAy, takerBalance, takerWord, takerNotional);
    signal newTakerLeaf <== LeafHash(M)(takerAx, takerAy, newTakerBalance, newTakerWord, newTakerNotional);
    component takerUpdate = LeafUpdate(D);
    takerUpdate.oldLeaf <== oldTakerLeaf;
    takerUpdate.newLeaf <== newTakerLeaf;
    takerUpdate.indexBits <== takerBits.out;
    takerUpdate.siblings <== takerSiblings;
    (takerUpdate.oldRoot - mid) * takerEnabled === 0;
    rootOut <== mid + takerEnabled * (takerUpdate.newRoot - mid);

    // H. The fund's part: what no liquidator took, and each compartment's charge.
    // take[j] <= takerEnabled <= enabled, so enabled - take[j] = enabled * (1 - take[j]).
    for (var j = 0; j < M; j++) {
        sizeMoved[j] <== (enabled - take[j]) * old.size[j];
        notionalMoved[j] <== (enabled - take[j]) * markValue[j];
    }
    charge <== attribution.charge;

    // I. What the batch commits of the liquidator (0 without one).
    signal takenDiscount[M];
    var packed = 0;
    for (var j = 0; j < M; j++) {
        takenDiscount[j] <== take[j] * discountBps[j];
        packed += take[j] * (1 << (LIQUIDATION_TAKE_SHIFT() + j));
        packed += takenDiscount[j] * (1 << (LIQUIDATION_TAKE_SHIFT() + M + BPS_BITS() * j));
    }
    committedTaker <== takerEnabled * taker + packed;
}

// LiquidateBatch(L, A, D, M): up to L liquidations at the batch's mark prices, each with
// at most one liquidator taking some of its positions, the deleveraging of the markets it
// leaves under water with up to A ranked entries, and one update of the insurance fund
// (account 2) with what the liquidators did not take.
// Public inputs (4):
//   oldRoot, newRoot: account tree roots.
//   dataCommitment: the liquidations' chain c_L, with c_0 = the fund's compartment
//     move's first word (0 without a move) and c_{i+1} = Poseidon(c_i, account_i,
//     takerWord_i) per enabled slot, takerWord_i = LiquidationSlot's committedTaker (0
//     without a liquidator); then, when the batch deleverages, Deleverage's chain from it.
//     TypeScript twin: prover/src/domain/batch.ts (liquidationCommitment).
//   priceConfigHash: the market configuration, mark prices and funding indices, as in
//     SettleTrades.
// The insurance fund's ledger is per market (docs/isolation.md, section 1): its
// compartment j is C_j = size_j * mark_j - notional_j, and its collateral is its reserve,
// which no liquidation touches. The fund settles its funding market by market into its
// notionals (SettleFundingByMarket), so each compartment pays its own market's funding;
// the slots' charges are added to the compartments (their order does not matter) and
// written to the notionals; the positions it takes at the mark leave its compartments
// unchanged at the batch's marks. No batch may leave a compartment below both 0 and where
// it started, but in a market it deleverages (Deleverage, docs/isolation.md section 3):
// there the fund's whole position is closed against the ranked opposing positions at the
// bankruptcy price, and no liquidator takes a position of that market (its share would be
// paid by the deleveraged traders). Every market under water after the charges where the
// fund holds a position must be deleveraged, a market an earlier batch left under water
// too (so no liquidator takes a position there either): its head is then in the
// commitment, with the entries the ranking gives (none when nobody can afford a lot), so a
// skip proof can read it (SkippedDeleverage).
// The batch may carry one compartment move signed by the fund's key (CompartmentMove),
// applied after the fund's funding and before the slots' charges; a move out is judged on
// what the batch leaves (the compartment after its charges, the position after its slots).
template LiquidateBatch(L, A, D, M) {
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
    // the oracle round's margin multipliers (MarketBinding): bound through priceConfigHash
    signal input margins;
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
    signal input takerEnabled[L];
    signal input taker[L];
    signal input takerAx[L];
    signal input takerAy[L];
    signal input takerBalance[L];
    signal input takerWord[L][M];
    signal input takerNotional[L][M];
    signal input takerSiblings[L][NL][TREE_SIBLINGS()];
    signal input offerNonce[L];
    signal input offerTerm[L][M];
    signal input offerSigR8x[L];
    signal input offerSigR8y[L];
    signal input offerSigS[L];
    signal input take[L][M];
    signal input fundAx;
    signal input fundAy;
    signal input fundBalance;
    signal input fundWord[M];
    signal input fundNotional[M];
    signal input fundSiblings[NL][TREE_SIBLINGS()];
    signal input moveEnabled;
    signal input moveMarket[M];
    signal input moveAmount;
    signal input moveToReserve;
    signal input moveSigR8x;
    signal input moveSigR8y;
    signal input moveSigS;
    signal input adlMarket[M];
    signal input adlEntryEnabled[A];
    signal input adlEntryMarket[A][M];
    signal input adlAccount[A];
    signal input adlAx[A];
    signal input adlAy[A];
    signal input adlBalance[A];
    signal input adlWord[A][M];
    signal input adlNotional[A][M];
    signal input adlSiblings[A][NL][TREE_SIBLINGS()];

    // A. Prices and configuration are the bound ones.
    component binding = MarketBinding(M);
    binding.param <== marketParam;
    binding.mark <== mark;
    binding.index <== fundingIndex;
    binding.domain <== domain;
    binding.fundFloor <== fundFloor;
    binding.margins <== margins;
    binding.priceConfigHash === priceConfigHash;

    // B. The insurance fund settles its funding market by market into its compartments,
    // and applies its owner's compartment move if the batch carries one.
    component fund = AccountLeafUnpack(M);
    fund.balance <== fundBalance;
    fund.word <== fundWord;
    fund.notional <== fundNotional;
    // the fund is a cross-margin account: it takes positions in every market
    fund.flag === 0;
    component fundFunding = SettleFundingByMarket(M);
    fundFunding.size <== fund.size;
    fundFunding.lastIndex <== fund.lastIndex;
    fundFunding.index <== fundingIndex;
    fundFunding.word <== fundWord;
    fundFunding.notional <== fundNotional;
    component move = CompartmentMove(M);
    move.enabled <== moveEnabled;
    move.market <== moveMarket;
    move.amount <== moveAmount;
    move.toReserve <== moveToReserve;
    move.nonce <== fund.withdrawNonce;
    move.domain <== domain;
    move.ax <== fundAx;
    move.ay <== fundAy;
    move.sigR8x <== moveSigR8x;
    move.sigR8y <== moveSigR8y;
    move.sigS <== moveSigS;
    move.collateral <== fund.collateral;
    move.mmBps <== binding.mmBps;
    // the compartments after funding, C_j = size_j * mark_j - notional_j, and the fund's
    // positions' values |size_j| * mark_j (a move out is judged here, and again on what
    // the batch leaves, section D)
    signal fundValue[M];
    for (var j = 0; j < M; j++) {
        fundValue[j] <== fund.size[j] * mark[j];
        move.compartment[j] <== fundValue[j] - fundFunding.notionalOut[j];
        move.absValue[j] <== fundValue[j] * (1 - 2 * fund.sizeNegative[j]);
    }

    // C. The liquidations, in order.
    signal root[L + 1];
    signal commitment[L + 1];
    root[0] <== oldRoot;
    commitment[0] <== move.committed;
    component slot[L];
    component slotHash[L];
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
        slot[i].takerEnabled <== takerEnabled[i];
        slot[i].taker <== taker[i];
        slot[i].takerAx <== takerAx[i];
        slot[i].takerAy <== takerAy[i];
        slot[i].takerBalance <== takerBalance[i];
        slot[i].takerWord <== takerWord[i];
        slot[i].takerNotional <== takerNotional[i];
        slot[i].takerSiblings <== takerSiblings[i];
        slot[i].offerNonce <== offerNonce[i];
        slot[i].offerTerm <== offerTerm[i];
        slot[i].offerSigR8x <== offerSigR8x[i];
        slot[i].offerSigR8y <== offerSigR8y[i];
        slot[i].offerSigS <== offerSigS[i];
        slot[i].take <== take[i];
        slot[i].mark <== mark;
        slot[i].index <== fundingIndex;
        slot[i].imBps <== binding.imBps;
        // liquidatable below the maintenance requirement a rise reaches after its grace
        slot[i].mmBps <== binding.liqMmBps;
        slot[i].penaltyBps <== binding.penaltyBps;
        slot[i].domain <== domain;
        slot[i].rootIn <== root[i];
        root[i + 1] <== slot[i].rootOut;
        for (var j = 0; j < M; j++) {
            totalSize[j] += slot[i].sizeMoved[j];
            totalNotional[j] += slot[i].notionalMoved[j];
        }
        slotHash[i] = SparsePoseidon(3);
        slotHash[i].inputs[0] <== commitment[i];
        slotHash[i].inputs[1] <== account[i];
        slotHash[i].inputs[2] <== slot[i].committedTaker;
        commitment[i + 1] <== commitment[i] + enabled[i] * (slotHash[i].out - commitment[i]);
    }

    // D. Each compartment takes the charges of its market. None may end below both 0 and
    // where it started, but the deleveraged one; no liquidator takes a position there.
    // |size * mark| < 2^128 and |notionalOut| < 2^128 + 2^108: |C_j| < 2^130 before the
    // move, < 2^130 + 2^92 after it (the 134-bit sign check holds it). A slot's charge is
    // its equity less what it keeps, |.| < 2^132 (M <= 6), so |final_j| < 2^138 for
    // L <= 32, far below the field: an oversized value fails the 135-bit checks, it never
    // wraps. Real values stay below 2^100.
    assert(L <= 32);
    // A move out of compartment j must leave it its requirement after the batch's charges,
    // at the position the slots leave (the positions moved to the fund at the mark change
    // C_j by nothing): a move cannot take out what the batch's losses need, which
    // deleveraging would then take from the ranked traders.
    signal compartment[M];
    signal notionalMoved[M];
    signal startNegative[M];
    signal startFloor[M];
    signal finalCompartment[M];
    signal floorSlack[M];
    signal fundSizeAfter[M];
    signal fundSizeNegative[M];
    signal fundValueAfter[M];
    signal movedOut[M];
    signal absValueAfter[M];
    signal afterRequirement[M];
    signal moveOutSlack[M];
    signal finalNegative[M];
    signal fundFlat[M];
    signal mustDeleverage[M];
    var charged[M];
    for (var j = 0; j < M; j++) {
        charged[j] = 0;
        for (var i = 0; i < L; i++) {
            charged[j] += slot[i].charge[j];
            take[i][j] * adlMarket[j] === 0;
        }
        fundSizeAfter[j] <== fund.size[j] + totalSize[j];
        fundSizeNegative[j] <== SignedRangeCheck(SIZE_BITS())(fundSizeAfter[j]);
        fundValueAfter[j] <== fundSizeAfter[j] * mark[j];
        // a move into compartment j lowers notional_j, raising C_j
        notionalMoved[j] <== fundFunding.notionalOut[j] - move.delta[j];
        compartment[j] <== fundValue[j] - notionalMoved[j];
        finalCompartment[j] <== compartment[j] + charged[j];
        // a move out of market j: 10^4 * C_j after the batch's charges (and the move) at
        // least |size_j| * mark_j * mmBps_j after its slots; both sides below 2^152 in size
        movedOut[j] <== moveToReserve * moveMarket[j];
        absValueAfter[j] <== fundValueAfter[j] * (1 - 2 * fundSizeNegative[j]);
        afterRequirement[j] <== absValueAfter[j] * binding.mmBps[j];
        moveOutSlack[j] <== movedOut[j] * (BPS_DENOMINATOR() * finalCompartment[j] - afterRequirement[j]);
        RangeCheck(153)(moveOutSlack[j]);
        startNegative[j] <== SignedRangeCheck(134)(compartment[j]);
        startFloor[j] <== compartment[j] * startNegative[j];
        floorSlack[j] <== (1 - adlMarket[j]) * (finalCompartment[j] - startFloor[j]);
        RangeCheck(135)(floorSlack[j]);
        // under water after the charges with the fund holding a position: deleveraged,
        // whether this batch's charges or an earlier batch's left it there (and so no
        // liquidator takes a position there, above). The sign is read right: a witness
        // the other checks accept has -2^135 <= final_j < 2^135 (not deleveraged: final_j
        // - startFloor_j in [0, 2^135) with startFloor_j >= -2^134; deleveraged: Deleverage
        // holds -final_j in [1, 2^135]), inside the check's [-2^138, 2^138)
        finalNegative[j] <== SignedRangeCheck(138)(finalCompartment[j]);
        fundFlat[j] <== IsZero()(fundSizeAfter[j]);
        mustDeleverage[j] <== finalNegative[j] * (1 - fundFlat[j]);
        mustDeleverage[j] * (1 - adlMarket[j]) === 0;
    }

    // E. The deleveraging, on the tree after the slots, and the fund's new leaf.
    component adl = Deleverage(A, D, M);
    adl.market <== adlMarket;
    adl.mark <== mark;
    adl.index <== fundingIndex;
    adl.liqMmBps <== binding.liqMmBps;
    adl.fundSize <== fundSizeAfter;
    adl.fundSizeNegative <== fundSizeNegative;
    adl.compartment <== finalCompartment;
    adl.commitmentIn <== commitment[L];
    adl.rootIn <== root[L];
    adl.entryEnabled <== adlEntryEnabled;
    adl.entryMarket <== adlEntryMarket;
    adl.account <== adlAccount;
    adl.ax <== adlAx;
    adl.ay <== adlAy;
    adl.balance <== adlBalance;
    adl.word <== adlWord;
    adl.notional <== adlNotional;
    adl.siblings <== adlSiblings;
    signal newFundWord[M];
    signal newFundNotional[M];
    for (var j = 0; j < M; j++) {
        _ <== SignedRangeCheck(SIZE_BITS())(fundSizeAfter[j] + adl.sizeDelta[j]);
        newFundWord[j] <== fundFunding.wordOut[j] + totalSize[j] + adl.sizeDelta[j];
        // a gain raises C_j = size_j * mark_j - notional_j: it lowers the notional
        newFundNotional[j] <== notionalMoved[j] + totalNotional[j] - charged[j] + adl.notionalDelta[j];
        _ <== SignedRangeCheck(NOTIONAL_BITS())(newFundNotional[j]);
    }
    // the nonce a move spends stays within its 32 bits (it would carry into the flag)
    signal newFundNonce <== fund.withdrawNonce + moveEnabled;
    RangeCheck(NONCE_BITS())(newFundNonce);
    signal newFundBalance <== PackBalance()(move.collateralOut, newFundNonce, fund.flag);
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
    fundUpdate.oldRoot === adl.rootOut;
    fundUpdate.newRoot === newRoot;
    adl.commitmentOut === dataCommitment;
}
