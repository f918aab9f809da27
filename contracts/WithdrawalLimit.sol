// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title WithdrawalLimit
/// @notice The Vault's rate limit on what proven withdrawals (and exits) pay at once: a bound
/// per time window; a credit beyond it waits for a delay. It defends against a forged or
/// buggy proof draining the Vault in one go: such a drain is paid at most `withdrawalBound`
/// per window at once, and everything beyond it waits `withdrawalDelay` seconds, long enough
/// for the guardian to pause Settlement (no more batches) and for everyone to see it.
///
/// The rule (the Vault's `credit` applies it to every credit Settlement makes):
/// - time is cut into fixed windows of `withdrawalWindow` seconds (window i covers
///   [i * withdrawalWindow, (i + 1) * withdrawalWindow) of unix time);
/// - a credit is owed at once while what the current window credited at once plus it stays
///   within `withdrawalBound`, and then counts in the window;
/// - otherwise the whole credit is recorded as a delayed credit (an id, its recipient, its
///   amount, when it was made and Settlement's pausedTime() then; CreditDelayed) and does not
///   count in the window. The Vault still owes it (it counts in totalOwed).
/// - a delayed credit matures once `withdrawalDelay` seconds of UNPAUSED time have passed
///   since it was made: a pause of Settlement extends a pending delay by exactly its length
///   (the same clock as the deposit reclaim deadline), so the guardian's pause gives time to
///   react. Pauses extend one credit by at most MAX_PAUSE_EXTENSION (7 days) in all: a
///   guardian renewing its pause (before or after a freeze) never holds a credit beyond
///   `withdrawalDelay + MAX_PAUSE_EXTENSION` after it was made. A freeze changes nothing: a
///   delayed credit stays owed and matures as before.
/// - anyone may pay a matured credit (`claimDelayed`), once, to its recipient only.
///
/// Two windows meet at a boundary, so up to twice the bound can be paid at once within a
/// short time around it; the bound is per window, not per sliding interval (one storage slot
/// instead of a history). No role can change the window, the bound or the delay, nor cancel
/// or speed up a delayed credit; the delay is at most MAX_WITHDRAWAL_DELAY.
abstract contract WithdrawalLimit {
    /// @notice The longest delay a deployment may set (7 days), so that no configuration
    /// locks a withdrawal for long.
    uint64 public constant MAX_WITHDRAWAL_DELAY = 7 days;

    /// @notice The most that pauses extend one delayed credit, in all (7 days): renewed pauses
    /// never hold a credit for good.
    uint64 public constant MAX_PAUSE_EXTENSION = 7 days;

    /// @notice Seconds per window.
    uint64 public immutable withdrawalWindow;
    /// @notice What credits may pay at once per window, token units (at most 2^192 - 1).
    uint256 public immutable withdrawalBound;
    /// @notice Seconds of unpaused time a credit beyond the bound waits.
    uint64 public immutable withdrawalDelay;

    /// @dev The window that `windowCredited` counts, and what it credited at once.
    uint64 private windowIndex;
    uint192 private windowCredited;

    struct Delayed {
        address recipient;
        // when it was credited (unix seconds)
        uint40 time;
        // Settlement.pausedTime() then
        uint40 pausedAt;
        bool paid;
        uint256 amount;
    }

    /// @dev Delayed credits by id (ids count from 0).
    Delayed[] private delayed;

    /// @notice A credit beyond the window's bound: `recipient` is owed `amount`, claimable with
    /// claimDelayed(id) from `claimableAt` on (later by the length of any pause meanwhile).
    event CreditDelayed(uint256 indexed id, address indexed recipient, uint256 amount, uint256 claimableAt);
    /// @notice Delayed credit `id` was paid to its recipient.
    event DelayedCreditClaimed(uint256 indexed id, address indexed recipient, uint256 amount);

    /// @notice The window is 0, the bound 0 or above 2^192 - 1, or the delay 0 or above
    /// MAX_WITHDRAWAL_DELAY.
    error BadWithdrawalLimit(uint64 window, uint256 bound, uint64 delay);
    /// @notice No delayed credit has this id.
    error UnknownDelayedCredit(uint256 id);
    /// @notice The delayed credit was already paid.
    error DelayedCreditPaid(uint256 id);
    /// @notice The delayed credit matures at `claimableAt` (if no pause comes first).
    error DelayNotOver(uint256 id, uint256 claimableAt);

    constructor(uint64 window, uint256 bound, uint64 delay) {
        if (window == 0 || bound == 0 || bound > type(uint192).max || delay == 0 || delay > MAX_WITHDRAWAL_DELAY) {
            revert BadWithdrawalLimit(window, bound, delay);
        }
        withdrawalWindow = window;
        withdrawalBound = bound;
        withdrawalDelay = delay;
    }

    /// @notice The current window's start and what it has credited at once so far.
    function withdrawalWindowUse() external view returns (uint256 windowStart, uint256 credited) {
        uint64 index = uint64(block.timestamp / withdrawalWindow);
        return (uint256(index) * withdrawalWindow, index == windowIndex ? windowCredited : 0);
    }

    /// @notice How many delayed credits were recorded (their ids are 0..count - 1).
    function delayedCreditCount() external view returns (uint256) {
        return delayed.length;
    }

    /// @notice Delayed credit `id`: its recipient, amount, when it was credited, when it is
    /// claimable (with the pauses so far; a pause now counts to its announced end) and
    /// whether it was paid.
    function delayedCredit(uint256 id)
        external
        view
        returns (address recipient, uint256 amount, uint64 creditedAt, uint256 claimableAt, bool paid)
    {
        if (id >= delayed.length) revert UnknownDelayedCredit(id);
        Delayed memory d = delayed[id];
        (uint64 until, uint64 pausedNow) = _pauseClock();
        return (d.recipient, d.amount, d.time, _claimableAt(d, until, pausedNow), d.paid);
    }

    /// @dev Whether `amount` fits in the current window's bound; if so it is counted there.
    function _admit(uint256 amount) internal returns (bool) {
        uint64 index = uint64(block.timestamp / withdrawalWindow);
        uint256 used = index == windowIndex ? windowCredited : 0;
        // used <= withdrawalBound always: no overflow, whatever the amount
        if (amount > withdrawalBound - used) return false;
        windowIndex = index;
        windowCredited = uint192(used + amount);
        return true;
    }

    /// @dev Records a credit beyond the bound; returns its id.
    function _delay(address recipient, uint256 amount) internal returns (uint256 id) {
        (uint64 until, uint64 pausedNow) = _pauseClock();
        Delayed memory d = Delayed(recipient, uint40(block.timestamp), uint40(pausedNow), false, amount);
        id = delayed.length;
        delayed.push(d);
        emit CreditDelayed(id, recipient, amount, _claimableAt(d, until, pausedNow));
    }

    /// @dev Marks matured delayed credit `id` paid and returns it; refuses an unknown id, one
    /// already paid, one not mature yet.
    function _takeMatured(uint256 id) internal returns (address recipient, uint256 amount) {
        if (id >= delayed.length) revert UnknownDelayedCredit(id);
        Delayed storage s = delayed[id];
        if (s.paid) revert DelayedCreditPaid(id);
        Delayed memory d = s;
        (uint64 until, uint64 pausedNow) = _pauseClock();
        uint256 at = _claimableAt(d, until, pausedNow);
        if (block.timestamp < at) revert DelayNotOver(id, at);
        s.paid = true;
        return (d.recipient, d.amount);
    }

    /// @dev When `d` matures: once withdrawalDelay seconds of unpaused time have passed since
    /// it was credited, and at the latest withdrawalDelay + MAX_PAUSE_EXTENSION seconds after it
    /// was credited, whatever the pauses. Already mature: the time it matured at the latest
    /// (<= now). While paused, the clock stands still until the pause's announced end `until`.
    function _claimableAt(Delayed memory d, uint64 until, uint64 pausedNow) private view returns (uint256) {
        uint256 latest = uint256(d.time) + withdrawalDelay + MAX_PAUSE_EXTENSION;
        uint256 unpaused = block.timestamp - d.time - (pausedNow - d.pausedAt);
        uint256 at;
        if (unpaused >= withdrawalDelay) {
            at = block.timestamp - (unpaused - withdrawalDelay);
        } else {
            uint256 resume = until > block.timestamp ? until : block.timestamp;
            at = resume + withdrawalDelay - unpaused;
        }
        return at < latest ? at : latest;
    }

    /// @dev Settlement's pause clock: the end of its current or last pause and pausedTime().
    function _pauseClock() internal view virtual returns (uint64 until, uint64 pausedNow);
}
