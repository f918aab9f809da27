import { devOwners } from "../../prover/src/domain/owners.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair, sign } from "../../prover/src/domain/keys.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { newAccount, type Account, type Position } from "../../prover/src/domain/account.ts";
import { offerMessage, type Offer, type SignedOffer } from "../../prover/src/domain/offer.ts";
import { FUNDING_SCALE } from "../../prover/src/domain/constants.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import type { LiquidationRequest } from "../../prover/src/engine/liquidations.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { TEST_PARAMS } from "./circuit.ts";
import { fundWithCompartments } from "./compartments.ts";

/**
 * A small world for liquidations with liquidators (test parameters: 2 markets, 10% initial,
 * 5% maintenance, 1% penalty):
 *   3: long 1 BTC bought at 6,000,000 with 1,250,000 collateral (at BTC 4,900,000: equity
 *      150,000, maintenance 245,000, penalty 49,000);
 *   6: long 1 BTC at 6,000,000 and short 2 ETH at 300,000 with 1,250,000 (at MARKS: equity
 *      150,000, maintenance 275,000, penalty 55,000);
 *   5: a liquidator with 1,000,000 collateral, short 1 ETH at 300,000 that owes funding
 *      at INDICES (it receives 10: its short earns the ETH index move);
 *   7: a liquidator with 100,000 collateral (too little to take 1 BTC at 10% margin);
 *   the fund holds 1,000,000 in its reserve, and `compartments[j]` in its compartment j
 *   (flat, notional -compartments[j]: C_j = size_j * mark_j - notional_j), empty by default.
 */
export const P = TEST_PARAMS;
export const markets = defaultMarkets(P.markets);
export const MARKS = [4_900_000n, 300_000n];
/** ETH's funding index moved by 10 quote units per lot since everyone last paid. */
export const INDICES = [0n, 10n * FUNDING_SCALE];

const pos = (size: bigint, notional: bigint): Position => ({
  size,
  notional,
  nonce: size === 0n ? 0n : 1n,
  filled: size < 0n ? -size : size,
  fundingIndex: 0n,
});
const flat = pos(0n, 0n);

/** Every account's key in these worlds. */
export const keyOf = (i: bigint) => devKeyPair(`liq-${i}`);

export function world(compartments: readonly bigint[] = [0n, 0n]): ExchangeState {
  const s = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
  const put = (i: bigint, collateral: bigint, positions: Position[]) => {
    const a: Account = { ...newAccount(keyOf(i).publicKey, 2, collateral), positions };
    s.setAccount(i, a);
  };
  put(3n, 1_250_000n, [pos(1n, 6_000_000n), flat]);
  put(4n, 10_000_000n, [pos(-1n, -6_000_000n), pos(2n, 600_000n)]);
  put(5n, 1_000_000n, [flat, pos(-1n, -300_000n)]);
  put(6n, 1_250_000n, [pos(1n, 6_000_000n), pos(-2n, -600_000n)]);
  put(7n, 100_000n, [flat, flat]);
  fundWithCompartments(s, compartments);
  return s;
}

/** An offer of `account` signed by `signer`'s key (its own by default) for `domain`. */
export function offerOf(
  account: bigint,
  terms: readonly [bigint, bigint][],
  opts: { signer?: bigint; domain?: bigint; nonce?: bigint } = {},
): SignedOffer {
  const offer: Offer = {
    account,
    nonce: opts.nonce ?? 1n,
    terms: terms.map(([maxSize, discountBps]) => ({ maxSize, discountBps })),
  };
  const signer = opts.signer ?? account;
  return {
    offer,
    signature: sign(keyOf(signer).privateKey, offerMessage(offer, opts.domain ?? SAMPLE_DOMAIN)),
  };
}

/** The standard offer: up to 10 lots of either market at a 50 bps discount. */
export const OFFER_TERMS: [bigint, bigint][] = [
  [10n, 50n],
  [10n, 50n],
];

export const taken = (
  account: bigint,
  offer: SignedOffer,
  take: readonly boolean[],
): LiquidationRequest => ({ account, taker: { offer, take } });

/**
 * world(compartments) with the fund short 3 ETH taken over at the mark (its funding index
 * 0: ETH's index has moved since, so it is owed funding there).
 */
export function fundShortEth(compartments: readonly bigint[]): ExchangeState {
  const s = world(compartments);
  const f = s.getAccount(INSURANCE_ACCOUNT);
  s.setAccount(INSURANCE_ACCOUNT, {
    ...f,
    positions: f.positions.map((p, j) =>
      j === 1 ? { ...p, size: -3n, notional: p.notional - 900_000n, nonce: 1n, filled: 3n } : p,
    ),
  });
  return s;
}
