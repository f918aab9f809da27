// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title IFunding: zkclear's funding indices, advanced by capped ticks
/// @notice Each market j has a signed cumulative funding index I_j (an int64, counted in
/// 2^-20 quote units per lot). A tick, at most one per `interval`, moves every index by
/// trunc(rate_j * price_j * 2^20 / 10^6), the rate in parts per million of the oracle's
/// latest price, |rate_j| at most `maxRatePpm`; a long of one lot then owes about
/// rate_j * price_j / 10^6 quote units
/// (longs pay shorts for a positive rate, shorts pay longs for a negative one). Positions
/// settle what they owe whenever a circuit touches them (prover/src/domain/funding.ts).
///
/// A tick takes effect from the oracle round after the latest one posted (`fromRound`), so
/// the indices of a round already posted never change; every priced proof at round r binds
/// fundingHash(indices in effect at r) = Poseidon(M)(I_0 + 2^63, ..., I_{M-1} + 2^63), which
/// Settlement folds into the round's binding (`hashOf`). Tick 0 exists from deployment:
/// every index 0, from round 0, in the deployment's period (so the first tick comes in the
/// next period, at the start of the next interval of unix time at the earliest).
///
/// Rules of `tick`, in the order they are checked (each has its own error):
/// 1. the sender holds Settlement's OPERATOR_ROLE        -> AccessControlUnauthorizedAccount
/// 2. Settlement is not frozen                           -> ExchangeFrozen
/// 3. Settlement is not paused                           -> ContractPaused
/// 4. one rate per market                                -> RateCountMismatch
/// 5. |rate_j| <= maxRatePpm for every market            -> RateAboveCap
/// 6. a new period: block.timestamp / interval > the last tick's period, and at least
///    interval / 2 seconds since the last tick (so a late tick at the end of one period and
///    the next at the start of the following one cannot land seconds apart; tick 0, made at
///    deployment, does not count)                      -> FundingTooSoon
/// 7. a round was posted since the last tick: latestRound + 1 > the last tick's fromRound
///                                                       -> NoRoundSinceTick
/// 8. the oracle's latest round is at most maxPriceAge old -> StalePrices
/// 9. every new index lies in [-2^63, 2^63)              -> IndexOutOfRange
interface IFunding {
    /// @notice Tick `tick` moved the indices by `ratesPpm` at oracle round `priceRound`'s
    /// prices; the new `indices` are in effect from round `fromRound` (= priceRound + 1).
    event FundingTicked(uint64 indexed tick, uint64 fromRound, uint64 priceRound, int32[] ratesPpm, int64[] indices);

    /// @notice The interval is 0, or the cap is not in 1..MAX_RATE_CAP_PPM.
    error BadFundingConfig(uint64 interval, uint32 maxRatePpm);
    /// @notice Poseidon on-chain covers 1 to 4 markets.
    error UnsupportedMarketCount(uint8 marketCount);
    /// @notice The exchange is frozen for good: funding stops with it.
    error ExchangeFrozen();
    /// @notice Settlement is paused until `until`: no tick meanwhile.
    error ContractPaused(uint64 until);
    /// @notice One rate per market is needed.
    error RateCountMismatch(uint256 given, uint256 markets);
    /// @notice |rate| of `market` is above the cap per interval.
    error RateAboveCap(uint256 market, int32 ratePpm, uint32 maxRatePpm);
    /// @notice This period already has its tick: the next may come at `nextTime` (unix seconds).
    error FundingTooSoon(uint64 nextTime);
    /// @notice The oracle's latest round is older than maxPriceAge: its prices cannot price a tick.
    error StalePrices(uint64 roundId, uint64 timestamp);
    /// @notice The last tick already takes effect from round `fromRound` > the latest round
    /// `latestRoundId`: two ticks need a new oracle round between them.
    error NoRoundSinceTick(uint64 latestRoundId, uint64 fromRound);
    /// @notice The new index of `market` would leave [-2^63, 2^63).
    error IndexOutOfRange(uint256 market, int256 value);
    /// @notice The oracle publishes another number of prices than there are markets.
    error MarketCountMismatch(uint256 oracle, uint256 markets);
    /// @notice There is no tick `tick` (ticks 0..count - 1 exist).
    error UnknownTick(uint64 tick, uint64 count);

    /// @notice Advances every market's index by trunc(ratesPpm[j] * price_j * 2^20 / 10^6) (the oracle's latest
    /// round's prices), effective from the next oracle round. OPERATOR_ROLE of Settlement only.
    /// @param ratesPpm One rate per market, parts per million of the price, |rate| <= maxRatePpm.
    /// @return tick The new tick's number.
    function tick(int32[] calldata ratesPpm) external returns (uint64 tick);

    /// @notice The fundingHash bound into round `roundId`'s binding: that of the last tick
    /// with fromRound <= roundId.
    function hashOf(uint64 roundId) external view returns (uint256);

    /// @notice Poseidon(pricesHash, hashOf(roundId), the oracle's roundMarginsWord(roundId)):
    /// round `roundId`'s priceConfigHash, given pricesHash = Poseidon(configHash, its prices)
    /// (what Settlement.bindRound stores); the margin multipliers are the oracle's volatility
    /// rule's (VolatilityMargins).
    function bindingOf(uint256 pricesHash, uint64 roundId) external view returns (uint256);

    /// @notice The indices in effect at round `roundId` (one per market).
    function indicesOf(uint64 roundId) external view returns (int64[] memory);

    /// @notice The number of the tick in effect at round `roundId`.
    function tickOf(uint64 roundId) external view returns (uint64);

    /// @notice Ticks so far, tick 0 (deployment) included.
    function tickCount() external view returns (uint64);

    /// @notice Tick `i`: from which round it is in effect, the period it was made in, its
    /// indices and their fundingHash.
    function tickAt(uint64 i)
        external
        view
        returns (uint64 fromRound, uint64 period, int64[] memory indices, uint256 fundingHash);

    /// @notice When (unix seconds) the next tick may come: the start of the period after the
    /// last tick's, or half an interval after the last tick if that is later (a new oracle
    /// round is also needed).
    function nextTickTime() external view returns (uint64);
}
