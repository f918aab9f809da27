// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title IVault
/// @notice What the Settlement contract needs from the collateral vault.
interface IVault {
    /// @notice Number of deposits ever queued.
    function depositCount() external view returns (uint64);

    /// @notice The deposit queue hash after the first `n` deposits (0 for n = 0).
    function queueHashAt(uint64 n) external view returns (uint256);

    /// @notice Owes `amount` tokens to `recipient`, who claims them with `claim`.
    function credit(address recipient, uint256 amount) external;
}
