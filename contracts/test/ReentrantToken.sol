// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Receiver hook the hostile token calls on every transfer to a contract.
interface ITokenReceiver {
    function onTokenReceived(uint256 amount) external;
}

/// @title ReentrantToken
/// @notice A hostile ERC20 for tests: like an ERC777-style token, it calls the recipient
/// in the middle of a transfer, giving it a chance to re-enter the payer.
contract ReentrantToken is ERC20 {
    constructor() ERC20("hostile", "EVIL") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && to.code.length > 0) {
            ITokenReceiver(to).onTokenReceived(value);
        }
    }
}

interface IVaultClaim {
    function claim() external;
}

/// @title ClaimAttacker
/// @notice Tries to be paid twice by claiming again from inside the token transfer.
contract ClaimAttacker is ITokenReceiver {
    IVaultClaim public immutable vault;
    bool public reentryFailed;
    uint256 public received;

    constructor(IVaultClaim vault_) {
        vault = vault_;
    }

    function attack() external {
        vault.claim();
    }

    function onTokenReceived(uint256 amount) external {
        received += amount;
        if (received == amount) {
            try vault.claim() {} catch {
                reentryFailed = true;
            }
        }
    }
}
