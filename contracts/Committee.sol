// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Governed} from "./Governed.sol";
import {ICommittee} from "./interfaces/ICommittee.sol";

/// @title Committee
/// @notice zkclear's data availability committee: n members (the replicas' Ethereum keys)
/// and a threshold k. Settlement accepts a trade, withdrawal or liquidation batch only with
/// signatures of at least k distinct members over the batch's attestation digest
/// (DataAvailability.sol): each member signs only once it holds the batch's data and has
/// replayed it (`zkclear replica`), so the data outlives the operator while one of the k
/// signers is honest.
///
/// Rules `check` enforces (each refusal has its own error):
/// - the attestations are whole 65-byte (r, s, v) signatures     -> BadAttestationsLength
/// - each recovers (OpenZeppelin's ECDSA: no high-s, v 27 or 28)  -> InvalidAttestation
/// - each signer is a current member                             -> NotAMember
/// - no member is counted twice                                  -> DuplicateMember
/// - at least `threshold` members signed                         -> NotEnoughAttestations
/// A signature over another digest (another batch, roots, commitment, chain or Settlement)
/// recovers to an unrelated address and is refused as NotAMember.
///
/// Governance: COMMITTEE_ADMIN_ROLE (the governance timelock) replaces the members and the
/// threshold together, with 1 <= threshold <= members <= MAX_MEMBERS. The committee can
/// only withhold signatures: that stops trades, withdrawals and liquidations, never deposits
/// or forced withdrawal answers (which need no attestation), so users still leave through
/// the escape hatch; it can neither move funds nor change the state root without a proof.
contract Committee is Governed, ICommittee {
    /// @notice The role that replaces members and threshold (the governance timelock).
    bytes32 public constant COMMITTEE_ADMIN_ROLE = keccak256("COMMITTEE_ADMIN_ROLE");
    /// @notice The largest committee (the duplicate check is a bitmap over positions).
    uint256 public constant MAX_MEMBERS = 32;

    address[] private _members;
    /// @dev 1-based position of a member in `_members`; 0 for a non-member.
    mapping(address account => uint256 position) private _position;
    uint8 private _threshold;

    event MemberAdded(address indexed member);
    event MemberRemoved(address indexed member);
    event ThresholdChanged(uint8 oldThreshold, uint8 newThreshold);

    /// @notice A committee has at most MAX_MEMBERS members.
    error TooManyMembers(uint256 maxMembers);
    /// @notice The zero address cannot be a member.
    error InvalidMember();
    /// @notice A member appears twice in the new set.
    error MemberAlreadyAdded(address member);
    /// @notice 1 <= threshold <= number of members.
    error BadThreshold(uint8 threshold, uint256 members);
    /// @notice The attestations are not a whole number of 65-byte signatures.
    error BadAttestationsLength(uint256 length);
    /// @notice Attestation `index` is not a valid ECDSA signature.
    error InvalidAttestation(uint256 index);
    /// @notice Attestation `index` recovers to `signer`, who is not a member (or it was signed
    /// over another message).
    error NotAMember(uint256 index, address signer);
    /// @notice Attestation `index` is a second signature of `member`.
    error DuplicateMember(uint256 index, address member);
    /// @notice Fewer than `threshold` members signed.
    error NotEnoughAttestations(uint256 given, uint256 threshold);

    /// @param admin DEFAULT_ADMIN_ROLE (grants and revokes roles): the governance timelock
    /// @param committeeAdmin COMMITTEE_ADMIN_ROLE: the governance timelock
    constructor(address admin, address committeeAdmin, address[] memory members_, uint8 threshold_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(COMMITTEE_ADMIN_ROLE, committeeAdmin);
        _setMembers(members_, threshold_);
    }

    /// @notice Replaces the members and the threshold.
    function setMembers(address[] calldata members_, uint8 threshold_) external onlyRole(COMMITTEE_ADMIN_ROLE) {
        _setMembers(members_, threshold_);
    }

    /// @notice The current members, in position order.
    function members() external view returns (address[] memory) {
        return _members;
    }

    /// @notice Whether `account` is a current member.
    function isMember(address account) external view returns (bool) {
        return _position[account] != 0;
    }

    /// @inheritdoc ICommittee
    function threshold() external view returns (uint8) {
        return _threshold;
    }

    /// @inheritdoc ICommittee
    function check(bytes32 digest, bytes calldata attestations) external view {
        uint256 length = attestations.length;
        if (length % 65 != 0) revert BadAttestationsLength(length);
        uint256 count = length / 65;
        uint256 k = _threshold;
        if (count < k) revert NotEnoughAttestations(count, k);
        uint256 seen;
        for (uint256 i = 0; i < count; ++i) {
            uint256 at = i * 65;
            bytes32 r = bytes32(attestations[at:at + 32]);
            bytes32 s = bytes32(attestations[at + 32:at + 64]);
            uint8 v = uint8(attestations[at + 64]);
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
            if (err != ECDSA.RecoverError.NoError) revert InvalidAttestation(i);
            uint256 position = _position[signer];
            if (position == 0) revert NotAMember(i, signer);
            uint256 bit = 1 << (position - 1);
            if (seen & bit != 0) revert DuplicateMember(i, signer);
            seen |= bit;
        }
    }

    function _setMembers(address[] memory members_, uint8 threshold_) private {
        for (uint256 i = _members.length; i > 0; --i) {
            address old = _members[i - 1];
            _members.pop();
            delete _position[old];
            emit MemberRemoved(old);
        }
        uint256 n = members_.length;
        if (n > MAX_MEMBERS) revert TooManyMembers(MAX_MEMBERS);
        if (threshold_ == 0 || threshold_ > n) revert BadThreshold(threshold_, n);
        for (uint256 i = 0; i < n; ++i) {
            address member = members_[i];
            if (member == address(0)) revert InvalidMember();
            if (_position[member] != 0) revert MemberAlreadyAdded(member);
            _members.push(member);
            _position[member] = i + 1;
            emit MemberAdded(member);
        }
        emit ThresholdChanged(_threshold, threshold_);
        _threshold = threshold_;
    }
}
