// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ICommittee} from "./interfaces/ICommittee.sol";

/// @title DataAvailability
/// @notice The attestation Settlement requires of its data committee (Committee.sol) for
/// the batch kinds whose data is not on-chain: an EIP-712 message (TypeScript twin:
/// prover/src/domain/committee.ts) naming this chain and this contract (the domain), and the
/// batch's number, kind, old and new roots, data commitment and oracle round (BatchSettled's:
/// every field the chain records of the batch, so a member never signs for data that differs
/// from what lands, even in a field the commitment does not cover). A signature
/// is therefore good for one batch of one deployment only. The domain is computed with the
/// chain id at call time, so a fork with another chain id does not accept this chain's.
abstract contract DataAvailability {
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("zkclear data committee");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// @notice The attested message's type.
    bytes32 public constant ATTESTATION_TYPEHASH =
        keccak256(
            "BatchData(uint64 batch,uint8 kind,uint256 oldRoot,uint256 newRoot,uint256 dataCommitment,uint64 roundId)"
        );

    /// @notice The data availability committee (immutable; its members and threshold are
    /// governed in it, behind the governance timelock).
    ICommittee public immutable committee;

    /// @notice The committee is not a contract.
    error NoCommittee();
    /// @notice A new committee must take over later than an unanswered forced request lets
    /// users freeze the exchange (so they can leave before it signs anything).
    error CommitteeDelayTooShort(uint64 changeDelay, uint64 forcedDeadline);

    constructor(ICommittee committee_, uint64 forcedDeadline) {
        if (address(committee_).code.length == 0) revert NoCommittee();
        uint64 delay = committee_.changeDelay();
        if (delay <= forcedDeadline) revert CommitteeDelayTooShort(delay, forcedDeadline);
        committee = committee_;
    }

    /// @notice The digest members sign for batch `batch`.
    function attestationDigest(
        uint64 batch,
        uint8 kind,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId
    ) public view returns (bytes32) {
        bytes32 domainSeparator = keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
        bytes32 structHash = keccak256(abi.encode(ATTESTATION_TYPEHASH, batch, kind, oldRoot, newRoot, dataCommitment, roundId));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @dev Reverts (with the committee's error) unless k members attested this batch.
    function _checkAttested(
        uint64 batch,
        uint8 kind,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId,
        bytes calldata attestations
    ) internal view {
        committee.check(attestationDigest(batch, kind, oldRoot, newRoot, dataCommitment, roundId), attestations);
    }
}
