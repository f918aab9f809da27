pragma circom 2.1.9;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "sparse-poseidon.circom";
include "constants.circom";
include "range-check.circom";
include "account-leaf.circom";
include "merkle.circom";
include "margin.circom";
include "order.circom";
include "market-binding.circom";
include "funding.circom";

// WithdrawalMessage: what the account key signs to withdraw, or (isTransfer = 1) to
// transfer to another of its accounts:
//   withdrawal: Poseidon(WITHDRAW_TAG | account << 4 | nonce << 36 | amount << 68, recipient, domain);
//   transfer:   Poseidon(TRANSFER_TAG | account << 4 | nonce << 36 | amount << 68,
//                        to | toFlag << 32, domain).
// Preconditions (caller): isTransfer a bit, account < 2^32, nonce < 2^32, amount < 2^92,
// recipient < 2^160, to < 2^32, toFlag < 2^3; domain is the deployment domain bound by the
// batch's MarketBinding. The tags differ, so neither message is ever the other.
// TypeScript twins: prover/src/domain/transfers.ts (withdrawalMessage),
// prover/src/domain/sub-accounts.ts (transferMessage).
template WithdrawalMessage() {
    signal input isTransfer;
    signal input account;
    signal input nonce;
    signal input amount;
    signal input recipient;
    signal input to;
    signal input toFlag;
    signal input domain;
    signal output msg;
    signal second <== recipient + isTransfer * (to + toFlag * (1 << TRANSFER_FLAG_SHIFT()) - recipient);
    msg <== SparsePoseidon(3)([
        WITHDRAW_TAG() + isTransfer * (TRANSFER_TAG() - WITHDRAW_TAG())
            + account * (1 << WITHDRAW_ACCOUNT_SHIFT()) + nonce * (1 << WITHDRAW_NONCE_SHIFT())
            + amount * (1 << WITHDRAW_AMOUNT_SHIFT()),
        second,
        domain
    ]);
}

// WithdrawalSlot(D, M): one signed withdrawal of `amount` collateral units to the
// Ethereum address `recipient`.
//   account: any account but the empty leaf 0, the fee account (1) and the insurance fund
//   (2) included: their leaves hold their owners' keys (domain/genesis.ts).
//   The signature is by the key in the account leaf, over the leaf's current withdrawal
//   nonce, which then increases: a signed withdrawal is paid at most once.
//   Accrued funding at the batch's indices is settled first (SettleFunding); afterwards
//   collateral stays non-negative (the insurance fund's stays >= fundFloor) and the
//   account meets initial margin at the batch's mark prices.
//   The insurance fund's funding is not settled here (docs/isolation.md, section 1): its
//   leaf keeps every market's index and its collateral (the reserve) pays none of it, so a
//   market's funding never reaches the reserve; what each market owes waits, exact, on its
//   position for the next liquidation batch (SettleFundingByMarket) or fund trade in that
//   market. Its reserve alone covers the amount. Its funding is judged, not written: its
//   margin and floor check sees its collateral less what its positions owe (a second
//   SettleFunding, enabled for the fund only: ceil of the markets' sum, within M units of
//   the per-market roundings a later settlement charges).
//   fundFloor: < 2^127, range-checked by the batch's MarketBinding.
//   recipient: not 0 (a payout to the zero address could never be claimed).
//   payout (output): recipient | amount << 160 when enabled, else 0 — a public input
//   the Vault pays.
// A transfer (isTransfer = 1) moves the amount to another existing account of the same
// key instead (docs/isolation.md, section 4): both accounts are traders' (>= 3) and
// differ; it is signed under TRANSFER_TAG naming `to` and the destination's flag `toFlag`,
// over the source's withdrawal nonce (which increases, as for a withdrawal); the source's
// rules are a withdrawal's; the destination leaf (its preimage and siblings in the tree
// after the source's update) holds the source's key and flag `toFlag`, and is credited
// the amount. Its payout is 0 (nothing leaves the Vault) and `recipient` plays no part (the
// engine sets it to 0).
// TypeScript twin: prover/src/engine/transfers.ts (processWithdrawals).
template WithdrawalSlot(D, M) {
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
    signal input mmBps[M];
    signal input isTransfer;
    signal input to;
    signal input toFlag;
    signal input toAx;
    signal input toAy;
    signal input toBalance;
    signal input toWord[M];
    signal input toNotional[M];
    signal input toSiblings[NL][TREE_SIBLINGS()];
    signal input rootIn;
    signal input domain;
    signal input fundFloor;
    signal output rootOut;
    signal output payout;

    // A. Fields in range; not the empty leaf. A withdrawal names an address, a transfer
    // none (its payout is 0) but another trader account of the same key.
    AssertBit()(enabled);
    AssertBit()(isTransfer);
    signal transfer <== enabled * isTransfer;
    signal withdrawing <== enabled - transfer;
    component accountBits = Num2Bits(D);
    accountBits.in <== account;
    signal accountZero <== IsZero()(account);
    accountZero * enabled === 0;
    signal isFund <== IsZero()(account - INSURANCE_ACCOUNT());
    RangeCheck(TRANSFER_BITS())(amount);
    RangeCheck(ADDRESS_BITS())(recipient);
    signal noRecipient <== IsZero()(recipient);
    noRecipient * withdrawing === 0;
    component toBits = Num2Bits(D);
    toBits.in <== to;
    _ <== Num2Bits(FLAG_BITS())(toFlag);
    NotSystemAccount()(account, transfer);
    NotSystemAccount()(to, transfer);
    signal toSelf <== IsZero()(to - account);
    toSelf * transfer === 0;

    // B. The leaf, range-checked.
    component old = AccountLeafUnpack(M);
    old.balance <== balance;
    old.word <== word;
    old.notional <== notional;

    // C. Signed by the account key over the current withdrawal nonce.
    signal msg <== WithdrawalMessage()(isTransfer, account, old.withdrawNonce, amount, recipient, to,
        toFlag, domain);
    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== enabled;
    sig.Ax <== ax;
    sig.Ay <== ay;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.S <== sigS;
    sig.M <== msg;

    // D. Settle funding, debit, bump the nonce; collateral stays >= 0 and initial margin
    // holds, for the insurance fund with its floor of equity to spare (MarginRequirement's
    // floor: the fund's value at the marks, not only its collateral, stays above it). The
    // fund's leaf takes back its payment and keeps its indices (see the header).
    component funding = SettleFunding(M);
    funding.collateral <== old.collateral;
    funding.size <== old.size;
    funding.lastIndex <== old.lastIndex;
    funding.index <== index;
    funding.word <== word;
    funding.enabled <== enabled - enabled * isFund;
    signal newCollateral <== funding.collateralOut - amount;
    // the fund's words as they were (one quadratic constraint per market: a linear one tying
    // a new wire to the leaf's bits would let --O2 substitute a bit away through it, which
    // the determinism check cannot follow)
    signal newWord[M];
    for (var j = 0; j < M; j++) {
        newWord[j] <== funding.wordOut[j] - isFund * (funding.wordOut[j] - word[j]);
    }
    signal floor <== isFund * fundFloor;
    signal collateralCheck <== enabled * newCollateral;
    RangeCheck(COLLATERAL_BITS())(collateralCheck);
    signal newNonce <== old.withdrawNonce + 1;
    RangeCheck(NONCE_BITS())(newNonce);
    // the fund's funding, judged: what it owes counts against its floor (0 for any other
    // account, whose funding is settled above)
    component fundOwed = SettleFunding(M);
    fundOwed.collateral <== 0;
    fundOwed.size <== old.size;
    fundOwed.lastIndex <== old.lastIndex;
    fundOwed.index <== index;
    fundOwed.word <== word;
    fundOwed.enabled <== enabled * isFund;
    signal checkedCollateral <== newCollateral - fundOwed.payment;
    MarginRequirement(M)(checkedCollateral, old.size, old.sizeNegative, notional, mark, imBps, mmBps, 0, floor, enabled);

    // E. Move the root and publish the payout.
    signal newBalance <== PackBalance()(newCollateral, newNonce, old.flag);
    signal oldLeaf <== LeafHash(M)(ax, ay, balance, word, notional);
    signal newLeaf <== LeafHash(M)(ax, ay, newBalance, newWord, notional);
    component update = LeafUpdate(D);
    update.oldLeaf <== oldLeaf;
    update.newLeaf <== newLeaf;
    update.indexBits <== accountBits.out;
    update.siblings <== siblings;
    (update.oldRoot - rootIn) * enabled === 0;
    signal mid <== rootIn + enabled * (update.newRoot - rootIn);
    payout <== withdrawing * (recipient + amount * (1 << ADDRESS_BITS()));

    // F. A transfer credits the destination: an existing leaf (in the tree at `mid`; the
    // empty leaf has no preimage) of the same key and the signed flag. Only its collateral
    // changes, so its funding, positions and orders are as they were.
    component dest = AccountLeafUnpack(M);
    dest.balance <== toBalance;
    dest.word <== toWord;
    dest.notional <== toNotional;
    (toAx - ax) * transfer === 0;
    (toAy - ay) * transfer === 0;
    (dest.flag - toFlag) * transfer === 0;
    signal destCollateral <== dest.collateral + amount;
    _ <== SignedRangeCheck(COLLATERAL_BITS())(transfer * destCollateral);
    signal newDestBalance <== PackBalance()(destCollateral, dest.withdrawNonce, dest.flag);
    signal oldDestLeaf <== LeafHash(M)(toAx, toAy, toBalance, toWord, toNotional);
    signal newDestLeaf <== LeafHash(M)(toAx, toAy, newDestBalance, toWord, toNotional);
    component destUpdate = LeafUpdate(D);
    destUpdate.oldLeaf <== oldDestLeaf;
    destUpdate.newLeaf <== newDestLeaf;
    destUpdate.indexBits <== toBits.out;
    destUpdate.siblings <== toSiblings;
    (destUpdate.oldRoot - mid) * transfer === 0;
    rootOut <== mid + transfer * (destUpdate.newRoot - mid);
}

// ProcessWithdrawals(W, D, M): up to W signed withdrawals and transfers between a key's
// accounts (WithdrawalSlot).
// Public inputs (3 + W):
//   oldRoot, newRoot: account tree roots.
//   priceConfigHash: market configuration, mark prices and funding indices, as in
//     SettleTrades.
//   payout[W]: recipient | amount << 160 per slot (0 for padding and transfers), paid by
//     the Vault.
template ProcessWithdrawals(W, D, M) {
    assert(D >= 2 && D <= ACCOUNT_BITS());
    var NL = TREE_LEVELS(D);
    signal input oldRoot;
    signal input newRoot;
    signal input priceConfigHash;
    signal input payout[W];

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
    signal input enabled[W];
    signal input account[W];
    signal input amount[W];
    signal input recipient[W];
    signal input sigR8x[W];
    signal input sigR8y[W];
    signal input sigS[W];
    signal input leafAx[W];
    signal input leafAy[W];
    signal input leafBalance[W];
    signal input leafWord[W][M];
    signal input leafNotional[W][M];
    signal input siblings[W][NL][TREE_SIBLINGS()];
    signal input isTransfer[W];
    signal input to[W];
    signal input toFlag[W];
    signal input toAx[W];
    signal input toAy[W];
    signal input toBalance[W];
    signal input toWord[W][M];
    signal input toNotional[W][M];
    signal input toSiblings[W][NL][TREE_SIBLINGS()];

    component binding = MarketBinding(M);
    binding.param <== marketParam;
    binding.mark <== mark;
    binding.index <== fundingIndex;
    binding.domain <== domain;
    binding.fundFloor <== fundFloor;
    binding.margins <== margins;
    binding.priceConfigHash === priceConfigHash;

    signal root[W + 1];
    root[0] <== oldRoot;
    component slot[W];
    for (var i = 0; i < W; i++) {
        slot[i] = WithdrawalSlot(D, M);
        slot[i].enabled <== enabled[i];
        slot[i].account <== account[i];
        slot[i].amount <== amount[i];
        slot[i].recipient <== recipient[i];
        slot[i].sigR8x <== sigR8x[i];
        slot[i].sigR8y <== sigR8y[i];
        slot[i].sigS <== sigS[i];
        slot[i].ax <== leafAx[i];
        slot[i].ay <== leafAy[i];
        slot[i].balance <== leafBalance[i];
        slot[i].word <== leafWord[i];
        slot[i].notional <== leafNotional[i];
        slot[i].siblings <== siblings[i];
        slot[i].isTransfer <== isTransfer[i];
        slot[i].to <== to[i];
        slot[i].toFlag <== toFlag[i];
        slot[i].toAx <== toAx[i];
        slot[i].toAy <== toAy[i];
        slot[i].toBalance <== toBalance[i];
        slot[i].toWord <== toWord[i];
        slot[i].toNotional <== toNotional[i];
        slot[i].toSiblings <== toSiblings[i];
        slot[i].mark <== mark;
        slot[i].index <== fundingIndex;
        slot[i].imBps <== binding.imBps;
        slot[i].mmBps <== binding.mmBps;
        slot[i].rootIn <== root[i];
        slot[i].domain <== domain;
        slot[i].fundFloor <== fundFloor;
        root[i + 1] <== slot[i].rootOut;
        slot[i].payout === payout[i];
    }
    root[W] === newRoot;
}
