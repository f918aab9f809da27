// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken
/// @notice A plain ERC20 collateral token for development: anyone may mint. Six decimals,
/// like the dollar stablecoins a real deployment would use.
contract TestToken is ERC20 {
    constructor() ERC20("zkclear test dollar", "tUSD") {}

    /// @notice Mints `amount` to `to`. Development only.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
