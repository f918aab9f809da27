// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {Governed} from "./Governed.sol";
import {VolatilityMargins} from "./VolatilityMargins.sol";

/// @notice Who the oracle tells about every round it finalises (the Settlement contract).
interface IRoundConsumer {
    /// @notice Round `roundId` was finalised with this timestamp.
    function onRound(uint64 roundId, uint64 timestamp) external;
}

/// @title PriceOracle: k-of-n signed median prices, one round at a time
/// @notice See IPriceOracle for the report format, the rules of a round and the aggregation.
/// @dev Design choices:
/// - Duplicate signers are caught with a bitmap over the signers' positions in the signer
///   set, so reports may be submitted in any order (no sorting by address is required of the
///   submitter). The position lookup is the same storage read that checks membership.
/// - Medians are computed by inserting each report's prices into per-market sorted columns in
///   memory (insertion sort; at most MAX_SIGNERS x MAX_MARKETS values).
/// - The price is the lower median (index (k - 1) / 2 of the sorted reports), so it is always
///   one of the reports. A round has k >= quorum >= MIN_QUORUM = 3 reports; see IPriceOracle
///   for why at most floor((k - 1) / 2) faulty reports (one, with three) cannot move it
///   outside the honest reports' range.
/// - The round timestamp is the minimum report timestamp (the most conservative freshness), and
///   it must exceed the previous round's; the latest round's id and timestamp share one slot
///   with the settings, so Settlement's check of "is this the latest round, and how old is
///   it" is one cold storage read.
/// - The signer set is capped at MAX_SIGNERS and the market count at MAX_MARKETS to bound gas.
/// - Roles (Governed = AccessControl): ORACLE_ADMIN_ROLE changes signers and quorum (together,
///   always a majority), bounds and the report age; DEFAULT_ADMIN_ROLE grants it. Both are held
///   by timelocks in a deployment; DEFAULT_ADMIN_ROLE can never be left without a holder, so the
///   oracle can always be reconfigured (through the timelock's delay).
contract PriceOracle is IPriceOracle, Governed, EIP712, VolatilityMargins {
    /// @notice The role that sets signers and quorum, bounds and the maximum report age.
    bytes32 public constant ORACLE_ADMIN_ROLE = keccak256("ORACLE_ADMIN_ROLE");

    /// @notice The largest signer set, hence also the most reports a round can have.
    uint256 public constant MAX_SIGNERS = 16;

    /// @notice The largest number of markets.
    uint256 public constant MAX_MARKETS = 8;

    /// @notice The smallest quorum: a round has at least 3 reports, so its lower median is
    /// always between two honest reports while one signer is faulty (see IPriceOracle).
    uint256 public constant MIN_QUORUM = 3;

    /// @notice The largest breaker bound: a move of 100% of the previous price.
    uint16 public constant MAX_BREAKER_MOVE_BPS = 10_000;

    /// @notice The longest breaker cool-down: a day, so no configuration keeps a market
    /// reduce-only for long after one move.
    uint32 public constant MAX_BREAKER_COOLDOWN = 1 days;

    /// @notice keccak256 of the EIP-712 type string of a report.
    bytes32 public constant REPORT_TYPEHASH =
        keccak256("Report(uint64 roundId,uint64 timestamp,uint64[] prices)");

    /// @dev Settings read by every submitRound, and the latest round, packed in one storage slot.
    struct Config {
        uint64 latestRoundId;
        uint64 latestTimestamp;
        uint64 maxAge;
        uint8 quorum;
    }

    /// @notice Constructor arguments.
    /// @param admin DEFAULT_ADMIN_ROLE: grants and revokes ORACLE_ADMIN_ROLE (the governance timelock).
    /// @param oracleAdmin ORACLE_ADMIN_ROLE (the oracle admin's timelock).
    /// @param marketCount The number of markets, 1..MAX_MARKETS.
    /// @param maxAge The maximum age of a report in seconds, > 0.
    /// @param quorum The number of reports a round needs: a majority of the signers, and at least MIN_QUORUM (3).
    /// @param signers The initial signers, distinct and non-zero, 1..MAX_SIGNERS of them.
    /// @param minPrices Per market, the lowest accepted price (> 0).
    /// @param maxPrices Per market, the highest accepted price (>= minPrices[m]).
    /// @param breakerMoveBps The largest move from one round to the next that leaves a market
    /// open, basis points of the previous price, 1..MAX_BREAKER_MOVE_BPS (immutable).
    /// @param breakerCooldown Seconds (round time) a tripped market stays reduce-only,
    /// 1..MAX_BREAKER_COOLDOWN (immutable).
    /// @param margins The volatility margin rule's parameters (VolatilityMargins, immutable).
    struct Setup {
        address admin;
        address oracleAdmin;
        uint8 marketCount;
        uint64 maxAge;
        uint8 quorum;
        address[] signers;
        uint64[] minPrices;
        uint64[] maxPrices;
        uint16 breakerMoveBps;
        uint32 breakerCooldown;
        MarginRule margins;
    }

    /// @dev A finalised round. `prices[m]` for m < marketCount; the rest stay 0 and are never written.
    struct Round {
        uint64 timestamp;
        uint8 signerCount;
        // bit m: market m was reduce-only at this round's timestamp (the breaker rule)
        uint8 reduceOnly;
        uint64[MAX_MARKETS] prices;
    }

    /// @dev Working memory of one submitRound (kept in a struct to stay within the stack).
    struct Scratch {
        uint64 roundId;
        uint64 maxAge;
        // bit (position - 1) is set once that signer has reported in this round
        uint256 seen;
        // the oldest report timestamp so far
        uint64 oldest;
        uint64[] minPrice;
        uint64[] maxPrice;
        // columns[m][0:i] holds the sorted prices of market m from the first i reports
        uint256[][] columns;
        // signers[i] signed report i
        address[] signers;
    }

    /// @dev The number of markets, fixed at deployment.
    uint8 private immutable _marketCount;

    /// @inheritdoc IPriceOracle
    uint16 public immutable breakerMoveBps;

    /// @inheritdoc IPriceOracle
    uint32 public immutable breakerCooldown;

    /// @dev Per market, until when (round time) it is reduce-only.
    uint64[MAX_MARKETS] private _breakerUntil;

    Config private _config;

    address[] private _signers;

    /// @dev 1-based position of a signer in `_signers`; 0 for a non-signer.
    mapping(address account => uint256 position) private _signerPosition;

    /// @dev Per-market bounds, set for every market at deployment (minimum > 0).
    uint64[MAX_MARKETS] private _minPrice;
    uint64[MAX_MARKETS] private _maxPrice;

    mapping(uint64 roundId => Round) private _rounds;

    /// @notice The contract told about every round (Settlement), set once by the deployer.
    address public consumer;
    address private immutable _deployer;

    /// @notice The consumer was set.
    event ConsumerSet(address consumer);
    /// @notice The consumer is already set, or the caller is not the deployer.
    error ConsumerAlreadySet();

    /// @notice Deploys the oracle with its roles, signers, quorum and every market's bounds.
    /// @dev Emits RoleGranted for both roles, SignerAdded per signer, QuorumChanged,
    /// MaxAgeChanged and BoundsChanged per market.
    constructor(Setup memory c) EIP712("zkclear PriceOracle", "1") VolatilityMargins(c.margins) {
        if (c.marketCount == 0 || c.marketCount > MAX_MARKETS) revert InvalidMarketCount(c.marketCount);
        _marketCount = c.marketCount;
        if (
            c.breakerMoveBps == 0 || c.breakerMoveBps > MAX_BREAKER_MOVE_BPS || c.breakerCooldown == 0
                || c.breakerCooldown > MAX_BREAKER_COOLDOWN
        ) revert InvalidBreaker(c.breakerMoveBps, c.breakerCooldown);
        breakerMoveBps = c.breakerMoveBps;
        breakerCooldown = c.breakerCooldown;
        _deployer = msg.sender;
        _grantRole(DEFAULT_ADMIN_ROLE, c.admin);
        _grantRole(ORACLE_ADMIN_ROLE, c.oracleAdmin);
        _setSigners(c.signers, c.quorum);
        _setMaxAge(c.maxAge);
        if (c.minPrices.length != c.marketCount || c.maxPrices.length != c.marketCount) {
            revert BoundsCount(c.minPrices.length, c.marketCount);
        }
        for (uint8 m = 0; m < c.marketCount; ++m) {
            _setBounds(m, c.minPrices[m], c.maxPrices[m]);
        }
    }

    /// @notice Wires the consumer (the Settlement contract), once, by the deployer, and tells
    /// it the latest round. Every later round is announced to it as it is finalised, so
    /// Settlement knows the latest round without calling the oracle. Nobody can change it.
    function setConsumer(address consumer_) external {
        if (msg.sender != _deployer || consumer != address(0) || consumer_ == address(0)) {
            revert ConsumerAlreadySet();
        }
        consumer = consumer_;
        emit ConsumerSet(consumer_);
        Config storage config = _config;
        IRoundConsumer(consumer_).onRound(config.latestRoundId, config.latestTimestamp);
    }

    // ------------------------------------------------------------------ oracle admin functions

    /// @inheritdoc IPriceOracle
    function setSigners(address[] calldata newSigners, uint8 newQuorum) external onlyRole(ORACLE_ADMIN_ROLE) {
        _setSigners(newSigners, newQuorum);
    }

    /// @inheritdoc IPriceOracle
    function setMaxAge(uint64 newMaxAge) external onlyRole(ORACLE_ADMIN_ROLE) {
        _setMaxAge(newMaxAge);
    }

    /// @inheritdoc IPriceOracle
    function setBounds(uint8 market, uint64 minPrice, uint64 maxPrice) external onlyRole(ORACLE_ADMIN_ROLE) {
        _setBounds(market, minPrice, maxPrice);
    }

    // ------------------------------------------------------------------ rounds

    /// @inheritdoc IPriceOracle
    function submitRound(uint64 roundId, Report[] calldata reports, bytes[] calldata signatures) external {
        Config memory config = _config;
        uint256 count = reports.length;

        // A. The round and the number of reports.
        uint64 expected = config.latestRoundId + 1;
        if (roundId != expected) revert UnexpectedRoundId(roundId, expected);
        if (signatures.length != count) revert ReportCountMismatch(count, signatures.length);
        if (count < config.quorum) revert NotEnoughReports(count, config.quorum);
        if (count > MAX_SIGNERS) revert TooManyReports(count, MAX_SIGNERS);

        // B. The bounds, and memory for the columns.
        Scratch memory scratch = _newScratch(roundId, config.maxAge, count);

        // C. Check each report and insert its prices into the sorted columns.
        for (uint256 i = 0; i < count; ++i) {
            _acceptReport(scratch, i, reports[i], signatures[i]);
        }

        // D. Time moves forward: the round is newer than the previous one.
        if (scratch.oldest <= config.latestTimestamp) revert RoundNotNewer(scratch.oldest, config.latestTimestamp);

        // E. Medians, storage and the event.
        Round storage round = _rounds[roundId];
        round.timestamp = scratch.oldest;
        round.signerCount = uint8(count);
        uint64[] memory medians = new uint64[](scratch.columns.length);
        for (uint256 m = 0; m < medians.length; ++m) {
            uint64 median = _median(scratch.columns[m], count);
            medians[m] = median;
            round.prices[m] = median;
        }
        round.reduceOnly = _rules(roundId, scratch.oldest, medians);
        _config.latestRoundId = roundId;
        _config.latestTimestamp = scratch.oldest;
        emit RoundFinalized(roundId, scratch.oldest, medians, scratch.signers);

        // F. Tell the consumer (Settlement) that this is the latest round now.
        address c = consumer;
        if (c != address(0)) IRoundConsumer(c).onRound(roundId, scratch.oldest);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IPriceOracle
    function reportDigest(Report calldata report) external view returns (bytes32) {
        return _reportDigest(report);
    }

    /// @inheritdoc IPriceOracle
    function latestRoundId() external view returns (uint64) {
        return _config.latestRoundId;
    }

    /// @inheritdoc IPriceOracle
    function latestRound() external view returns (uint64 roundId, uint64 timestamp) {
        Config storage config = _config;
        return (config.latestRoundId, config.latestTimestamp);
    }

    /// @inheritdoc IPriceOracle
    function roundPrices(uint64 roundId) external view returns (uint64[] memory prices) {
        Round storage round = _existingRound(roundId);
        prices = new uint64[](_marketCount);
        for (uint256 m = 0; m < prices.length; ++m) {
            prices[m] = round.prices[m];
        }
    }

    /// @inheritdoc IPriceOracle
    function roundReduceOnly(uint64 roundId) external view returns (uint8) {
        return _existingRound(roundId).reduceOnly;
    }

    /// @inheritdoc IPriceOracle
    function breakerUntil(uint8 market) external view returns (uint64) {
        if (market >= _marketCount) revert UnknownMarket(market);
        return _breakerUntil[market];
    }

    /// @inheritdoc IPriceOracle
    function roundTimestamp(uint64 roundId) external view returns (uint64) {
        return _existingRound(roundId).timestamp;
    }

    /// @inheritdoc IPriceOracle
    function roundSignerCount(uint64 roundId) external view returns (uint8) {
        return _existingRound(roundId).signerCount;
    }

    /// @inheritdoc IPriceOracle
    function signers() external view returns (address[] memory) {
        return _signers;
    }

    /// @inheritdoc IPriceOracle
    function isSigner(address account) external view returns (bool) {
        return _signerPosition[account] != 0;
    }

    /// @inheritdoc IPriceOracle
    function quorum() external view returns (uint8) {
        return _config.quorum;
    }

    /// @inheritdoc IPriceOracle
    function maxAge() external view returns (uint64) {
        return _config.maxAge;
    }

    /// @inheritdoc IPriceOracle
    function marketCount() external view returns (uint8) {
        return _marketCount;
    }

    /// @inheritdoc IPriceOracle
    function bounds(uint8 market) external view returns (uint64 minPrice, uint64 maxPrice) {
        if (market >= _marketCount) revert UnknownMarket(market);
        return (_minPrice[market], _maxPrice[market]);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Replaces the signer set and the quorum; the quorum must be a majority of the new
    /// set and at least MIN_QUORUM (so a set has at least 3 signers).
    function _setSigners(address[] memory newSigners, uint8 newQuorum) private {
        for (uint256 i = _signers.length; i > 0; --i) {
            address old = _signers[i - 1];
            _signers.pop();
            delete _signerPosition[old];
            emit SignerRemoved(old);
        }
        if (newSigners.length > MAX_SIGNERS) revert TooManySigners(MAX_SIGNERS);
        for (uint256 i = 0; i < newSigners.length; ++i) {
            address signer = newSigners[i];
            if (signer == address(0)) revert InvalidSigner();
            if (_signerPosition[signer] != 0) revert SignerAlreadyAdded(signer);
            _signers.push(signer);
            _signerPosition[signer] = i + 1;
            emit SignerAdded(signer);
        }
        uint256 n = newSigners.length;
        if (newQuorum < MIN_QUORUM || newQuorum < n / 2 + 1 || newQuorum > n) revert InvalidQuorum(newQuorum, n);
        emit QuorumChanged(_config.quorum, newQuorum);
        _config.quorum = newQuorum;
    }

    function _setBounds(uint8 market, uint64 minPrice, uint64 maxPrice) private {
        if (market >= _marketCount) revert UnknownMarket(market);
        if (minPrice == 0 || minPrice > maxPrice) revert InvalidBounds(minPrice, maxPrice);
        _minPrice[market] = minPrice;
        _maxPrice[market] = maxPrice;
        emit BoundsChanged(market, minPrice, maxPrice);
    }

    function _setMaxAge(uint64 newMaxAge) private {
        if (newMaxAge == 0) revert InvalidMaxAge();
        emit MaxAgeChanged(_config.maxAge, newMaxAge);
        _config.maxAge = newMaxAge;
    }

    /// @dev Loads the bounds and allocates the columns and the signer list of a round of
    /// `count` reports.
    function _newScratch(
        uint64 roundId,
        uint64 maxAge_,
        uint256 count
    ) private view returns (Scratch memory scratch) {
        uint256 marketCount_ = _marketCount;
        scratch.roundId = roundId;
        scratch.maxAge = maxAge_;
        scratch.oldest = type(uint64).max;
        scratch.minPrice = new uint64[](marketCount_);
        scratch.maxPrice = new uint64[](marketCount_);
        scratch.columns = new uint256[][](marketCount_);
        for (uint256 m = 0; m < marketCount_; ++m) {
            scratch.minPrice[m] = _minPrice[m];
            scratch.maxPrice[m] = _maxPrice[m];
            scratch.columns[m] = new uint256[](count);
        }
        scratch.signers = new address[](count);
    }

    /// @dev Checks report `index` (rules 4a-4h of IPriceOracle) and records its signer,
    /// timestamp and prices in `scratch`.
    function _acceptReport(
        Scratch memory scratch,
        uint256 index,
        Report calldata report,
        bytes calldata signature
    ) private view {
        // Who signed it: a current signer, once.
        address signer = _recover(index, _reportDigest(report), signature);
        uint256 position = _signerPosition[signer];
        if (position == 0) revert UnknownSigner(index, signer);
        uint256 bit = 1 << (position - 1);
        if (scratch.seen & bit != 0) revert DuplicateSigner(index, signer);
        scratch.seen |= bit;
        scratch.signers[index] = signer;

        // What it says: this round, fresh, one price per market, each within its bounds.
        if (report.roundId != scratch.roundId) {
            revert ReportRoundMismatch(index, report.roundId, scratch.roundId);
        }
        uint64 timestamp = report.timestamp;
        if (timestamp > block.timestamp) revert FutureReport(index, timestamp, block.timestamp);
        if (block.timestamp - timestamp > scratch.maxAge) {
            revert StaleReport(index, timestamp, block.timestamp);
        }
        if (timestamp < scratch.oldest) scratch.oldest = timestamp;
        _acceptPrices(scratch, index, report.prices);
    }

    /// @dev Checks that report `index` has one price per market, each within its bounds, and
    /// inserts them into the sorted columns.
    function _acceptPrices(Scratch memory scratch, uint256 index, uint64[] calldata prices) private pure {
        uint256 marketCount_ = scratch.columns.length;
        if (prices.length != marketCount_) revert WrongPriceCount(index, prices.length, marketCount_);
        for (uint256 m = 0; m < marketCount_; ++m) {
            uint64 price = prices[m];
            uint64 minPrice = scratch.minPrice[m];
            uint64 maxPrice = scratch.maxPrice[m];
            if (price < minPrice || price > maxPrice) {
                revert PriceOutOfBounds(index, m, price, minPrice, maxPrice);
            }
            _insertSorted(scratch.columns[m], index, price);
        }
    }

    /// @dev The rules every round applies from its prices: the breakers (returns the round's
    /// reduce-only mask) and the volatility margins (VolatilityMargins, recorded there).
    function _rules(uint64 roundId, uint64 time, uint64[] memory prices) private returns (uint8 mask) {
        mask = _breakers(roundId, time, prices);
        // the margins' grace runs in block time: from when a round is posted
        _stepMargins(roundId, uint64(block.timestamp), prices, _pricesOf(roundId - 1, prices.length));
    }

    /// @dev The breaker rule (IPriceOracle): trips every market that moved more than
    /// breakerMoveBps since round `roundId - 1`, and returns the markets reduce-only at `time`.
    function _breakers(uint64 roundId, uint64 time, uint64[] memory prices) private returns (uint8 mask) {
        uint64[MAX_MARKETS] storage previous = _rounds[roundId - 1].prices;
        for (uint256 m = 0; m < prices.length; ++m) {
            uint64 until = _breakerUntil[m];
            uint64 before = previous[m];
            uint64 price = prices[m];
            // round 1 has no previous round (its prices read 0): nothing to compare
            if (roundId > 1) {
                uint256 move = price > before ? price - before : before - price;
                if (move * 10_000 > uint256(breakerMoveBps) * before) {
                    until = time + breakerCooldown;
                    _breakerUntil[m] = until;
                    emit BreakerTripped(uint8(m), roundId, before, price, until);
                }
            }
            if (time < until) mask |= uint8(1 << m);
        }
    }

    /// @dev Round `roundId`'s prices of the first `count` markets (zeros for round 0).
    function _pricesOf(uint64 roundId, uint256 count) private view returns (uint64[] memory prices) {
        uint64[MAX_MARKETS] storage stored = _rounds[roundId].prices;
        prices = new uint64[](count);
        for (uint256 m = 0; m < count; ++m) {
            prices[m] = stored[m];
        }
    }

    /// @dev VolatilityMargins' market count.
    function _marginMarkets() internal view override returns (uint256) {
        return _marketCount;
    }

    /// @dev VolatilityMargins' round check.
    function _requireRound(uint64 roundId) internal view override {
        _existingRound(roundId);
    }

    function _existingRound(uint64 roundId) private view returns (Round storage) {
        if (roundId == 0 || roundId > _config.latestRoundId) revert UnknownRound(roundId);
        return _rounds[roundId];
    }

    /// @dev EIP-712 digest of a report: hashStruct encodes `uint64[] prices` as the keccak256 of
    /// its elements each padded to 32 bytes, which is what abi.encodePacked does for arrays.
    function _reportDigest(Report calldata report) private view returns (bytes32) {
        bytes32 pricesHash = keccak256(abi.encodePacked(report.prices));
        bytes32 structHash = keccak256(abi.encode(REPORT_TYPEHASH, report.roundId, report.timestamp, pricesHash));
        return _hashTypedDataV4(structHash);
    }

    /// @dev Recovers the signer of `digest` from a 65-byte (r, s, v) signature. OpenZeppelin's
    /// ECDSA refuses high-s (malleable) signatures and v other than 27 or 28.
    function _recover(uint256 index, bytes32 digest, bytes calldata signature) private pure returns (address) {
        if (signature.length != 65) revert InvalidSignature(index);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, v, r, s);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(index);
        return signer;
    }

    /// @dev Inserts `value` into the sorted prefix `column[0:filled]`, keeping it sorted.
    function _insertSorted(uint256[] memory column, uint256 filled, uint256 value) private pure {
        uint256 j = filled;
        while (j > 0 && column[j - 1] > value) {
            column[j] = column[j - 1];
            --j;
        }
        column[j] = value;
    }

    /// @dev Lower median of the sorted `column[0:count]`, count >= 1: the element at index
    /// (count - 1) / 2, always one of the reported values.
    function _median(uint256[] memory column, uint256 count) private pure returns (uint64) {
        return uint64(column[(count - 1) / 2]);
    }
}
