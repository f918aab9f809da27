import { devKeyPair, type KeyPair } from "../domain/keys.ts";
import { devOwners } from "../domain/owners.ts";
import { DEFAULT_MARKS, defaultMarkets, type MarketParams } from "../domain/market.ts";
import { signOrder, type Order, type SignedOrder, type Side } from "../domain/order.ts";
import { FIRST_USER_ACCOUNT } from "../domain/constants.ts";
import type { ParamSet } from "../domain/params.ts";
import { ExchangeState } from "../engine/state.ts";
import { deploymentDomain } from "../domain/messages.ts";
import { type Trade } from "../domain/batch.ts";

/**
 * Development fixtures: traders with INSECURE deterministic keys (derived from a public
 * label), funded directly in the state. Used by the demo, the tests and the benchmarks.
 */
export interface Trader {
  readonly index: bigint;
  readonly keys: KeyPair;
}

export interface Sample {
  readonly state: ExchangeState;
  readonly markets: readonly MarketParams[];
  /** The deployment domain signatures name (a development one for engine-only samples). */
  readonly domain: bigint;
  readonly traders: Trader[];
  readonly marks: bigint[];
}

/** The domain of engine-only samples: chain 31337, a Settlement at address 1. */
export const SAMPLE_DOMAIN = deploymentDomain(31337n, 1n);

/**
 * A sample exchange: `traders` funded traders (accounts 3..), the INSECURE development
 * owners in the system accounts (domain/owners.ts devOwnerKeys signs for them) and the
 * fund floor `fundFloor` (default 0).
 */
export function sampleExchange(
  p: ParamSet,
  traders = 4,
  collateral = 10_000_000_00n,
  fundFloor = 0n,
): Sample {
  const markets = defaultMarkets(p.markets);
  const domain = SAMPLE_DOMAIN;
  const state = ExchangeState.genesis(p.depth, markets, domain, devOwners(), fundFloor);
  const list: Trader[] = [];
  for (let i = 0; i < traders; i++) {
    const index = FIRST_USER_ACCOUNT + BigInt(i);
    const keys = devKeyPair(`trader-${i}`);
    state.openAccount(index, keys.publicKey, collateral);
    list.push({ index, keys });
  }
  return { state, markets, domain, traders: list, marks: DEFAULT_MARKS.slice(0, p.markets) };
}

export function order(
  s: { readonly markets: readonly MarketParams[]; readonly domain: bigint },
  trader: Trader,
  fields: {
    market: number;
    side: Side;
    nonce: bigint;
    amount: bigint;
    limitPrice: bigint;
    maxFeeBps?: bigint;
  },
): SignedOrder {
  const o: Order = { account: trader.index, maxFeeBps: fields.maxFeeBps ?? 10n, ...fields };
  return signOrder(o, trader.keys.privateKey, s.markets.length, s.domain);
}

/** A trade between two traders at `price`, fully filling two fresh orders of `qty`. */
export function simpleTrade(
  s: Sample,
  buyer: Trader,
  seller: Trader,
  market: number,
  qty: bigint,
  price: bigint,
  nonces: { buy: bigint; sell: bigint },
): Trade {
  return {
    buy: order(s, buyer, {
      market,
      side: "buy",
      nonce: nonces.buy,
      amount: qty,
      limitPrice: price,
    }),
    sell: order(s, seller, {
      market,
      side: "sell",
      nonce: nonces.sell,
      amount: qty,
      limitPrice: price,
    }),
    qty,
    price,
    takerIsBuyer: true,
  };
}
