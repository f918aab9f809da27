// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {PoseidonT2} from "poseidon-solidity/PoseidonT2.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IFunding} from "./interfaces/IFunding.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";

/// @notice The oracle's record of each round's margin multipliers (VolatilityMargins).
interface IMarginRecord {
    function roundMarginsWord(uint64 roundId) external view returns (uint256);
}

/// @title Funding
/// @notice The funding indices of one zkclear deployment (see IFunding for the rules of a
/// tick). Settlement creates it in its constructor and is its `settlement` for good: the
/// operator is whoever holds Settlement's OPERATOR_ROLE, a tick waits out Settlement's
/// pause and stops at its freeze, and the price age is Settlement's. The interval and the
/// cap on the rate come from Settlement's configuration and are immutable: no role can
/// change them. The rate itself is the operator's choice within the cap (the README states
/// the rule it follows); what a tick can do is bounded by the cap, once per interval.
///
/// Storage per tick: its fromRound, period and time (one slot, the only one `tickOf`'s
/// binary search reads), its indices (four int64 in one slot) and their fundingHash.
contract Funding is IFunding {
    /// @notice Settlement's operator role: who may tick.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice The largest cap on |rate| a deployment may set: 10% of the price per interval.
    uint32 public constant MAX_RATE_CAP_PPM = 100_000;
    /// @dev Indices are hashed biased by 2^63, as the circuits read them.
    uint256 private constant BIAS = 1 << 63;
    /// @dev Index units per quote unit (indices count 2^-20 quote units per lot).
    int256 private constant INDEX_UNIT = 1 << 20;
    /// @dev Rates count parts per million of the price.
    int256 private constant RATE_DENOMINATOR = 1_000_000;

    /// @notice The Settlement contract that created this one.
    address public immutable settlement;
    IPriceOracle public immutable oracle;
    /// @notice Markets (M), 1..4: one rate and one index per market.
    uint8 public immutable marketCount;
    /// @notice Seconds per funding period: at most one tick per period of unix time.
    uint64 public immutable interval;
    /// @notice The cap on |rate| per tick, parts per million of the price.
    uint32 public immutable maxRatePpm;
    /// @notice Settlement's maxPriceAge: the oldest oracle round a tick may price at.
    uint64 public immutable maxPriceAge;

    struct Tick {
        // the first oracle round this tick's indices are in effect for
        uint64 fromRound;
        // block.timestamp / interval when it was made (at deployment, for tick 0)
        uint64 period;
        // block.timestamp when it was made (0 for tick 0: the first tick waits for the next
        // period only)
        uint64 time;
        // the indices, markets 0..M-1 (the rest 0)
        int64[4] indices;
        // Poseidon(M)(I_j + 2^63)
        uint256 fundingHash;
    }

    Tick[] private _ticks;

    /// @dev Called by Settlement's constructor: msg.sender is Settlement (its code is not
    /// there yet, so nothing here may call it).
    constructor(IPriceOracle oracle_, uint8 marketCount_, uint64 interval_, uint32 maxRatePpm_, uint64 maxPriceAge_) {
        if (marketCount_ == 0 || marketCount_ > 4) revert UnsupportedMarketCount(marketCount_);
        if (interval_ == 0 || maxRatePpm_ == 0 || maxRatePpm_ > MAX_RATE_CAP_PPM) {
            revert BadFundingConfig(interval_, maxRatePpm_);
        }
        settlement = msg.sender;
        oracle = oracle_;
        marketCount = marketCount_;
        interval = interval_;
        maxRatePpm = maxRatePpm_;
        maxPriceAge = maxPriceAge_;
        int64[4] memory zero;
        _ticks.push(
            Tick({
                fromRound: 0,
                period: uint64(block.timestamp / interval_),
                time: 0,
                indices: zero,
                fundingHash: _hash(zero, marketCount_)
            })
        );
    }

    /// @inheritdoc IFunding
    function tick(int32[] calldata ratesPpm) external returns (uint64 n) {
        _checkSettlement();
        uint256 m = marketCount;
        if (ratesPpm.length != m) revert RateCountMismatch(ratesPpm.length, m);
        for (uint256 j = 0; j < m; j++) {
            int32 r = ratesPpm[j];
            if (r > int32(maxRatePpm) || r < -int32(maxRatePpm)) revert RateAboveCap(j, r, maxRatePpm);
        }
        Tick storage last = _ticks[_ticks.length - 1];
        uint64 period = uint64(block.timestamp / interval);
        if (period <= last.period || block.timestamp < last.time + interval / 2) {
            revert FundingTooSoon(_nextTime(last));
        }
        (uint64 roundId, uint64 ts) = oracle.latestRound();
        if (roundId + 1 <= last.fromRound) revert NoRoundSinceTick(roundId, last.fromRound);
        if (block.timestamp > uint256(ts) + maxPriceAge) revert StalePrices(roundId, ts);
        (int64[4] memory next, int64[] memory out) = _advance(last.indices, ratesPpm, roundId);
        n = uint64(_ticks.length);
        _ticks.push(
            Tick({
                fromRound: roundId + 1,
                period: period,
                time: uint64(block.timestamp),
                indices: next,
                fundingHash: _hash(next, m)
            })
        );
        emit FundingTicked(n, roundId + 1, roundId, ratesPpm, out);
    }

    /// @dev Rules 1-3: the operator ticks, while Settlement is neither frozen nor paused.
    function _checkSettlement() private view {
        if (!IAccessControl(settlement).hasRole(OPERATOR_ROLE, msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, OPERATOR_ROLE);
        }
        ISettlement s = ISettlement(settlement);
        if (s.frozen()) revert ExchangeFrozen();
        uint64 until = s.pausedUntil();
        if (block.timestamp < until) revert ContractPaused(until);
    }

    /// @dev I_j + rate_j * price_j * 2^20 / 10^6 (truncated toward zero, as domain/funding-rate.ts
    /// indexStep does) at round `roundId`'s prices, in int256, each checked to fit an int64
    /// (rule 9). Indices count 2^-20 quote units per lot.
    function _advance(int64[4] storage current, int32[] calldata ratesPpm, uint64 roundId)
        private
        view
        returns (int64[4] memory next, int64[] memory out)
    {
        uint64[] memory prices = oracle.roundPrices(roundId);
        uint256 m = marketCount;
        if (prices.length != m) revert MarketCountMismatch(prices.length, m);
        out = new int64[](m);
        for (uint256 j = 0; j < m; j++) {
            int256 v = int256(current[j]) + (int256(ratesPpm[j]) * int256(uint256(prices[j])) * INDEX_UNIT) / RATE_DENOMINATOR;
            if (v < type(int64).min || v > type(int64).max) revert IndexOutOfRange(j, v);
            next[j] = int64(v);
            out[j] = int64(v);
        }
    }

    /// @inheritdoc IFunding
    function hashOf(uint64 roundId) external view returns (uint256) {
        return _ticks[tickOf(roundId)].fundingHash;
    }

    /// @inheritdoc IFunding
    /// @dev Here rather than in Settlement, whose runtime code is near the 24,576-byte limit:
    /// one call there instead of a call and a Poseidon.
    function bindingOf(uint256 pricesHash, uint64 roundId) external view returns (uint256) {
        uint256 margins = IMarginRecord(address(oracle)).roundMarginsWord(roundId);
        return PoseidonT4.hash([pricesHash, _ticks[tickOf(roundId)].fundingHash, margins]);
    }

    /// @inheritdoc IFunding
    function indicesOf(uint64 roundId) external view returns (int64[] memory) {
        return _indices(_ticks[tickOf(roundId)].indices);
    }

    /// @inheritdoc IFunding
    /// @dev The latest tick first (a batch's round is almost always at or after it), then a
    /// binary search over fromRound, which only grows: O(log ticks) storage reads.
    function tickOf(uint64 roundId) public view returns (uint64) {
        uint256 hi = _ticks.length - 1;
        if (_ticks[hi].fromRound <= roundId) return uint64(hi);
        // ticks[lo].fromRound <= roundId < ticks[hi].fromRound (tick 0 is from round 0)
        uint256 lo = 0;
        while (hi - lo > 1) {
            uint256 mid = (lo + hi) / 2;
            if (_ticks[mid].fromRound <= roundId) lo = mid;
            else hi = mid;
        }
        return uint64(lo);
    }

    /// @inheritdoc IFunding
    function tickCount() external view returns (uint64) {
        return uint64(_ticks.length);
    }

    /// @inheritdoc IFunding
    function tickAt(uint64 i)
        external
        view
        returns (uint64 fromRound, uint64 period, int64[] memory indices, uint256 fundingHash)
    {
        if (i >= _ticks.length) revert UnknownTick(i, uint64(_ticks.length));
        Tick storage t = _ticks[i];
        return (t.fromRound, t.period, _indices(t.indices), t.fundingHash);
    }

    /// @inheritdoc IFunding
    function nextTickTime() external view returns (uint64) {
        return _nextTime(_ticks[_ticks.length - 1]);
    }

    /// @dev Rule 6: the start of the period after `last`'s, and half an interval after it.
    function _nextTime(Tick storage last) private view returns (uint64) {
        uint64 periodStart = (last.period + 1) * interval;
        uint64 spaced = last.time + interval / 2;
        return periodStart > spaced ? periodStart : spaced;
    }

    function _indices(int64[4] storage stored) private view returns (int64[] memory out) {
        out = new int64[](marketCount);
        for (uint256 j = 0; j < out.length; j++) out[j] = stored[j];
    }

    /// @dev Poseidon(M)(I_j + 2^63): what MarketBinding's funding part computes.
    function _hash(int64[4] memory x, uint256 m) private pure returns (uint256) {
        if (m == 1) return PoseidonT2.hash([_biased(x[0])]);
        if (m == 2) return PoseidonT3.hash([_biased(x[0]), _biased(x[1])]);
        if (m == 3) return PoseidonT4.hash([_biased(x[0]), _biased(x[1]), _biased(x[2])]);
        return PoseidonT5.hash([_biased(x[0]), _biased(x[1]), _biased(x[2]), _biased(x[3])]);
    }

    function _biased(int64 v) private pure returns (uint256) {
        return uint256(int256(v) + int256(BIAS));
    }
}
