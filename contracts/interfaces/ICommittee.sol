// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title ICommittee
/// @notice What Settlement asks of the data availability committee (Committee.sol).
interface ICommittee {
    /// @notice Reverts unless `attestations` (65-byte signatures, concatenated, any order)
    /// hold valid signatures of at least threshold() distinct members over `digest`.
    function check(bytes32 digest, bytes calldata attestations) external view;

    /// @notice How many distinct members must sign a batch.
    function threshold() external view returns (uint8);

    /// @notice Seconds between setting a new committee and its taking over.
    function changeDelay() external view returns (uint64);
}
