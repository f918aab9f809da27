pragma circom 2.1.9;

include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";

// CompartmentMove(M): the fund owner's signed move of the insurance fund's capital between
// its reserve (collateral) and one market's compartment (docs/isolation.md, section 4),
// carried by a liquidation batch before its slots.
//   The fund's key (ax, ay) signs
//     Poseidon(COMPARTMENT_TAG | market << 4 | nonce << 36 | amount << 68
//              | toReserve << 160, domain)
//   over the fund's withdrawal nonce, which the caller then increases by `enabled`: a move
//   is applied once, and no withdrawal, transfer or offer message has its tag.
//   Into the compartment (toReserve = 0): the reserve pays, and must stay >= 0 (< 2^128):
//     collateralOut = collateral - amount, compartment_j + amount.
//   Out of it (toReserve = 1): the compartment keeps at least its position's maintenance
//   requirement at the batch's marks (no floor of its own in this release),
//     10^4 * (compartment_j - amount) >= |size_j| * mark_j * mmBps_j,
//     collateralOut = collateral + amount, compartment_j - amount, whatever the reserve held
//     (a fund trade's fee can leave it below 0); collateral + amount < 2^128 is the
//     caller's (the leaf's collateral field), which no reachable fund approaches.
//   delta[j]: what compartment j gains (negative: gives); the caller lowers notional_j by it.
//   committed: enabled * the message's first word, which the batch commits.
// enabled (a bit, checked here): 0 moves nothing; market[j] are bits adding up to enabled;
// toReserve is a bit, 0 unless enabled; 0 < amount < 2^92 when enabled, 0 otherwise.
// Preconditions (the caller's): nonce < 2^32 (AccountLeafUnpack); collateral signed,
//   |.| < 2^128; compartment[j] signed, |.| < 2^130 (LiquidateBatch passes it after the
//   batch's charges: real values stay far below, and one beyond makes the check below
//   refuse, never wrap); absValue[j] = |size_j| * mark_j < 2^128; mmBps[j] < 2^16
//   (MarketBinding); domain the deployment's; M <= 7 (the market index fits the 32 bits
//   below the nonce).
//   Bounds: 10^4 * (compartment - amount) and absValue * mmBps are below 2^145 in size, so
//   the slack lies in (-2^146, 2^146) and its 146-bit check passes exactly when it is >= 0.
// TypeScript twin: prover/src/domain/compartment-moves.ts (compartmentMoveMessage,
// applyCompartmentMove).
template CompartmentMove(M) {
    assert(M >= 1 && M <= 7);
    signal input enabled;
    signal input market[M];
    signal input amount;
    signal input toReserve;
    signal input nonce;
    signal input domain;
    signal input ax;
    signal input ay;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input collateral;
    signal input compartment[M];
    signal input absValue[M];
    signal input mmBps[M];
    signal output collateralOut;
    signal output delta[M];
    signal output committed;

    // A. The move's fields: one market when enabled, nothing when not.
    AssertBit()(enabled);
    AssertBit()(toReserve);
    toReserve * (1 - enabled) === 0;
    var chosen = 0;
    var index = 0;
    for (var j = 0; j < M; j++) {
        AssertBit()(market[j]);
        chosen += market[j];
        index += j * market[j];
    }
    chosen === enabled;
    RangeCheck(TRANSFER_BITS())(amount);
    amount * (1 - enabled) === 0;
    signal noAmount <== IsZero()(amount);
    noAmount * enabled === 0;

    // B. Signed by the fund's key over its withdrawal nonce.
    signal head <== COMPARTMENT_TAG() + index * (1 << COMPARTMENT_MARKET_SHIFT())
        + nonce * (1 << WITHDRAW_NONCE_SHIFT()) + amount * (1 << WITHDRAW_AMOUNT_SHIFT())
        + toReserve * (1 << COMPARTMENT_DIRECTION_SHIFT());
    component msg = SparsePoseidon(2);
    msg.inputs[0] <== head;
    msg.inputs[1] <== domain;
    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== enabled;
    sig.Ax <== ax;
    sig.Ay <== ay;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.S <== sigS;
    sig.M <== msg.out;
    committed <== enabled * head;

    // C. The reserve pays a move in and stays >= 0; a move out leaves the compartment at
    // least its maintenance requirement.
    signal signed <== amount - 2 * toReserve * amount;
    collateralOut <== collateral - signed;
    // a move in only: a move out adds to the reserve, whatever it held (a fund trade's fee
    // can leave it below 0), and enabled - toReserve = enabled * (1 - toReserve)
    signal reserveChecked <== (enabled - toReserve) * collateralOut;
    RangeCheck(COLLATERAL_BITS())(reserveChecked);
    signal requirement[M];
    signal chosenValue[M];
    signal chosenRequirement[M];
    var value = 0;
    var required = 0;
    for (var j = 0; j < M; j++) {
        requirement[j] <== absValue[j] * mmBps[j];
        chosenValue[j] <== market[j] * compartment[j];
        chosenRequirement[j] <== market[j] * requirement[j];
        value += chosenValue[j];
        required += chosenRequirement[j];
        delta[j] <== market[j] * signed;
    }
    signal slack <== toReserve * (BPS_DENOMINATOR() * (value - amount) - required);
    RangeCheck(146)(slack);
}
