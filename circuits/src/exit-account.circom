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
include "market-binding.circom";
include "funding.circom";

// ExitMessage: what the account key signs to name the address its exit pays:
//   Poseidon(EXIT_TAG | account << 4, recipient, domain).
// Preconditions (caller): account < 2^32, recipient < 2^160.
// TypeScript twin: prover/src/domain/exit.ts (exitMessage).
template ExitMessage() {
    signal input account;
    signal input recipient;
    signal input domain;
    signal output msg;
    msg <== SparsePoseidon(3)([EXIT_TAG() + account * (1 << WITHDRAW_ACCOUNT_SHIFT()), recipient, domain]);
}

// ExitAccount(D, M): after the freeze, one account's way out without the operator.
// Proves that
//   - the account's leaf is in the tree of root `root` (Settlement checks it is the frozen
//     root) at index `account` (not 0, the empty leaf);
//   - the leaf's key signed ExitMessage(account, recipient, domain), for every account: a
//     trader's key, and for the system accounts (1 fees, 2 insurance fund) their owners'
//     keys, which genesis puts in their leaves (prover/src/domain/owners.ts). No exit is
//     unsigned, so nobody but the key holder names where an account's exit pays (the domain
//     is bound through priceConfigHash, so the signature is for this deployment). Settlement
//     only orders the system exits (after a second window, the fee account's first);
//   - or, with `signer` != 0, for the system accounts only (account 1 or 2: a trader's exit
//     with signer != 0 fails), the key (signerX, signerY) with Poseidon(signerX, signerY) ==
//     signer signed it instead: the owner key the governance queued that the frozen root
//     did not credit yet (Settlement requires signer == Vault.exitSigner for accounts 1, 2,
//     and 0 for traders), so a rotation an operator censored still takes the exit from the
//     old key;
//   - payout = max(0, equity) at the marks and funding indices bound by priceConfigHash
//     (Settlement checks it is the binding of the round recorded at the freeze), where
//     equity = collateral - funding + sum_j (size_j * mark_j - notional_j), funding being
//     the account's accrued funding at those indices (SettleFunding): positions settle at
//     the marks, never below zero. The payout is bound to the proven leaf, never to a
//     caller-supplied amount.
// Public inputs (6): root, priceConfigHash, account, recipient, payout, signer.
// No precondition on the leaf's key: one with x = 0 (the empty leaf's) fails the verifier.
// signer: any field element (0: the leaf's key signs; else a Poseidon hash, checked);
// signerX, signerY: free when signer = 0 (they then reach no constraint's outcome).
// Ranges: 0 < account < 2^D (D >= 2, so 3 < 2^D for the LessThan(D) of account < 3); recipient < 2^160, not 0; the leaf's fields
// are range-checked by AccountLeafUnpack; |equity| < 2^133 (M <= 6), so the top bit of
// equity + 2^133 (134 bits) is its sign; payout < 2^133.
// The Merkle path reuses LeafUpdate with the same leaf on both sides (it recomputes the
// root twice: a dedicated read-only path would halve that part).
// TypeScript twins: prover/src/domain/exit.ts (exitPayout, exitSignerHash), prover/src/engine/exit.ts (exitInput).
template ExitAccount(D, M) {
    assert(D >= 2 && D <= ACCOUNT_BITS());
    var NL = TREE_LEVELS(D);
    signal input root;
    signal input priceConfigHash;
    signal input account;
    signal input recipient;
    signal input payout;
    signal input signer;

    signal input marketParam[M];
    signal input domain;
    // the insurance fund's floor (MarketBinding): bound through priceConfigHash
    signal input fundFloor;
    // the oracle round's margin multipliers (MarketBinding): bound through priceConfigHash
    signal input margins;
    signal input mark[M];
    signal input fundingIndex[M];
    signal input leafAx;
    signal input leafAy;
    signal input leafBalance;
    signal input leafWord[M];
    signal input leafNotional[M];
    signal input siblings[NL][TREE_SIBLINGS()];
    signal input sigR8x;
    signal input sigR8y;
    signal input sigS;
    signal input signerX;
    signal input signerY;

    // A. The account and the recipient.
    component accountBits = Num2Bits(D);
    accountBits.in <== account;
    signal isEmpty <== IsZero()(account);
    isEmpty === 0;
    RangeCheck(ADDRESS_BITS())(recipient);
    signal noRecipient <== IsZero()(recipient);
    noRecipient === 0;

    // B. The prices and the configuration, as Settlement binds them.
    component binding = MarketBinding(M);
    binding.param <== marketParam;
    binding.mark <== mark;
    binding.index <== fundingIndex;
    binding.domain <== domain;
    binding.fundFloor <== fundFloor;
    binding.margins <== margins;
    binding.priceConfigHash === priceConfigHash;

    // C. The leaf is in the tree.
    component leaf = AccountLeafUnpack(M);
    leaf.balance <== leafBalance;
    leaf.word <== leafWord;
    leaf.notional <== leafNotional;
    signal leafHash <== LeafHash(M)(leafAx, leafAy, leafBalance, leafWord, leafNotional);
    component path = LeafUpdate(D);
    path.oldLeaf <== leafHash;
    path.newLeaf <== leafHash;
    path.indexBits <== accountBits.out;
    path.siblings <== siblings;
    path.oldRoot === root;

    // D. The signing key names the recipient, for every account, the system accounts
    // included (their owners' keys); the verifier is always enabled (an empty leaf has no
    // key: x = 0 fails). signer = 0: the leaf's key; signer != 0 (accounts 1, 2 only): the
    // key hashing to signer.
    signal byLeaf <== IsZero()(signer);
    signal isSystem <== LessThan(D)([account, INSURANCE_ACCOUNT() + 1]);
    (1 - byLeaf) * (1 - isSystem) === 0;
    signal signerHash <== SparsePoseidon(2)([signerX, signerY]);
    (1 - byLeaf) * (signerHash - signer) === 0;
    signal keyX <== leafAx + (1 - byLeaf) * (signerX - leafAx);
    signal keyY <== leafAy + (1 - byLeaf) * (signerY - leafAy);
    signal msg <== ExitMessage()(account, recipient, domain);
    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== 1;
    sig.Ax <== keyX;
    sig.Ay <== keyY;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.S <== sigS;
    sig.M <== msg;

    // E. payout = max(0, equity at the marks, after funding).
    component funding = SettleFunding(M);
    funding.collateral <== leaf.collateral;
    funding.size <== leaf.size;
    funding.lastIndex <== leaf.lastIndex;
    funding.index <== fundingIndex;
    funding.word <== leafWord;
    funding.enabled <== 1;
    signal markValue[M];
    var equity = funding.collateralOut;
    for (var j = 0; j < M; j++) {
        markValue[j] <== leaf.size[j] * mark[j];
        equity += markValue[j] - leafNotional[j];
    }
    component sign = Num2Bits(134);
    sign.in <== equity + (1 << 133);
    payout === sign.out[133] * equity;
}
