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
    function verify(address verifier, bytes4 sel, Proof calldata proof, uint256[] memory pub)
        internal
        view
        returns (bool ok)
    {
        bytes memory data = abi.encodePacked(sel, abi.encode(proof.a, proof.b, proof.c), abi.encodePacked(pub));
        (bool success, bytes memory ret) = verifier.staticcall(data);
        ok = success && ret.length == 32 && abi.decode(ret, (bool));
    }

    function _decimal(uint256 v) private pure returns (bytes memory out) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) len++;
        out = new bytes(len);
        for (; v != 0; v /= 10) out[--len] = bytes1(uint8(48 + (v % 10)));
    }
}
