import { poseidon } from "./hash.ts";
import { checkIndices, fundingHash } from "./funding.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import { BPS_BITS, COLLATERAL_BITS, MAX_MARKETS, PRICE_BITS } from "./constants.ts";
import { checkUnsigned } from "./amounts.ts";
import { checkMargins, marginsWord, type RoundMargins } from "./volatility.ts";

/**
 * A perpetual market's risk and fee parameters, in basis points (1 bp = 1/10,000).
 * The circuit binds them through configHash; the contract stores that hash.
 */
/** The fee rate a trade's side pays in market `m`: the taker's rate, or the maker's. */
export const feeRateBps = (m: MarketParams, taker: boolean): bigint =>
  taker ? m.takerFeeBps : m.makerFeeBps;

export interface MarketParams {
  /** Human name, not part of the binding. */
  readonly symbol: string;
  /** Initial margin rate: opening or increasing exposure needs equity >= IM. */
  readonly initialMarginBps: bigint;
  /** Maintenance margin rate: below it an account can be liquidated. */
  readonly maintenanceMarginBps: bigint;
  readonly makerFeeBps: bigint;
  readonly takerFeeBps: bigint;
  /** Liquidation penalty (used by the liquidation circuit). */
  readonly liquidationPenaltyBps: bigint;
}

export class MarketConfigError extends ZkClearError<CodeOf<"market">> {}

/** Checks the parameters of every market and returns them. */
export function validateMarkets(markets: readonly MarketParams[]): readonly MarketParams[] {
  if (markets.length < 1 || markets.length > MAX_MARKETS) {
    throw new MarketConfigError(
      "MARKET_COUNT",
      `a configuration has 1..${MAX_MARKETS} markets, got ${markets.length}`,
    );
  }
  markets.forEach((m, j) => {
    for (const [k, v] of Object.entries(m)) {
      if (k === "symbol") continue;
      checkUnsigned(v as bigint, BPS_BITS, `market ${j} ${k}`);
    }
    if (m.maintenanceMarginBps > m.initialMarginBps) {
      throw new MarketConfigError(
        "MARKET_MARGINS",
        `market ${j} (${m.symbol}): maintenance margin ${m.maintenanceMarginBps} bps exceeds initial margin ${m.initialMarginBps} bps`,
      );
    }
    if (m.initialMarginBps === 0n) {
      throw new MarketConfigError(
        "MARKET_MARGINS",
        `market ${j} (${m.symbol}): initial margin must be positive`,
      );
    }
  });
  return markets;
}

/** The 80-bit word the circuit reads: im | mm << 16 | maker << 32 | taker << 48 | penalty << 64. */
export function packMarketParams(m: MarketParams): bigint {
  return (
    m.initialMarginBps |
    (m.maintenanceMarginBps << 16n) |
    (m.makerFeeBps << 32n) |
    (m.takerFeeBps << 48n) |
    (m.liquidationPenaltyBps << 64n)
  );
}

/**
 * What the circuits bind of a deployment's configuration (MarketBinding): the markets, the
 * insurance fund's floor and the deployment domain. The engine's ExchangeState is one.
 */
export interface BoundConfig {
  readonly markets: readonly MarketParams[];
  /** The least collateral the insurance fund keeps after its owner's withdrawals and trades. */
  readonly fundFloor: bigint;
  /** The deployment domain Poseidon(chainId, Settlement) (messages.ts). */
  readonly domain: bigint;
}

/** The fund floor is a collateral amount: 0 <= fundFloor < 2^127 (MarketBinding checks it). */
export const FUND_FLOOR_BITS = COLLATERAL_BITS - 1;

export function checkFundFloor(fundFloor: bigint): bigint {
  checkUnsigned(fundFloor, FUND_FLOOR_BITS, "fund floor");
  return fundFloor;
}

/**
 * Poseidon(M + 1)(packed parameter words, fundFloor): the markets' part of the
 * configuration, MarketBinding's marketsHash. The deployer computes it; Settlement stores
 * Poseidon(marketsHash, domain) without recomputing it.
 */
export function marketsHash(markets: readonly MarketParams[], fundFloor: bigint): bigint {
  return poseidon([...markets.map(packMarketParams), checkFundFloor(fundFloor)]);
}

/**
 * Poseidon(marketsHash, domain): the configuration hash Settlement computes in its
 * constructor from the markets' hash and its own deployment domain (messages.ts), the
 * twin of MarketBinding's configHash.
 */
export function configHash(c: BoundConfig): bigint {
  return poseidon([marketsHash(c.markets, c.fundFloor), c.domain]);
}

/**
 * Poseidon(3)(Poseidon(1 + M)(configHash, marks), fundingHash(indices), marginsWord): the
 * batch's price, funding, margin and configuration binding (MarketBinding's
 * priceConfigHash; Settlement computes it per oracle round, the indices being the Funding
 * contract's for that round and the multipliers the oracle's volatility rule's).
 */
export function priceConfigHash(
  c: BoundConfig,
  marks: readonly bigint[],
  indices: readonly bigint[],
  margins: RoundMargins,
  opts: { roundZero?: boolean } = {},
): bigint {
  checkIndices(indices, c.markets.length);
  const prices = pricesHash(c, marks, opts.roundZero);
  checkMargins(margins, c.markets.length);
  return poseidon([prices, fundingHash(indices), marginsWord(margins)]);
}

/**
 * Poseidon(1 + M)(configHash, marks): the price part of the binding. A zero mark is refused
 * (every margin requirement would be zero at it), except with `roundZero`: the binding of
 * oracle round 0, which only a freeze before any round uses (Settlement._frozenBinding(0):
 * every mark zero, when no trade can have opened a position).
 */
export function pricesHash(c: BoundConfig, marks: readonly bigint[], roundZero = false): bigint {
  const markets = c.markets;
  if (marks.length !== markets.length) {
    throw new MarketConfigError(
      "MARK_COUNT",
      `expected ${markets.length} mark prices (one per market), got ${marks.length}`,
    );
  }
  marks.forEach((p, j) => {
    checkUnsigned(p, PRICE_BITS, `mark price of market ${j}`);
    if (roundZero && p !== 0n)
      throw new MarketConfigError(
        "MARK_ZERO",
        `round 0's marks are zeros (a freeze before any oracle round); market ${j}'s is ${p}`,
      );
    if (!roundZero && p === 0n)
      throw new MarketConfigError("MARK_ZERO", `mark price of market ${j} is zero`);
  });
  return poseidon([configHash(c), ...marks]);
}

/** Development starting prices of the default markets, in quote units per lot. */
export const DEFAULT_MARKS = [60_000_00n, 3_000_00n, 150_00n, 1_00n, 2_00n, 15n];

/** A default market table for development and tests: BTC-like and ETH-like perps. */
export function defaultMarkets(count: number): MarketParams[] {
  const table: MarketParams[] = [
    m("BTC-PERP", 1000n, 500n, 2n, 5n, 100n),
    m("ETH-PERP", 1000n, 500n, 2n, 5n, 100n),
    m("SOL-PERP", 2000n, 1000n, 2n, 6n, 150n),
    m("ARB-PERP", 2500n, 1250n, 3n, 8n, 200n),
    m("OP-PERP", 2500n, 1250n, 3n, 8n, 200n),
    m("DOGE-PERP", 3300n, 1650n, 3n, 8n, 250n),
  ];
  if (count < 1 || count > table.length) {
    throw new MarketConfigError("MARKET_COUNT", `no default table for ${count} markets`);
  }
  return table.slice(0, count);
}

function m(
  symbol: string,
  initialMarginBps: bigint,
  maintenanceMarginBps: bigint,
  makerFeeBps: bigint,
  takerFeeBps: bigint,
  liquidationPenaltyBps: bigint,
): MarketParams {
  return {
    symbol,
    initialMarginBps,
    maintenanceMarginBps,
    makerFeeBps,
    takerFeeBps,
    liquidationPenaltyBps,
  };
}
