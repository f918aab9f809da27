// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title AcceptAllVerifier
/// @notice TEST ONLY: a "verifier" that accepts every proof, whatever the public inputs.
/// The auditor's tests deploy a Settlement with it to settle what no honest proof could
/// (a wrong root, other prices) and show that the audit catches it.
contract AcceptAllVerifier {
    fallback(bytes calldata) external returns (bytes memory) {
        return abi.encode(true);
    }
}
