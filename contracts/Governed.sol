// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Governed
/// @notice OpenZeppelin AccessControl with two rules that keep governance from being lost:
/// no role is ever held by the zero address, and the last holder of DEFAULT_ADMIN_ROLE
/// cannot revoke or renounce it (so roles can always be changed again, through the
/// timelock that holds it). Every grant and revocation emits AccessControl's RoleGranted or
/// RoleRevoked.
abstract contract Governed is AccessControl {
    /// @dev Number of DEFAULT_ADMIN_ROLE holders.
    uint256 private _adminCount;

    /// @notice A role cannot be granted to the zero address.
    error ZeroAccount(bytes32 role);
    /// @notice The last holder of DEFAULT_ADMIN_ROLE cannot give it up.
    error LastAdmin();

    /// @dev Refuses the zero address for every role and counts the admins.
    function _grantRole(bytes32 role, address account) internal virtual override returns (bool granted) {
        if (account == address(0)) revert ZeroAccount(role);
        granted = super._grantRole(role, account);
        if (granted && role == DEFAULT_ADMIN_ROLE) _adminCount += 1;
    }

    /// @dev Refuses to leave DEFAULT_ADMIN_ROLE without a holder.
    function _revokeRole(bytes32 role, address account) internal virtual override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == DEFAULT_ADMIN_ROLE) {
            if (_adminCount == 1) revert LastAdmin();
            _adminCount -= 1;
        }
    }
}
