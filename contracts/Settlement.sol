// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {IVault} from "./interfaces/IVault.sol";
import {Groth16Call} from "./interfaces/IGroth16Verifier.sol";

/// @title Settlement
/// @notice Keeps zkclear's account-tree root and moves it only with a valid Groth16 proof
/// of a batch: trades, deposits or withdrawals, each with its own verifier. Every batch
/// is checked against the current root, the market configuration hash stored here and
/// the oracle round's prices, and is announced with an event auditors replay.
contract Settlement {
    /// @notice Batch kinds, as emitted in BatchSettled.
    uint8 public constant KIND_TRADES = 1;
    uint8 public constant KIND_DEPOSITS = 2;
    uint8 public constant KIND_WITHDRAWALS = 3;
    uint8 public constant KIND_LIQUIDATIONS = 4;

    /// @notice Verifier of SettleTrades(B, D, M): [oldRoot, newRoot, dataCommitment, priceConfigHash].
    address public immutable tradeVerifier;
    /// @notice Verifier of ApplyDeposits(K, D, M): [oldRoot, newRoot, queueFrom, queueTo].
    address public immutable depositVerifier;
    /// @notice Verifier of ProcessWithdrawals(W, D, M): [oldRoot, newRoot, priceConfigHash, payout[W]].
    address public immutable withdrawalVerifier;
    /// @notice Verifier of LiquidateBatch(L, D, M): [oldRoot, newRoot, dataCommitment, priceConfigHash].
    address public immutable liquidationVerifier;
    IPriceOracle public immutable oracle;
    IVault public immutable vault;
    /// @notice This deployment's domain, Poseidon(chain id, this contract's address): every
    /// message an account signs (orders, withdrawals) names it, so a signature for one
    /// deployment is worth nothing on another or on a redeployment.
    uint256 public immutable domain;
    /// @notice Poseidon(marketsHash, domain), marketsHash being the Poseidon hash of the
    /// markets' packed parameters: what every priced proof binds (MarketBinding), which
    /// binds the markets and, through the domain, every signature the proof checks.
    uint256 public immutable configHash;
    /// @notice Markets per account leaf (M); the oracle publishes one price per market.
    uint8 public immutable marketCount;
    /// @notice Withdrawal slots per batch (W).
    uint8 public immutable withdrawalSlots;
    /// @notice Oldest oracle round (in seconds) a batch may be proven against.
    uint64 public immutable maxPriceAge;
    bytes4 private immutable sel4;
    bytes4 private immutable selWithdrawals;

    /// @notice The current account-tree root.
    uint256 public stateRoot;
    // batchCount, depositsProcessed and paused share one storage slot: a batch reads
    // `paused` and then writes `batchCount`, and a warm slot costs 2,100 gas less.
    /// @notice Batches accepted so far; the next batch gets this number.
    uint64 public batchCount;
    /// @notice Deposits of the Vault's queue already credited.
    uint64 public depositsProcessed;
    /// @notice Whether batches are refused.
    bool public paused;
    /// @notice Who may pause.
    address public guardian;
    /// @notice Poseidon(configHash, prices) per oracle round, computed once (bindRound).
    mapping(uint64 => uint256) public roundBinding;
    /// @notice The oracle round's timestamp, stored by bindRound so a batch need not call
    /// the oracle.
    mapping(uint64 => uint64) public roundTime;

    /// @notice A batch moved the root. dataCommitment is the trades' commitment, the
    /// deposit queue hash reached, or the withdrawal payouts' hash, by kind.
    event BatchSettled(
        uint64 indexed batch,
        uint8 indexed kind,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId
    );
    /// @notice A liquidation batch settled at these oracle prices: anyone can recompute
    /// why each account (in the batch file, committed by dataCommitment) was liquidated.
    event LiquidationsSettled(uint64 indexed batch, uint64 indexed roundId, uint64[] prices, uint256 dataCommitment);
    /// @notice A round's prices were bound to the configuration.
    event RoundBound(uint64 indexed roundId, uint256 binding);
    event Paused(address indexed by);
    event Unpaused(address indexed by);
    event GuardianChanged(address indexed guardian);

    /// @notice The batch was proven from another root than the current one.
    error StaleRoot(uint256 expected, uint256 given);
    /// @notice The proof does not verify for these public inputs.
    error InvalidProof();
    /// @notice No batch is accepted while paused.
    error ContractPaused();
    error NotGuardian();
    /// @notice The oracle round is too old for a batch.
    error StalePrices(uint64 roundId, uint64 timestamp);
    /// @notice The oracle publishes another number of markets than the configuration.
    error MarketCountMismatch(uint256 oracle, uint256 config);
    /// @notice The deposit batch asks for more deposits than are queued.
    error NotEnoughDeposits(uint64 requested, uint64 queued);
    /// @notice Wrong number of withdrawal payouts.
    error PayoutCount(uint256 given, uint256 expected);
    /// @notice Poseidon on-chain covers up to four markets.
    error UnsupportedMarketCount(uint8 marketCount);

    struct Config {
        address tradeVerifier;
        address depositVerifier;
        address withdrawalVerifier;
        address liquidationVerifier;
        IPriceOracle oracle;
        IVault vault;
        uint256 marketsHash;
        uint8 marketCount;
        uint8 withdrawalSlots;
        uint64 maxPriceAge;
        uint256 genesisRoot;
        address guardian;
    }

    constructor(Config memory c) {
        if (c.marketCount == 0 || c.marketCount > 4) revert UnsupportedMarketCount(c.marketCount);
        tradeVerifier = c.tradeVerifier;
        depositVerifier = c.depositVerifier;
        withdrawalVerifier = c.withdrawalVerifier;
        liquidationVerifier = c.liquidationVerifier;
        oracle = c.oracle;
        vault = c.vault;
        domain = PoseidonT3.hash([block.chainid, uint256(uint160(address(this)))]);
        configHash = PoseidonT3.hash([c.marketsHash, domain]);
        marketCount = c.marketCount;
        withdrawalSlots = c.withdrawalSlots;
        maxPriceAge = c.maxPriceAge;
        stateRoot = c.genesisRoot;
        guardian = c.guardian;
        sel4 = Groth16Call.selector(4);
        selWithdrawals = Groth16Call.selector(3 + uint256(c.withdrawalSlots));
        emit GuardianChanged(c.guardian);
    }

    modifier whenNotPaused() {
        if (paused) revert ContractPaused();
        _;
    }

    modifier onlyGuardian() {
        if (msg.sender != guardian) revert NotGuardian();
        _;
    }

    /// @notice Stops accepting batches.
    function pause() external onlyGuardian {
        paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Accepts batches again.
    function unpause() external onlyGuardian {
        paused = false;
        emit Unpaused(msg.sender);
    }

    /// @notice Hands the guardian role to another address.
    function setGuardian(address guardian_) external onlyGuardian {
        guardian = guardian_;
        emit GuardianChanged(guardian_);
    }

    /// @notice Computes and stores Poseidon(configHash, prices) for an oracle round, so
    /// that batches proven at that round's prices need not hash on-chain. Anyone may call.
    function bindRound(uint64 roundId) public returns (uint256 binding) {
        binding = roundBinding[roundId];
        if (binding != 0) return binding;
        uint64[] memory p = oracle.roundPrices(roundId);
        if (p.length != marketCount) revert MarketCountMismatch(p.length, marketCount);
        if (marketCount == 1) binding = PoseidonT3.hash([configHash, p[0]]);
        else if (marketCount == 2) binding = PoseidonT4.hash([configHash, p[0], p[1]]);
        else if (marketCount == 3) binding = PoseidonT5.hash([configHash, p[0], p[1], p[2]]);
        else binding = PoseidonT6.hash([configHash, p[0], p[1], p[2], p[3]]);
        roundBinding[roundId] = binding;
        roundTime[roundId] = oracle.roundTimestamp(roundId);
        emit RoundBound(roundId, binding);
    }

    function _priceBinding(uint64 roundId) private returns (uint256 binding) {
        binding = bindRound(roundId);
        uint64 ts = roundTime[roundId];
        if (block.timestamp > ts + maxPriceAge) revert StalePrices(roundId, ts);
    }

    function _accept(
        address verifier,
        bytes4 sel,
        Groth16Call.Proof calldata proof,
        uint256[] memory pub,
        uint8 kind,
        uint256 dataCommitment,
        uint64 roundId
    ) private {
        uint256 oldRoot = stateRoot;
        if (pub[0] != oldRoot) revert StaleRoot(oldRoot, pub[0]);
        if (!Groth16Call.verify(verifier, sel, proof, pub)) revert InvalidProof();
        stateRoot = pub[1];
        uint64 n = batchCount;
        batchCount = n + 1;
        emit BatchSettled(n, kind, oldRoot, pub[1], dataCommitment, roundId);
    }

    /// @notice Settles a batch of trades proven at oracle round `roundId`'s prices.
    /// @param oldRoot the root the batch was proven from (must be the current root)
    function submitTrades(
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId
    ) external whenNotPaused {
        _acceptPriced(tradeVerifier, KIND_TRADES, proof, oldRoot, newRoot, dataCommitment, roundId);
    }

    /// @notice Settles a batch of liquidations proven at oracle round `roundId`'s prices;
    /// the event carries those prices.
    function submitLiquidations(
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId
    ) external whenNotPaused {
        uint64 n = batchCount;
        _acceptPriced(liquidationVerifier, KIND_LIQUIDATIONS, proof, oldRoot, newRoot, dataCommitment, roundId);
        emit LiquidationsSettled(n, roundId, oracle.roundPrices(roundId), dataCommitment);
    }

    /// @dev The batch kinds whose public inputs are [oldRoot, newRoot, dataCommitment, binding].
    function _acceptPriced(
        address verifier,
        uint8 kind,
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId
    ) private {
        uint256[] memory pub = new uint256[](4);
        pub[0] = oldRoot;
        pub[1] = newRoot;
        pub[2] = dataCommitment;
        pub[3] = _priceBinding(roundId);
        _accept(verifier, sel4, proof, pub, kind, dataCommitment, roundId);
    }

    /// @notice Credits the next `count` deposits of the Vault's queue.
    function submitDeposits(Groth16Call.Proof calldata proof, uint256 oldRoot, uint256 newRoot, uint64 count)
        external
        whenNotPaused
    {
        uint64 from = depositsProcessed;
        uint64 queued = vault.depositCount();
        if (from + count > queued) revert NotEnoughDeposits(from + count, queued);
        uint256[] memory pub = new uint256[](4);
        pub[0] = oldRoot;
        pub[1] = newRoot;
        pub[2] = vault.queueHashAt(from);
        pub[3] = vault.queueHashAt(from + count);
        depositsProcessed = from + count;
        _accept(depositVerifier, sel4, proof, pub, KIND_DEPOSITS, pub[3], 0);
    }

    /// @notice Settles signed withdrawals proven at round `roundId`'s prices and credits
    /// each payout (recipient | amount << 160) to its recipient in the Vault.
    function submitWithdrawals(
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint64 roundId,
        uint256[] calldata payouts
    ) external whenNotPaused {
        uint256 w = withdrawalSlots;
        if (payouts.length != w) revert PayoutCount(payouts.length, w);
        uint256[] memory pub = new uint256[](3 + w);
        pub[0] = oldRoot;
        pub[1] = newRoot;
        pub[2] = _priceBinding(roundId);
        for (uint256 i = 0; i < w; i++) pub[3 + i] = payouts[i];
        _accept(
            withdrawalVerifier, selWithdrawals, proof, pub, KIND_WITHDRAWALS, uint256(keccak256(abi.encode(payouts))), roundId
        );
        for (uint256 i = 0; i < w; i++) {
            uint256 p = payouts[i];
            if (p != 0) vault.credit(address(uint160(p)), p >> 160);
        }
    }
}
