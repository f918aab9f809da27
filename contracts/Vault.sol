// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";
import {BabyJubjub} from "./BabyJubjub.sol";
import {IVault} from "./interfaces/IVault.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {WithdrawalLimit} from "./WithdrawalLimit.sol";

/// @title Vault
/// @notice Holds zkclear's ERC20 collateral. Deposits join a queue kept as a Poseidon hash
/// chain that the ApplyDeposits circuit recomputes; withdrawals proven by the
/// ProcessWithdrawals circuit are credited here by the Settlement contract and paid to
/// their recipients (pull payments, paid once, triggered by anyone).
///
/// Deposit rules (each refusal has its own error):
/// - the Settlement contract is wired and not paused        -> SettlementNotSet, DepositsPaused
/// - no deposit has been reclaimed (the queue is still open) -> DepositQueueClosed
/// - minDeposit <= amount <= MAX_DEPOSIT, for the amount asked and the amount that
///   arrived                                                 -> BadAmount
/// - a new account's key is a Baby Jubjub point (BadPublicKey) that is not of small order
///   (SmallOrderKey: 8 * A = O, a key no signature can be verified for in the circuit);
///   the tree has room (TreeFull); a top-up names an existing account (UnknownAccount)
/// - a new isolated sub-account (depositIsolated) names one of Settlement's markets
///                                                           -> BadMarket
/// - what the account has been credited in total stays within accountDepositCap
///                                                           -> AccountCapExceeded
/// The queue entry and the Deposited event carry the amount that ARRIVED (the Vault's
/// balance after the transfer minus before), so a token that skims a fee on transfer
/// credits what the Vault holds.
///
/// Why the caps keep every deposit provable: the circuits hold collateral as a signed
/// 128-bit value. A deposit moves less than 2^92 (the circuits' transfer width). What all
/// deposits to one account add up to is capped at accountDepositCap = min(2^100, 2^126 / 2^D),
/// so nothing an account is sent can push it out of range, and all accounts together can
/// never be credited more than 2^126. The circuits conserve value (what one account gains
/// another, the fee account or the insurance fund loses, and margin keeps every account's
/// equity from going below its requirement, the insurance fund covering liquidations), so
/// equity is bounded by the total credited, and a deposit batch cannot fail for range.
///
/// Reclaim: if the deposit at queue position i is still not credited
/// (i >= Settlement.depositsProcessed()) once `depositDeadline` seconds of UNPAUSED time
/// have passed since it was made (the deadline is extended by exactly the time Settlement
/// spent paused meanwhile, Settlement.pausedTime(), so a pause never postpones a reclaim
/// already due and a short pause only delays it by its length), its depositor can `reclaimDeposit` it
/// and is paid the amount back, once. Settlement then refuses any deposit batch that would
/// credit position i or beyond, so no deposit is ever paid twice: a reclaim ends deposit
/// processing at that position for good (the queue closes; later deposits are refused,
/// and those already queued behind it are reclaimable at once). An operator that censors
/// deposits thus loses its deposit queue.
///
/// Owner keys: the governance (whoever holds Settlement's DEFAULT_ADMIN_ROLE: the timelock,
/// so each call waits out its delay) may queue a new Baby Jubjub key for the fee account (1)
/// or the insurance fund (2) with `queueOwnerKey`: a queue entry of amount 0 naming the key,
/// which ApplyDeposits writes into the account's leaf in queue order (a key named for any
/// other existing account fails the circuit). Such an entry pays nothing back: it cannot be
/// reclaimed (NothingToReclaim), so it can neither close the queue nor move tokens.
/// The Vault also records the latest governed key of each system account (`ownerRotation`:
/// the key, its Poseidon hash, when, and its queue position, or none). With the queue closed
/// by a reclaim the key is recorded without a queue entry (no batch could ever credit it);
/// while Settlement is paused it is queued as usual (a pause does not hold a rotation back).
/// A recorded key not yet credited (no position, or at a position a batch has not credited
/// yet) is pending: `oldestUncredited` makes it overdue forcedDeadline after it was recorded
/// (Settlement's freeze), and after a freeze `exitSigner` names it as the key that signs the
/// account's exit, so a censoring operator ends in a freeze, never in the old key acting on.
/// A freeze does not end the governance's say either (a rotation scheduled on the timelock
/// when the freeze came): until the system exits open (frozenAt + 2 * exitWindow) a key is
/// still recorded without a queue entry, and exitSigner names it; after that it is fixed.
///
/// Rate limit (WithdrawalLimit): what Settlement credits (withdrawal and forced batches, and
/// exits after a freeze) is owed at once while the current window's credits stay within
/// `withdrawalBound`; a credit beyond it is delayed by `withdrawalDelay` seconds of unpaused
/// time and then paid by `claimDelayed(id)`, by anyone, to its recipient. Exits go through
/// the same rule: a forged or buggy exit proof must not drain the Vault at once either, and
/// a delay (at most 7 days, plus pauses, each ending by itself) is not a block.
///
/// Nothing else here can be changed after deployment: the token, the depth, the minimum,
/// the deadline, the rate limit and the Settlement (wired once, at deployment, by the
/// deployer) are fixed, and no role can move tokens except as proven withdrawals and
/// reclaims pay them.
contract Vault is IVault, ReentrancyGuard, WithdrawalLimit {
    using SafeERC20 for IERC20;

    /// @dev The BN254 scalar field and the curve's a (the small-order check doubles points).
    uint256 private constant R = BabyJubjub.R;
    uint256 private constant BJJ_A = BabyJubjub.A;
    /// @notice Deposits move less than 2^92 units at a time (the circuits' transfer width).
    uint256 public constant MAX_DEPOSIT = (1 << 92) - 1;
    /// @notice The first index a trader account can have (0: empty, 1: fees, 2: insurance).
    uint32 public constant FIRST_USER_ACCOUNT = 3;
    /// @notice The system accounts whose owner's key the governance may rotate: fees, insurance.
    uint64 public constant FEE_ACCOUNT = 1;
    uint64 public constant INSURANCE_ACCOUNT = 2;
    uint64 private constant NONE = type(uint64).max;
    uint256 private constant RECLAIMED = 1 << 240;
    /// @dev An entry's isolation flag (0 cross, 1 + market) is kept at bit 241 of `entries`,
    /// so that reclaimDeposit rebuilds the queue entry from what the depositor names.
    uint256 private constant ENTRY_FLAG_SHIFT = 241;
    /// @dev Where the flag sits in the queue entry's packed word: account | amount << 32
    /// | flag << 124 (ApplyDeposits, prover/src/domain/transfers.ts depositQueueHash).
    uint256 private constant QUEUE_FLAG_SHIFT = 124;

    /// @notice The collateral token.
    IERC20 public immutable token;
    /// @notice Number of account indices the tree holds (2^D).
    uint64 public immutable accountCapacity;
    /// @notice The smallest deposit.
    uint256 public immutable minDeposit;
    /// @notice Seconds after which a deposit not yet credited may be reclaimed.
    uint64 public immutable depositDeadline;
    /// @notice The most all deposits to one account may add up to: min(2^100, 2^126 / 2^D).
    uint256 public immutable accountDepositCap;
    /// @notice The Settlement contract, the only one that may credit withdrawals.
    address public settlement;
    address private immutable deployer;

    /// @notice Next account index handed out to a first deposit.
    uint64 public nextAccount = FIRST_USER_ACCOUNT;
    /// @inheritdoc IVault
    uint64 public depositCount;
    /// @notice The first reclaimed queue position (type(uint64).max while none is).
    uint64 public firstReclaimed = NONE;
    mapping(uint64 => uint256) private queueHashes;
    /// @dev Per queue position: depositor | time << 160 | Settlement.pausedTime() at that
    /// time << 200 | reclaimed flag << 240 (times are 40-bit unix seconds).
    mapping(uint64 => uint256) private entries;
    /// @dev What the first n deposits of the queue add up to (arrived amounts).
    mapping(uint64 => uint256) private queuedTotals;
    /// @dev The latest key the governance named for a system account (account => rotation).
    struct OwnerRotation {
        uint256 pkX;
        uint256 pkY;
        // Poseidon(pkX, pkY): what ExitAccount's `signer` names
        uint256 keyHash;
        uint64 time;
        // its queue position; NONE: recorded without a queue entry (the queue was closed)
        uint64 position;
    }

    mapping(uint64 => OwnerRotation) private rotations;
    /// @notice What reclaims have paid back in total.
    uint256 public reclaimedTotal;
    /// @notice What deposits (not reclaimed) have queued for each account in total.
    mapping(uint64 => uint256) public deposited;
    /// @notice Tokens credited by proven withdrawals and not yet claimed, per recipient.
    mapping(address => uint256) public owed;
    /// @notice Sum of `owed` and of the delayed credits not paid yet: tokens held for
    /// withdrawals (and exits) already proven.
    uint256 public totalOwed;

    /// @notice A deposit joined the queue; `amount` is what arrived.
    /// `flag` is 0 for a cross-margin account, a top-up or an owner key, and 1 + market for
    /// a new sub-account isolated to that market (depositIsolated).
    event Deposited(
        uint64 indexed index,
        uint64 indexed account,
        address indexed from,
        uint256 pkX,
        uint256 pkY,
        uint256 amount,
        uint256 queueHash,
        uint8 flag
    );
    /// @notice The governance queued `pkX, pkY` as the owner's key of system account `account`
    /// at queue position `index` (the Deposited event of the same entry has amount 0); the key
    /// replaces the leaf's when a deposit batch credits that position.
    event OwnerKeyQueued(uint64 indexed index, uint64 indexed account, uint256 pkX, uint256 pkY);
    /// @notice The governance named `pkX, pkY` as the owner's key of system account `account`
    /// while the deposit queue was closed: recorded without a queue entry, no batch credits
    /// it; it makes a freeze due forcedDeadline later and then signs the account's exit.
    event OwnerKeyStranded(uint64 indexed account, uint256 pkX, uint256 pkY);
    /// @notice A proven withdrawal was credited to `recipient`.
    event Credited(address indexed recipient, uint256 amount);
    /// @notice `recipient` was paid what it was owed.
    event Claimed(address indexed recipient, uint256 amount);
    /// @notice The Settlement contract was set.
    event SettlementSet(address settlement);
    /// @notice The deposit at queue position `index` was paid back to its depositor; the
    /// queue is closed from the first reclaimed position on.
    event DepositReclaimed(uint64 indexed index, uint64 indexed account, address indexed depositor, uint256 amount);

    /// @notice The amount is below minDeposit or above MAX_DEPOSIT (asked, or arrived).
    error BadAmount(uint256 amount);
    /// @notice A new account's key is not a Baby Jubjub point.
    error BadPublicKey();
    /// @notice A new account's key is a point of small order (8 * A = O): no signature
    /// for it verifies in the circuits, so its orders and withdrawals could never be proven.
    error SmallOrderKey();
    /// @notice The account does not exist (and is not being created by an earlier deposit).
    error UnknownAccount(uint64 account);
    /// @notice Every account index is taken.
    error TreeFull();
    /// @notice The account's deposits would add up to more than accountDepositCap.
    error AccountCapExceeded(uint64 account, uint256 deposited, uint256 amount);
    /// @notice Only the Settlement contract may call this.
    error NotSettlement();
    /// @notice Nothing is owed to the recipient.
    error NothingOwed();
    /// @notice Payments to the zero address are refused.
    error ZeroRecipient();
    /// @notice The Settlement contract is already set, or the caller may not set it.
    error SettlementAlreadySet();
    /// @notice Deposits wait until the Settlement contract is wired.
    error SettlementNotSet();
    /// @notice Settlement is paused: deposits are refused until `until`.
    error DepositsPaused(uint64 until);
    /// @notice The exchange is frozen: no more deposits.
    error ExchangeFrozen();
    /// @notice A deposit was reclaimed at queue position `index`: the queue takes no more.
    error DepositQueueClosed(uint64 index);
    /// @notice The queue does not have that many deposits.
    error UnknownQueuePosition(uint64 n);
    /// @notice Only the depositor may reclaim its deposit.
    error NotDepositor(uint64 index, address depositor);
    /// @notice The deposit was already reclaimed.
    error AlreadyReclaimed(uint64 index);
    /// @notice The deposit was credited by a proven batch: it is in the account now.
    error DepositCredited(uint64 index);
    /// @notice The deposit may be reclaimed from `reclaimableAt` on.
    error DeadlineNotReached(uint64 index, uint256 reclaimableAt);
    /// @notice (account, amount, pkX, pkY) is not the entry queued at `index`.
    error WrongQueueEntry(uint64 index);
    /// @notice Only the governance (a holder of Settlement's DEFAULT_ADMIN_ROLE) may queue an
    /// owner key; `caller` does not hold it.
    error NotGovernance(address caller);
    /// @notice Only the fee account (1) and the insurance fund (2) have owners whose key rotates.
    error NotOwnedAccount(uint64 account);
    /// @notice The entry at `index` queued an owner key (amount 0): there is nothing to pay back.
    error NothingToReclaim(uint64 index);
    /// @notice A constructor argument is out of range.
    error BadSetup();
    /// @notice An isolated sub-account names a market Settlement does not have.
    error BadMarket(uint8 market);

    /// @param token_ the collateral token
    /// @param depth the account tree's binary depth D (2^D accounts), 1..32
    /// @param minDeposit_ the smallest deposit, 1..MAX_DEPOSIT
    /// @param depositDeadline_ seconds after which an uncredited deposit may be reclaimed, > 0
    /// @param withdrawalWindow_ seconds per rate-limit window, > 0
    /// @param withdrawalBound_ what credits may pay at once per window, 1..2^192 - 1
    /// @param withdrawalDelay_ seconds a credit beyond the bound waits, 1..MAX_WITHDRAWAL_DELAY
    /// (the last three refused with BadWithdrawalLimit)
    constructor(
        IERC20 token_,
        uint8 depth,
        uint256 minDeposit_,
        uint64 depositDeadline_,
        uint64 withdrawalWindow_,
        uint256 withdrawalBound_,
        uint64 withdrawalDelay_
    ) WithdrawalLimit(withdrawalWindow_, withdrawalBound_, withdrawalDelay_) {
        if (depth == 0 || depth > 32 || minDeposit_ == 0 || minDeposit_ > MAX_DEPOSIT || depositDeadline_ == 0) {
            revert BadSetup();
        }
        token = token_;
        accountCapacity = uint64(1) << depth;
        minDeposit = minDeposit_;
        depositDeadline = depositDeadline_;
        uint256 share = (uint256(1) << 126) >> depth;
        accountDepositCap = share < (1 << 100) ? share : (1 << 100);
        deployer = msg.sender;
    }

    /// @notice Wires the Settlement contract, once, by the deployer.
    function setSettlement(address settlement_) external {
        if (msg.sender != deployer || settlement != address(0)) revert SettlementAlreadySet();
        settlement = settlement_;
        emit SettlementSet(settlement_);
    }

    /// @notice Deposits `amount` collateral. With `account` = 0 a new account is created
    /// for the Baby Jubjub key (pkX, pkY) and its index is returned; otherwise the amount
    /// is credited to an existing account (the key is ignored). The queue records what
    /// arrived, which the Deposited event reports.
    /// @dev The caller must have approved the Vault for `amount` tokens.
    function deposit(uint64 account, uint256 pkX, uint256 pkY, uint256 amount)
        external
        nonReentrant
        returns (uint64 index)
    {
        return _deposit(account, pkX, pkY, amount, 0);
    }

    /// @notice Deposits `amount` collateral into a new sub-account for the key (pkX, pkY),
    /// isolated to `market`: it trades that market only, and its collateral backs that market
    /// alone (a loss there never reaches the key's other accounts). Returns its index. Top-ups
    /// go through `deposit`; the sub-account stays isolated.
    /// @dev The caller must have approved the Vault for `amount` tokens.
    function depositIsolated(uint256 pkX, uint256 pkY, uint256 amount, uint8 market)
        external
        nonReentrant
        returns (uint64 index)
    {
        if (settlement == address(0)) revert SettlementNotSet();
        if (market >= ISettlement(settlement).marketCount()) revert BadMarket(market);
        return _deposit(0, pkX, pkY, amount, market + 1);
    }

    /// @dev One deposit: `flag` (0 cross, 1 + market) only for a new account.
    function _deposit(uint64 account, uint256 pkX, uint256 pkY, uint256 amount, uint8 flag)
        private
        returns (uint64)
    {
        uint256 pausedSeconds = _checkOpen();
        if (amount < minDeposit || amount > MAX_DEPOSIT) revert BadAmount(amount);
        if (account == 0) {
            if (!BabyJubjub.onCurve(pkX, pkY)) revert BadPublicKey();
            if (_smallOrder(pkX, pkY)) revert SmallOrderKey();
            if (nextAccount >= accountCapacity) revert TreeFull();
            account = nextAccount++;
        } else {
            if (account >= nextAccount) revert UnknownAccount(account);
            (pkX, pkY) = (0, 0);
        }
        uint256 received = _receive(amount);
        uint256 total = deposited[account] + received;
        if (total > accountDepositCap) revert AccountCapExceeded(account, deposited[account], received);
        deposited[account] = total;
        _enqueue(account, received, pkX, pkY, flag, pausedSeconds);
        return account;
    }

    /// @dev Appends the queue entry Poseidon(queue, account | received << 32 | flag << 124,
    /// pkX, pkY) and records its depositor, time, pause clock and flag.
    function _enqueue(uint64 account, uint256 received, uint256 pkX, uint256 pkY, uint8 flag, uint256 pausedSeconds)
        private
    {
        uint64 n = depositCount;
        uint256 word = uint256(account) | (received << 32) | (uint256(flag) << QUEUE_FLAG_SHIFT);
        uint256 h = PoseidonT5.hash([queueHashes[n], word, pkX, pkY]);
        queueHashes[n + 1] = h;
        entries[n] = uint256(uint160(msg.sender)) | (block.timestamp << 160) | (pausedSeconds << 200)
            | (uint256(flag) << ENTRY_FLAG_SHIFT);
        queuedTotals[n + 1] = queuedTotals[n] + received;
        depositCount = n + 1;
        emit Deposited(n, account, msg.sender, pkX, pkY, received, h, flag);
    }

    /// @notice Queues `(pkX, pkY)` as the new owner key of the fee account (1) or the insurance
    /// fund (2): a queue entry Poseidon(queue, account | 0 << 32, pkX, pkY) with amount 0, which
    /// the next deposit batch to credit it writes into the account's leaf (ApplyDeposits); from
    /// then on the new key signs for the account and the old one no longer does. Only the
    /// governance may call it (the timelock holding Settlement's DEFAULT_ADMIN_ROLE, so a
    /// rotation is public as a scheduled call for the timelock's delay first); the key must be
    /// a Baby Jubjub point not of small order; refused when Settlement is not wired.
    /// Not refused while paused (queued; credited after the pause) nor with the queue closed:
    /// then the key is recorded without a queue entry (OwnerKeyStranded, returns
    /// type(uint64).max) and makes a freeze due forcedDeadline later (see ownerRotation).
    /// Once frozen it is recorded the same way (exitSigner names it), but only while no system
    /// exit can be taken yet: at or after frozenAt + 2 * exitWindow it is refused (ExchangeFrozen).
    /// @inheritdoc IVault
    function queueOwnerKey(uint64 account, uint256 pkX, uint256 pkY)
        external
        nonReentrant
        returns (uint64 index)
    {
        address s = settlement;
        if (s == address(0)) revert SettlementNotSet();
        if (!IAccessControl(s).hasRole(bytes32(0), msg.sender)) revert NotGovernance(msg.sender);
        if (account != FEE_ACCOUNT && account != INSURANCE_ACCOUNT) revert NotOwnedAccount(account);
        if (!BabyJubjub.onCurve(pkX, pkY)) revert BadPublicKey();
        if (_smallOrder(pkX, pkY)) revert SmallOrderKey();
        (, uint64 pausedNow,, bool isFrozen) = ISettlement(s).vaultView();
        index = NONE;
        if (isFrozen) {
            // a freeze during the timelock's delay must not leave the old key signing the
            // system exits: the key is recorded (no batch will ever credit it) until those
            // exits open; from then on (and so before the account exits) it cannot change
            (uint64 frozenAt,,) = ISettlement(s).freezeInfo();
            if (block.timestamp >= uint256(frozenAt) + 2 * uint256(ISettlement(s).exitWindow())) {
                revert ExchangeFrozen();
            }
            emit OwnerKeyStranded(account, pkX, pkY);
        } else if (firstReclaimed == NONE) {
            index = depositCount;
            uint256 h = PoseidonT5.hash([queueHashes[index], uint256(account), pkX, pkY]);
            queueHashes[index + 1] = h;
            entries[index] = uint256(uint160(msg.sender)) | (block.timestamp << 160) | (uint256(pausedNow) << 200);
            queuedTotals[index + 1] = queuedTotals[index];
            depositCount = index + 1;
            emit Deposited(index, account, msg.sender, pkX, pkY, 0, h, 0);
            emit OwnerKeyQueued(index, account, pkX, pkY);
        } else {
            emit OwnerKeyStranded(account, pkX, pkY);
        }
        rotations[account] = OwnerRotation(pkX, pkY, PoseidonT3.hash([pkX, pkY]), uint64(block.timestamp), index);
    }

    /// @notice The latest owner key the governance named for `account` (1 or 2): the key, its
    /// Poseidon hash, when (0: never rotated) and its queue position (type(uint64).max:
    /// recorded while the queue was closed, never credited).
    function ownerRotation(uint64 account)
        external
        view
        returns (uint256 pkX, uint256 pkY, uint256 keyHash, uint64 time, uint64 position)
    {
        OwnerRotation memory r = rotations[account];
        return (r.pkX, r.pkY, r.keyHash, r.time, r.position);
    }

    /// @inheritdoc IVault
    function exitSigner(uint64 account, uint64 processed) external view returns (uint256) {
        OwnerRotation memory r = rotations[account];
        return r.time != 0 && r.position >= processed ? r.keyHash : 0;
    }

    /// @inheritdoc IVault
    function oldestUncredited(uint64 processed) external view returns (bool waiting, uint256 time) {
        if (processed < depositCount && processed < firstReclaimed) {
            waiting = true;
            time = uint40(entries[processed] >> 160);
        }
        for (uint64 a = FEE_ACCOUNT; a <= INSURANCE_ACCOUNT; ++a) {
            OwnerRotation memory r = rotations[a];
            if (r.time != 0 && r.position >= processed && (!waiting || r.time < time)) {
                waiting = true;
                time = r.time;
            }
        }
    }

    /// @notice Pays back the deposit at queue position `index` to its depositor, who alone
    /// may call this, once `depositDeadline` seconds of unpaused time have passed since the
    /// deposit and it is still not credited, or at once if an
    /// earlier position was already reclaimed. (account, amount, pkX, pkY) are the entry as
    /// the Deposited event reported it. From then on, no batch credits this position or any
    /// after it.
    function reclaimDeposit(uint64 index, uint64 account, uint256 amount, uint256 pkX, uint256 pkY)
        external
        nonReentrant
    {
        if (index >= depositCount) revert UnknownQueuePosition(index);
        uint256 e = entries[index];
        address depositor = address(uint160(e));
        if (msg.sender != depositor) revert NotDepositor(index, depositor);
        if (e & RECLAIMED != 0) revert AlreadyReclaimed(index);
        if (
            amount > MAX_DEPOSIT || uint256(account) >> 32 != 0
                || PoseidonT5.hash(
                    [
                        queueHashes[index],
                        uint256(account) | (amount << 32) | ((e >> ENTRY_FLAG_SHIFT) << QUEUE_FLAG_SHIFT),
                        pkX,
                        pkY
                    ]
                ) != queueHashes[index + 1]
        ) revert WrongQueueEntry(index);
        // an owner key entry (queueOwnerKey) holds no tokens: reclaiming it would only close
        // the queue for everyone
        if (amount == 0) revert NothingToReclaim(index);
        (uint64 pauseEnd, uint64 pausedNow, uint64 processed, bool isFrozen) = ISettlement(settlement).vaultView();
        if (index < processed) revert DepositCredited(index);
        if (index < firstReclaimed && !isFrozen) {
            // the queue is still open up to here: the deadline applies, in unpaused time
            // (after a freeze no batch can credit it any more: reclaimable at once)
            uint256 unpaused = block.timestamp - uint40(e >> 160) - (pausedNow - uint40(e >> 200));
            if (unpaused < depositDeadline) {
                // if paused now, the clock restarts when the pause ends
                uint256 resume = pauseEnd > block.timestamp ? pauseEnd : block.timestamp;
                revert DeadlineNotReached(index, resume + depositDeadline - unpaused);
            }
            firstReclaimed = index;
        }
        entries[index] = e | RECLAIMED;
        deposited[account] -= amount;
        reclaimedTotal += amount;
        token.safeTransfer(depositor, amount);
        emit DepositReclaimed(index, account, depositor, amount);
    }

    /// @inheritdoc IVault
    function exitPool(uint64 processed) external view returns (uint256) {
        // never-credited deposits: every reclaim so far was of one (a credited deposit is
        // never reclaimable), and those not reclaimed yet will be
        uint256 uncredited = queuedTotals[depositCount] - queuedTotals[processed] - reclaimedTotal;
        uint256 held = token.balanceOf(address(this));
        uint256 reserved = totalOwed + uncredited;
        return held > reserved ? held - reserved : 0;
    }

    /// @inheritdoc IVault
    function depositQueue() external view returns (uint64 count, uint64 firstReclaimed_) {
        return (depositCount, firstReclaimed);
    }

    /// @inheritdoc IVault
    function queueHashAt(uint64 n) external view returns (uint256) {
        if (n > depositCount) revert UnknownQueuePosition(n);
        return queueHashes[n];
    }

    /// @notice Who queued the deposit at `index`, when, and whether it was reclaimed.
    function depositEntry(uint64 index) external view returns (address depositor, uint64 time, bool reclaimed) {
        if (index >= depositCount) revert UnknownQueuePosition(index);
        uint256 e = entries[index];
        return (address(uint160(e)), uint40(e >> 160), e & RECLAIMED != 0);
    }

    /// @inheritdoc IVault
    /// @dev Owed at once within the window's bound (Credited), else delayed (CreditDelayed).
    function credit(address recipient, uint256 amount) external {
        if (msg.sender != settlement) revert NotSettlement();
        totalOwed += amount;
        if (_admit(amount)) {
            owed[recipient] += amount;
            emit Credited(recipient, amount);
        } else {
            _delay(recipient, amount);
        }
    }

    /// @notice Pays delayed credit `id` to its recipient once it has matured. Anyone may call
    /// it (the tokens go to the recipient, never to the caller), once per credit. Refused:
    /// UnknownDelayedCredit, DelayedCreditPaid, DelayNotOver (with the time it matures),
    /// ZeroRecipient.
    function claimDelayed(uint256 id) external nonReentrant {
        (address recipient, uint256 amount) = _takeMatured(id);
        if (recipient == address(0)) revert ZeroRecipient();
        totalOwed -= amount;
        token.safeTransfer(recipient, amount);
        emit DelayedCreditClaimed(id, recipient, amount);
    }

    /// @notice Pays the caller everything proven withdrawals credited to it.
    function claim() external nonReentrant {
        _pay(msg.sender);
    }

    /// @notice Pays `recipient` everything proven withdrawals credited to it. Anyone may
    /// call it (the tokens go to the recipient, never to the caller), so a recipient that
    /// cannot call `claim` itself, such as a contract, is still paid.
    function claimFor(address recipient) external nonReentrant {
        _pay(recipient);
    }

    function _pay(address recipient) private {
        if (recipient == address(0)) revert ZeroRecipient();
        uint256 amount = owed[recipient];
        if (amount == 0) revert NothingOwed();
        owed[recipient] = 0;
        totalOwed -= amount;
        token.safeTransfer(recipient, amount);
        emit Claimed(recipient, amount);
    }

    /// @dev Deposits need a wired, unpaused Settlement and an open queue; returns
    /// Settlement's pausedTime() now.
    function _checkOpen() private view returns (uint256 pausedSeconds) {
        address s = settlement;
        if (s == address(0)) revert SettlementNotSet();
        (uint64 until, uint64 pausedNow,, bool isFrozen) = ISettlement(s).vaultView();
        if (isFrozen) revert ExchangeFrozen();
        if (block.timestamp < until) revert DepositsPaused(until);
        uint64 closedAt = firstReclaimed;
        if (closedAt != NONE) revert DepositQueueClosed(closedAt);
        return pausedNow;
    }

    /// @dev Settlement's pause clock, for the delayed credits' maturity.
    function _pauseClock() internal view override returns (uint64 until, uint64 pausedNow) {
        (until, pausedNow,,) = ISettlement(settlement).vaultView();
    }

    /// @dev Takes `amount` from the caller; returns what arrived, refusing it out of range.
    function _receive(uint256 amount) private returns (uint256 received) {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        received = token.balanceOf(address(this)) - before;
        if (received < minDeposit || received > MAX_DEPOSIT) revert BadAmount(received);
    }


    /// @dev Whether the curve point (x, y) has order dividing 8 (the curve's cofactor): the
    /// identity (0, 1), (0, -1) of order 2, the two points (x, 0) of order 4 and the four
    /// of order 8. Computes 8 * (x, y) by three doublings in projective coordinates
    /// (X : Y : Z) = (X/Z, Y/Z), with the doubling formulas for a*x^2 + y^2 = 1 + d*x^2*y^2
    /// (Bernstein, Birkner, Joye, Lange, Peters 2008, "dbl-2008-bbjlp"; no inversion). The
    /// curve is complete (a square, d not), so Z never becomes 0. 8P = O iff X = 0 and Y = Z.
    function _smallOrder(uint256 x, uint256 y) private pure returns (bool) {
        uint256 px = x;
        uint256 py = y;
        uint256 pz = 1;
        for (uint256 i = 0; i < 3; ++i) {
            uint256 b = mulmod(addmod(px, py, R), addmod(px, py, R), R);
            uint256 c = mulmod(px, px, R);
            uint256 d = mulmod(py, py, R);
            uint256 e = mulmod(BJJ_A, c, R);
            uint256 f = addmod(e, d, R);
            uint256 h = mulmod(pz, pz, R);
            uint256 j = addmod(f, R - addmod(h, h, R), R);
            px = mulmod(addmod(b, R - addmod(c, d, R), R), j, R);
            py = mulmod(f, addmod(e, R - d, R), R);
            pz = mulmod(f, j, R);
        }
        return px == 0 && py == pz;
    }
}
