// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";
import {BabyJubjub} from "./BabyJubjub.sol";
import {Governed} from "./Governed.sol";
import {Groth16Call} from "./interfaces/IGroth16Verifier.sol";

/// @title EscapeHatch
/// @notice The way out that needs no operator: forced withdrawal requests, and a freeze
/// anyone may trigger once the operator leaves a forced request or a queued deposit
/// unanswered for `forcedDeadline` seconds. Settlement inherits it.
///
/// A forced request (account, amount, recipient) carries the account key's EdDSA-Poseidon
/// signature over
///   Poseidon(FORCED_TAG | account << 4 | nonce << 36 | amount << 68, recipient, domain)
/// (nonce: the account's withdrawal counter when the request is answered; FORCED_TAG = 5,
/// prover/src/domain/messages.ts). Verifying EdDSA here would cost ~2M gas, so the request
/// is recorded with its signature in a hash chain
///   h' = Poseidon(h, account, recipient | amount << 160, Poseidon(R8x, R8y, S)),
/// and the operator's proven answer checks the signature in the circuit: a request whose
/// signature does not verify is answered "refused: bad signature" and moves nothing, so
/// nobody but the key holder can make a request count for an account. What the circuit
/// needs to be able to prove either answer is checked here: R8 is a Baby Jubjub point,
/// S is below the subgroup order, the amount fits the circuits' transfer width, and the
/// recipient is not zero.
///
/// Spam costs `forcedRequestFee` (wei) per request, paid to the operator when the request
/// is answered, and refunded to the requester after a freeze if it never was.
///
/// Rules (each refusal has its own error):
/// - no request after the freeze                                -> ExchangeFrozen
/// - the fee is exactly forcedRequestFee                        -> WrongFee
/// - a trader account (>= 3, opened in the Vault), an amount in 1..2^92-1, a recipient
///                                                               -> BadForcedRequest
/// - R8 on the curve, S < subgroup order                        -> BadSignatureEncoding
/// - freeze: only when the oldest unanswered forced request, or the oldest uncredited
///   deposit or owner key rotation (Vault.oldestUncredited: a rotation recorded behind a
///   closed queue counts), is at least forcedDeadline seconds old -> NothingOverdue
/// - freeze once; nothing undoes it                              -> ExchangeFrozen
/// A pause blocks neither requests nor the freeze, and does not extend the deadline (it
/// blocks batches, so a pause renewed beyond the deadline lets users leave);
/// forcedDeadline > MAX_PAUSE, so one pause alone never leads to a freeze.
///
/// Exit. After the freeze each account leaves once with a proof of ExitAccount against the
/// frozen root at the marks of the oracle round recorded at the freeze: payout = max(0, its
/// equity at those marks), sent to the address its leaf's key signed: a trader's key, and
/// for the fee account and the insurance fund their owners' keys (genesis puts them in
/// their leaves), or, when the governance's latest rotation of that owner's key was not
/// credited by the frozen root, the NEW key: the exit's `signer` (ExitAccount's sixth public
/// input) must then be its Poseidon hash (Vault.exitSigner), else 0 (the leaf's key; always
/// 0 for a trader), so an operator that censored a rotation cannot leave the old key in
/// charge of the system exits. No exit is unsigned, so no role, the admin included, names where an exit
/// pays, and anyone may send any exit. The exits share `exitPool`, what the Vault held for
/// the tree at the freeze (its balance, less withdrawals already owed and deposits never
/// credited, which their depositors reclaim). So that no exit is paid at another's expense,
/// exits proven during the exit window (exitWindow seconds after the freeze) are claims,
/// paid after the window by settleExit:
///   paid = payout * min(1, exitPool / claimed)   (rounded down; claimed: the window's total)
/// A trader exit proven after the window is paid at once, up to what is left. The fee
/// account's and the insurance fund's exits are taken only after a second window
/// (2 * exitWindow after the freeze), the fee account's first (the fund waits for it only
/// until 3 * exitWindow after the freeze, so a fee owner who never exits cannot lock the
/// fund's exit), and are paid from what is left then. So a shortfall is borne by the
/// insurance fund first, then the fee account, then the traders who claimed in the window
/// pro rata; a trader who waits past the window is paid before the system accounts while
/// the second window lasts, and after it only from what the others left.
/// An account under water at the freeze exits with 0: its loss is the shortfall.
/// Rules (each refusal has its own error): the exchange is frozen (NotFrozen); an account
/// exits once (AlreadyExited); a system account exits only after the second window, the
/// fee account before the insurance fund until the third window has passed (SystemExit);
/// the signer is the expected one (WrongExitSigner); a claim is settled once, after the
/// window (ExitWindowOpen, NothingToSettle); the proof verifies against the frozen root, the
/// frozen round's binding, the account, the recipient and the payout (InvalidExitProof).
/// A pause blocks no exit.
abstract contract EscapeHatch is Governed {
    /// @dev Baby Jubjub's prime subgroup order: a signature's S is below it.
    uint256 private constant BJJ_ORDER = BabyJubjub.ORDER;
    uint256 private constant MAX_FORCED_AMOUNT = (1 << 92) - 1;
    uint256 private constant REFUNDED = 1 << 224;
    uint32 private constant FIRST_TRADER = 3;
    uint32 private constant FEE_ACCOUNT = 1;
    uint32 private constant INSURANCE_ACCOUNT = 2;
    uint8 private constant EXIT_CLAIMED = 1;
    uint8 private constant EXIT_PAID = 2;

    /// @notice Seconds the operator has to answer a forced request or credit a deposit
    /// before anyone may freeze the exchange.
    uint64 public immutable forcedDeadline;
    /// @notice What a forced request costs (wei).
    uint256 public immutable forcedRequestFee;
    /// @notice Seconds after the freeze during which exits are claims, shared pro rata.
    uint64 public immutable exitWindow;

    /// @dev One slot: the forced queue's counters and the freeze.
    struct EscapeState {
        // forced requests ever made; answered ones (a prefix of the queue)
        uint40 forcedCount;
        uint40 forcedProcessed;
        // when the exchange was frozen (0: live)
        uint40 frozenAt;
        // the oracle's latest round when frozen, and the batches accepted until then
        uint40 frozenRound;
        uint40 frozenBatches;
    }

    EscapeState private _escape;
    /// @notice The account-tree root at the freeze: every exit is proven against it.
    uint256 public frozenRoot;
    /// @notice Fees of answered requests, not yet collected by the operator.
    uint256 public forcedFeesEarned;
    /// @dev The exits: the pool at the freeze, what exits after the window were paid (both
    /// at most the Vault's balance), and the window's claims.
    struct ExitTotals {
        uint128 pool;
        uint128 latePaid;
        // payouts are each below 2^128; their sum is kept whole
        uint256 claimed;
    }

    /// @dev One account's exit: claimed in the window or paid, to whom, how much.
    struct ExitRecord {
        uint8 status;
        address recipient;
        uint128 payout;
        uint128 paid;
    }

    ExitTotals private _exits;
    mapping(uint32 => ExitRecord) private _exitOf;
    mapping(uint64 => uint256) private forcedHashes;
    /// @dev Per queue position: requester | time << 160 | refunded flag << 224.
    mapping(uint64 => uint256) private forcedEntries;

    /// @notice A forced withdrawal request joined the queue at position `index`.
    event ForcedRequested(
        uint64 indexed index,
        uint32 indexed account,
        address indexed requester,
        uint256 amount,
        address recipient,
        uint256 sigR8x,
        uint256 sigR8y,
        uint256 sigS,
        uint256 queueHash
    );
    /// @notice The exchange is frozen for good: from now on only exits.
    event Frozen(address indexed by, uint256 root, uint64 batches, uint64 roundId);
    /// @notice An exit proven during the exit window: paid after it (settleExit).
    event ExitClaimed(uint32 indexed account, address indexed recipient, uint256 payout);
    /// @notice An exit credited `paid` of its `payout` to `recipient` in the Vault.
    event ExitPaid(uint32 indexed account, address indexed recipient, uint256 payout, uint256 paid);
    /// @notice A never answered request's fee went back to its requester.
    event ForcedFeeRefunded(uint64 indexed index, address indexed requester, uint256 amount);
    /// @notice The operator collected the fees of answered requests.
    event ForcedFeesCollected(address indexed to, uint256 amount);

    /// @notice The exchange is frozen: no batch, no request, no second freeze.
    error ExchangeFrozen(uint64 frozenAt);
    /// @notice The exchange is not frozen (yet).
    error NotFrozen();
    /// @notice A forced request costs exactly `expected` wei.
    error WrongFee(uint256 given, uint256 expected);
    /// @notice Not a trader account opened in the Vault, an amount out of 1..2^92-1, or the
    /// zero recipient.
    error BadForcedRequest(uint32 account, uint256 amount, address recipient);
    /// @notice R8 is not a Baby Jubjub point or S is not below the subgroup order.
    error BadSignatureEncoding();
    /// @notice Nothing is overdue: the oldest unanswered forced request and the oldest
    /// uncredited deposit become overdue at these times (0: none waiting).
    error NothingOverdue(uint256 forcedDueAt, uint256 depositDueAt);
    /// @notice The forced queue does not have that many requests.
    error UnknownForcedPosition(uint64 n);
    /// @notice The request was answered (its fee went to the operator) or refunded already.
    error NotRefundable(uint64 index);
    /// @notice The forced deadline must exceed one pause (MAX_PAUSE).
    error BadForcedDeadline(uint64 deadline);
    /// @notice Fees cannot be paid out to the zero address, and there are none to collect.
    error NoFees();
    /// @notice The exit window must be at least a day.
    error BadExitWindow(uint64 window);
    /// @notice The account has exited already.
    error AlreadyExited(uint32 account);
    /// @notice The exit window is open until `windowEnd`.
    error ExitWindowOpen(uint256 windowEnd);
    /// @notice A system account exits only after the second window (2 * exitWindow after
    /// the freeze), the fee account before the insurance fund (until 3 * exitWindow).
    error SystemExit(uint32 account);
    /// @notice The account has no claim waiting to be settled.
    error NothingToSettle(uint32 account);
    /// @notice The exit names the wrong signer: `expected` is Poseidon of the system account's
    /// governed key that the frozen root did not credit yet, or 0 (the leaf's key signs).
    error WrongExitSigner(uint32 account, uint256 expected);
    /// @notice The exit proof does not verify for the frozen root and round.
    error InvalidExitProof();

    constructor(uint64 forcedDeadline_, uint256 forcedRequestFee_, uint64 exitWindow_, uint64 maxPause) {
        if (forcedDeadline_ <= maxPause || forcedDeadline_ > type(uint40).max) {
            revert BadForcedDeadline(forcedDeadline_);
        }
        if (exitWindow_ < 1 days || exitWindow_ > type(uint40).max) revert BadExitWindow(exitWindow_);
        forcedDeadline = forcedDeadline_;
        forcedRequestFee = forcedRequestFee_;
        exitWindow = exitWindow_;
    }

    /// @dev What the hatch reads of Settlement.
    function _accountsOpened() internal view virtual returns (uint64);
    function _oldestUncreditedDeposit() internal view virtual returns (bool waiting, uint256 time);
    /// @dev Poseidon of the key that signs a system account's exit when its latest governed
    /// key was not credited by the frozen root (Vault.exitSigner), else 0 (the leaf's key).
    function _exitSigner(uint32 account) internal view virtual returns (uint256);
    function _freezeSnapshot()
        internal
        view
        virtual
        returns (uint256 root, uint64 batches, uint64 roundId, uint256 pool);
    /// @dev Whether ExitAccount's proof verifies for these public inputs.
    function _verifyExit(Groth16Call.Proof calldata proof, uint256[] memory pub) internal view virtual returns (bool);
    /// @dev The binding of the round recorded at the freeze (its priceConfigHash: the marks
    /// and the funding indices in effect at that round).
    function _frozenBinding(uint64 roundId) internal virtual returns (uint256);
    /// @dev Owes `amount` to `recipient` in the Vault.
    function _creditExit(address recipient, uint256 amount) internal virtual;

    modifier whenNotFrozen() {
        uint40 at = _escape.frozenAt;
        if (at != 0) revert ExchangeFrozen(at);
        _;
    }

    /// @notice Puts a forced withdrawal request on the queue (see the contract's
    /// description); returns its queue position. Anyone may pay for it; only a signature by
    /// the account's key makes it pay out.
    function forceWithdraw(uint32 account, uint256 amount, address recipient, uint256 r8x, uint256 r8y, uint256 s)
        external
        payable
        whenNotFrozen
        returns (uint64 index)
    {
        if (msg.value != forcedRequestFee) revert WrongFee(msg.value, forcedRequestFee);
        if (
            account < FIRST_TRADER || account >= _accountsOpened() || amount == 0 || amount > MAX_FORCED_AMOUNT
                || recipient == address(0)
        ) revert BadForcedRequest(account, amount, recipient);
        if (s >= BJJ_ORDER || !BabyJubjub.onCurve(r8x, r8y)) revert BadSignatureEncoding();
        EscapeState storage e = _escape;
        index = e.forcedCount;
        uint256 sigHash = PoseidonT4.hash([r8x, r8y, s]);
        uint256 h = PoseidonT5.hash([forcedHashes[index], account, uint256(uint160(recipient)) | (amount << 160), sigHash]);
        forcedHashes[index + 1] = h;
        forcedEntries[index] = uint256(uint160(msg.sender)) | (block.timestamp << 160);
        e.forcedCount = uint40(index + 1);
        emit ForcedRequested(index, account, msg.sender, amount, recipient, r8x, r8y, s, h);
    }

    /// @notice Freezes the exchange for good, if the oldest unanswered forced request or the
    /// oldest uncredited deposit is at least forcedDeadline seconds old. Anyone may call it;
    /// a pause does not stop it; no role can undo it. Records the root every exit is proven
    /// against, and the oracle's latest round (the exit prices).
    function freeze() external whenNotFrozen {
        EscapeState memory e = _escape;
        uint256 forcedDue;
        if (e.forcedProcessed < e.forcedCount) {
            forcedDue = uint64(forcedEntries[e.forcedProcessed] >> 160) + uint256(forcedDeadline);
        }
        uint256 depositDue;
        (bool waiting, uint256 time) = _oldestUncreditedDeposit();
        if (waiting) depositDue = time + forcedDeadline;
        bool overdue = (forcedDue != 0 && block.timestamp >= forcedDue) || (depositDue != 0 && block.timestamp >= depositDue);
        if (!overdue) revert NothingOverdue(forcedDue, depositDue);
        _freeze();
    }

    /// @dev Freezes for good (freeze's overdue request, or a proven fraud such as a skip
    /// proof, DeleverageChallenge): records the root, the batches, the round and the pool.
    function _freeze() internal {
        (uint256 root, uint64 batches, uint64 roundId, uint256 pool) = _freezeSnapshot();
        frozenRoot = root;
        // a balance beyond 2^128 is not a real token's; the exits then share 2^128 - 1
        _exits.pool = pool > type(uint128).max ? type(uint128).max : uint128(pool);
        _escape.frozenAt = uint40(block.timestamp);
        _escape.frozenRound = uint40(roundId);
        _escape.frozenBatches = uint40(batches);
        emit Frozen(msg.sender, root, batches, roundId);
    }

    /// @notice One account's exit after the freeze (see the contract's description): a
    /// proof of ExitAccount that `account`'s leaf in the frozen root pays `payout` at the
    /// frozen round's marks to `recipient`, which the leaf's key signed (a trader's, or the
    /// fee or fund owner's). Anyone may send any exit: the signature inside the proof names
    /// the recipient. The fee account's and the insurance fund's are taken only after the
    /// second window, the fee account's first (the fund alone after the third window);
    /// `signer`: 0, or for account 1 or 2 with a rotation the frozen root did not credit, the
    /// Poseidon hash of the governed key (WrongExitSigner otherwise). During the window a trader's exit is a claim
    /// (settleExit pays it after); after the window an exit is paid at once, up to what is left.
    function exit(Groth16Call.Proof calldata proof, uint32 account, address recipient, uint256 payout, uint256 signer)
        external
    {
        EscapeState memory e = _escape;
        if (e.frozenAt == 0) revert NotFrozen();
        ExitRecord storage r = _exitOf[account];
        if (r.status != 0) revert AlreadyExited(account);
        uint256 windowEnd = uint256(e.frozenAt) + exitWindow;
        bool inWindow = block.timestamp < windowEnd;
        uint256 expected;
        if (account < FIRST_TRADER) {
            // the fund waits for the fee account, but only until a third window has passed
            bool feesFirst = account != INSURANCE_ACCOUNT || _exitOf[FEE_ACCOUNT].status != 0
                || block.timestamp >= windowEnd + 2 * uint256(exitWindow);
            // a second window after the first: late traders are paid before the system
            bool early = block.timestamp < windowEnd + exitWindow;
            if (early || !feesFirst) revert SystemExit(account);
            expected = _exitSigner(account);
        }
        if (signer != expected) revert WrongExitSigner(account, expected);
        uint256[] memory pub = new uint256[](6);
        pub[0] = frozenRoot;
        pub[1] = _frozenBinding(e.frozenRound);
        pub[2] = account;
        pub[3] = uint256(uint160(recipient));
        pub[4] = payout;
        pub[5] = signer;
        if (!_verifyExit(proof, pub)) revert InvalidExitProof();
        // a proven payout is an equity, far below 2^128 (positions and marks are bounded);
        // refused rather than truncated if it ever were not
        if (payout > type(uint128).max) revert InvalidExitProof();
        r.recipient = recipient;
        r.payout = uint128(payout);
        if (inWindow) {
            r.status = EXIT_CLAIMED;
            _exits.claimed += payout;
            emit ExitClaimed(account, recipient, payout);
        } else {
            ExitTotals memory t = _exits;
            uint256 reserved = t.claimed < t.pool ? t.claimed : t.pool;
            uint256 left = t.pool - reserved - t.latePaid;
            uint256 paid = payout < left ? payout : left;
            _exits.latePaid = uint128(t.latePaid + paid);
            _pay(r, account, paid);
        }
    }

    /// @notice Pays a claim made during the exit window, once the window is over (anyone
    /// may call it): payout * min(1, exitPool / claimed), rounded down.
    function settleExit(uint32 account) external {
        EscapeState memory e = _escape;
        if (e.frozenAt == 0) revert NotFrozen();
        uint256 windowEnd = uint256(e.frozenAt) + exitWindow;
        if (block.timestamp < windowEnd) revert ExitWindowOpen(windowEnd);
        ExitRecord storage r = _exitOf[account];
        if (r.status != EXIT_CLAIMED) revert NothingToSettle(account);
        ExitTotals memory t = _exits;
        uint256 paid = t.claimed <= t.pool ? r.payout : (uint256(r.payout) * t.pool) / t.claimed;
        _pay(r, account, paid);
    }

    function _pay(ExitRecord storage r, uint32 account, uint256 paid) private {
        r.status = EXIT_PAID;
        r.paid = uint128(paid);
        if (paid != 0) _creditExit(r.recipient, paid);
        emit ExitPaid(account, r.recipient, r.payout, paid);
    }

    /// @notice The exits: the pool at the freeze, the payouts claimed in the window, what
    /// exits after the window were paid, and when the window ends (0 while not frozen).
    function exitInfo() external view returns (uint256 pool, uint256 claimed, uint256 latePaid, uint64 windowEnd) {
        ExitTotals memory t = _exits;
        uint40 at = _escape.frozenAt;
        return (t.pool, t.claimed, t.latePaid, at == 0 ? 0 : uint64(at + exitWindow));
    }

    /// @notice One account's exit: status (0 none, 1 claimed in the window, 2 paid), the
    /// recipient, the payout proven and what was paid.
    function exitOf(uint32 account)
        external
        view
        returns (uint8 status, address recipient, uint256 payout, uint256 paid)
    {
        ExitRecord memory r = _exitOf[account];
        return (r.status, r.recipient, r.payout, r.paid);
    }

    /// @notice Pays back the fee of a request no batch answered before the freeze, to its
    /// requester (anyone may call it), once.
    function refundForcedFee(uint64 index) external {
        EscapeState memory e = _escape;
        if (e.frozenAt == 0) revert NotFrozen();
        if (index >= e.forcedCount) revert UnknownForcedPosition(index);
        uint256 entry = forcedEntries[index];
        if (index < e.forcedProcessed || entry & REFUNDED != 0) revert NotRefundable(index);
        forcedEntries[index] = entry | REFUNDED;
        address requester = address(uint160(entry));
        (bool ok,) = requester.call{value: forcedRequestFee}("");
        if (!ok) revert NotRefundable(index);
        emit ForcedFeeRefunded(index, requester, forcedRequestFee);
    }

    /// @dev The operator answered the next `count` requests: their fees are earned.
    function _answerForced(uint64 count) internal returns (uint256 fromHash, uint256 toHash) {
        EscapeState storage e = _escape;
        uint64 from = e.forcedProcessed;
        fromHash = forcedHashes[from];
        toHash = forcedHashes[from + count];
        e.forcedProcessed = uint40(from + count);
        forcedFeesEarned += uint256(count) * forcedRequestFee;
    }

    /// @dev Sends the earned fees to `to` (the caller checks the role).
    function _collectForcedFees(address to) internal {
        uint256 amount = forcedFeesEarned;
        if (amount == 0 || to == address(0)) revert NoFees();
        forcedFeesEarned = 0;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert NoFees();
        emit ForcedFeesCollected(to, amount);
    }

    /// @notice Whether the exchange is frozen.
    function frozen() public view returns (bool) {
        return _escape.frozenAt != 0;
    }

    /// @notice The forced queue: requests made and requests answered.
    function forcedQueue() external view returns (uint64 count, uint64 processed) {
        return _forcedQueue();
    }

    function _forcedQueue() internal view returns (uint64 count, uint64 processed) {
        EscapeState memory e = _escape;
        return (e.forcedCount, e.forcedProcessed);
    }

    /// @notice The forced queue's hash after the first `n` requests (0 for n = 0).
    function forcedHashAt(uint64 n) public view returns (uint256) {
        if (n > _escape.forcedCount) revert UnknownForcedPosition(n);
        return forcedHashes[n];
    }

    /// @notice Who made the request at `index`, when, and whether its fee was refunded.
    function forcedEntry(uint64 index) external view returns (address requester, uint64 time, bool refunded) {
        if (index >= _escape.forcedCount) revert UnknownForcedPosition(index);
        uint256 e = forcedEntries[index];
        return (address(uint160(e)), uint64(e >> 160), e & REFUNDED != 0);
    }

    /// @notice The freeze: when (0: live), the oracle round of the exit prices, and the
    /// number of batches accepted before it.
    function freezeInfo() external view returns (uint64 frozenAt, uint64 roundId, uint64 batches) {
        EscapeState memory e = _escape;
        return (e.frozenAt, e.frozenRound, e.frozenBatches);
    }

}
