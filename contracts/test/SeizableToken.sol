// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title SeizableToken
/// @notice A test-only ERC20 whose issuer can take tokens from any holder, as centrally
/// issued stablecoins can freeze and seize. Taken from the Vault after the last batch, it
/// leaves the Vault short of what the accounts are owed: the audit must notice at the head.
contract SeizableToken is ERC20 {
    constructor() ERC20("seizable dollar", "SZD") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function seize(address from, uint256 amount) external {
        _burn(from, amount);
    }
}
