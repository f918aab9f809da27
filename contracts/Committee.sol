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
/// threshold together, with 1 <= threshold <= members <= MAX_MEMBERS, and a new committee
/// takes over only `changeDelay` seconds after it was set (CommitteeChangeScheduled): longer
/// than Settlement's forced deadline (its constructor refuses less), so a user who sees a
/// change coming can force a withdrawal and, unanswered, freeze the exchange and exit with the
/// data the committee in force attested, before the new committee signs anything. A change
/// set while another waits replaces it, and its delay starts again. The committee can
/// only withhold signatures: that stops trades, withdrawals and liquidations, never deposits
/// or forced withdrawal answers (which need no attestation), so users still leave through
/// the escape hatch; it can neither move funds nor change the state root without a proof.
contract Committee is Governed, ICommittee {
    /// @notice The role that replaces members and threshold (the governance timelock).
    bytes32 public constant COMMITTEE_ADMIN_ROLE = keccak256("COMMITTEE_ADMIN_ROLE");
    /// @notice The largest committee (the duplicate check is a bitmap over positions).
    uint256 public constant MAX_MEMBERS = 32;
    /// @notice Seconds between setting a new committee and its taking over.
    uint64 public immutable changeDelay;

    /// @dev Which member set signs, in one slot (check reads it once): sets are numbered
    /// from 1; `pending` (0: none) takes over at `activatesAt`.
    struct Sets {
        uint32 active;
        uint32 pending;
        uint64 activatesAt;
        uint8 activeThreshold;
        uint8 pendingThreshold;
        uint32 count;
    }

    Sets private _sets;
    mapping(uint256 set => address[]) private _members;
    /// @dev 1-based position of a member in its set; 0 for a non-member.
    mapping(uint256 set => mapping(address account => uint256 position)) private _position;

    event MemberAdded(uint256 indexed set, address indexed member);
    /// @notice Member set `set` (threshold `threshold`) signs from `activatesAt` on.
    event CommitteeChangeScheduled(uint256 indexed set, uint8 threshold, uint64 activatesAt);

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
    /// @param changeDelay_ seconds before a new committee takes over (the first one: at once)
    constructor(
        address admin,
        address committeeAdmin,
        address[] memory members_,
        uint8 threshold_,
        uint64 changeDelay_
    ) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(COMMITTEE_ADMIN_ROLE, committeeAdmin);
        changeDelay = changeDelay_;
        uint32 set = _store(members_, threshold_);
        _sets.active = set;
        _sets.activeThreshold = threshold_;
    }

    /// @notice Sets the next committee: it takes over `changeDelay` seconds from now (and
    /// replaces a change still waiting).
    function setMembers(address[] calldata members_, uint8 threshold_) external onlyRole(COMMITTEE_ADMIN_ROLE) {
        Sets memory s = _settled();
        uint32 set = _store(members_, threshold_);
        s.pending = set;
        s.pendingThreshold = threshold_;
        s.activatesAt = uint64(block.timestamp) + changeDelay;
        s.count = set;
        _sets = s;
        emit CommitteeChangeScheduled(set, threshold_, s.activatesAt);
    }

    /// @notice The members in force now, in position order.
    function members() external view returns (address[] memory) {
        return _members[_settled().active];
    }

    /// @notice Whether `account` is a member in force now.
    function isMember(address account) external view returns (bool) {
        return _position[_settled().active][account] != 0;
    }

    /// @inheritdoc ICommittee
    function threshold() external view returns (uint8) {
        return _settled().activeThreshold;
    }

    /// @notice The committee waiting to take over (empty, 0, 0 when none).
    function pendingCommittee() external view returns (address[] memory members_, uint8 threshold_, uint64 activatesAt) {
        Sets memory s = _settled();
        if (s.pending == 0) return (members_, 0, 0);
        return (_members[s.pending], s.pendingThreshold, s.activatesAt);
    }

    /// @inheritdoc ICommittee
    function check(bytes32 digest, bytes calldata attestations) external view {
        uint256 length = attestations.length;
        if (length % 65 != 0) revert BadAttestationsLength(length);
        Sets memory s = _settled();
        uint256 count = length / 65;
        uint256 k = s.activeThreshold;
        if (count < k) revert NotEnoughAttestations(count, k);
        mapping(address => uint256) storage position = _position[s.active];
        uint256 seen;
        for (uint256 i = 0; i < count; ++i) {
            address signer = _signer(digest, attestations, i);
            uint256 p = position[signer];
            if (p == 0) revert NotAMember(i, signer);
            uint256 bit = 1 << (p - 1);
            if (seen & bit != 0) revert DuplicateMember(i, signer);
            seen |= bit;
        }
    }

    /// @dev Who signed attestation `i` (OpenZeppelin's ECDSA: no high-s, v 27 or 28).
    function _signer(bytes32 digest, bytes calldata attestations, uint256 i) private pure returns (address signer) {
        uint256 at = i * 65;
        bytes32 r = bytes32(attestations[at:at + 32]);
        bytes32 s = bytes32(attestations[at + 32:at + 64]);
        uint8 v = uint8(attestations[at + 64]);
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, v, r, s);
        if (err != ECDSA.RecoverError.NoError) revert InvalidAttestation(i);
    }

    /// @dev The sets as they stand now: a pending set whose time has come is the active one.
    function _settled() private view returns (Sets memory s) {
        s = _sets;
        if (s.pending != 0 && block.timestamp >= s.activatesAt) {
            s.active = s.pending;
            s.activeThreshold = s.pendingThreshold;
            s.pending = 0;
            s.pendingThreshold = 0;
            s.activatesAt = 0;
        }
    }

    /// @dev Stores a new member set under the next number (checked: 1 <= k <= n <= MAX).
    function _store(address[] memory members_, uint8 threshold_) private returns (uint32 set) {
        uint256 n = members_.length;
        if (n > MAX_MEMBERS) revert TooManyMembers(MAX_MEMBERS);
        if (threshold_ == 0 || threshold_ > n) revert BadThreshold(threshold_, n);
        set = _sets.count + 1;
        _sets.count = set;
        for (uint256 i = 0; i < n; ++i) {
            address member = members_[i];
            if (member == address(0)) revert InvalidMember();
            if (_position[set][member] != 0) revert MemberAlreadyAdded(member);
            _members[set].push(member);
            _position[set][member] = i + 1;
            emit MemberAdded(set, member);
        }
    }
}
