pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";
include "order.circom";
include "funding.circom";
include "deleveraging.circom";

// Auto-deleveraging in a liquidation batch (docs/isolation.md, section 3). When a batch
// leaves market j's compartment under water, C_j < 0, the fund's whole position there
// (S_j lots, after the batch's liquidations moved theirs to it) is closed against the
// opposing positions in the published ranking's order, at the bankruptcy price that
// brings C_j back to 0:
//   p = mark + ceil(-C_j / |S_j|) for a fund long (the shorts buy from it above the mark),
//   p = mark - ceil(-C_j / |S_j|) for a fund short (the longs sell to it below the mark).

// DeleverageCandidate(M): whether an account's leaf (its funding settled) may be ranked
// against the fund's position in one market, its score and the lots it takes: a user
// account's open position on the other side of the fund's, of at least one lot, with equity
// above 0 (DeleverageScore) and at or above maintenance at the round's liquidation rates
// (DeleverageTake), taking the greedy maximum q of `left` lots, at least one. A deleveraging
// entry (DeleverageEntry) and a skip proof (SkippedDeleverage, left = 1) judge an account
// with this one template.
//   enabled: bit; a disabled candidate is judged on a harmless 1-lot position and takes 0.
//   collateral: after funding (|.| < 2^128 + 2^111); size[M], sizeNegative[M], notional[M]:
//     AccountLeafUnpack's (funding changes only the words' indices).
//   market[M]: one-hot (all 0 when disabled); mark[M] < 2^64, liqMmBps[M] < 2^16:
//     MarketBinding's; selMark: the market's mark (0 < . < 2^64 when enabled); cost:
//     what closing one lot costs the surplus (|.| < 2^81); fundLong: bit; left: lots still
//     to place, 0 <= . <= 2^64.
// Outputs: q, score (|.| < 2^62), selSize and selNotional (the market's signed size and
// notional).
// TypeScript twin: prover/src/engine/deleverage.ts (deleverageRanking) and
// prover/src/domain/deleveraging.ts (rankOpposing, planDeleverage).
template DeleverageCandidate(M) {
    signal input enabled;
    signal input collateral;
    signal input size[M];
    signal input sizeNegative[M];
    signal input notional[M];
    signal input market[M];
    signal input mark[M];
    signal input liqMmBps[M];
    signal input selMark;
    signal input cost;
    signal input fundLong;
    signal input left;
    signal output q;
    signal output score;
    signal output selSize;
    signal output selNotional;

    // A. Equity and maintenance surplus at the marks and the liquidation rates:
    // |equity| < 2^128 + 2^111 + M * 2^129 < 2^132 (M <= 6), requirement < 6 * 2^144, so
    // |surplus| < 2^148 (DeleverageTake refuses a negative one).
    signal markValue[M];
    signal absMarkValue[M];
    signal mmTerm[M];
    signal pickSize[M];
    signal pickNegative[M];
    signal pickNotional[M];
    signal pickValue[M];
    var equity = collateral;
    var requirement = 0;
    var sumSize = 0;
    var sumNegative = 0;
    var sumNotional = 0;
    var sumValue = 0;
    for (var j = 0; j < M; j++) {
        markValue[j] <== size[j] * mark[j];
        absMarkValue[j] <== markValue[j] * (1 - 2 * sizeNegative[j]);
        mmTerm[j] <== absMarkValue[j] * liqMmBps[j];
        equity += markValue[j] - notional[j];
        requirement += mmTerm[j];
        pickSize[j] <== market[j] * size[j];
        pickNegative[j] <== market[j] * sizeNegative[j];
        pickNotional[j] <== market[j] * notional[j];
        pickValue[j] <== market[j] * markValue[j];
        sumSize += pickSize[j];
        sumNegative += pickNegative[j];
        sumNotional += pickNotional[j];
        sumValue += pickValue[j];
    }
    signal equitySignal <== equity;
    signal surplus <== BPS_DENOMINATOR() * equitySignal - requirement;
    selSize <== sumSize;
    selNotional <== sumNotional;

    // B. An open position opposing the fund's: short when the fund is long, long when it
    // is short, of at least one lot.
    signal selNegative <== sumNegative;
    enabled * (selNegative - fundLong) === 0;
    signal absSize <== selSize * (1 - 2 * selNegative);
    RangeCheck(SIZE_BITS())(enabled * (absSize - 1));

    // C. Its score, on gated inputs (a disabled candidate scores a harmless 1-lot position
    // of equity 1), and the lots it takes: the most it can at or above maintenance.
    signal gatedSize <== enabled * (selSize - 1) + 1;
    signal gatedNegative <== enabled * selNegative;
    signal gatedMark <== enabled * (selMark - 1) + 1;
    signal gatedResult <== enabled * (sumValue - selNotional);
    signal gatedEquity <== enabled * (equitySignal - 1) + 1;
    score <== DeleverageScore()(gatedSize, gatedNegative, gatedMark, gatedResult, gatedEquity);
    component take = DeleverageTake();
    take.left <== enabled * left;
    take.size <== enabled * absSize;
    take.surplus <== enabled * surplus;
    take.cost <== cost;
    q <== take.q;
    // at least one lot: an account that cannot afford one is passed over (a batch of such
    // entries would close nothing); q <= |size| <= 2^64
    RangeCheck(SIZE_BITS())(enabled * (q - 1));
}

// DeleverageEntry(D, M): one ranked entry. The account settles its funding at the batch's
// indices, is eligible (equity > 0 and at or above maintenance at the round's liquidation
// rates), holds an open position opposing the fund's in the deleveraged market, and closes
// the greedy maximum q of it (DeleverageTake), at least one lot, at `price`: it moves q lots towards zero,
// its notional by the same lots at `price`; a position that reaches zero realises its
// notional into collateral, as a trade's does. Its score (DeleverageScore) is an output,
// for the block's strict order.
//   enabled: bit (the block's); a disabled entry writes nothing and takes q = 0.
//   account: < 2^D, not a system account; its leaf preimage and siblings at rootIn.
//   market[M]: one-hot (the block's, all 0 when it is disabled); mark[M] < 2^64, index[M]
//     (|.| <= 2^63) and liqMmBps[M] < 2^16: MarketBinding's.
//   selMark: mark of the deleveraged market (0 < . < 2^64 when enabled); price: the
//     bankruptcy price (0 < . < 2^64); cost = 10^4 * |price - selMark| - selMark *
//     liqMmBps (|.| < 2^81): what closing one lot costs the entry's maintenance surplus;
//     fundLong: bit, the fund's side (the entry must be on the other); left: lots still to
//     place, 0 <= . <= 2^64.
// Outputs: q (0 when disabled), score (|.| < 2^62), rootOut.
// TypeScript twin: prover/src/engine/deleverage.ts (deleverageEntries), with
// prover/src/domain/deleveraging.ts (deleverageScore, deleverageTake).
template DeleverageEntry(D, M) {
    var NL = TREE_LEVELS(D);
    signal input enabled;
    signal input account;
    signal input ax;
    signal input ay;
    signal input balance;
    signal input word[M];
    signal input notional[M];
    signal input siblings[NL][TREE_SIBLINGS()];
    signal input market[M];
    signal input mark[M];
    signal input index[M];
    signal input liqMmBps[M];
    signal input selMark;
    signal input price;
    signal input cost;
    signal input fundLong;
    signal input left;
    signal input rootIn;
    signal output q;
    signal output score;
    signal output rootOut;

    // A. The account, its leaf and its funding.
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

    // B-D. Eligible, on the other side, its score and the lots it takes (at least one).
    component candidate = DeleverageCandidate(M);
    candidate.enabled <== enabled;
    candidate.collateral <== funding.collateralOut;
    candidate.size <== old.size;
    candidate.sizeNegative <== old.sizeNegative;
    candidate.notional <== notional;
    candidate.market <== market;
    candidate.mark <== mark;
    candidate.liqMmBps <== liqMmBps;
    candidate.selMark <== selMark;
    candidate.cost <== cost;
    candidate.fundLong <== fundLong;
    candidate.left <== left;
    q <== candidate.q;
    score <== candidate.score;
    signal size <== candidate.selSize;
    signal selNotional <== candidate.selNotional;

    // E. The closing trade at the bankruptcy price: the entry's size moves q lots towards
    // zero (a short buys, a long sells), its notional by those lots at the price; a
    // position that reaches zero realises its notional (|.| < 2^128 + 2^129) into
    // collateral.
    signal delta <== q * (2 * fundLong - 1);
    signal tradeNotional <== delta * price;
    signal newSize <== size + delta;
    signal newZero <== IsZero()(newSize);
    signal realises <== enabled * newZero;
    signal realised <== realises * (selNotional + tradeNotional);
    signal newCollateral <== funding.collateralOut - realised;
    _ <== SignedRangeCheck(COLLATERAL_BITS())(newCollateral);
    signal newWord[M];
    signal newNotional[M];
    signal notionalChange <== tradeNotional - realised;
    signal wordChange[M];
    signal notionalStep[M];
    for (var j = 0; j < M; j++) {
        wordChange[j] <== market[j] * delta;
        newWord[j] <== funding.wordOut[j] + wordChange[j];
        notionalStep[j] <== market[j] * notionalChange;
        newNotional[j] <== notional[j] + notionalStep[j];
        _ <== SignedRangeCheck(NOTIONAL_BITS())(newNotional[j]);
    }

    // F. The new leaf; root rootIn -> rootOut.
    signal newBalance <== PackBalance()(newCollateral, old.withdrawNonce, old.flag);
    signal oldLeaf <== LeafHash(M)(ax, ay, balance, word, notional);
    signal newLeaf <== LeafHash(M)(ax, ay, newBalance, newWord, newNotional);
    component update = LeafUpdate(D);
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeaf;
    update.indexBits <== accountBits.out;
    update.siblings <== siblings;
    (update.oldRoot - rootIn) * enabled === 0;
    rootOut <== rootIn + enabled * (update.newRoot - rootIn);
}

// Deleverage(A, D, M): the deleveraging of a liquidation batch: every market whose
// compartment it leaves under water, with up to A ranked entries shared among them.
//   market[M]: bits, the deleveraged markets (the caller refuses any other market left
//     under water). A deleveraged market's compartment must be under water (C_j < 0).
//     Where the fund holds a position (|S_j| >= 1) it is closed at BankruptcyPrice's
//     price for the fund's side, |S_j| lots and x = -C_j; where it holds none there is
//     nothing to close, and the deficit stays with the compartment (price 0).
//   mark[M], index[M], liqMmBps[M]: MarketBinding's, as in DeleverageEntry.
//   fundSize[M], fundSizeNegative[M]: the fund's signed sizes after the batch's
//     liquidations (|.| <= 2^64) and their signs (the caller's SignedRangeCheck).
//   compartment[M]: the fund's compartments after the batch's charges; a deleveraged one
//     is at least -2^135 (checked), as BankruptcyPrice needs.
//   entryEnabled[A]: bits, a prefix (entry i + 1 only after entry i); entryMarket[A][M]:
//   one-hot of an enabled entry's market, which is one with lots to close (all 0 for a
//   disabled entry); an enabled entry has lots left to place in its market. Entries are in
//   the published order: market ascending, then score descending, then account
//   ascending, checked as a strictly decreasing key
//     (M - 1 - market) * 2^(63 + D) + score * 2^D + 2^(62 + D) + 2^D - 1 - account,
//   (|score| < 2^62, so the last three terms lie in (0, 2^(63 + D))), so no account appears
//   twice in a market with the same score.
//   commitmentIn: the batch's data commitment so far; rootIn: the root after the slots.
// Outputs:
//   commitmentOut: from commitmentIn, c' = Poseidon(c, 2^100 + j + lots_j * 2^8 +
//     fundLong_j * 2^80, price_j, rootBefore_j) per deleveraged market j ascending (2^100
//     tells a head from an entry; lots_j = |S_j| and fundLong_j are 0 where the fund holds
//     nothing; rootBefore_j is the root the market's entries start from), then
//     c' = Poseidon(c, account + q * 2^32 + market * 2^96, score) per enabled entry (score
//     as a field element). Heads hash four inputs and everything else in a liquidation
//     batch's chain three, so a skip proof (circuits/src/skip-deleverage.circom) can read
//     the deleveraging back from the chain's end alone.
//     TypeScript twin: prover/src/domain/deleveraging.ts (deleverageCommitment).
//   rootOut; sizeDelta[M], notionalDelta[M]: the fund's side of the closed lots (a fund
//   long sells Q_j = sum of its market's q lots at price_j: size - Q_j, notional - Q_j *
//   price_j).
// The ranking's completeness (no eligible account left out above the last entry of its
// market, or at all when lots are left unplaced with fewer than A entries) is not proven
// here: a skip proof (SkippedDeleverage) shows an account left out, and Settlement then
// freezes the exchange; the auditor's replay (ADL_RANKING_INCOMPLETE) and the replicas
// (which attest only what they replayed) refuse such a batch before it lands.
// TypeScript twin: prover/src/engine/deleverage.ts (deleverageFund).
template Deleverage(A, D, M) {
    assert(A >= 1 && M <= 8 && D + 70 <= 250);
    var NL = TREE_LEVELS(D);
    signal input market[M];
    signal input mark[M];
    signal input index[M];
    signal input liqMmBps[M];
    signal input fundSize[M];
    signal input fundSizeNegative[M];
    signal input compartment[M];
    signal input commitmentIn;
    signal input rootIn;
    signal input entryEnabled[A];
    signal input entryMarket[A][M];
    signal input account[A];
    signal input ax[A];
    signal input ay[A];
    signal input balance[A];
    signal input word[A][M];
    signal input notional[A][M];
    signal input siblings[A][NL][TREE_SIBLINGS()];
    signal output commitmentOut;
    signal output rootOut;
    signal output sizeDelta[M];
    signal output notionalDelta[M];

    // A. Per deleveraged market: the deficit, the fund's lots and side, the bankruptcy
    // price and what a lot closed at it costs a ranked entry's surplus.
    signal absS[M];
    signal flatFund[M];
    signal active[M];
    signal deficit[M];
    signal fundLong[M];
    signal price[M];
    signal side[M];
    signal distance[M];
    signal costOf[M];
    signal lots[M];
    component bankruptcy[M];
    for (var j = 0; j < M; j++) {
        AssertBit()(market[j]);
        // x = -C >= 1 in a deleveraged market (only a compartment under water is
        // deleveraged), 0 elsewhere
        deficit[j] <== -market[j] * compartment[j];
        RangeCheck(135)(deficit[j] - market[j]);
        absS[j] <== fundSize[j] * (1 - 2 * fundSizeNegative[j]);
        flatFund[j] <== IsZero()(absS[j]);
        active[j] <== market[j] * (1 - flatFund[j]);
        fundLong[j] <== active[j] * (1 - fundSizeNegative[j]);
        bankruptcy[j] = BankruptcyPrice();
        bankruptcy[j].bankruptLong <== fundLong[j];
        bankruptcy[j].mark <== active[j] * (mark[j] - 1) + 1;
        bankruptcy[j].lots <== active[j] * (absS[j] - 1) + 1;
        bankruptcy[j].x <== active[j] * deficit[j];
        price[j] <== active[j] * bankruptcy[j].price;
        side[j] <== (2 * fundLong[j] - 1) * (price[j] - mark[j]);
        distance[j] <== active[j] * side[j];
        costOf[j] <== BPS_DENOMINATOR() * distance[j] - mark[j] * liqMmBps[j];
        lots[j] <== active[j] * absS[j];
    }

    // B. The entries, in order, each taking the most it can of its market's lots left.
    signal left[A + 1][M];
    signal root[A + 1];
    signal marketIndex[A];
    signal key[A];
    signal noneLeft[A];
    signal pick[A][M][5];
    signal taken[A][M];
    component entry[A];
    for (var j = 0; j < M; j++) {
        left[0][j] <== lots[j];
    }
    root[0] <== rootIn;
    for (var i = 0; i < A; i++) {
        AssertBit()(entryEnabled[i]);
        if (i > 0) {
            entryEnabled[i] * (1 - entryEnabled[i - 1]) === 0;
        }
        var bits = 0;
        var index_ = 0;
        var selMark = 0;
        var selPrice = 0;
        var selCost = 0;
        var selLong = 0;
        var selLeft = 0;
        for (var j = 0; j < M; j++) {
            AssertBit()(entryMarket[i][j]);
            // only a market with lots to close
            entryMarket[i][j] * (1 - active[j]) === 0;
            bits += entryMarket[i][j];
            index_ += j * entryMarket[i][j];
            pick[i][j][0] <== entryMarket[i][j] * mark[j];
            pick[i][j][1] <== entryMarket[i][j] * price[j];
            pick[i][j][2] <== entryMarket[i][j] * costOf[j];
            pick[i][j][3] <== entryMarket[i][j] * fundLong[j];
            pick[i][j][4] <== entryMarket[i][j] * left[i][j];
            selMark += pick[i][j][0];
            selPrice += pick[i][j][1];
            selCost += pick[i][j][2];
            selLong += pick[i][j][3];
            selLeft += pick[i][j][4];
        }
        bits === entryEnabled[i];
        marketIndex[i] <== index_;
        noneLeft[i] <== IsZero()(selLeft);
        entryEnabled[i] * noneLeft[i] === 0;
        entry[i] = DeleverageEntry(D, M);
        entry[i].enabled <== entryEnabled[i];
        entry[i].account <== account[i];
        entry[i].ax <== ax[i];
        entry[i].ay <== ay[i];
        entry[i].balance <== balance[i];
        entry[i].word <== word[i];
        entry[i].notional <== notional[i];
        entry[i].siblings <== siblings[i];
        entry[i].market <== entryMarket[i];
        entry[i].mark <== mark;
        entry[i].index <== index;
        entry[i].liqMmBps <== liqMmBps;
        entry[i].selMark <== selMark;
        entry[i].price <== selPrice;
        entry[i].cost <== selCost;
        entry[i].fundLong <== selLong;
        entry[i].left <== selLeft;
        entry[i].rootIn <== root[i];
        root[i + 1] <== entry[i].rootOut;
        for (var j = 0; j < M; j++) {
            taken[i][j] <== entryMarket[i][j] * entry[i].q;
            left[i + 1][j] <== left[i][j] - taken[i][j];
        }
        // the published order; consecutive keys differ by less than M * 2^(63 + D)
        key[i] <== (M - 1 - marketIndex[i]) * (1 << (63 + D)) + entry[i].score * (1 << D)
            + (1 << (62 + D)) + (1 << D) - 1 - account[i];
        if (i > 0) {
            RangeCheck(66 + D)(entryEnabled[i] * (key[i - 1] - key[i] - 1));
        }
    }
    // C. The commitment's heads, one per deleveraged market: its price, the fund's lots
    // and side there, and the root its entries start from (what a skip proof reads an
    // account on: the tree after the slots and the entries of the markets before it).
    // before[i][j] = 1 for an entry of a market below j: a prefix of the entries (they are
    // in market order), so the sum telescopes to the root after the last of them.
    signal before[A][M];
    signal beforeStep[A][M];
    signal rootBefore[M];
    for (var j = 0; j < M; j++) {
        var from = rootIn;
        for (var i = 0; i < A; i++) {
            var below = 0;
            for (var k = 0; k < j; k++) {
                below += entryMarket[i][k];
            }
            before[i][j] <== below;
            beforeStep[i][j] <== before[i][j] * (root[i + 1] - root[i]);
            from += beforeStep[i][j];
        }
        rootBefore[j] <== from;
    }
    signal head[M + 1];
    component headHash[M];
    head[0] <== commitmentIn;
    for (var j = 0; j < M; j++) {
        headHash[j] = SparsePoseidon(4);
        headHash[j].inputs[0] <== head[j];
        // 2^100 + j + lots * 2^8 + fundLong * 2^80 (lots <= 2^64): an entry's word
        // (account + q * 2^32 + market * 2^96) stays below 2^99
        headHash[j].inputs[1] <== (1 << 100) + j + lots[j] * (1 << 8) + fundLong[j] * (1 << 80);
        headHash[j].inputs[2] <== price[j];
        headHash[j].inputs[3] <== rootBefore[j];
        head[j + 1] <== head[j] + market[j] * (headHash[j].out - head[j]);
    }

    // then each entry, in order
    signal c[A + 1];
    component entryHash[A];
    c[0] <== head[M];
    for (var i = 0; i < A; i++) {
        entryHash[i] = SparsePoseidon(3);
        entryHash[i].inputs[0] <== c[i];
        entryHash[i].inputs[1] <== account[i] + entry[i].q * (1 << 32) + marketIndex[i] * (1 << 96);
        entryHash[i].inputs[2] <== entry[i].score;
        c[i + 1] <== c[i] + entryEnabled[i] * (entryHash[i].out - c[i]);
    }
    commitmentOut <== c[A];
    rootOut <== root[A];

    // D. The fund's side of each market's closed lots: it sells them when long, buys them
    // when short.
    signal placed[M];
    signal signedPlaced[M];
    for (var j = 0; j < M; j++) {
        placed[j] <== lots[j] - left[A][j];
        signedPlaced[j] <== (2 * fundLong[j] - 1) * placed[j];
        sizeDelta[j] <== -signedPlaced[j];
        notionalDelta[j] <== -signedPlaced[j] * price[j];
    }
}
