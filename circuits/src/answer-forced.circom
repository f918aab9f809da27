pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/compconstant.circom";
include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/escalarmulany.circom";
include "circomlib/circuits/escalarmulfix.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";
include "order.circom";
include "market-binding.circom";
include "funding.circom";

// ForcedMessage: what the account key signs for a forced withdrawal:
//   Poseidon(FORCED_TAG | account << 4 | nonce << 36 | amount << 68, recipient, domain).
// Preconditions (caller): account < 2^32, nonce < 2^32, amount < 2^92, recipient < 2^160.
// TypeScript twin: prover/src/domain/forced.ts (forcedRequestMessage).
template ForcedMessage() {
    signal input account;
    signal input nonce;
    signal input amount;
    signal input recipient;
    signal input domain;
    signal output msg;
    msg <== SparsePoseidon(3)([
        FORCED_TAG() + account * (1 << WITHDRAW_ACCOUNT_SHIFT()) + nonce * (1 << WITHDRAW_NONCE_SHIFT())
            + amount * (1 << WITHDRAW_AMOUNT_SHIFT()),
        recipient,
        domain
    ]);
}

// EdDSAPoseidonValid: circomlib's EdDSAPoseidonVerifier, with the verdict as an output bit
// instead of a constraint, so that a proof can show a signature is NOT valid:
//   valid = 1 iff S * B8 == R8 + 8 * H(R8, A, M) * A.
// Preconditions (caller): (Ax, Ay) is a curve point not of small order (a Vault-checked
// key); (R8x, R8y) is a curve point (Settlement checks it on-chain); S < the subgroup order
// (Settlement checks it; asserted here). On curve points the twisted Edwards addition is
// complete, so every BabyAdd denominator is non-zero and the circuit is satisfiable for
// every input that meets the preconditions: the prover can always give the verdict.
// TypeScript twin: prover/src/domain/babyjub.ts (verifyEdDSAPoseidon).
template EdDSAPoseidonValid() {
    signal input Ax;
    signal input Ay;
    signal input R8x;
    signal input R8y;
    signal input S;
    signal input M;
    signal output valid;

    component sBits = Num2Bits(253);
    sBits.in <== S;
    component sBound = CompConstant(2736030358979909402780800718157159386076813972158567259200215660948447373040);
    for (var i = 0; i < 253; i++) sBound.in[i] <== sBits.out[i];
    sBound.in[253] <== 0;
    sBound.out === 0;

    signal h <== SparsePoseidon(5)([R8x, R8y, Ax, Ay, M]);
    component hBits = Num2Bits_strict();
    hBits.in <== h;
    component dbl1 = BabyDbl();
    dbl1.x <== Ax;
    dbl1.y <== Ay;
    component dbl2 = BabyDbl();
    dbl2.x <== dbl1.xout;
    dbl2.y <== dbl1.yout;
    component dbl3 = BabyDbl();
    dbl3.x <== dbl2.xout;
    dbl3.y <== dbl2.yout;
    component mulAny = EscalarMulAny(254);
    for (var i = 0; i < 254; i++) mulAny.e[i] <== hBits.out[i];
    mulAny.p[0] <== dbl3.xout;
    mulAny.p[1] <== dbl3.yout;
    component right = BabyAdd();
    right.x1 <== R8x;
    right.y1 <== R8y;
    right.x2 <== mulAny.out[0];
    right.y2 <== mulAny.out[1];
    var BASE8[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];
    component left = EscalarMulFix(253, BASE8);
    for (var i = 0; i < 253; i++) left.e[i] <== sBits.out[i];
    signal eqX <== IsEqual()([left.out[0], right.xout]);
    signal eqY <== IsEqual()([left.out[1], right.yout]);
    valid <== eqX * eqY;
}

// ForcedSlot(D, M): answers one forced withdrawal request of the on-chain queue.
//   queueIn -> queueOut: Poseidon(queueIn, account, recipient | amount << 160,
//     Poseidon(R8x, R8y, S)) when enabled: exactly the entry Settlement.forceWithdraw hashed.
//   outcome: 0 padding; 1 paid; 2 refused, the signature does not verify with the account's
//     key at its withdrawal nonce; 3 refused, cannot be paid (collateral would go below
//     zero, initial margin would fail at the batch's marks, or the nonce is exhausted);
//     4 refused, the account has no leaf yet (its first deposit is not credited).
//   payout: recipient | amount << 160 when paid, else 0. A paid request debits the amount
//     and bumps the withdrawal nonce, so the same signature never pays twice.
// Preconditions: what Settlement checks for every queued request (account in 3..2^D-1,
//   amount < 2^92, recipient < 2^160, R8 on the curve, S below the subgroup order); for a
//   padding slot the prover supplies R8 = (0, 1) and S = 0. mark < 2^64, bps < 2^16,
//   |index| <= 2^63 (bound by MarketBinding). A non-empty leaf's key is a Vault-checked key (x != 0).
// TypeScript twin: prover/src/engine/forced.ts (answerForced).
template ForcedSlot(D, M) {
    var NL = TREE_LEVELS(D);
    signal input enabled;
    signal input account;
    signal input amount;
    signal input recipient;
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input ax;
    signal input ay;
    signal input balance;
    signal input word[M];
    signal input notional[M];
    signal input siblings[NL][TREE_SIBLINGS()];
    signal input mark[M];
    signal input index[M];
    signal input imBps[M];
    signal input rootIn;
    signal input queueIn;
    signal input domain;
    signal output rootOut;
    signal output queueOut;
    signal output payout;
    signal output outcome;

    // A. The queue entry, exactly as Settlement hashed it; fields in range.
    AssertBit()(enabled);
    component accountBits = Num2Bits(D);
    accountBits.in <== account;
    NotSystemAccount()(account, enabled);
    RangeCheck(TRANSFER_BITS())(amount);
    RangeCheck(ADDRESS_BITS())(recipient);
    signal packedPayout <== recipient + amount * (1 << ADDRESS_BITS());
    signal sigHash <== SparsePoseidon(3)([sigR8x, sigR8y, sigS]);
    signal entry <== SparsePoseidon(4)([queueIn, account, packedPayout, sigHash]);
    queueOut <== queueIn + enabled * (entry - queueIn);

    // B. The leaf (range-checked); an account whose first deposit is not credited yet has
    // the empty leaf 0 (a real key never has x = 0).
    component old = AccountLeafUnpack(M);
    old.balance <== balance;
    old.word <== word;
    old.notional <== notional;
    signal isEmpty <== IsZero()(ax);
    signal notEmpty <== 1 - isEmpty;
    signal existingLeaf <== LeafHash(M)(ax, ay, balance, word, notional);
    signal oldLeaf <== notEmpty * existingLeaf;

    // C. The verdict on the signature, at the leaf's withdrawal nonce. An empty leaf is
    // checked against the base point instead (a well-formed key; the verdict is unused).
    signal msg <== ForcedMessage()(account, old.withdrawNonce, amount, recipient, domain);
    signal keyX <== ax + isEmpty * 5299619240641551281634865583518297030282874472190772894086521144482721001553;
    signal keyY <== ay + isEmpty * (16950150798460657717958625567821834550301663161624707787222815936182638968203 - ay);
    component verdict = EdDSAPoseidonValid();
    verdict.Ax <== keyX;
    verdict.Ay <== keyY;
    verdict.R8x <== sigR8x;
    verdict.R8y <== sigR8y;
    verdict.S <== sigS;
    verdict.M <== msg;
    signal valid <== verdict.valid;

    // D. Can it be paid? Collateral stays >= 0, initial margin holds at the marks
    // (10^4 * equity >= sum |size| * mark * imBps), and the nonce can still grow.
    // |newCollateral| < 2^129 and |10^4 * equity - requirement| < 2^149, so the top bit of
    // each biased value is the sign.
    // (each biased value goes through a product with `enabled`, as ProcessWithdrawals
    // does, so that its bit decomposition stays a row of its own for the determinism
    // check; a padding slot's 0 reads as non-negative and pays nothing)
    // Funding accrued at the batch's indices is settled first; a paid answer writes it,
    // a refused one leaves the leaf as it was.
    component funding = SettleFunding(M);
    funding.collateral <== old.collateral;
    funding.size <== old.size;
    funding.lastIndex <== old.lastIndex;
    funding.index <== index;
    funding.word <== word;
    funding.enabled <== enabled;
    signal newCollateral <== funding.collateralOut - amount;
    signal collateralChecked <== enabled * newCollateral;
    component collateralSign = Num2Bits(130);
    collateralSign.in <== collateralChecked + (1 << 129);
    signal markValue[M];
    signal absMarkValue[M];
    signal imTerm[M];
    var equity = newCollateral;
    var requirement = 0;
    for (var j = 0; j < M; j++) {
        markValue[j] <== old.size[j] * mark[j];
        absMarkValue[j] <== markValue[j] * (1 - 2 * old.sizeNegative[j]);
        imTerm[j] <== absMarkValue[j] * imBps[j];
        equity += markValue[j] - notional[j];
        requirement += imTerm[j];
    }
    signal marginChecked <== enabled * (BPS_DENOMINATOR() * equity - requirement);
    component marginSign = Num2Bits(151);
    marginSign.in <== marginChecked + (1 << 150);
    signal nonceExhausted <== IsEqual()([old.withdrawNonce, (1 << NONCE_BITS()) - 1]);
    // payable collateral is 0 <= newCollateral < 2^128: the sign bit set and bit 128
    // clear, so the packed balance word keeps its nonce and flag (unreachable under the
    // Vault's caps, but a wider value would spill into them)
    signal collateralFits <== collateralSign.out[129] * (1 - collateralSign.out[128]);
    signal fundsOk <== collateralFits * marginSign.out[150];
    signal canPay <== fundsOk * (1 - nonceExhausted);

    // E. The outcome, bound to this request.
    signal sigOk <== notEmpty * valid;
    signal paidCore <== sigOk * canPay;
    signal paid <== enabled * paidCore;
    outcome <== enabled * (4 * isEmpty + 2 * (notEmpty - sigOk) + 3 * (sigOk - paidCore) + paidCore);
    payout <== paid * packedPayout;

    // F. Pay: debit, bump the nonce, move the root; otherwise the leaf stays.
    signal newBalance <== PackBalance()(newCollateral, old.withdrawNonce + 1, old.flag);
    signal paidLeaf <== LeafHash(M)(ax, ay, newBalance, funding.wordOut, notional);
    signal newLeaf <== oldLeaf + paid * (paidLeaf - oldLeaf);
    component update = LeafUpdate(D);
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeaf;
    update.indexBits <== accountBits.out;
    update.siblings <== siblings;
    (update.oldRoot - rootIn) * enabled === 0;
    rootOut <== rootIn + enabled * (update.newRoot - rootIn);
}

// AnswerForced(F, D, M): answers the next up to F forced withdrawal requests of
// Settlement's queue, in order (a prefix: padding only at the end), each paid or refused
// for a proven reason.
// Public inputs (6 + F):
//   oldRoot, newRoot: account tree roots (equal when every request is refused).
//   priceConfigHash: market configuration, mark prices and funding indices, as in
//     SettleTrades.
//   queueFrom, queueTo: the forced queue's hashes before and after the answered requests;
//     Settlement checks both against the hashes it recorded, so exactly those requests, in
//     order, were answered.
//   outcomes: sum outcome[i] * 8^i (ForcedSlot's codes), so the answer to each request is
//     on-chain.
//   payout[F]: recipient | amount << 160 per paid request (0 otherwise), paid by the Vault.
template AnswerForced(F, D, M) {
    assert(D >= 2 && D <= ACCOUNT_BITS());
    assert(F >= 1 && F <= 60);
    var NL = TREE_LEVELS(D);
    signal input oldRoot;
    signal input newRoot;
    signal input priceConfigHash;
    signal input queueFrom;
    signal input queueTo;
    signal input outcomes;
    signal input payout[F];

    signal input marketParam[M];
    signal input domain;
    // the insurance fund's floor (MarketBinding): bound through priceConfigHash
    signal input fundFloor;
    // the oracle round's margin multipliers (MarketBinding): bound through priceConfigHash
    signal input margins;
    signal input mark[M];
    signal input fundingIndex[M];
    signal input enabled[F];
    signal input account[F];
    signal input amount[F];
    signal input recipient[F];
    signal input sigR8x[F];
    signal input sigR8y[F];
    signal input sigS[F];
    signal input leafAx[F];
    signal input leafAy[F];
    signal input leafBalance[F];
    signal input leafWord[F][M];
    signal input leafNotional[F][M];
    signal input siblings[F][NL][TREE_SIBLINGS()];

    component binding = MarketBinding(M);
    binding.param <== marketParam;
    binding.mark <== mark;
    binding.index <== fundingIndex;
    binding.domain <== domain;
    binding.fundFloor <== fundFloor;
    binding.margins <== margins;
    binding.priceConfigHash === priceConfigHash;

    signal answerRoot[F + 1];
    signal queue[F + 1];
    answerRoot[0] <== oldRoot;
    queue[0] <== queueFrom;
    component answer[F];
    var packed = 0;
    for (var i = 0; i < F; i++) {
        if (i > 0) {
            // a prefix: a request is answered only after the one before it
            enabled[i] * (1 - enabled[i - 1]) === 0;
        }
        answer[i] = ForcedSlot(D, M);
        answer[i].enabled <== enabled[i];
        answer[i].account <== account[i];
        answer[i].amount <== amount[i];
        answer[i].recipient <== recipient[i];
        answer[i].sigR8x <== sigR8x[i];
        answer[i].sigR8y <== sigR8y[i];
        answer[i].sigS <== sigS[i];
        answer[i].ax <== leafAx[i];
        answer[i].ay <== leafAy[i];
        answer[i].balance <== leafBalance[i];
        answer[i].word <== leafWord[i];
        answer[i].notional <== leafNotional[i];
        answer[i].siblings <== siblings[i];
        answer[i].mark <== mark;
        answer[i].index <== fundingIndex;
        answer[i].imBps <== binding.imBps;
        answer[i].rootIn <== answerRoot[i];
        answer[i].queueIn <== queue[i];
        answer[i].domain <== domain;
        answerRoot[i + 1] <== answer[i].rootOut;
        queue[i + 1] <== answer[i].queueOut;
        answer[i].payout === payout[i];
        packed += answer[i].outcome * (8 ** i);
    }
    answerRoot[F] === newRoot;
    queue[F] === queueTo;
    outcomes === packed;
}
