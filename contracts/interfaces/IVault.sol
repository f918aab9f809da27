// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title IVault
/// @notice What the Settlement contract needs from the collateral vault.
interface IVault {
    /// @notice Number of deposits ever queued.
    function depositCount() external view returns (uint64);

    /// @notice The queue's length and the position of the first deposit its depositor
    /// reclaimed (type(uint64).max if none): no batch may credit that position or beyond.
    function depositQueue() external view returns (uint64 count, uint64 firstReclaimed);

    /// @notice The deposit queue hash after the first `n` deposits (0 for n = 0).
    function queueHashAt(uint64 n) external view returns (uint256);

    /// @notice The next account index a first deposit gets: accounts below it are opened.
    function nextAccount() external view returns (uint64);

    /// @notice Who queued the deposit at `index`, when, and whether it was reclaimed.
    function depositEntry(uint64 index) external view returns (address depositor, uint64 time, bool reclaimed);

    /// @notice What the Vault holds for the account tree when the first `processed` deposits
    /// are credited: its balance less what proven withdrawals are owed and less the deposits
    /// never credited (reclaimed or reclaimable). The exits after a freeze share it.
    function exitPool(uint64 processed) external view returns (uint256);

    /// @notice Queues a new owner key for the fee account (1) or the insurance fund (2), by the
    /// governance only: a deposit-queue entry of amount 0 that a deposit batch writes into the
    /// account's leaf. Returns its queue position (type(uint64).max with the queue closed: the
    /// key is then recorded without an entry, see oldestUncredited and exitSigner; the same
    /// once frozen, until frozenAt + 2 * exitWindow, when the system exits open: refused after).
    function queueOwnerKey(uint64 account, uint256 pkX, uint256 pkY) external returns (uint64 index);

    /// @notice The oldest entry a batch could still credit, for Settlement's freeze: the
    /// deposit at queue position `processed` (if queued before any reclaim), or a system
    /// account's latest governed key not credited by the first `processed` deposits (recorded
    /// at a position >= processed, or without one because the queue was closed). Returns
    /// whether one is waiting and when it was queued.
    function oldestUncredited(uint64 processed) external view returns (bool waiting, uint256 time);

    /// @notice Poseidon(pkX, pkY) of `account`'s latest governed key if the first `processed`
    /// deposits do not credit it (its exit after a freeze is signed by that key), else 0.
    function exitSigner(uint64 account, uint64 processed) external view returns (uint256);

    /// @notice Owes `amount` tokens to `recipient`: at once (paid with `claim` or `claimFor`)
    /// while the current window's credits stay within the Vault's bound, else as a delayed
    /// credit (paid with `claimDelayed` after the delay). Either way it counts in what the
    /// Vault owes (outside exitPool).
    function credit(address recipient, uint256 amount) external;
}
