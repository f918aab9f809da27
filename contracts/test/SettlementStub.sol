// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IVault} from "../interfaces/IVault.sol";

/// @title SettlementStub
/// @notice TEST ONLY: plays the Settlement contract for the Vault's own tests, so the
/// Vault's rules can be broken directly: a settable pause, paused time, freeze and
/// credited-deposit count, and
/// `credit` forwarded as Settlement forwards proven withdrawals.
contract SettlementStub {
    uint64 public pausedUntil;
    uint64 public depositsProcessed;
    uint64 public pausedTime;
    bool public frozen;
    /// @notice Two markets, as the test parameter set has.
    uint8 public constant marketCount = 2;

    function paused() external view returns (bool) {
        return block.timestamp < pausedUntil;
    }

    function setPausedUntil(uint64 until) external {
        pausedUntil = until;
    }

    function setFrozen(bool f) external {
        frozen = f;
    }

    function setPausedTime(uint64 seconds_) external {
        pausedTime = seconds_;
    }

    function vaultView() external view returns (uint64, uint64, uint64, bool) {
        return (pausedUntil, pausedTime, depositsProcessed, frozen);
    }

    function setDepositsProcessed(uint64 n) external {
        depositsProcessed = n;
    }

    function credit(IVault vault, address recipient, uint256 amount) external {
        vault.credit(recipient, amount);
    }
}
