pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";

// LeafHash(M): the account leaf, Poseidon(3 + 2M) of
//   [ax, ay, balance, word[0], notional[0], ..., word[M-1], notional[M-1]].
//   M: markets, 1..6 (Poseidon takes at most 16 inputs).
// The balance word packs collateral with the withdrawal nonce and the isolation flag; see
// AccountLeafUnpack.
// Preconditions: none for soundness of the hash itself; callers that rely on the
// meaning of the fields must range-check them (AccountLeafUnpack does).
template LeafHash(M) {
    assert(M >= 1 && M <= 6);
    signal input ax;
    signal input ay;
    signal input balance;
    signal input word[M];
    signal input notional[M];
    signal output hash;

    component h = SparsePoseidon(3 + 2 * M);
    h.inputs[0] <== ax;
    h.inputs[1] <== ay;
    h.inputs[2] <== balance;
    for (var j = 0; j < M; j++) {
        h.inputs[3 + 2 * j] <== word[j];
        h.inputs[4 + 2 * j] <== notional[j];
    }
    hash <== h.out;
}

// AccountLeafUnpack(M): range-checks every field of a leaf preimage read from the tree
// and splits the position words.
//   balance: 164 bits (checked) = (collateral + 2^128) | withdrawNonce << 129
//     | flag << 161; collateral is signed, |.| < 2^128, withdrawNonce < 2^32 (the next
//     withdrawal's nonce), flag < 2^3: 0 for a cross-margin account, 1 + market for a
//     sub-account isolated to that market. No circuit writes a flag above M (every writer
//     passes the old leaf's flag through; only ApplyDeposits creates a flagged leaf, from
//     the Vault's entry, and checks flag <= M), so a leaf in the tree has flag <= M.
//   word[j]: 225 bits (checked) = (size + 2^64) | nonce << 65 | filled << 97
//     | (lastIndex + 2^63) << 161.
//   notional[j]: signed, |.| < 2^128 (checked).
// Outputs: collateral (signed field element), withdrawNonce, flag; per market: size (signed field element), sizeNegative (bit), nonce (32 bits),
// filled (64 bits), lastIndex (the funding index it last paid at, signed, |.| <= 2^63).
template AccountLeafUnpack(M) {
    signal input balance;
    signal input word[M];
    signal input notional[M];
    signal output collateral;
    signal output withdrawNonce;
    signal output flag;
    signal output size[M];
    signal output sizeNegative[M];
    signal output nonce[M];
    signal output filled[M];
    signal output lastIndex[M];

    component balanceBits = Num2Bits(BALANCE_BITS());
    balanceBits.in <== balance;
    var biasedCollateral = 0;
    for (var k = 0; k < BALANCE_NONCE_SHIFT(); k++) {
        biasedCollateral += balanceBits.out[k] * (1 << k);
    }
    collateral <== biasedCollateral - (1 << COLLATERAL_BITS());
    var wn = 0;
    for (var k = 0; k < NONCE_BITS(); k++) {
        wn += balanceBits.out[BALANCE_NONCE_SHIFT() + k] * (1 << k);
    }
    withdrawNonce <== wn;
    var fl = 0;
    for (var k = 0; k < FLAG_BITS(); k++) {
        fl += balanceBits.out[BALANCE_FLAG_SHIFT() + k] * (1 << k);
    }
    flag <== fl;

    component bits[M];
    for (var j = 0; j < M; j++) {
        bits[j] = Num2Bits(WORD_BITS());
        bits[j].in <== word[j];
        var biasedSize = 0;
        for (var k = 0; k < WORD_NONCE_SHIFT(); k++) {
            biasedSize += bits[j].out[k] * (1 << k);
        }
        size[j] <== biasedSize - (1 << SIZE_BITS());
        sizeNegative[j] <== 1 - bits[j].out[SIZE_BITS()];
        var n = 0;
        for (var k = 0; k < NONCE_BITS(); k++) {
            n += bits[j].out[WORD_NONCE_SHIFT() + k] * (1 << k);
        }
        nonce[j] <== n;
        var f = 0;
        for (var k = 0; k < AMOUNT_BITS(); k++) {
            f += bits[j].out[WORD_FILLED_SHIFT() + k] * (1 << k);
        }
        filled[j] <== f;
        var li = 0;
        for (var k = 0; k <= FUNDING_INDEX_BITS(); k++) {
            li += bits[j].out[WORD_FUNDING_SHIFT() + k] * (1 << k);
        }
        lastIndex[j] <== li - (1 << FUNDING_INDEX_BITS());
        _ <== SignedRangeCheck(NOTIONAL_BITS())(notional[j]);
    }
}

// PackBalance: (collateral + 2^128) | withdrawNonce << 129 | flag << 161.
// Preconditions: collateral signed |.| < 2^128, withdrawNonce < 2^32 and flag < 2^3, all
// checked by the caller (flag is an old leaf's, from AccountLeafUnpack, or a checked new
// one), so the word is well formed.
// TypeScript twin: prover/src/domain/account.ts (packBalance).
template PackBalance() {
    signal input collateral;
    signal input withdrawNonce;
    signal input flag;
    signal output balance;
    balance <== collateral + (1 << COLLATERAL_BITS()) + withdrawNonce * (1 << BALANCE_NONCE_SHIFT())
        + flag * (1 << BALANCE_FLAG_SHIFT());
}

// TradesIn: when enabled, an account whose leaf has `flag` may hold a position in `market`:
// a cross-margin account (flag 0) anywhere, a sub-account isolated to a market
// (flag = 1 + that market) there only. flag * (flag - 1 - market) is 0 exactly then.
// Preconditions: flag < 2^3 (AccountLeafUnpack), market < 2^3 (caller), enabled a bit; the
// product is then a small integer, zero only in those cases.
// TypeScript twin: prover/src/domain/account.ts (tradesIn).
template TradesIn() {
    signal input flag;
    signal input market;
    signal input enabled;
    signal elsewhere <== flag * (flag - 1 - market);
    elsewhere * enabled === 0;
}
