// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title Timelock
/// @notice OpenZeppelin's TimelockController under zkclear's name, so `deploy` finds its
/// artifact. Every change of roles, oracle signers, quorum, bounds or report age goes
/// through one: a proposer schedules a call (CallScheduled), anyone can see it for at
/// least `getMinDelay()` seconds, then an executor runs it (CallExecuted); a canceller
/// (the proposers) can cancel it before (Cancelled). `deploy` makes each timelock its own
/// admin (no address can change its proposers or delay except through a delayed call).
contract Timelock is TimelockController {
    /// @param minDelay seconds between scheduling and executing a call
    /// @param proposers who may schedule (and cancel) calls
    /// @param executors who may execute ready calls (address(0): anyone)
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors)
        TimelockController(minDelay, proposers, executors, address(0))
    {}
}
