// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title NoClaimRecipient
/// @notice TEST ONLY: a withdrawal recipient that cannot call anything (a contract with no
/// functions, as a wallet or an escrow without a `claim` hook): it is paid by `claimFor`.
contract NoClaimRecipient {}
