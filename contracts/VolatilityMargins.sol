// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title VolatilityMargins
/// @notice The oracle's rule for margin multipliers that follow each market's realised
/// volatility. PriceOracle applies it to every round it finalises and records, per round and
/// market, two multipliers in basis points of the configured margin rates (10,000 = 1x):
/// - `mult`: the requirement for new exposure and withdrawals at this round;
/// - `liqMult`: the requirement below which an account may be liquidated at this round,
///   which follows `mult` down at once and up only after a grace period.
/// The rule is a function of the rounds alone (prices and timestamps) and of five immutable
/// parameters, so no role can move a multiplier, and anyone recomputes every round's values
/// from the RoundFinalized events and their blocks' times (TypeScript twin:
/// prover/src/domain/volatility.ts).
///
/// The rule, per market, for each round r with price p (q: round r - 1's), posted (finalised
/// on-chain) at block time t:
/// 1. ret = min(|p - q| * 10,000 / q, MAX_RETURN_BPS) (floor), the round's absolute return
///    in basis points; 0 at round 1, which has no previous round.
/// 2. acc = acc - acc / volSpan + ret (floor division; acc starts at 0): an exponentially
///    weighted sum of the returns whose weights fall by 1/volSpan per round, so acc / volSpan
///    is the weighted mean absolute return per round, the volatility measure.
/// 3. mult = acc * 10,000 / (volSpan * volRefBps) (floor), clamped to
///    [marginFloorBps, marginCeilBps]: 1x while the mean move per round is volRefBps.
/// 4. the grace rule, with the market's pending rise (pendingMult, pendingSince; none at first):
///    a. a pending rise that began at least marginGrace seconds ago (t >= pendingSince +
///       marginGrace) takes effect: liqMult = pendingMult, and nothing is pending;
///    b. if mult <= liqMult, liqMult = mult at once and nothing is pending (a fall, or round 1);
///    c. else, with nothing pending, a rise begins: pendingMult = mult, pendingSince = t;
///    d. else the pending rise keeps its start and takes the lower level:
///       pendingMult = min(pendingMult, mult).
/// So liqMult at a round posted at t is never above the `mult` of any round posted in the
/// last marginGrace seconds (t - marginGrace, t]: a trader who met the maintenance
/// requirement of any round published in that window is not liquidatable because the
/// requirement rose; a rise reaches liquidations between marginGrace seconds and marginGrace
/// plus one round after it was published, at the lowest level published meanwhile. The grace
/// runs in block time, from when a round is posted, not from its reports' timestamps: a round
/// posted late (its reports up to the oracle's maxAge old) cannot shorten it.
abstract contract VolatilityMargins {
    /// @notice The multiplier of the configured margin rates: 1x.
    uint32 public constant ONE_X_BPS = 10_000;
    /// @notice The highest multiplier ceiling: 5x the configured rates.
    uint32 public constant MAX_MARGIN_CEIL_BPS = 50_000;
    /// @notice The longest volatility span, in rounds.
    uint32 public constant MAX_VOL_SPAN = 1_000;
    /// @notice The largest reference move: 100% per round.
    uint32 public constant MAX_VOL_REF_BPS = 10_000;
    /// @notice The longest grace period: 7 days.
    uint32 public constant MAX_MARGIN_GRACE = 7 days;
    /// @notice A round's absolute return counts at most this (basis points; 6.5x or 0.0x).
    uint32 public constant MAX_RETURN_BPS = 65_535;

    /// @notice The rule's parameters (see the contract's description).
    /// @param span volSpan: rounds of the exponentially weighted window, 1..MAX_VOL_SPAN.
    /// @param refBps volRefBps: the mean move per round, basis points, at which the
    /// multiplier is 1x, 1..MAX_VOL_REF_BPS.
    /// @param floorBps marginFloorBps: the lowest multiplier, ONE_X_BPS..ceilBps (never
    /// below the configured rates).
    /// @param ceilBps marginCeilBps: the highest multiplier, floorBps..MAX_MARGIN_CEIL_BPS.
    /// @param grace marginGrace: seconds a rise waits before liquidations use it,
    /// 1..MAX_MARGIN_GRACE.
    struct MarginRule {
        uint32 span;
        uint32 refBps;
        uint32 floorBps;
        uint32 ceilBps;
        uint32 grace;
    }

    /// @dev One market's memory between rounds (one storage slot).
    struct VolState {
        uint32 acc;
        uint16 mult;
        // 0 until the market's first round
        uint16 liqMult;
        uint16 pendingMult;
        // 0: no rise pending
        uint64 pendingSince;
    }

    /// @notice The volatility window, in rounds.
    uint32 public immutable volSpan;
    /// @notice The mean move per round at which the multiplier is 1x, basis points.
    uint32 public immutable volRefBps;
    /// @notice The lowest multiplier, basis points.
    uint32 public immutable marginFloorBps;
    /// @notice The highest multiplier, basis points.
    uint32 public immutable marginCeilBps;
    /// @notice Seconds a rise of the multiplier waits before liquidations use it.
    uint32 public immutable marginGrace;

    /// @dev Per market (at most 8), its memory between rounds.
    VolState[8] private _vol;

    /// @dev Per round, per market m: bits [32m, 32m + 16) mult, [32m + 16, 32m + 32) liqMult.
    mapping(uint64 roundId => uint256 word) private _roundMargins;

    /// @notice Market `market`'s multipliers changed at round `roundId` (emitted only then).
    event MarginsScaled(uint8 indexed market, uint64 indexed roundId, uint16 mult, uint16 liqMult);

    /// @notice A parameter of the margin rule is out of its range (see MarginRule).
    error InvalidMarginRule(uint32 span, uint32 refBps, uint32 floorBps, uint32 ceilBps, uint32 grace);

    /// @notice No market has this index.
    error UnknownMarginMarket(uint256 market);

    constructor(MarginRule memory r) {
        if (
            r.span == 0 || r.span > MAX_VOL_SPAN || r.refBps == 0 || r.refBps > MAX_VOL_REF_BPS
                || r.floorBps < ONE_X_BPS || r.ceilBps < r.floorBps || r.ceilBps > MAX_MARGIN_CEIL_BPS
                || r.grace == 0 || r.grace > MAX_MARGIN_GRACE
        ) revert InvalidMarginRule(r.span, r.refBps, r.floorBps, r.ceilBps, r.grace);
        volSpan = r.span;
        volRefBps = r.refBps;
        marginFloorBps = r.floorBps;
        marginCeilBps = r.ceilBps;
        marginGrace = r.grace;
    }

    /// @notice Round `roundId`'s multipliers per market (reverts for a round not finalised;
    /// round 0, before any round, is 1x: a freeze before the first round binds exits at it).
    function roundMargins(uint64 roundId) external view returns (uint16[] memory mult, uint16[] memory liqMult) {
        uint256 n = _marginMarkets();
        uint256 word = roundMarginsWord(roundId);
        mult = new uint16[](n);
        liqMult = new uint16[](n);
        for (uint256 m = 0; m < n; ++m) {
            mult[m] = uint16(word >> (32 * m));
            liqMult[m] = uint16(word >> (32 * m + 16));
        }
    }

    /// @notice Round `roundId`'s multipliers packed as stored (see _roundMargins); 1x for
    /// round 0.
    function roundMarginsWord(uint64 roundId) public view returns (uint256 word) {
        if (roundId == 0) {
            for (uint256 m = 0; m < _marginMarkets(); ++m) {
                word |= (uint256(ONE_X_BPS) | (uint256(ONE_X_BPS) << 16)) << (32 * m);
            }
            return word;
        }
        _requireRound(roundId);
        return _roundMargins[roundId];
    }

    /// @notice Market `market`'s pending rise: the level liquidations will use and since when
    /// it waits (0, 0 when none).
    function pendingMargin(uint8 market) external view returns (uint16 mult, uint64 since) {
        if (market >= _marginMarkets()) revert UnknownMarginMarket(market);
        VolState memory s = _vol[market];
        return s.pendingSince == 0 ? (0, 0) : (s.pendingMult, s.pendingSince);
    }

    /// @dev The number of markets (the oracle's).
    function _marginMarkets() internal view virtual returns (uint256);

    /// @dev Reverts unless round `roundId` is finalised.
    function _requireRound(uint64 roundId) internal view virtual;

    /// @dev Applies the rule to round `roundId` (posted now, at block time `t`; prices `prices`,
    /// the previous round's prices `before`, unread at round 1) and records its multipliers.
    function _stepMargins(uint64 roundId, uint64 t, uint64[] memory prices, uint64[] memory before) internal {
        uint256 word;
        for (uint256 m = 0; m < prices.length; ++m) {
            VolState memory s = _vol[m];
            uint256 ret;
            if (roundId > 1) {
                uint256 q = before[m];
                uint256 p = prices[m];
                ret = ((p > q ? p - q : q - p) * 10_000) / q;
                if (ret > MAX_RETURN_BPS) ret = MAX_RETURN_BPS;
            }
            // acc <= span * MAX_RETURN_BPS < 2^32: acc - acc / span + ret stays below that
            uint256 acc = uint256(s.acc) - uint256(s.acc) / volSpan + ret;
            uint256 mult = (acc * 10_000) / (uint256(volSpan) * volRefBps);
            if (mult < marginFloorBps) mult = marginFloorBps;
            if (mult > marginCeilBps) mult = marginCeilBps;
            uint16 oldMult = s.mult;
            uint16 oldLiq = s.liqMult;
            _grace(s, uint16(mult), t);
            s.acc = uint32(acc);
            s.mult = uint16(mult);
            _vol[m] = s;
            if (s.mult != oldMult || s.liqMult != oldLiq) {
                emit MarginsScaled(uint8(m), roundId, s.mult, s.liqMult);
            }
            word |= (uint256(s.mult) | (uint256(s.liqMult) << 16)) << (32 * m);
        }
        _roundMargins[roundId] = word;
    }

    /// @dev Step 4 of the rule: moves `s`'s liquidation multiplier towards `mult` at time `t`.
    function _grace(VolState memory s, uint16 mult, uint64 t) private view {
        if (s.pendingSince != 0 && t >= s.pendingSince + marginGrace) {
            s.liqMult = s.pendingMult;
            s.pendingSince = 0;
        }
        if (mult <= s.liqMult || s.liqMult == 0) {
            s.liqMult = mult;
            s.pendingSince = 0;
        } else if (s.pendingSince == 0) {
            s.pendingMult = mult;
            s.pendingSince = t;
        } else if (mult < s.pendingMult) {
            s.pendingMult = mult;
        }
    }
}
