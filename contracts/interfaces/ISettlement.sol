// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title ISettlement
/// @notice What the Vault needs from the Settlement contract: whether it is paused, when the
/// last pause ends (or ended), how long it has been paused in total, and how much of the
/// deposit queue has been credited; once frozen, when, and the exit window; its markets.
interface ISettlement {
    /// @notice How many markets the exchange settles (an isolated sub-account names one).
    function marketCount() external view returns (uint8);

    /// @notice Whether batches and deposits are refused now.
    function paused() external view returns (bool);

    /// @notice The end of the current or last pause (0 if never paused).
    function pausedUntil() external view returns (uint64);

    /// @notice Whether the exchange is frozen (for good): no deposits, only exits and reclaims.
    function frozen() external view returns (bool);

    /// @notice Deposits of the Vault's queue already credited by proven batches.
    function depositsProcessed() external view returns (uint64);

    /// @notice Seconds spent paused so far, in all pauses.
    function pausedTime() external view returns (uint64);

    /// @notice In one call: the end of the current or last pause, pausedTime(),
    /// depositsProcessed() and frozen().
    function vaultView() external view returns (uint64 until, uint64 pausedSeconds, uint64 processed, bool isFrozen);

    /// @notice When the exchange was frozen (0: not frozen), the frozen round and batches.
    function freezeInfo() external view returns (uint64 frozenAt, uint64 roundId, uint64 batches);

    /// @notice The exit window after a freeze (seconds); system accounts exit after two.
    function exitWindow() external view returns (uint64);
}
