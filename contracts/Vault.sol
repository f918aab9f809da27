// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";
import {IVault} from "./interfaces/IVault.sol";

/// @title Vault
/// @notice Holds zkclear's ERC20 collateral. Deposits join a queue kept as a Poseidon hash
/// chain that the ApplyDeposits circuit recomputes; withdrawals proven by the
/// ProcessWithdrawals circuit are credited here by the Settlement contract and claimed
/// by their recipients (pull payments, paid once).
contract Vault is IVault, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @dev BN254 scalar field and the Baby Jubjub curve a*x^2 + y^2 = 1 + d*x^2*y^2.
    uint256 private constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 private constant BJJ_A = 168700;
    uint256 private constant BJJ_D = 168696;
    /// @notice Deposits move less than 2^92 units at a time (the circuits' width).
    uint256 public constant MAX_TRANSFER = (1 << 92) - 1;
    /// @notice The first index a trader account can have (0: empty, 1: fees, 2: insurance).
    uint32 public constant FIRST_USER_ACCOUNT = 3;

    /// @notice The collateral token.
    IERC20 public immutable token;
    /// @notice Number of account indices the tree holds (2^D).
    uint64 public immutable accountCapacity;
    /// @notice The Settlement contract, the only one that may credit withdrawals.
    address public settlement;
    address private immutable deployer;

    /// @notice Next account index handed out to a first deposit.
    uint64 public nextAccount = FIRST_USER_ACCOUNT;
    /// @inheritdoc IVault
    uint64 public depositCount;
    mapping(uint64 => uint256) private queueHashes;
    /// @notice Tokens credited by proven withdrawals and not yet claimed, per recipient.
    mapping(address => uint256) public owed;
    /// @notice Sum of `owed`: tokens held for withdrawals already proven.
    uint256 public totalOwed;

    /// @notice A deposit joined the queue.
    event Deposited(
        uint64 indexed index,
        uint64 indexed account,
        address indexed from,
        uint256 pkX,
        uint256 pkY,
        uint256 amount,
        uint256 queueHash
    );
    /// @notice A proven withdrawal was credited to `recipient`.
    event Credited(address indexed recipient, uint256 amount);
    /// @notice `recipient` was paid what it was owed.
    event Claimed(address indexed recipient, uint256 amount);
    /// @notice The Settlement contract was set.
    event SettlementSet(address settlement);

    /// @notice The amount is zero or not below 2^92.
    error BadAmount(uint256 amount);
    /// @notice A new account's key is not a usable Baby Jubjub point.
    error BadPublicKey();
    /// @notice The account does not exist (and is not being created by an earlier deposit).
    error UnknownAccount(uint64 account);
    /// @notice Every account index is taken.
    error TreeFull();
    /// @notice Only the Settlement contract may call this.
    error NotSettlement();
    /// @notice Nothing is owed to the caller.
    error NothingOwed();
    /// @notice The Settlement contract is already set, or the caller may not set it.
    error SettlementAlreadySet();
    /// @notice The queue does not have that many deposits.
    error UnknownQueuePosition(uint64 n);

    /// @param token_ the collateral token
    /// @param depth the account tree's binary depth D (2^D accounts)
    constructor(IERC20 token_, uint8 depth) {
        token = token_;
        accountCapacity = uint64(1) << depth;
        deployer = msg.sender;
    }

    /// @notice Wires the Settlement contract, once, by the deployer.
    function setSettlement(address settlement_) external {
        if (msg.sender != deployer || settlement != address(0)) revert SettlementAlreadySet();
        settlement = settlement_;
        emit SettlementSet(settlement_);
    }

    /// @notice Deposits `amount` collateral. With `account` = 0 a new account is created
    /// for the Baby Jubjub key (pkX, pkY) and its index is returned; otherwise the amount
    /// is credited to an existing account (the key is ignored).
    /// @dev The caller must have approved the Vault for `amount` tokens.
    function deposit(uint64 account, uint256 pkX, uint256 pkY, uint256 amount)
        external
        nonReentrant
        returns (uint64 index)
    {
        if (amount == 0 || amount > MAX_TRANSFER) revert BadAmount(amount);
        if (account == 0) {
            if (!_usableKey(pkX, pkY)) revert BadPublicKey();
            if (nextAccount >= accountCapacity) revert TreeFull();
            account = nextAccount++;
        } else {
            if (account >= nextAccount) revert UnknownAccount(account);
            (pkX, pkY) = (0, 0);
        }
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint64 n = depositCount;
        uint256 h = PoseidonT5.hash([queueHashes[n], uint256(account) | (amount << 32), pkX, pkY]);
        queueHashes[n + 1] = h;
        depositCount = n + 1;
        emit Deposited(n, account, msg.sender, pkX, pkY, amount, h);
        return account;
    }

    /// @inheritdoc IVault
    function queueHashAt(uint64 n) external view returns (uint256) {
        if (n > depositCount) revert UnknownQueuePosition(n);
        return queueHashes[n];
    }

    /// @inheritdoc IVault
    function credit(address recipient, uint256 amount) external {
        if (msg.sender != settlement) revert NotSettlement();
        owed[recipient] += amount;
        totalOwed += amount;
        emit Credited(recipient, amount);
    }

    /// @notice Pays the caller everything proven withdrawals credited to it.
    function claim() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingOwed();
        owed[msg.sender] = 0;
        totalOwed -= amount;
        token.safeTransfer(msg.sender, amount);
        emit Claimed(msg.sender, amount);
    }

    function _usableKey(uint256 x, uint256 y) private pure returns (bool) {
        if (x == 0 || x >= R || y >= R) return false;
        uint256 x2 = mulmod(x, x, R);
        uint256 y2 = mulmod(y, y, R);
        uint256 lhs = addmod(mulmod(BJJ_A, x2, R), y2, R);
        uint256 rhs = addmod(1, mulmod(BJJ_D, mulmod(x2, y2, R), R), R);
        return lhs == rhs;
    }
}
