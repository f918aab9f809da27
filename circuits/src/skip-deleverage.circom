pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";
include "order.circom";
include "market-binding.circom";
include "funding.circom";
include "auto-deleverage.circom";

// SkippedDeleverage(A, D, M): a skip proof (docs/isolation.md, section 3). It shows that a
// settled liquidation batch's deleveraging left out an account its ranking had to list,
// and Settlement then freezes the exchange (DeleverageChallenge.sol). Anyone may prove one:
// it needs the batch file (the published deleveraging) and the account's leaf on the root
// its market's entries started from, which the batch file names.
// Public inputs (4):
//   dataCommitment, priceConfigHash: the liquidation batch's, as Settlement recorded them.
//   account: the account left out (a user account, < 2^D).
//   market: the market it was left out of (< M).
// Proves that
//   1. the batch's deleveraging is what its commitment ends with: from a chain value
//      `chainIn` (any: what the batch's slots left), one head per deleveraged market
//      (Poseidon of four: the chain, 2^100 + j + lots * 2^8 + fundLong * 2^80, price, the
//      root its entries start from), then one step per entry (Poseidon of three: the chain,
//      account + lots * 2^32 + market * 2^96, score). Heads hash four inputs and every
//      other step of a liquidation batch's chain three (the slots' steps, whose words
//      reach about 2^134, and the entries), so no other step reads as a head, and a head
//      names its market (j in its word, at position j here). The head of `market` must be
//      read (its lots are at least 1, below), and after it the batch's chain holds only
//      heads of later markets and the entries, so read from the end, they are the batch's
//      own (a different reading is a Poseidon collision): the entries all of them, the
//      head of `market` its own (a prover may leave out heads of earlier markets, by
//      starting `chainIn` after them, which changes nothing here);
//   2. `market` was deleveraged with lots to close (lots >= 1 in its head);
//   3. `account`'s leaf is in the tree of that head's root, and at the batch's marks,
//      funding indices and liquidation rates (MarketBinding) it is a candidate the ranking
//      had to examine and list (DeleverageCandidate with one lot left: a user account on
//      the other side of the fund, equity above 0, at or above maintenance, able to afford
//      one lot at the batch's bankruptcy price);
//   4. it is not among the market's entries, and either it ranks above one of them (by the
//      published key, score descending then account ascending: the ranking reached it
//      with lots left before the last entry) or lots were left unplaced in the market with
//      fewer than A entries in it and the markets before it (the ranking would have gone
//      on to it: the engine gives each market the slots the earlier ones left).
// An honest batch admits no skip proof: its list is the ranking's (engine/deleverage.ts),
// every account the ranking examines with lots left and a slot free takes a lot, and the
// account's leaf on the market's root is the one the ranking judged.
// Ranges: the chain's parsed values are range-checked so each word has one reading
// (account < 2^D, 1 <= lots <= 2^64, |score| < 2^62; the market's head's lots in
// [1, 2^64] and its side a bit, by C and DeleverageCandidate); every flag is a bit (a head's
// or an entry's enabled and market flags: a flag of another value would let the chain land
// anywhere, or let a padding entry count lots), which the tests break one by one.
// TypeScript twin: prover/src/engine/skip-proof.ts (skippedDeleverage).
template SkippedDeleverage(A, D, M) {
    assert(A >= 1 && M <= 8 && D >= 2 && D <= ACCOUNT_BITS());
    var NL = TREE_LEVELS(D);
    signal input dataCommitment;
    signal input priceConfigHash;
    signal input account;
    signal input market;

    signal input marketParam[M];
    signal input domain;
    signal input fundFloor;
    signal input margins;
    signal input mark[M];
    signal input fundingIndex[M];
    signal input chainIn;
    signal input headEnabled[M];
    signal input headLots[M];
    signal input headLong[M];
    signal input headPrice[M];
    signal input headRoot[M];
    signal input entryEnabled[A];
    signal input entryMarket[A][M];
    signal input entryAccount[A];
    signal input entryLots[A];
    signal input entryScore[A];
    signal input ax;
    signal input ay;
    signal input balance;
    signal input word[M];
    signal input notional[M];
    signal input siblings[NL][TREE_SIBLINGS()];

    // A. The batch's prices, funding and rates.
    component binding = MarketBinding(M);
    binding.param <== marketParam;
    binding.mark <== mark;
    binding.index <== fundingIndex;
    binding.domain <== domain;
    binding.fundFloor <== fundFloor;
    binding.margins <== margins;
    binding.priceConfigHash === priceConfigHash;

    // B. The deleveraging, read back from the commitment's end.
    signal head[M + 1];
    component headHash[M];
    head[0] <== chainIn;
    for (var j = 0; j < M; j++) {
        // a head's enabled must be a bit (any other value would land the chain on any
        // value it likes); its lots and side matter only in the market the proof is about,
        // where C checks 1 <= lots <= 2^64 and DeleverageCandidate holds the side to the
        // candidate's sign bit: the word then has one reading
        AssertBit()(headEnabled[j]);
        headHash[j] = SparsePoseidon(4);
        headHash[j].inputs[0] <== head[j];
        headHash[j].inputs[1] <== (1 << 100) + j + headLots[j] * (1 << 8) + headLong[j] * (1 << 80);
        headHash[j].inputs[2] <== headPrice[j];
        headHash[j].inputs[3] <== headRoot[j];
        head[j + 1] <== head[j] + headEnabled[j] * (headHash[j].out - head[j]);
    }
    signal c[A + 1];
    signal marketIndex[A];
    component entryHash[A];
    c[0] <== head[M];
    for (var i = 0; i < A; i++) {
        AssertBit()(entryEnabled[i]);
        if (i > 0) {
            entryEnabled[i] * (1 - entryEnabled[i - 1]) === 0;
        }
        var bits = 0;
        var index_ = 0;
        for (var j = 0; j < M; j++) {
            AssertBit()(entryMarket[i][j]);
            bits += entryMarket[i][j];
            index_ += j * entryMarket[i][j];
        }
        bits === entryEnabled[i];
        marketIndex[i] <== index_;
        RangeCheck(D)(entryAccount[i]);
        RangeCheck(SIZE_BITS())(entryEnabled[i] * (entryLots[i] - 1));
        _ <== SignedRangeCheck(62)(entryScore[i]);
        entryHash[i] = SparsePoseidon(3);
        entryHash[i].inputs[0] <== c[i];
        entryHash[i].inputs[1] <== entryAccount[i] + entryLots[i] * (1 << 32) + marketIndex[i] * (1 << 96);
        entryHash[i].inputs[2] <== entryScore[i];
        c[i + 1] <== c[i] + entryEnabled[i] * (entryHash[i].out - c[i]);
    }
    c[A] === dataCommitment;

    // C. The market: deleveraged, with lots to close; its price, side, mark and root.
    signal isMarket[M];
    signal pick[M][7];
    var found = 0;
    var selLots = 0;
    var selLong = 0;
    var selPrice = 0;
    var selRoot = 0;
    var selMark = 0;
    var selRate = 0;
    for (var j = 0; j < M; j++) {
        isMarket[j] <== IsEqual()([market, j]);
        found += isMarket[j];
        pick[j][0] <== isMarket[j] * headEnabled[j];
        pick[j][1] <== pick[j][0] * headLots[j];
        pick[j][2] <== pick[j][0] * headLong[j];
        pick[j][3] <== pick[j][0] * headPrice[j];
        pick[j][4] <== pick[j][0] * headRoot[j];
        pick[j][5] <== isMarket[j] * mark[j];
        selLots += pick[j][1];
        selLong += pick[j][2];
        selPrice += pick[j][3];
        selRoot += pick[j][4];
        selMark += pick[j][5];
        pick[j][6] <== isMarket[j] * binding.liqMmBps[j];
        selRate += pick[j][6];
    }
    found === 1;
    signal lots <== selLots;
    RangeCheck(SIZE_BITS())(lots - 1);
    signal fundLong <== selLong;
    signal price <== selPrice;
    signal markOf <== selMark;
    // what one lot closed at the price costs a candidate's surplus (Deleverage's costOf)
    signal distance <== (2 * fundLong - 1) * (price - markOf);
    signal rateTerm <== markOf * selRate;
    signal cost <== BPS_DENOMINATOR() * distance - rateTerm;

    // D. The account: a user account whose leaf is in the tree of the market's root, a
    // candidate the ranking had to list.
    component accountBits = Num2Bits(D);
    accountBits.in <== account;
    NotSystemAccount()(account, 1);
    component old = AccountLeafUnpack(M);
    old.balance <== balance;
    old.word <== word;
    old.notional <== notional;
    signal leaf <== LeafHash(M)(ax, ay, balance, word, notional);
    component path = LeafUpdate(D);
    path.oldLeaf <== leaf;
    path.newLeaf <== leaf;
    path.indexBits <== accountBits.out;
    path.siblings <== siblings;
    path.oldRoot === selRoot;
    component funding = SettleFunding(M);
    funding.collateral <== old.collateral;
    funding.size <== old.size;
    funding.lastIndex <== old.lastIndex;
    funding.index <== fundingIndex;
    funding.word <== word;
    funding.enabled <== 1;
    component candidate = DeleverageCandidate(M);
    candidate.enabled <== 1;
    candidate.collateral <== funding.collateralOut;
    candidate.size <== old.size;
    candidate.sizeNegative <== old.sizeNegative;
    candidate.notional <== notional;
    candidate.market <== isMarket;
    candidate.mark <== mark;
    candidate.liqMmBps <== binding.liqMmBps;
    candidate.selMark <== markOf;
    candidate.cost <== cost;
    candidate.fundLong <== fundLong;
    candidate.left <== 1;
    // with one lot left, q = 1 exactly when it can afford a lot (q >= 1 is checked)

    // E. Left out: not an entry of the market, and ranked above one of its entries, or
    // lots left unplaced with a slot free.
    var bound = 1 << (62 + D);
    signal accountKey <== candidate.score * (1 << D) + bound + (1 << D) - 1 - account;
    signal inMarketStep[A][M];
    signal inMarket[A];
    signal upToStep[A][M];
    signal upTo[A];
    signal placedStep[A];
    signal isAccount[A];
    signal entryKey[A];
    signal below[A];
    signal ranksAbove[A];
    signal notAbove[A + 1];
    // atOrBefore[j] = 1 when j <= market (isMarket is one-hot): the markets whose entries
    // were placed before the ranking of `market` stopped, the slots it could not use
    var atOrBefore[M];
    var tail = 0;
    for (var j = M - 1; j >= 0; j--) {
        tail += isMarket[j];
        atOrBefore[j] = tail;
    }
    var placed = 0;
    var count = 0;
    notAbove[0] <== 1;
    for (var i = 0; i < A; i++) {
        var dot = 0;
        var prefix = 0;
        for (var j = 0; j < M; j++) {
            inMarketStep[i][j] <== entryMarket[i][j] * isMarket[j];
            dot += inMarketStep[i][j];
            upToStep[i][j] <== entryMarket[i][j] * atOrBefore[j];
            prefix += upToStep[i][j];
        }
        inMarket[i] <== dot;
        upTo[i] <== prefix;
        isAccount[i] <== IsEqual()([entryAccount[i], account]);
        inMarket[i] * isAccount[i] === 0;
        entryKey[i] <== entryScore[i] * (1 << D) + bound + (1 << D) - 1 - entryAccount[i];
        below[i] <== LessThan(64 + D)([entryKey[i], accountKey]);
        ranksAbove[i] <== inMarket[i] * below[i];
        notAbove[i + 1] <== notAbove[i] * (1 - ranksAbove[i]);
        placedStep[i] <== inMarket[i] * entryLots[i];
        placed += placedStep[i];
        count += upTo[i];
    }
    signal placedLots <== placed;
    signal unplaced <== lots - placedLots;
    signal noneLeft <== IsZero()(unplaced);
    signal full <== IsEqual()([count, A]);
    signal leftOver <== (1 - noneLeft) * (1 - full);
    // skipped = ranks above an entry, or lots left over with a slot free: fewer than A
    // entries in this market and the markets before it (entries are in market order, so a
    // later market's entries came after this market's ranking stopped: a batch that gave
    // them this market's slots left its lots unplaced with a slot free)
    signal neither <== notAbove[A] * (1 - leftOver);
    neither === 0;
}
