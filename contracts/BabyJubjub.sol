// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title BabyJubjub
/// @notice The twisted Edwards curve a*x^2 + y^2 = 1 + d*x^2*y^2 over the BN254 scalar field
/// that the circuits' EdDSA-Poseidon keys and signatures live on (circomlib's babyjub).
library BabyJubjub {
    /// @notice The BN254 scalar field.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant A = 168700;
    uint256 internal constant D = 168696;
    /// @notice The order of the prime subgroup.
    uint256 internal constant ORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041;

    /// @notice Whether (x, y), both below R, is a point of the curve.
    function onCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= R || y >= R) return false;
        uint256 x2 = mulmod(x, x, R);
        uint256 y2 = mulmod(y, y, R);
        uint256 lhs = addmod(mulmod(A, x2, R), y2, R);
        uint256 rhs = addmod(1, mulmod(D, mulmod(x2, y2, R), R), R);
        return lhs == rhs;
    }
}
