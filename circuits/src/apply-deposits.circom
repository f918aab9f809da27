pragma circom 2.1.9;

include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";

// DepositSlot(D, M): credits one queued deposit to its account, creating the account
// (binding the public key from the deposit) when its leaf is empty, or rotating a system
// account owner's key when the entry names one.
// TypeScript twin: prover/src/engine/transfers.ts applyDeposits.
//   enabled: bit (padding slots leave root and queue hash unchanged).
//   account: < 2^D, not 0; amount: < 2^92 (0 for an owner key entry); pkX, pkY: field
//     elements, the key the entry names, (0, 0) for none.
//   New account (isNew = 1): the entry names the depositor's key, a curve point (the Vault
//     also refuses small-order keys), bound into the new leaf.
//   Top-up (isNew = 0, key (0, 0)): credits the amount and keeps the leaf's key, as the
//     Vault queues every deposit to an existing account.
//   Owner key rotation (isNew = 0, key != (0, 0)): only for account FEE_ACCOUNT() or
//     INSURANCE_ACCOUNT() (queued by the governance through Vault.queueOwnerKey); the key
//     must be a curve point and REPLACES the leaf's key (the amount, 0 from the Vault, is
//     still credited). A key named on any other existing account (a trader's) is refused,
//     so no deposit can replace a trader's key.
//   isNew: bit chosen by the prover; an existing leaf cannot be proven empty and an
//     empty leaf has no preimage, so the choice is forced by the tree.
//   flag: the entry's isolation flag, < 2^3 and <= M: 1 + market for a new sub-account
//     isolated to that market (Vault.depositIsolated), written into its leaf; 0 for a
//     cross-margin account, and always 0 on a top-up or an owner key entry (the leaf keeps
//     its own flag).
//   ax, ay, balance, word[M], notional[M]: the existing leaf's preimage (ignored if new).
//   queueIn -> queueOut: Poseidon(queueIn, account | amount << 32 | flag << 124, pkX, pkY)
//     when enabled.
template DepositSlot(D, M) {
    var NL = TREE_LEVELS(D);
    signal input enabled;
    signal input account;
    signal input amount;
    signal input pkX;
    signal input pkY;
    signal input isNew;
    signal input flag;
    signal input ax;
    signal input ay;
    signal input balance;
    signal input word[M];
    signal input notional[M];
    signal input siblings[NL][TREE_SIBLINGS()];
    signal input rootIn;
    signal input queueIn;
    signal output rootOut;
    signal output queueOut;

    // A. The queue entry, exactly as the Vault hashed it.
    AssertBit()(enabled);
    AssertBit()(isNew);
    component accountBits = Num2Bits(D);
    accountBits.in <== account;
    RangeCheck(TRANSFER_BITS())(amount);
    signal accountZero <== IsZero()(account);
    accountZero * enabled === 0;
    // the flag: 3 bits, at most M, and only on a new account
    _ <== Num2Bits(FLAG_BITS())(flag);
    signal flagInRange <== LessThan(FLAG_BITS())([flag, M + 1]);
    flagInRange === 1;
    flag * (1 - isNew) === 0;
    signal entry <== SparsePoseidon(4)([queueIn,
        account + amount * (1 << DEPOSIT_AMOUNT_SHIFT()) + flag * (1 << DEPOSIT_FLAG_SHIFT()), pkX, pkY]);
    queueOut <== queueIn + enabled * (entry - queueIn);

    // B. The existing leaf, range-checked; for a new account it starts empty.
    component old = AccountLeafUnpack(M);
    old.balance <== balance;
    old.word <== word;
    old.notional <== notional;
    signal existingLeaf <== LeafHash(M)(ax, ay, balance, word, notional);
    signal oldLeaf <== (1 - isNew) * existingLeaf;

    // C. A new account binds the deposit's key, which must be a curve point; a top-up names
    // none, except an owner key rotation of the fee account or the insurance fund, whose key
    // must be a curve point too and replaces the leaf's.
    signal topUp <== enabled * (1 - isNew);
    signal noKeyX <== IsZero()(pkX);
    signal noKeyY <== IsZero()(pkY);
    signal noKey <== noKeyX * noKeyY;
    signal rotate <== topUp * (1 - noKey);
    // account is a D-bit number, so (account - 1) * (account - 2) is 0 only for 1 and 2
    signal ownedProduct <== (account - FEE_ACCOUNT()) * (account - INSURANCE_ACCOUNT());
    signal owned <== IsZero()(ownedProduct);
    rotate * (1 - owned) === 0;
    // isNew and rotate exclude each other (rotate has a factor 1 - isNew): a bit
    signal takeKey <== isNew + rotate;
    component onCurve = BabyCheck();
    onCurve.x <== takeKey * pkX;
    onCurve.y <== takeKey * (pkY - 1) + 1;

    // D. Credit the deposit.
    signal keepX <== (1 - takeKey) * ax;
    signal keepY <== (1 - takeKey) * ay;
    signal newAx <== keepX + takeKey * pkX;
    signal newAy <== keepY + takeKey * pkY;
    signal baseCollateral <== (1 - isNew) * old.collateral;
    signal baseNonce <== (1 - isNew) * old.withdrawNonce;
    // a new account takes the entry's flag (0 unless isNew, above); a top-up keeps the leaf's
    signal baseFlag <== (1 - isNew) * old.flag + flag;
    signal newCollateral <== baseCollateral + amount;
    _ <== SignedRangeCheck(COLLATERAL_BITS())(newCollateral);
    signal newBalance <== PackBalance()(newCollateral, baseNonce, baseFlag);
    signal newWord[M];
    signal newNotional[M];
    for (var j = 0; j < M; j++) {
        // an empty position word is (0 + 2^64) | (0 + 2^63) << 161: size 0, funding index 0
        // (a position of size 0 owes no funding, whatever the index it records)
        newWord[j] <== word[j] + isNew * ((1 << SIZE_BITS())
            + (1 << (WORD_FUNDING_SHIFT() + FUNDING_INDEX_BITS())) - word[j]);
        newNotional[j] <== (1 - isNew) * notional[j];
    }
    signal newLeaf <== LeafHash(M)(newAx, newAy, newBalance, newWord, newNotional);

    // E. Move the root.
    component update = LeafUpdate(D);
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeaf;
    update.indexBits <== accountBits.out;
    update.siblings <== siblings;
    (update.oldRoot - rootIn) * enabled === 0;
    rootOut <== rootIn + enabled * (update.newRoot - rootIn);
}

// ApplyDeposits(K, D, M): credits up to K deposits from the Vault's queue, in order.
// Public inputs (4):
//   oldRoot, newRoot: account tree roots.
//   queueFrom: the queue hash after the last deposit already credited.
//   queueTo: the queue hash after the deposits of this batch (equal to queueFrom for an
//     empty batch); the contract checks it is the hash it recorded after that deposit,
//     so exactly those deposits, in order, were credited.
template ApplyDeposits(K, D, M) {
    assert(D >= 2 && D <= ACCOUNT_BITS());
    var NL = TREE_LEVELS(D);
    signal input oldRoot;
    signal input newRoot;
    signal input queueFrom;
    signal input queueTo;

    signal input enabled[K];
    signal input account[K];
    signal input amount[K];
    signal input pkX[K];
    signal input pkY[K];
    signal input isNew[K];
    signal input flag[K];
    signal input leafAx[K];
    signal input leafAy[K];
    signal input leafBalance[K];
    signal input leafWord[K][M];
    signal input leafNotional[K][M];
    signal input siblings[K][NL][TREE_SIBLINGS()];

    signal root[K + 1];
    signal queue[K + 1];
    root[0] <== oldRoot;
    queue[0] <== queueFrom;
    component slot[K];
    for (var i = 0; i < K; i++) {
        slot[i] = DepositSlot(D, M);
        slot[i].enabled <== enabled[i];
        slot[i].account <== account[i];
        slot[i].amount <== amount[i];
        slot[i].pkX <== pkX[i];
        slot[i].pkY <== pkY[i];
        slot[i].isNew <== isNew[i];
        slot[i].flag <== flag[i];
        slot[i].ax <== leafAx[i];
        slot[i].ay <== leafAy[i];
        slot[i].balance <== leafBalance[i];
        slot[i].word <== leafWord[i];
        slot[i].notional <== leafNotional[i];
        slot[i].siblings <== siblings[i];
        slot[i].rootIn <== root[i];
        slot[i].queueIn <== queue[i];
        root[i + 1] <== slot[i].rootOut;
        queue[i + 1] <== slot[i].queueOut;
        // once a slot is padding, every later slot is padding: the deposits credited are
        // a prefix of the queue
        if (i > 0) {
            enabled[i] * (1 - enabled[i - 1]) === 0;
        }
    }
    root[K] === newRoot;
    queue[K] === queueTo;
}
