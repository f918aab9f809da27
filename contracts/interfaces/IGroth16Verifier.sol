// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title Groth16 verifier call
/// @notice The generated verifiers (snarkjs template) expose
/// `verifyProof(uint[2] pA, uint[2][2] pB, uint[2] pC, uint[N] pubSignals) returns (bool)`
/// with N fixed per circuit. This library calls one with N public signals held in memory.
library Groth16Call {
    /// @notice A Groth16 proof in the order snarkjs's Solidity calldata export gives.
    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice The selector of verifyProof for N public signals.
    function selector(uint256 nPublic) internal pure returns (bytes4) {
        return bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(nPublic), "])"
                )
            )
        );
    }

    /// @notice Calls `verifier` with the proof and the public signals; true iff it verifies.
    /// @dev Lays the call out by hand (selector, the proof's 8 words straight from
    /// calldata, the signals) to spare the copies abi.encode would make.
    function verify(address verifier, bytes4 sel, Proof calldata proof, uint256[] memory pub)
        internal
        view
        returns (bool ok)
    {
        assembly ("memory-safe") {
            let n := mload(pub)
            let ptr := mload(0x40)
            mstore(ptr, sel)
            calldatacopy(add(ptr, 4), proof, 256)
            let dst := add(ptr, 260)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                mstore(add(dst, mul(i, 32)), mload(add(pub, mul(add(i, 1), 32))))
            }
            let success := staticcall(gas(), verifier, ptr, add(260, mul(n, 32)), ptr, 32)
            ok := and(and(success, eq(returndatasize(), 32)), eq(mload(ptr), 1))
        }
    }

    function _decimal(uint256 v) private pure returns (bytes memory out) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) len++;
        out = new bytes(len);
        for (; v != 0; v /= 10) out[--len] = bytes1(uint8(48 + (v % 10)));
    }
}
