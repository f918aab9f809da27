// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {IVault} from "./interfaces/IVault.sol";
import {Groth16Call} from "./interfaces/IGroth16Verifier.sol";
import {EscapeHatch} from "./EscapeHatch.sol";
import {DeleverageChallenge} from "./DeleverageChallenge.sol";
import {DataAvailability} from "./DataAvailability.sol";
import {ICommittee} from "./interfaces/ICommittee.sol";
import {Funding} from "./Funding.sol";

/// @title Settlement
/// @notice Keeps zkclear's account-tree root and moves it only with a valid Groth16 proof
/// of a batch: trades, deposits, withdrawals or liquidations, each with its own verifier.
/// Every batch is checked against the current root, the market configuration hash stored
/// here and the oracle round's prices, and is announced with an event auditors replay.
///
/// Rules every batch must meet (each refusal has its own error):
/// - the sender holds OPERATOR_ROLE                   -> AccessControlUnauthorizedAccount
/// - the exchange is not frozen (EscapeHatch)         -> ExchangeFrozen
/// - the contract is not paused                       -> ContractPaused
/// - it was proven from the current root              -> StaleRoot
/// - it changes the root (no empty or no-op batch takes a batch number)
///                                                    -> NoOpBatch, EmptyBatch
/// - trades, withdrawals, liquidations: at least k of the n data committee members signed
///   this batch's attestation (DataAvailability, Committee.check)
///                        -> NotEnoughAttestations, NotAMember, DuplicateMember, InvalidAttestation
/// - the proof verifies for the public inputs built here -> InvalidProof
/// Every liquidation batch is recorded (its dataCommitment and priceConfigHash) for skip
/// proofs: anyone who shows that its deleveraging left out an account the ranking had to
/// list freezes the exchange (DeleverageChallenge).
///
/// The price rule, for the batches proven at an oracle round's prices (trades, withdrawals,
/// liquidations), at round r, where `lastRoundUsed` is the round of the last such batch and
/// the oracle's latest round is what the oracle announces to this contract with every round
/// it finalises (`onRound`; PriceOracle.setConsumer wires it at deployment):
/// 0. r was announced: r <= the oracle's latest round  -> RoundNotAnnounced
/// 1. rounds never go backwards: r >= lastRoundUsed   -> RoundBehind
/// 2. if r is not the oracle's latest round, round r + 1 was POSTED (finalised on the oracle,
///    which announced it here: `roundPostedAt`) less than `roundGrace` seconds ago: a batch
///    matched and proven at r may land shortly after a new round, never long after. The
///    grace runs from when r + 1 was posted, not from its timestamp (its oldest report), so
///    a round posted late, built on old reports, does not cut the grace short. Liquidations
///    get no grace: they must use the latest round, since a liquidation hurts its account
///    at the batch's prices                                      -> RoundSuperseded
/// 3. round r is fresh: block.timestamp - roundTimestamp(r) <= maxPriceAge -> StalePrices
/// A batch that meets them sets lastRoundUsed = r. The timing is sound by construction:
/// 0 < roundGrace <= maxPriceAge and the oracle's maximum report age is below maxPriceAge
/// (the constructor refuses anything else, BadTiming), so a fresh round is usable for a
/// while after it is posted.
///
/// Funding: the constructor creates this deployment's Funding contract (`funding`), with the
/// funding interval and the cap on the rate per interval from the configuration (immutable
/// there). The operator ticks it (at most once per interval, each rate capped, never while
/// paused or frozen); a tick's indices take effect from the oracle round after the latest
/// posted, so a round's binding never changes once the round exists. Every priced proof at
/// round r binds Poseidon(Poseidon(configHash, prices of r), funding.hashOf(r)); a trade batch
/// binds Poseidon(that, the round's reduce-only markets) instead (roundTradeBinding: the
/// oracle's circuit breakers, PriceOracle.roundReduceOnly).
///
/// Pauses and the Vault's reclaim deadline: `pausedTime()` is the total time spent paused
/// so far (pauses ended early count only up to their end); the Vault counts a deposit's
/// deadline in unpaused time, so a pause extends a pending deadline by exactly its length
/// and never postpones a reclaim already due.
///
/// Roles (see Governed): DEFAULT_ADMIN_ROLE, held by the governance timelock, grants and
/// revokes the others and can never be left without a holder; OPERATOR_ROLE submits
/// batches; GUARDIAN_ROLE pauses for at most MAX_PAUSE at a time (the pause expires by
/// itself unless renewed) and unpauses early. No role can move the root without a proof,
/// change the verifiers, the configuration, the oracle or the Vault (all immutable), or
/// move user funds.
contract Settlement is DeleverageChallenge, DataAvailability {
    /// @notice Batch kinds, as emitted in BatchSettled.
    uint8 public constant KIND_TRADES = 1;
    uint8 public constant KIND_DEPOSITS = 2;
    uint8 public constant KIND_WITHDRAWALS = 3;
    uint8 public constant KIND_LIQUIDATIONS = 4;
    uint8 public constant KIND_FORCED = 5;
    /// @notice Submits batches.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice Pauses (for at most MAX_PAUSE at a time) and unpauses.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice The longest one pause lasts; the guardian must renew it to pause longer.
    uint64 public constant MAX_PAUSE = 3 days;

    /// @notice Verifier of SettleTrades(B, D, M): [oldRoot, newRoot, dataCommitment, priceConfigHash].
    address public immutable tradeVerifier;
    /// @notice Verifier of ApplyDeposits(K, D, M): [oldRoot, newRoot, queueFrom, queueTo].
    address public immutable depositVerifier;
    /// @notice Verifier of ProcessWithdrawals(W, D, M): [oldRoot, newRoot, priceConfigHash, payout[W]].
    address public immutable withdrawalVerifier;
    /// @notice Verifier of LiquidateBatch(L, D, M): [oldRoot, newRoot, dataCommitment, priceConfigHash].
    address public immutable liquidationVerifier;
    /// @notice Verifier of AnswerForced(F = W, D, M): [oldRoot, newRoot, priceConfigHash,
    /// queueFrom, queueTo, outcomes, payout[W]].
    address public immutable forcedVerifier;
    /// @notice Verifier of ExitAccount(D, M): [root, priceConfigHash, account, recipient, payout].
    address public immutable exitVerifier;
    /// @notice Verifier of SkippedDeleverage(A, D, M): [dataCommitment, priceConfigHash,
    /// account, market] (DeleverageChallenge).
    address public immutable skipVerifier;
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
    /// @notice The funding indices (created here; its interval and rate cap are immutable).
    Funding public immutable funding;
    /// @notice Markets per account leaf (M); the oracle publishes one price per market.
    uint8 public immutable marketCount;
    /// @notice Withdrawal slots per batch (W).
    uint8 public immutable withdrawalSlots;
    /// @notice Oldest oracle round (in seconds) a batch may be proven against.
    uint64 public immutable maxPriceAge;
    /// @notice How long (seconds, measured from when the next round was posted) a trade or
    /// withdrawal batch may still use a round after a newer one was posted.
    uint64 public immutable roundGrace;
    bytes4 private immutable sel4;
    bytes4 private immutable selWithdrawals;
    bytes4 private immutable selForced;
    bytes4 private immutable selExit;

    /// @notice The current account-tree root.
    uint256 public stateRoot;
    /// @dev What every batch reads and writes, in one storage slot (a batch reads it once,
    /// cold, and every other access is warm). 40 bits hold 10^12 batches, deposits or rounds,
    /// and unix seconds until the year 36812.
    struct Counters {
        // batches accepted so far; the next batch gets this number
        uint40 batchCount;
        // deposits of the Vault's queue already credited
        uint40 depositsProcessed;
        // batches and deposits are refused until this time: the end of the last pause
        uint40 pausedUntil;
        // the oracle round of the last batch proven at oracle prices (0 before any)
        uint40 lastRoundUsed;
        // the oracle's latest round and its timestamp, as the oracle announced them (onRound)
        uint40 latestRoundId;
        uint40 latestRoundTime;
    }

    Counters private _counters;
    /// @dev The pause clock, read and written only by pause, unpause and pausedTime.
    struct PauseClock {
        // when the current (or last) pause began; it runs to min(now, pausedUntil)
        uint40 start;
        // seconds spent in the pauses before it
        uint40 total;
    }

    PauseClock private _pauseClock;
    /// @notice When (block time) the oracle announced round `roundId` here (onRound): the
    /// start of the grace of the round before it (price rule 2). 0 for rounds finalised
    /// before the oracle was wired to this contract, except its latest round then.
    mapping(uint64 roundId => uint256 postedAt) public roundPostedAt;
    /// @notice Each oracle round's priceConfigHash, computed once (bindRound).
    mapping(uint64 => uint256) public roundBinding;
    /// @notice The oracle round's timestamp, stored by bindRound so a batch need not call
    /// the oracle.
    mapping(uint64 => uint64) public roundTime;
    /// @notice Each oracle round's binding for trade batches: Poseidon(roundBinding, the
    /// round's reduce-only markets), so a trade batch is proven against the round's circuit
    /// breakers (PriceOracle.roundReduceOnly; SettleTrades refuses an increasing trade in a
    /// reduce-only market).
    mapping(uint64 => uint256) public roundTradeBinding;

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
    /// @notice Batch `batch` answered forced requests [from, from + count) with these
    /// outcomes (3 bits each: 1 paid, 2 bad signature, 3 cannot pay, 4 no account).
    event ForcedAnswered(uint64 indexed batch, uint64 from, uint64 count, uint256 outcomes);
    /// @notice A round's prices were bound to the configuration.
    event RoundBound(uint64 indexed roundId, uint256 binding);
    /// @notice The guardian paused (or renewed a pause) until `until`.
    event Paused(address indexed by, uint64 until);
    /// @notice The guardian ended the pause early.
    event Unpaused(address indexed by);

    /// @notice The batch was proven from another root than the current one.
    error StaleRoot(uint256 expected, uint256 given);
    /// @notice The proof does not verify for these public inputs.
    error InvalidProof();
    /// @notice No batch is accepted while paused (until `until`).
    error ContractPaused(uint64 until);
    /// @notice A pause lasts more than 0 and at most MAX_PAUSE seconds.
    error BadPauseDuration(uint64 duration, uint64 maxPause);
    /// @notice The oracle round is too old for a batch (price rule 3).
    error StalePrices(uint64 roundId, uint64 timestamp);
    /// @notice The round is older than the one the previous priced batch used (price rule 1).
    error RoundBehind(uint64 roundId, uint64 lastRoundUsed);
    /// @notice A newer round than `roundId` exists, and was posted more than the grace ago
    /// (no grace for liquidations) (price rule 2).
    error RoundSuperseded(uint64 roundId, uint64 latestRoundId);
    /// @notice The round is newer than the latest round the oracle announced to this
    /// contract (the oracle is not wired to it).
    error RoundNotAnnounced(uint64 roundId, uint64 latestRoundId);
    /// @notice Only the oracle announces rounds.
    error NotOracle();
    /// @notice A round id or timestamp beyond 40 bits (10^12 rounds; the year 36812).
    error RoundOutOfRange(uint64 roundId, uint64 timestamp);
    /// @notice The batch would not change the root.
    error NoOpBatch(uint256 root);
    /// @notice A deposit batch must credit at least one deposit.
    error EmptyBatch();
    /// @notice The deposit at queue position `index` was reclaimed by its depositor: the
    /// queue cannot be credited at or beyond it.
    error DepositReclaimed(uint64 index);
    /// @notice The oracle publishes another number of markets than the configuration.
    error MarketCountMismatch(uint256 oracle, uint256 config);
    /// @notice The deposit batch asks for more deposits than are queued.
    error NotEnoughDeposits(uint64 requested, uint64 queued);
    /// @notice Wrong number of withdrawal payouts.
    error PayoutCount(uint256 given, uint256 expected);
    /// @notice A forced batch answers 1..withdrawalSlots requests, no more than are queued.
    error ForcedCount(uint64 count, uint64 queuedUnanswered, uint256 slots);
    /// @notice Poseidon on-chain covers up to four markets.
    error UnsupportedMarketCount(uint8 marketCount);
    /// @notice The timing is refused: 0 < maxPriceAge, roundGrace <= maxPriceAge and the
    /// oracle's maximum report age < maxPriceAge are required.
    error BadTiming(uint64 maxPriceAge, uint64 roundGrace, uint64 maxReportAge);

    struct Config {
        address tradeVerifier;
        address depositVerifier;
        address withdrawalVerifier;
        address liquidationVerifier;
        address forcedVerifier;
        address exitVerifier;
        address skipVerifier;
        IPriceOracle oracle;
        IVault vault;
        /// The data availability committee (trades, withdrawals and liquidations need k of n).
        ICommittee committee;
        uint256 marketsHash;
        uint8 marketCount;
        uint8 withdrawalSlots;
        uint64 maxPriceAge;
        uint64 roundGrace;
        /// Seconds before an unanswered forced request or uncredited deposit allows a freeze.
        uint64 forcedDeadline;
        /// Wei a forced request costs.
        uint256 forcedRequestFee;
        /// Seconds after a freeze during which exits are claims shared pro rata.
        uint64 exitWindow;
        uint256 genesisRoot;
        /// DEFAULT_ADMIN_ROLE: the governance timelock.
        address admin;
        address operator;
        address guardian;
        /// Seconds per funding period (at most one funding tick per period), > 0.
        uint64 fundingInterval;
        /// The cap on |funding rate| per tick, parts per million of the price, 1..100,000.
        uint32 maxFundingRatePpm;
    }

    constructor(Config memory c)
        EscapeHatch(c.forcedDeadline, c.forcedRequestFee, c.exitWindow, MAX_PAUSE)
        DataAvailability(c.committee, c.forcedDeadline)
    {
        if (c.marketCount == 0 || c.marketCount > 4) revert UnsupportedMarketCount(c.marketCount);
        uint64 maxReportAge = c.oracle.maxAge();
        if (c.maxPriceAge == 0 || c.roundGrace > c.maxPriceAge || maxReportAge >= c.maxPriceAge) {
            revert BadTiming(c.maxPriceAge, c.roundGrace, maxReportAge);
        }
        tradeVerifier = c.tradeVerifier;
        depositVerifier = c.depositVerifier;
        withdrawalVerifier = c.withdrawalVerifier;
        liquidationVerifier = c.liquidationVerifier;
        forcedVerifier = c.forcedVerifier;
        exitVerifier = c.exitVerifier;
        skipVerifier = c.skipVerifier;
        oracle = c.oracle;
        vault = c.vault;
        domain = PoseidonT3.hash([block.chainid, uint256(uint160(address(this)))]);
        configHash = PoseidonT3.hash([c.marketsHash, domain]);
        marketCount = c.marketCount;
        withdrawalSlots = c.withdrawalSlots;
        maxPriceAge = c.maxPriceAge;
        roundGrace = c.roundGrace;
        funding = new Funding(c.oracle, c.marketCount, c.fundingInterval, c.maxFundingRatePpm, c.maxPriceAge);
        stateRoot = c.genesisRoot;
        sel4 = Groth16Call.selector(4);
        selWithdrawals = Groth16Call.selector(3 + uint256(c.withdrawalSlots));
        selForced = Groth16Call.selector(6 + uint256(c.withdrawalSlots));
        selExit = Groth16Call.selector(6);
        _grantRole(DEFAULT_ADMIN_ROLE, c.admin);
        _grantRole(OPERATOR_ROLE, c.operator);
        _grantRole(GUARDIAN_ROLE, c.guardian);
        // rounds finalised before the oracle is wired to this contract (setConsumer)
        (uint64 roundId, uint64 timestamp) = c.oracle.latestRound();
        _counters.latestRoundId = uint40(roundId);
        _counters.latestRoundTime = uint40(timestamp);
    }

    modifier whenNotPaused() {
        uint40 until = _counters.pausedUntil;
        if (block.timestamp < until) revert ContractPaused(until);
        _;
    }

    /// @notice Whether batches and deposits are refused now.
    function paused() public view returns (bool) {
        return block.timestamp < _counters.pausedUntil;
    }

    /// @notice Batches accepted so far; the next batch gets this number.
    function batchCount() external view returns (uint64) {
        return _counters.batchCount;
    }

    /// @notice Deposits of the Vault's queue already credited.
    function depositsProcessed() external view returns (uint64) {
        return _counters.depositsProcessed;
    }

    /// @notice Batches and deposits are refused until this time: the end of the current or
    /// last pause (0 if never paused).
    function pausedUntil() external view returns (uint64) {
        return _counters.pausedUntil;
    }

    /// @notice The oracle round of the last batch proven at oracle prices (0 before any).
    function lastRoundUsed() external view returns (uint64) {
        return _counters.lastRoundUsed;
    }

    /// @notice The oracle's latest round and its timestamp, as the oracle announced them.
    function latestRound() external view returns (uint64 roundId, uint64 timestamp) {
        Counters storage c = _counters;
        return (c.latestRoundId, c.latestRoundTime);
    }

    /// @notice The oracle announces each round it finalises (PriceOracle.submitRound calls
    /// this once it is wired to this contract), so a batch learns whether its round is the
    /// latest without calling the oracle. Only the oracle may call it.
    function onRound(uint64 roundId, uint64 timestamp) external {
        if (msg.sender != address(oracle)) revert NotOracle();
        if (roundId > type(uint40).max || timestamp > type(uint40).max) revert RoundOutOfRange(roundId, timestamp);
        Counters storage c = _counters;
        c.latestRoundId = uint40(roundId);
        c.latestRoundTime = uint40(timestamp);
        roundPostedAt[roundId] = block.timestamp;
    }

    /// @notice Refuses batches and deposits for `duration` seconds from now (at most
    /// MAX_PAUSE); called while paused, it renews the pause to end `duration` from now.
    function pause(uint64 duration) external onlyRole(GUARDIAN_ROLE) {
        if (duration == 0 || duration > MAX_PAUSE) revert BadPauseDuration(duration, MAX_PAUSE);
        uint40 until = _counters.pausedUntil;
        if (block.timestamp >= until) {
            // a new pause: the last one (if any) is over, add it to the total
            PauseClock memory clock = _pauseClock;
            _pauseClock = PauseClock({start: uint40(block.timestamp), total: clock.total + (until - clock.start)});
        }
        uint64 end = uint64(block.timestamp) + duration;
        _counters.pausedUntil = uint40(end);
        emit Paused(msg.sender, end);
    }

    /// @notice Ends the pause now.
    function unpause() external onlyRole(GUARDIAN_ROLE) {
        if (block.timestamp < _counters.pausedUntil) _counters.pausedUntil = uint40(block.timestamp);
        emit Unpaused(msg.sender);
    }

    /// @notice Sends the fees of answered forced requests to `to`.
    function collectForcedFees(address to) external onlyRole(OPERATOR_ROLE) {
        _collectForcedFees(to);
    }

    function _accountsOpened() internal view override returns (uint64) {
        return vault.nextAccount();
    }

    /// @dev The oldest deposit or owner key a batch could still credit (Vault.oldestUncredited:
    /// reclaimed positions never make a freeze due, a rotation behind a closed queue does).
    function _oldestUncreditedDeposit() internal view override returns (bool, uint256) {
        return vault.oldestUncredited(_counters.depositsProcessed);
    }

    function _exitSigner(uint32 account) internal view override returns (uint256) {
        return vault.exitSigner(account, _counters.depositsProcessed);
    }

    function _freezeSnapshot()
        internal
        view
        override
        returns (uint256 root, uint64 batches, uint64 roundId, uint256 pool)
    {
        Counters memory c = _counters;
        return (stateRoot, c.batchCount, c.latestRoundId, vault.exitPool(c.depositsProcessed));
    }

    function _verifyExit(Groth16Call.Proof calldata proof, uint256[] memory pub) internal view override returns (bool) {
        return Groth16Call.verify(exitVerifier, selExit, proof, pub);
    }

    function _verifySkip(Groth16Call.Proof calldata proof, uint256[] memory pub) internal view override returns (bool) {
        return Groth16Call.verify(skipVerifier, sel4, proof, pub);
    }

    /// @dev The marks of the round recorded at the freeze; with no round ever posted, no
    /// trade ever settled (no position is open), and the marks are zeros (the indices tick 0's).
    function _frozenBinding(uint64 roundId) internal override returns (uint256) {
        if (roundId != 0) return bindRound(roundId);
        return _bind(new uint64[](marketCount), 0);
    }

    function _creditExit(address recipient, uint256 amount) internal override {
        vault.credit(recipient, amount);
    }

    /// @notice Seconds spent paused so far, in all pauses (a pause counts from when it began
    /// to when it ended: expired, renewed to a later end, or ended early by unpause).
    function pausedTime() public view returns (uint64) {
        PauseClock memory clock = _pauseClock;
        uint256 end = _counters.pausedUntil;
        if (block.timestamp < end) end = block.timestamp;
        return uint64(clock.total + (end - clock.start));
    }

    /// @notice For the Vault, in one call: the end of the current or last pause, the seconds
    /// spent paused so far (pausedTime), the deposits already credited and whether frozen.
    function vaultView() external view returns (uint64 until, uint64 pausedSeconds, uint64 processed, bool isFrozen) {
        Counters memory c = _counters;
        return (c.pausedUntil, pausedTime(), c.depositsProcessed, frozen());
    }

    /// @notice Computes and stores an oracle round's priceConfigHash (its prices and the
    /// funding indices in effect at it, see _bind), so that batches proven at that round
    /// need not hash on-chain. Anyone may call.
    function bindRound(uint64 roundId) public returns (uint256 binding) {
        binding = roundBinding[roundId];
        if (binding != 0) return binding;
        uint64[] memory p = oracle.roundPrices(roundId);
        if (p.length != marketCount) revert MarketCountMismatch(p.length, marketCount);
        binding = _bind(p, roundId);
        roundBinding[roundId] = binding;
        roundTime[roundId] = oracle.roundTimestamp(roundId);
        roundTradeBinding[roundId] = PoseidonT3.hash([binding, oracle.roundReduceOnly(roundId)]);
        emit RoundBound(roundId, binding);
    }

    /// @dev Poseidon(Poseidon(configHash, prices), funding.hashOf(roundId), the oracle's
    /// margin multipliers of the round): the priceConfigHash MarketBinding computes in the
    /// circuits (the outer Poseidon is Funding's bindingOf, which keeps this contract's code
    /// small).
    function _bind(uint64[] memory p, uint64 roundId) private view returns (uint256) {
        return funding.bindingOf(_bindPrices(p), roundId);
    }

    /// @dev Poseidon(configHash, prices): the price part of the binding.
    function _bindPrices(uint64[] memory p) private view returns (uint256) {
        if (marketCount == 1) return PoseidonT3.hash([configHash, p[0]]);
        if (marketCount == 2) return PoseidonT4.hash([configHash, p[0], p[1]]);
        if (marketCount == 3) return PoseidonT5.hash([configHash, p[0], p[1], p[2]]);
        return PoseidonT6.hash([configHash, p[0], p[1], p[2], p[3]]);
    }

    /// @dev The price rule (see the contract's description): the round's binding, once the
    /// round is not behind the last one used, not superseded for longer than `grace`, and
    /// fresh. The common case (the latest round, already bound) reads the counters' slot,
    /// which the oracle keeps current, and the binding: no call to the oracle.
    function _priceBinding(uint64 roundId, uint64 grace) private returns (uint256 binding) {
        Counters memory c = _counters;
        if (roundId < c.lastRoundUsed) revert RoundBehind(roundId, c.lastRoundUsed);
        if (roundId > c.latestRoundId) revert RoundNotAnnounced(roundId, c.latestRoundId);
        binding = bindRound(roundId);
        uint64 ts = c.latestRoundTime;
        if (roundId != c.latestRoundId) {
            // a newer round exists: how long ago was the next one posted?
            if (block.timestamp >= roundPostedAt[roundId + 1] + grace) {
                revert RoundSuperseded(roundId, c.latestRoundId);
            }
            ts = roundTime[roundId];
        }
        if (block.timestamp > uint256(ts) + maxPriceAge) revert StalePrices(roundId, ts);
        if (roundId != c.lastRoundUsed) _counters.lastRoundUsed = uint40(roundId);
    }

    /// @dev The verifier of a batch kind and its function selector (by public input count).
    function _verifierOf(uint8 kind) private view returns (address, bytes4) {
        if (kind == KIND_TRADES) return (tradeVerifier, sel4);
        if (kind == KIND_DEPOSITS) return (depositVerifier, sel4);
        if (kind == KIND_WITHDRAWALS) return (withdrawalVerifier, selWithdrawals);
        if (kind == KIND_LIQUIDATIONS) return (liquidationVerifier, sel4);
        return (forcedVerifier, selForced);
    }

    /// @dev Accepts a batch whose public inputs are built: from the current root, changing
    /// it (but for a forced batch), attested by the committee (trades, withdrawals and
    /// liquidations: the kinds whose data is not on-chain), with a valid proof.
    function _accept(
        Groth16Call.Proof calldata proof,
        uint256[] memory pub,
        uint8 kind,
        uint256 dataCommitment,
        uint64 roundId,
        bytes calldata attestations
    ) private {
        uint256 oldRoot = stateRoot;
        if (pub[0] != oldRoot) revert StaleRoot(oldRoot, pub[0]);
        // a forced batch that refuses every request keeps the root: it still answers them
        if (pub[1] == oldRoot && kind != KIND_FORCED) revert NoOpBatch(oldRoot);
        if (kind != KIND_DEPOSITS && kind != KIND_FORCED) {
            _checkAttested(_counters.batchCount, kind, oldRoot, pub[1], dataCommitment, roundId, attestations);
        }
        (address verifier, bytes4 sel) = _verifierOf(kind);
        if (!Groth16Call.verify(verifier, sel, proof, pub)) revert InvalidProof();
        stateRoot = pub[1];
        uint40 n = _counters.batchCount;
        _counters.batchCount = n + 1;
        emit BatchSettled(n, kind, oldRoot, pub[1], dataCommitment, roundId);
    }

    /// @notice Settles a batch of trades proven at oracle round `roundId`'s prices.
    /// @param oldRoot the root the batch was proven from (must be the current root)
    /// @param attestations k committee members' signatures of the batch (DataAvailability)
    function submitTrades(
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId,
        bytes calldata attestations
    ) external onlyRole(OPERATOR_ROLE) whenNotFrozen whenNotPaused {
        _acceptPriced(KIND_TRADES, proof, oldRoot, newRoot, dataCommitment, roundId, roundGrace, attestations);
    }

    /// @notice Settles a batch of liquidations proven at oracle round `roundId`'s prices,
    /// which must be the oracle's latest round (no grace); the event carries those prices.
    function submitLiquidations(
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId,
        bytes calldata attestations
    ) external onlyRole(OPERATOR_ROLE) whenNotFrozen whenNotPaused {
        uint64 n = _counters.batchCount;
        _acceptPriced(KIND_LIQUIDATIONS, proof, oldRoot, newRoot, dataCommitment, roundId, 0, attestations);
        // what a skip proof against this batch names (DeleverageChallenge)
        _recordLiquidation(n, dataCommitment, roundBinding[roundId]);
        emit LiquidationsSettled(n, roundId, oracle.roundPrices(roundId), dataCommitment);
    }

    /// @dev The batch kinds whose public inputs are [oldRoot, newRoot, dataCommitment, binding].
    function _acceptPriced(
        uint8 kind,
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 dataCommitment,
        uint64 roundId,
        uint64 grace,
        bytes calldata attestations
    ) private {
        uint256[] memory pub = new uint256[](4);
        pub[0] = oldRoot;
        pub[1] = newRoot;
        pub[2] = dataCommitment;
        pub[3] = _priceBinding(roundId, grace);
        // trades are also bound to the round's reduce-only markets (its circuit breakers)
        if (kind == KIND_TRADES) pub[3] = roundTradeBinding[roundId];
        _accept(proof, pub, kind, dataCommitment, roundId, attestations);
    }

    /// @notice Credits the next `count` deposits of the Vault's queue (at least one, and none
    /// at or beyond a deposit its depositor reclaimed).
    function submitDeposits(Groth16Call.Proof calldata proof, uint256 oldRoot, uint256 newRoot, uint64 count)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotFrozen
        whenNotPaused
    {
        if (count == 0) revert EmptyBatch();
        uint64 from = _counters.depositsProcessed;
        (uint64 queued, uint64 firstReclaimed) = vault.depositQueue();
        if (from + count > firstReclaimed) revert DepositReclaimed(firstReclaimed);
        if (from + count > queued) revert NotEnoughDeposits(from + count, queued);
        uint256[] memory pub = new uint256[](4);
        pub[0] = oldRoot;
        pub[1] = newRoot;
        pub[2] = vault.queueHashAt(from);
        pub[3] = vault.queueHashAt(from + count);
        _counters.depositsProcessed = uint40(from + count);
        _accept(proof, pub, KIND_DEPOSITS, pub[3], 0, msg.data[0:0]);
    }

    /// @notice Settles signed withdrawals proven at round `roundId`'s prices and credits
    /// each payout (recipient | amount << 160) to its recipient in the Vault.
    function submitWithdrawals(
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint64 roundId,
        uint256[] calldata payouts,
        bytes calldata attestations
    ) external onlyRole(OPERATOR_ROLE) whenNotFrozen whenNotPaused {
        (uint256[] memory pub, uint256 commitment) = _withdrawalPublic(oldRoot, newRoot, roundId, payouts);
        _accept(proof, pub, KIND_WITHDRAWALS, commitment, roundId, attestations);
        for (uint256 i = 0; i < payouts.length; i++) {
            uint256 p = payouts[i];
            if (p != 0) vault.credit(address(uint160(p)), p >> 160);
        }
    }

    /// @dev ProcessWithdrawals' public inputs and the payouts' commitment.
    function _withdrawalPublic(uint256 oldRoot, uint256 newRoot, uint64 roundId, uint256[] calldata payouts)
        private
        returns (uint256[] memory pub, uint256 commitment)
    {
        uint256 w = withdrawalSlots;
        if (payouts.length != w) revert PayoutCount(payouts.length, w);
        commitment = uint256(keccak256(abi.encode(payouts)));
        pub = new uint256[](3 + w);
        pub[0] = oldRoot;
        pub[1] = newRoot;
        pub[2] = _priceBinding(roundId, roundGrace);
        for (uint256 i = 0; i < w; i++) pub[3 + i] = payouts[i];
    }

    /// @notice Answers the next `count` forced requests of the queue with a proof at round
    /// `roundId`'s prices (the price rule applies, with the grace): each is paid or refused
    /// for a proven reason (`outcomes`); paid ones are credited to their recipients in the
    /// Vault. The only way the forced queue advances. A batch that refuses every request
    /// leaves the root as it is and still takes a batch number: it answers them.
    function submitForced(
        Groth16Call.Proof calldata proof,
        uint256 oldRoot,
        uint256 newRoot,
        uint64 roundId,
        uint64 count,
        uint256 outcomes,
        uint256[] calldata payouts
    ) external onlyRole(OPERATOR_ROLE) whenNotFrozen whenNotPaused {
        uint256[] memory pub = _forcedPublic(oldRoot, newRoot, roundId, count, outcomes, payouts);
        _accept(proof, pub, KIND_FORCED, pub[4], roundId, msg.data[0:0]);
        for (uint256 i = 0; i < payouts.length; i++) {
            uint256 p = payouts[i];
            if (p != 0) vault.credit(address(uint160(p)), p >> 160);
        }
    }

    /// @dev AnswerForced's public inputs; consumes `count` requests of the forced queue and
    /// announces their outcomes (the batch reverts as a whole if the proof fails).
    function _forcedPublic(
        uint256 oldRoot,
        uint256 newRoot,
        uint64 roundId,
        uint64 count,
        uint256 outcomes,
        uint256[] calldata payouts
    ) private returns (uint256[] memory pub) {
        uint256 w = withdrawalSlots;
        if (payouts.length != w) revert PayoutCount(payouts.length, w);
        (uint64 queued, uint64 from) = _forcedQueue();
        if (count == 0 || count > w || from + count > queued) revert ForcedCount(count, queued - from, w);
        pub = new uint256[](6 + w);
        pub[0] = oldRoot;
        pub[1] = newRoot;
        pub[2] = _priceBinding(roundId, roundGrace);
        (pub[3], pub[4]) = _answerForced(count);
        pub[5] = outcomes;
        for (uint256 i = 0; i < w; i++) pub[6 + i] = payouts[i];
        emit ForcedAnswered(_counters.batchCount, from, count, outcomes);
    }
}
