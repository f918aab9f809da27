pragma circom 2.1.9;

include "constants.circom";
include "range-check.circom";
include "circomlib/circuits/comparators.circom";

// Auto-deleveraging's published ranking (docs/isolation.md, section 3): the score of an
// opposing position, which a deleveraging slot recomputes for every entry it lists and a
// skip proof for the account it shows was left out.

// ClampedFloorDiv(NB, DB): out = clamp(floor(num / den), lo, hi) with lo = -2^31 (lo = 1
// when LOW_ONE = 1) and hi = 2^31 - 1, for a signed num, |num| < 2^NB, and 0 < den < 2^DB.
// The quotient is only computed inside the clamp's range, where |q| < 2^31 keeps
// q * den + r below the field's modulus, so the equation holds over the integers and q and r
// are unique; outside it q = r = 0, and out is the bound.
//   above: num >= 2^31 * den (floor >= 2^31); below: num < lo * den (floor < lo).
// Why q and r are unique (a proof by hand: the determinism check cannot divide by a
// variable, test/circuits/deleveraging.test.ts takes them as known and checks the rest).
// When inRange = 1: q is in [-2^31, 2^31) (SignedRangeCheck(31)) and 0 <= r < den < 2^DB
// (the two RangeCheck(DB)), so |q * den + r| < 2^(DB + 32) and |num| < 2^NB are both below
// p / 2: num = q * den + r holds over the integers, and division with a remainder in
// [0, den) has one answer, q = floor(num / den). When inRange = 0: q = r = 0.
// Preconditions: NB + 2 <= 250 and DB + 34 <= 250 (asserted); den > 0 (the caller's; the
// remainder checks refuse den = 0 anyway).
template ClampedFloorDiv(NB, DB, LOW_ONE) {
    assert(NB + 2 <= 250 && DB + 34 <= 250);
    signal input num;
    signal input den;
    signal output out;
    var HI = (1 << 31) - 1;
    var LO = LOW_ONE == 1 ? 1 : -(1 << 31);
    var W = (NB > DB + 32 ? NB : DB + 32) + 1;
    signal q;
    signal r;
    signal above;
    signal below;
    signal inRange;
    signal notAbove <== SignedRangeCheck(W)(num - (HI + 1) * den);
    above <== 1 - notAbove;
    below <== SignedRangeCheck(W)(num - LO * den);
    inRange <== 1 - above - below;
    // witness: floor division of a signed numerator (circom's \ and % work on the
    // field's representatives, so the magnitude is divided and the sign put back)
    var negative = num < 0;
    var magnitude = negative ? -num : num;
    var fq = magnitude \ den;
    var fr = magnitude % den;
    var qs = negative ? (fr == 0 ? -fq : -fq - 1) : fq;
    var rs = negative ? (fr == 0 ? 0 : den - fr) : fr;
    q <-- inRange == 1 ? qs : 0;
    r <-- inRange == 1 ? rs : 0;
    q * (1 - inRange) === 0;
    r * (1 - inRange) === 0;
    _ <== SignedRangeCheck(31)(q);
    RangeCheck(DB)(r);
    RangeCheck(DB)(den - 1 - r);
    signal qd <== q * den;
    (num - qd - r) * inRange === 0;
    out <== q + above * HI + below * LO;
}

// DeleverageScore(): the published score of an open position with equity > 0:
//   value    = |size| * mark
//   pnlBps   = clamp(floor(result * 10^4 / value), -2^31, 2^31 - 1)
//   leverage = clamp(floor(value * 100 / equity), 1, 2^31 - 1)       (in hundredths)
//   score    = pnlBps * leverage when pnlBps > 0, else pnlBps         (|score| < 2^62)
// Preconditions (the caller's): size signed, 0 < |size| <= 2^64, sizeNegative its sign
//   (AccountLeafUnpack; checked to be a bit here); 0 < mark < 2^64 (MarketBinding checks
//   mark < 2^64, the oracle's minPrice > 0 keeps it above 0; a mark of 0 makes the value 0,
//   which the division refuses); result = size * mark - notional, signed, |.| < 2^129.
//   Checked here: 0 < equity <= 2^132 (a ranked account has equity).
// Bounds: 0 < value <= 2^128, |result * 10^4| < 2^143, value * 100 < 2^135.
// TypeScript twin: prover/src/domain/deleveraging.ts (deleverageScore).
template DeleverageScore() {
    signal input size;
    signal input sizeNegative;
    signal input mark;
    signal input result;
    signal input equity;
    signal output score;

    AssertBit()(sizeNegative);
    RangeCheck(132)(equity - 1);
    signal absSize <== size * (1 - 2 * sizeNegative);
    signal value <== absSize * mark;
    signal pnlBps <== ClampedFloorDiv(143, 129, 0)(result * BPS_DENOMINATOR(), value);
    signal leverage <== ClampedFloorDiv(135, 132, 1)(value * 100, equity);
    // pnlBps >= 1
    signal notPositive <== SignedRangeCheck(32)(pnlBps - 1);
    signal positive <== 1 - notPositive;
    signal product <== pnlBps * leverage;
    score <== pnlBps + positive * (product - pnlBps);
}

// DeleverageTake(): the lots a ranked entry gives up to a deleveraging, q, is the greedy
// maximum: q = min(left, size, floor(surplus / cost)) when cost > 0, min(left, size)
// otherwise. Checked without a division: q <= left, q <= size, q * cost <= surplus, and one
// more lot breaks one of them (q = left, q = size, or (q + 1) * cost > surplus). A smaller q
// fails the last check, a larger one the first three, so q is unique (a proof by hand: the
// determinism check cannot reason about q * cost; test/circuits/deleveraging.test.ts takes q
// as known and checks that every other wire follows).
//   left: lots still to place; size: the entry's |size|; surplus: 10^4 * equity - its
//   maintenance requirement (scaled) at the round's liquidation rates (MarketBinding's
//   liqMmBps; a ranked entry is at or above it); cost = 10^4 * |price - mark| - mark *
//   liqMmBps_j, the surplus one lot closed at the bankruptcy price costs it (signed). The
//   rate must be the one the surplus is taken at: a larger one would understate the cost.
// Outputs: q, and surplusOut = surplus - q * cost >= 0 (the entry stays at or above
// maintenance; a second market in the same slot starts from it).
// Preconditions (the caller's): 0 <= left, size <= 2^64; |cost| < 2^81. Checked here:
//   0 <= surplus < 2^148 (10^4 * equity - requirement <= 10^4 * equity < 2^146).
// Bounds: |q * cost| < 2^145, so surplusOut < 2^149, and at most 10^4 * equity < 2^146
//   for a real entry (it grows only when cost < 0, by freeing more requirement than it
//   costs); surplusOut - cost lies in (-2^81, 2^150).
// TypeScript twin: prover/src/domain/deleveraging.ts (deleverageTake).
template DeleverageTake() {
    signal input left;
    signal input size;
    signal input surplus;
    signal input cost;
    signal output q;
    signal output surplusOut;

    RangeCheck(148)(surplus);
    // witness: the minimum of the three bounds
    var qs = left < size ? left : size;
    if (cost > 0) {
        var affordable = surplus \ cost;
        qs = affordable < qs ? affordable : qs;
    }
    q <-- qs;
    RangeCheck(65)(q);
    RangeCheck(65)(left - q);
    RangeCheck(65)(size - q);
    signal spent <== q * cost;
    surplusOut <== surplus - spent;
    RangeCheck(149)(surplusOut);
    // maximal: q = left, q = size, or one more lot costs more than the surplus
    signal atLeft <== IsZero()(left - q);
    signal atSize <== IsZero()(size - q);
    signal over <== SignedRangeCheck(150)(surplusOut - cost);
    // over = 1 iff surplus - (q + 1) * cost < 0: one more lot is unaffordable
    signal neither <== (1 - atLeft) * (1 - atSize);
    neither * (1 - over) === 0;
}

// BankruptcyPrice(): the price at which a bankrupt position's lots (its whole position in
// the market), with an uncovered loss x at the mark, are closed so that the loss is
// covered: mark + ceil(x / lots) for a bankrupt long (bankruptLong = 1), at most 2^64 - 1;
// mark - ceil(x / lots) for a bankrupt short, at least 1. uncovered = what the bound leaves
// (x - lots * |price - mark| when clamped, else 0), which stays with the compartment.
// step = ceil(x / lots): x = step * lots - r with 0 <= r < lots, step < 2^135 and
// lots <= 2^64, so step * lots < 2^200 and the equation holds over the integers: step and r
// are unique (a proof by hand; the test takes step as known).
// Preconditions (the caller's): 0 < lots <= 2^64 (a position's size, checked here);
// 0 <= x < 2^135 (a slot's deleverage amount, or a compartment under water, -C_j).
// Checked here: bankruptLong a bit; 0 < mark < 2^64 (MarketBinding checks the upper
// bound only: a mark of 0 would move a short's price the wrong way).
// Bounds: mark + step < 2^136; mark - step > -2^135.
// TypeScript twin: prover/src/domain/deleveraging.ts (bankruptcyPrice).
template BankruptcyPrice() {
    signal input bankruptLong;
    signal input mark;
    signal input lots;
    signal input x;
    signal output price;
    signal output uncovered;

    AssertBit()(bankruptLong);
    RangeCheck(64)(mark - 1);
    RangeCheck(64)(lots - 1);
    signal step;
    signal r;
    step <-- (x + lots - 1) \ lots;
    r <-- step * lots - x;
    RangeCheck(135)(step);
    RangeCheck(64)(r);
    RangeCheck(64)(lots - 1 - r);
    step * lots - r === x;

    signal raw <== mark + (2 * bankruptLong - 1) * step;
    // a long's price above 2^64 - 1, a short's below 1
    signal belowTop <== SignedRangeCheck(136)(raw - (1 << PRICE_BITS()));
    signal aboveTop <== 1 - belowTop;
    signal belowOne <== SignedRangeCheck(136)(raw - 1);
    signal over <== bankruptLong * aboveTop;
    signal under <== (1 - bankruptLong) * belowOne;
    signal toTop <== over * ((1 << PRICE_BITS()) - 1 - raw);
    signal toOne <== under * (1 - raw);
    price <== raw + toTop + toOne;
    // the distance the price moved from the mark, in the loss-covering direction
    signal moved <== (2 * bankruptLong - 1) * (price - mark);
    signal coveredByLots <== lots * moved;
    uncovered <== (over + under) * (x - coveredByLots);
}
