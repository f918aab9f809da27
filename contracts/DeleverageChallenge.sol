// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {Groth16Call} from "./interfaces/IGroth16Verifier.sol";
import {EscapeHatch} from "./EscapeHatch.sol";

/// @title DeleverageChallenge
/// @notice Skip proofs against settled liquidation batches (docs/isolation.md, section 3).
/// A liquidation batch's proof shows that its deleveraging follows the published ranking's
/// order, takes each entry's greedy lots at the bankruptcy price and touches nobody else;
/// it cannot show that nobody eligible was left out. A skip proof (SkippedDeleverage,
/// circuits/src/skip-deleverage.circom) shows exactly that: on the tree a deleveraged
/// market's entries started from, `account` was a candidate the ranking had to list (a user
/// account on the other side of the fund, equity above 0, at or above maintenance, able to
/// afford a lot at the batch's price), is not among the market's entries, and ranks above
/// one of them, or lots were left unplaced there with a slot free. Its public inputs are the
/// batch's dataCommitment and priceConfigHash (which Settlement records for every
/// liquidation batch), the account and the market.
///
/// Rules (each refusal has its own error):
/// - anyone may prove a skip, at any time, against any settled liquidation batch; a pause
///   does not stop it                                  -> (none)
/// - the exchange is not frozen already               -> ExchangeFrozen
/// - `batch` is a settled liquidation batch           -> NotALiquidationBatch
/// - the commitment and binding are that batch's      -> LiquidationMismatch
/// - the proof verifies                               -> InvalidSkipProof
/// A valid skip proof freezes the exchange for good (EscapeHatch's freeze, with the same
/// snapshot: every account exits from the current root) and records who proved what.
/// No role is involved: the operator cannot stop it, and nobody can freeze without a
/// proof of a real skip (an honest batch admits none).
abstract contract DeleverageChallenge is EscapeHatch {
    /// @notice keccak256(abi.encode(dataCommitment, priceConfigHash)) of each settled
    /// liquidation batch, by batch number (0: not a liquidation batch).
    mapping(uint64 batch => bytes32) public liquidationRecord;

    /// @notice `by` proved that liquidation batch `batch` left `account` out of market
    /// `market`'s deleveraging; the exchange froze.
    event DeleverageSkipProven(uint64 indexed batch, uint32 indexed account, uint8 market, address by);

    /// @notice Batch `batch` is not a settled liquidation batch.
    error NotALiquidationBatch(uint64 batch);
    /// @notice The commitment or the binding is not batch `batch`'s.
    error LiquidationMismatch(uint64 batch);
    /// @notice The skip proof does not verify for these public inputs.
    error InvalidSkipProof();

    /// @dev Whether SkippedDeleverage's proof verifies for these public inputs.
    function _verifySkip(Groth16Call.Proof calldata proof, uint256[] memory pub) internal view virtual returns (bool);

    /// @dev Records a settled liquidation batch for skip proofs.
    function _recordLiquidation(uint64 batch, uint256 dataCommitment, uint256 binding) internal {
        liquidationRecord[batch] = keccak256(abi.encode(dataCommitment, binding));
    }

    /// @notice Proves that liquidation batch `batch` (with its `dataCommitment` and
    /// `binding`, its priceConfigHash) left `account` out of market `market`'s
    /// deleveraging, and freezes the exchange.
    function proveSkippedDeleverage(
        uint64 batch,
        Groth16Call.Proof calldata proof,
        uint256 dataCommitment,
        uint256 binding,
        uint32 account,
        uint8 market
    ) external whenNotFrozen {
        bytes32 record = liquidationRecord[batch];
        if (record == 0) revert NotALiquidationBatch(batch);
        if (record != keccak256(abi.encode(dataCommitment, binding))) revert LiquidationMismatch(batch);
        uint256[] memory pub = new uint256[](4);
        pub[0] = dataCommitment;
        pub[1] = binding;
        pub[2] = account;
        pub[3] = market;
        if (!_verifySkip(proof, pub)) revert InvalidSkipProof();
        emit DeleverageSkipProven(batch, account, market, msg.sender);
        _freeze();
    }
}
