import type { Reader } from "./json-reader.ts";
import { configHash, FUND_FLOOR_BITS, type BoundConfig, type MarketParams } from "./market.ts";
import type { ParamSet } from "./params.ts";
import { validateOwners, type Owners } from "./owners.ts";
import type { PublicKey } from "./account.ts";

/**
 * The exchange's configuration (parameter set and markets) as the published files and the
 * deployment file write it, and read back with every field checked: one format for both.
 */
const MARKET_FIELDS = [
  "symbol",
  "initialMarginBps",
  "maintenanceMarginBps",
  "makerFeeBps",
  "takerFeeBps",
  "liquidationPenaltyBps",
] as const;

const PARAM_FIELDS = [
  "name",
  "depth",
  "batch",
  "markets",
  "deposits",
  "withdrawals",
  "liquidations",
  "deleverages",
] as const;

export function marketsJson(markets: readonly MarketParams[]): Record<string, string>[] {
  return markets.map((m) =>
    Object.fromEntries(MARKET_FIELDS.map((f) => [f, f === "symbol" ? m.symbol : m[f].toString()])),
  );
}

export function readMarkets(r: Reader): MarketParams[] {
  return r.array().map((m) => {
    m.only(MARKET_FIELDS);
    return {
      symbol: m.field("symbol").str(),
      initialMarginBps: m.field("initialMarginBps").uint(16),
      maintenanceMarginBps: m.field("maintenanceMarginBps").uint(16),
      makerFeeBps: m.field("makerFeeBps").uint(16),
      takerFeeBps: m.field("takerFeeBps").uint(16),
      liquidationPenaltyBps: m.field("liquidationPenaltyBps").uint(16),
    };
  });
}

export function readParamSet(r: Reader): ParamSet {
  r.only(PARAM_FIELDS);
  return {
    name: r.field("name").str(),
    depth: r.field("depth").int(),
    batch: r.field("batch").int(),
    markets: r.field("markets").int(),
    deposits: r.field("deposits").int(),
    withdrawals: r.field("withdrawals").int(),
    liquidations: r.field("liquidations").int(),
    deleverages: r.field("deleverages").int(),
  };
}

/** The system accounts' owners' public keys: `{ fee: {x, y}, fund: {x, y} }` in decimal. */
export function ownersJson(o: Owners): Record<string, Record<string, string>> {
  const key = (k: PublicKey) => ({ x: k.x.toString(), y: k.y.toString() });
  return { fee: key(o.fee), fund: key(o.fund) };
}

export function readOwners(r: Reader): Owners {
  r.only(["fee", "fund"]);
  const key = (k: Reader): PublicKey => {
    k.only(["x", "y"]);
    return { x: k.field("x").uint(), y: k.field("y").uint() };
  };
  return validateOwners({ fee: key(r.field("fee")), fund: key(r.field("fund")) });
}

/** The insurance fund's floor: collateral units, a decimal string, < 2^127. */
export function readFundFloor(r: Reader): bigint {
  return r.uint(FUND_FLOOR_BITS);
}

/**
 * The stated configuration hash, checked against the markets', the fund floor's and the
 * domain's.
 */
export function readConfigHash(
  r: Reader,
  config: BoundConfig,
  fail: (message: string) => Error,
): bigint {
  const stated = r.uint();
  const computed = configHash(config);
  if (stated !== computed)
    throw fail(
      `${r.path}: ${stated} is not the hash of its markets, fund floor and deployment's domain (${computed})`,
    );
  return stated;
}
