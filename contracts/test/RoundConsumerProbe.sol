// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title RoundConsumerProbe
/// @notice TEST ONLY: records the last round an oracle announced to it.
contract RoundConsumerProbe {
    uint64 public lastRound;
    uint64 public lastTimestamp;

    function onRound(uint64 roundId, uint64 timestamp) external {
        lastRound = roundId;
        lastTimestamp = timestamp;
    }

    function last() external view returns (uint64, uint64) {
        return (lastRound, lastTimestamp);
    }
}
