// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title IPriceOracle: a k-of-n signed price oracle for zkclear
/// @notice A set of n signers sign EIP-712 price reports; anyone submits at least k of them
/// (k = quorum) as the next round, and the round's price for each market is the lower median
/// of the reports' prices. Settlement reads finalised rounds and binds their prices into batch
/// proofs.
///
/// A report is EIP-712 typed data under the domain
/// `{name: "zkclear PriceOracle", version: "1", chainId, verifyingContract: the oracle}` with the
/// primary type `Report(uint64 roundId,uint64 timestamp,uint64[] prices)`, so a signature is
/// good for one chain, one oracle and one round only.
///
/// Rules of `submitRound`, in the order they are checked (each has its own error):
/// 1. `roundId == latestRoundId() + 1` (rounds start at 1)            -> UnexpectedRoundId
/// 2. as many signatures as reports                                   -> ReportCountMismatch
/// 3. quorum (>= 3) <= reports.length <= MAX_SIGNERS                 -> NotEnoughReports / TooManyReports
/// 4. for each report i, in the order given:
///    a. its signature is a 65-byte (r, s, v) ECDSA signature with a low s  -> InvalidSignature
///    b. it recovers to a current signer                              -> UnknownSigner
///    c. that signer has not signed an earlier report of this round   -> DuplicateSigner
///    d. `report.roundId == roundId`                                  -> ReportRoundMismatch
///    e. `report.timestamp <= block.timestamp`                        -> FutureReport
///    f. `block.timestamp - report.timestamp <= maxAge()`             -> StaleReport
///    g. `report.prices.length == marketCount()`                      -> WrongPriceCount
///    h. `minPrice <= price <= maxPrice` for every market             -> PriceOutOfBounds
/// 5. the round's timestamp (its oldest report's) is strictly greater than the previous
///    round's, so time never goes backwards from one round to the next -> RoundNotNewer
///
/// Aggregation: the price of market m is the LOWER MEDIAN of the k reports' m-th prices, the
/// element at index (k - 1) / 2 (rounded down) of the sorted values: the middle value for an
/// odd k, the lower of the two middle values for an even k. The price is therefore always one
/// of the reported prices, never a mean. The round's timestamp is the OLDEST report timestamp
/// (the minimum), so a consumer that checks `block.timestamp - roundTimestamp(r) <= x` knows
/// that every report that went into round r was at most x seconds old.
///
/// What faulty signers can do (the median rule): with k reports of which f are faulty, the
/// lower median lies within the range of the round's honest reports whenever
/// f <= floor((k - 1) / 2): at most f values lie below the lowest honest value and
/// f <= (k - 1) / 2, so the element at index (k - 1) / 2 is not below it; at most f lie above
/// the highest honest value and f <= k - 1 - (k - 1) / 2, so it is not above it either.
/// With k = 2 this allows no faulty report at all (the lower median of two is the lower
/// report, which a faulty signer chooses), so a round needs k >= 3 reports: the quorum is
/// at least MIN_QUORUM = 3 (and a majority of the signers), enforced by the constructor and
/// setSigners. Then ONE faulty signer can never move the price outside the honest reports'
/// range, whatever k >= 3 reports a submitter picks.
///
/// Trust: the submitter chooses which k >= quorum signed reports make a round (it may
/// cherry-pick, and include every faulty signer's report), but each must come from a
/// distinct current signer, be fresh and lie within bounds. The quorum is always a majority
/// of the signers (k >= floor(n / 2) + 1), so a minority of signers can never make a round
/// alone. The price stays within the honest range whatever subset is picked while at most
/// floor((quorum - 1) / 2) signers are faulty (one for a quorum of 3 or 4, two for 5): to
/// tolerate f faulty signers, set the quorum to at least 2f + 1.
///
/// Administration: ORACLE_ADMIN_ROLE (held by a timelock, see contracts/Timelock.sol) sets
/// the signers together with the quorum, the per-market bounds and the maximum report age;
/// DEFAULT_ADMIN_ROLE (the governance timelock) grants and revokes ORACLE_ADMIN_ROLE and can
/// never be left without a holder. Nobody can stop anyone from submitting a valid round.
///
/// Circuit breaker (immutable, set at deployment): a round whose price of market m moved by
/// more than `breakerMoveBps()` basis points from the previous round's price of m
/// (|p - prev| * 10,000 > breakerMoveBps * prev; round 1 has no previous round) trips m's
/// breaker until the round's timestamp plus `breakerCooldown()` seconds. Every round records
/// the markets whose breaker is on at its own timestamp (`roundReduceOnly`, bit m set when
/// timestamp < breakerUntil(m)): a trade batch proven at that round may only reduce positions
/// in those markets (SettleTrades enforces it; Settlement binds the mask). The mask is a
/// function of the rounds alone, so anyone recomputes it from the RoundFinalized events.
///
/// Volatility margins (immutable, set at deployment; contracts/VolatilityMargins.sol states
/// the rule): every round also records, per market, the multipliers of the margin rates for
/// new exposure and for liquidation (`roundMargins`), from the rounds' prices and timestamps
/// alone.
interface IPriceOracle {
    /// @notice One signer's price report, the EIP-712 struct
    /// `Report(uint64 roundId,uint64 timestamp,uint64[] prices)`.
    /// @param roundId The round this report is for.
    /// @param timestamp When the signer observed the prices (unix seconds).
    /// @param prices One price per market, in quote units per lot, market 0 first.
    struct Report {
        uint64 roundId;
        uint64 timestamp;
        uint64[] prices;
    }

    // ------------------------------------------------------------------ events

    /// @notice `signer` joined the signer set.
    /// @param signer The new signer.
    event SignerAdded(address indexed signer);

    /// @notice `signer` left the signer set.
    /// @param signer The removed signer.
    event SignerRemoved(address indexed signer);

    /// @notice The number of reports a round needs changed.
    /// @param oldQuorum The previous quorum (0 at deployment).
    /// @param newQuorum The new quorum.
    event QuorumChanged(uint8 oldQuorum, uint8 newQuorum);

    /// @notice The maximum age of a report changed.
    /// @param oldMaxAge The previous maximum age in seconds (0 at deployment).
    /// @param newMaxAge The new maximum age in seconds.
    event MaxAgeChanged(uint64 oldMaxAge, uint64 newMaxAge);

    /// @notice The accepted price range of a market changed.
    /// @param market The market index.
    /// @param minPrice The lowest accepted price (inclusive).
    /// @param maxPrice The highest accepted price (inclusive).
    event BoundsChanged(uint8 indexed market, uint64 minPrice, uint64 maxPrice);

    /// @notice A round was accepted.
    /// @param roundId The round number.
    /// @param timestamp The oldest report timestamp of the round.
    /// @param prices The median price of each market.
    /// @param signers The signers whose reports made the round, in submission order.
    event RoundFinalized(uint64 indexed roundId, uint64 timestamp, uint64[] prices, address[] signers);

    /// @notice Round `roundId` moved market `market` from `previousPrice` to `price`, more than
    /// breakerMoveBps allows: the market is reduce-only until `until` (round time).
    event BreakerTripped(uint8 indexed market, uint64 indexed roundId, uint64 previousPrice, uint64 price, uint64 until);

    // ------------------------------------------------------------------ configuration errors

    /// @notice The market count is 0 or above MAX_MARKETS.
    /// @param marketCount The refused market count.
    error InvalidMarketCount(uint256 marketCount);

    /// @notice A maximum report age of 0 seconds was given.
    error InvalidMaxAge();

    /// @notice The quorum is below 3, or not a majority of the signers
    /// (max(3, floor(n / 2) + 1) <= quorum <= n is required).
    /// @param quorum The refused quorum.
    /// @param signerCount The number of signers.
    error InvalidQuorum(uint256 quorum, uint256 signerCount);

    /// @notice The zero address cannot be a signer.
    error InvalidSigner();

    /// @notice `signer` is already in the signer set.
    /// @param signer The address given.
    error SignerAlreadyAdded(address signer);

    /// @notice The signer set is full.
    /// @param maxSigners The largest signer set (MAX_SIGNERS).
    error TooManySigners(uint256 maxSigners);

    /// @notice The market index is not below marketCount().
    /// @param market The market index given.
    error UnknownMarket(uint256 market);

    /// @notice The constructor needs one (min, max) pair per market.
    /// @param given The number of pairs given.
    /// @param marketCount The number of markets.
    error BoundsCount(uint256 given, uint256 marketCount);

    /// @notice Bounds must satisfy 0 < minPrice <= maxPrice.
    /// @param minPrice The lowest price given.
    /// @param maxPrice The highest price given.
    error InvalidBounds(uint64 minPrice, uint64 maxPrice);

    /// @notice The breaker's move bound must be 1..MAX_BREAKER_MOVE_BPS basis points and its
    /// cool-down 1..MAX_BREAKER_COOLDOWN seconds.
    error InvalidBreaker(uint256 moveBps, uint256 cooldown);

    // ------------------------------------------------------------------ round errors

    /// @notice The submitted round is not the next one.
    /// @param roundId The round submitted.
    /// @param expected latestRoundId() + 1.
    error UnexpectedRoundId(uint64 roundId, uint64 expected);

    /// @notice The reports and signatures arrays differ in length.
    /// @param reports The number of reports.
    /// @param signatures The number of signatures.
    error ReportCountMismatch(uint256 reports, uint256 signatures);

    /// @notice Fewer reports than the quorum.
    /// @param count The number of reports.
    /// @param quorum The quorum.
    error NotEnoughReports(uint256 count, uint256 quorum);

    /// @notice More reports than MAX_SIGNERS (more than there can be distinct signers).
    /// @param count The number of reports.
    /// @param maxReports MAX_SIGNERS.
    error TooManyReports(uint256 count, uint256 maxReports);

    /// @notice Signature `index` is not a 65-byte, low-s ECDSA signature that recovers to an address.
    /// @param index The report index.
    error InvalidSignature(uint256 index);

    /// @notice Report `index` recovers to `recovered`, which is not a signer. This is also what a
    /// report signed for another chain or another oracle yields (it recovers to an unrelated address).
    /// @param index The report index.
    /// @param recovered The recovered address.
    error UnknownSigner(uint256 index, address recovered);

    /// @notice Report `index` is by `signer`, who already signed an earlier report of this round.
    /// @param index The report index.
    /// @param signer The repeated signer.
    error DuplicateSigner(uint256 index, address signer);

    /// @notice Report `index` is for another round.
    /// @param index The report index.
    /// @param reportRoundId The round the report is for.
    /// @param roundId The round being submitted.
    error ReportRoundMismatch(uint256 index, uint64 reportRoundId, uint64 roundId);

    /// @notice Report `index` has a timestamp after the block's.
    /// @param index The report index.
    /// @param timestamp The report's timestamp.
    /// @param blockTimestamp The block's timestamp.
    error FutureReport(uint256 index, uint64 timestamp, uint256 blockTimestamp);

    /// @notice Report `index` is older than maxAge().
    /// @param index The report index.
    /// @param timestamp The report's timestamp.
    /// @param blockTimestamp The block's timestamp.
    error StaleReport(uint256 index, uint64 timestamp, uint256 blockTimestamp);

    /// @notice Report `index` does not carry exactly marketCount() prices.
    /// @param index The report index.
    /// @param count The number of prices in the report.
    /// @param expected marketCount().
    error WrongPriceCount(uint256 index, uint256 count, uint256 expected);

    /// @notice Price `market` of report `index` lies outside the market's bounds.
    /// @param index The report index.
    /// @param market The market index.
    /// @param price The refused price.
    /// @param minPrice The market's lowest accepted price.
    /// @param maxPrice The market's highest accepted price.
    error PriceOutOfBounds(uint256 index, uint256 market, uint64 price, uint64 minPrice, uint64 maxPrice);

    /// @notice The round's timestamp (its oldest report's) is not after the previous round's.
    /// @param timestamp The round's timestamp.
    /// @param previous The previous round's timestamp.
    error RoundNotNewer(uint64 timestamp, uint64 previous);

    /// @notice The round has not been finalised (round 0 never exists).
    /// @param roundId The round asked for.
    error UnknownRound(uint64 roundId);

    // ------------------------------------------------------------------ oracle admin functions

    /// @notice Replaces the whole signer set and the quorum at once. ORACLE_ADMIN_ROLE only.
    /// @dev Reverts with InvalidSigner, SignerAlreadyAdded, TooManySigners, or InvalidQuorum
    /// unless max(3, floor(n / 2) + 1) <= newQuorum <= n for the n new signers. Emits
    /// SignerRemoved for every old signer, SignerAdded for every new one (in the order given),
    /// then QuorumChanged.
    /// @param newSigners The new signers, distinct and non-zero, 3..MAX_SIGNERS of them.
    /// @param newQuorum The new quorum k, at least 3 and a majority of the new signers.
    function setSigners(address[] calldata newSigners, uint8 newQuorum) external;

    /// @notice Sets the maximum age of a report, in seconds. ORACLE_ADMIN_ROLE only.
    /// @dev Reverts with InvalidMaxAge for 0. Emits MaxAgeChanged.
    /// @param newMaxAge The new maximum age.
    function setMaxAge(uint64 newMaxAge) external;

    /// @notice Sets the accepted price range of `market`, both ends inclusive. ORACLE_ADMIN_ROLE only.
    /// @dev Reverts with UnknownMarket or InvalidBounds (0 < minPrice <= maxPrice). Emits BoundsChanged.
    /// @param market The market index, below marketCount().
    /// @param minPrice The lowest accepted price.
    /// @param maxPrice The highest accepted price.
    function setBounds(uint8 market, uint64 minPrice, uint64 maxPrice) external;

    // ------------------------------------------------------------------ rounds

    /// @notice Finalises round `roundId` from signed reports. Anyone may call.
    /// @dev Signatures are parallel to reports: `signatures[i]` is the 65-byte (r, s, v) signature
    /// of `reports[i]`. Reports may come in any order; a signer appearing twice is refused with
    /// DuplicateSigner. See the contract description for the rules. Emits RoundFinalized.
    /// @param roundId The round to finalise, latestRoundId() + 1.
    /// @param reports The signed reports, at least quorum() and at most MAX_SIGNERS of them.
    /// @param signatures The reports' signatures, in the same order.
    function submitRound(uint64 roundId, Report[] calldata reports, bytes[] calldata signatures) external;

    // ------------------------------------------------------------------ views

    /// @notice The EIP-712 digest a signer signs for `report` (on this chain, for this oracle).
    /// @param report The report.
    /// @return The digest that `signatures[i]` must sign.
    function reportDigest(Report calldata report) external view returns (bytes32);

    /// @notice The last finalised round, 0 before the first.
    /// @return The round number.
    function latestRoundId() external view returns (uint64);

    /// @notice The last finalised round and its timestamp, from one storage slot (what
    /// Settlement reads on every priced batch); (0, 0) before the first round.
    /// @return roundId The round number.
    /// @return timestamp Its timestamp (its oldest report's).
    function latestRound() external view returns (uint64 roundId, uint64 timestamp);

    /// @notice The median prices of a finalised round, one per market.
    /// @dev Reverts with UnknownRound for a round that does not exist.
    /// @param roundId The round.
    /// @return The prices, marketCount() of them.
    function roundPrices(uint64 roundId) external view returns (uint64[] memory);

    /// @notice The markets that were reduce-only at round `roundId`'s timestamp: bit m set
    /// when market m's breaker was on (see the breaker rule above).
    /// @dev Reverts with UnknownRound for a round that does not exist.
    function roundReduceOnly(uint64 roundId) external view returns (uint8);

    /// @notice Until when (round time, unix seconds) market `market` is reduce-only; 0 if its
    /// breaker never tripped.
    function breakerUntil(uint8 market) external view returns (uint64);

    /// @notice The largest move (basis points of the previous round's price) that does not
    /// trip a market's breaker.
    function breakerMoveBps() external view returns (uint16);

    /// @notice How long (seconds of round time) a tripped market stays reduce-only.
    function breakerCooldown() external view returns (uint32);

    /// @notice The timestamp of a finalised round: its oldest report's timestamp.
    /// @dev Reverts with UnknownRound for a round that does not exist.
    /// @param roundId The round.
    /// @return The timestamp in unix seconds.
    function roundTimestamp(uint64 roundId) external view returns (uint64);

    /// @notice The number of signers whose reports made a finalised round.
    /// @dev Reverts with UnknownRound for a round that does not exist.
    /// @param roundId The round.
    /// @return The number of reports.
    function roundSignerCount(uint64 roundId) external view returns (uint8);

    /// @notice The current signer set. Its order is not meaningful and may change on removal.
    /// @return The signers.
    function signers() external view returns (address[] memory);

    /// @notice Whether `account` is a current signer.
    /// @param account The address.
    /// @return True if it is.
    function isSigner(address account) external view returns (bool);

    /// @notice The number of reports a round needs (k).
    /// @return The quorum.
    function quorum() external view returns (uint8);

    /// @notice The maximum age of a report, in seconds.
    /// @return The maximum age.
    function maxAge() external view returns (uint64);

    /// @notice The number of markets, fixed at deployment.
    /// @return The market count.
    function marketCount() external view returns (uint8);

    /// @notice The accepted price range of `market` (set for every market at deployment).
    /// @dev Reverts with UnknownMarket for an index not below marketCount().
    /// @param market The market index.
    /// @return minPrice The lowest accepted price.
    /// @return maxPrice The highest accepted price.
    function bounds(uint8 market) external view returns (uint64 minPrice, uint64 maxPrice);
}
