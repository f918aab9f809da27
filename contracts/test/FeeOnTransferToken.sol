// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice A test-only ERC20 that burns 1% of every transfer between holders, as some real
/// tokens skim a fee. A Vault that credits the amount asked rather than the amount received
/// becomes insolvent with it: the auditor's solvency check must notice.
contract FeeOnTransferToken is ERC20 {
    constructor() ERC20("fee on transfer", "FEE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
