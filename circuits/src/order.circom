pragma circom 2.1.9;

include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "constants.circom";
include "range-check.circom";

// OrderMessage: packs an order into the one field element its owner signs (221 bits):
//   ORDER_TAG | account << 4 | market << 36 | side << 44 | nonce << 45
//   | maxFeeBps << 77 | amount << 93 | limitPrice << 157.
// Preconditions (caller): account < 2^32, market < 2^8, side a bit, nonce < 2^32,
// maxFeeBps < 2^16, amount < 2^64, limitPrice < 2^64; then the packing is injective.
// The tag separates orders from the other messages an account key signs.
template OrderMessage() {
    signal input account;
    signal input market;
    signal input side;
    signal input nonce;
    signal input maxFeeBps;
    signal input amount;
    signal input limitPrice;
    signal output msg;

    msg <== ORDER_TAG()
        + account * (1 << ORDER_ACCOUNT_SHIFT())
        + market * (1 << ORDER_MARKET_SHIFT())
        + side * (1 << ORDER_SIDE_SHIFT())
        + nonce * (1 << ORDER_NONCE_SHIFT())
        + maxFeeBps * (1 << ORDER_MAXFEE_SHIFT())
        + amount * (1 << ORDER_AMOUNT_SHIFT())
        + limitPrice * (1 << ORDER_LIMIT_SHIFT());
}

// OrderSignature: the order message is signed (EdDSA-Poseidon on Baby Jubjub) by the
// key stored in the account leaf. Skipped when enabled = 0.
template OrderSignature() {
    signal input enabled;
    signal input ax;
    signal input ay;
    signal input r8x;
    signal input r8y;
    signal input s;
    signal input msg;

    component verifier = EdDSAPoseidonVerifier();
    verifier.enabled <== enabled;
    verifier.Ax <== ax;
    verifier.Ay <== ay;
    verifier.R8x <== r8x;
    verifier.R8y <== r8y;
    verifier.S <== s;
    verifier.M <== msg;
}

// OrderFillRule: an order fills only within its size and never after it was replaced.
// The leaf keeps, per market, the nonce of the account's working order and how much of
// it has filled. An order whose nonce equals the working nonce continues that order; a
// higher nonce starts a new working order (the old one can never fill again); a lower
// nonce is a replay and is refused.
//   orderNonce, leafNonce: < 2^32; orderAmount, leafFilled, qty: < 2^64 (caller checks).
//   newFilled (output): the working order's filled amount after this fill (<= amount).
template OrderFillRule() {
    signal input orderNonce;
    signal input orderAmount;
    signal input leafNonce;
    signal input leafFilled;
    signal input qty;
    signal output newFilled;

    signal continues <== IsEqual()([orderNonce, leafNonce]);
    // continues, or orderNonce > leafNonce: orderNonce - leafNonce - 1 >= 0
    RangeCheck(NONCE_BITS())(orderNonce - leafNonce - 1 + continues);
    newFilled <== continues * leafFilled + qty;
    // what is left of the order covers the fill
    RangeCheck(AMOUNT_BITS())(orderAmount - newFilled);
}

// PriceWithinLimit(SIDE): a buy (SIDE 0) executes at or below its limit, a sell
// (SIDE 1) at or above it. price and limitPrice < 2^64 (caller checks).
template PriceWithinLimit(SIDE) {
    signal input price;
    signal input limitPrice;
    if (SIDE == 0) {
        RangeCheck(PRICE_BITS())(limitPrice - price);
    } else {
        RangeCheck(PRICE_BITS())(price - limitPrice);
    }
}

// TradingFee: fee = floor(notional * rateBps / 10^4), with the rate no higher than the
// order's signed maximum.
//   notional < 2^128, rateBps < 2^16, maxFeeBps < 2^16 (caller checks).
//   fee (output) < 2^131, checked here so that the division is unique.
template TradingFee() {
    signal input notional;
    signal input rateBps;
    signal input maxFeeBps;
    signal output fee;

    RangeCheck(BPS_BITS())(maxFeeBps - rateBps);
    signal scaled <== notional * rateBps;
    signal remainder;
    fee <-- scaled \ BPS_DENOMINATOR();
    remainder <-- scaled % BPS_DENOMINATOR();
    scaled === fee * BPS_DENOMINATOR() + remainder;
    RangeCheck(14)(remainder);
    RangeCheck(14)(BPS_DENOMINATOR() - 1 - remainder);
    RangeCheck(FEE_BITS())(fee);
}

// NotSystemAccount: trading accounts are neither the empty leaf 0, the fee account 1
// nor the insurance fund 2. Skipped when enabled = 0.
template NotSystemAccount() {
    signal input account;
    signal input enabled;
    signal a01 <== account * (account - FEE_ACCOUNT());
    signal a012 <== a01 * (account - INSURANCE_ACCOUNT());
    signal isSystem <== IsZero()(a012);
    isSystem * enabled === 0;
}

// NotFeeAccount: an order's account is neither the empty leaf 0 nor the fee account 1
// (which collects fees and never trades); the insurance fund 2 trades with its owner's
// orders. Skipped when enabled = 0.
template NotFeeAccount() {
    signal input account;
    signal input enabled;
    signal a01 <== account * (account - FEE_ACCOUNT());
    signal isFee <== IsZero()(a01);
    isFee * enabled === 0;
}
