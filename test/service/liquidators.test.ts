import assert from "node:assert/strict";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import type { SignedOffer } from "../../prover/src/domain/offer.ts";
import {
  chooseTakers,
  takerShare,
  type StandingOffer,
} from "../../prover/src/service/liquidators.ts";
import { OfferIndex } from "../../prover/src/service/offer-index.ts";

// BTC-like and ETH-like: initial margin 10%, maintenance 5%, liquidation penalty 100 bps
const markets = defaultMarkets(2);
const marks = [60_000_00n, 3_000_00n];
const indices = [0n, 0n];

const acct = (collateral: bigint, sizes: readonly bigint[] = [0n, 0n]): Account => ({
  pubKey: { x: 1n, y: 2n },
  collateral,
  withdrawNonce: 0n,
  positions: sizes.map((size, j) => ({ ...EMPTY_POSITION, size, notional: size * marks[j] })),
});

const offer = (
  account: bigint,
  seq: number,
  terms: readonly [bigint, bigint][],
  nonce = 1n,
): StandingOffer => ({
  seq,
  signed: {
    offer: {
      account,
      nonce,
      terms: terms.map(([maxSize, discountBps]) => ({ maxSize, discountBps })),
    },
    signature: { r8x: 0n, r8y: 0n, s: 0n },
  } satisfies SignedOffer,
});

const RICH = 100_000_000n;
const who = (r: ReturnType<typeof chooseTakers>["takers"]) =>
  r.map((t) => t?.offer.offer.account ?? null);

function rule(
  accounts: readonly bigint[],
  state: Record<string, Account>,
  offers: readonly StandingOffer[],
) {
  return chooseTakers({
    accounts,
    offers: OfferIndex.of(offers, markets.length),
    account: (i) => state[String(i)],
    marks,
    indices,
    markets,
  }).takers;
}

describe("service: the watcher's liquidator rule", function () {
  const liquidated = acct(10_000n, [1n, 0n]);

  /** 4 at 50 bps, 5 at 30 bps, for up to 5 lots of BTC. */
  const btcOffers = () => [
    offer(4n, 1, [
      [5n, 50n],
      [0n, 0n],
    ]),
    offer(5n, 2, [
      [5n, 30n],
      [0n, 0n],
    ]),
  ];

  it("ranks by the lowest discount first, whatever the order of the offers", function () {
    const state = { "3": liquidated, "4": acct(RICH), "5": acct(RICH) };
    const offers = btcOffers();
    assert.deepEqual(who(rule([3n], state, offers)), [5n]);
    assert.deepEqual(who(rule([3n], state, [...offers].reverse())), [5n]);
  });

  it("passes over a sub-account isolated to another market, for the next offer", function () {
    // 5 has the best discount but is isolated to market 1 (ETH); the position is BTC
    const state = {
      "3": liquidated,
      "4": acct(RICH),
      "5": { ...acct(RICH), isolatedMarket: 1 },
    };
    const offers = btcOffers();
    assert.deepEqual(who(rule([3n], state, offers)), [4n]);
    // isolated to BTC, it takes it
    assert.deepEqual(
      who(rule([3n], { ...state, "5": { ...acct(RICH), isolatedMarket: 0 } }, offers)),
      [5n],
    );
  });

  it("at an equal discount the earlier acknowledged offer wins", function () {
    const state = { "3": liquidated, "4": acct(RICH), "5": acct(RICH) };
    const early = offer(5n, 1, [
      [5n, 40n],
      [0n, 0n],
    ]);
    const late = offer(4n, 2, [
      [5n, 40n],
      [0n, 0n],
    ]);
    assert.deepEqual(who(rule([3n], state, [late, early])), [5n]);
    // a replacement is a new offer: acknowledged again, it goes behind
    assert.deepEqual(who(rule([3n], state, [late, { ...early, seq: 3 }])), [4n]);
  });

  it("skips a candidate that would fall below initial margin, and the fund takes what no one can", function () {
    // one lot at 60,000.00 needs 6,000.00 of initial margin; the share is 0.4% of it
    const poor = acct(500_000n);
    const state = { "3": liquidated, "4": poor, "5": acct(RICH) };
    const best = offer(4n, 1, [
      [5n, 10n],
      [0n, 0n],
    ]);
    const worse = offer(5n, 2, [
      [5n, 90n],
      [0n, 0n],
    ]);
    assert.deepEqual(who(rule([3n], state, [best, worse])), [5n]);
    assert.deepEqual(who(rule([3n], state, [best])), [null]);
    // just enough: 10^4 * (collateral + share) >= 6,000,000 * 1000
    const share = takerShare(liquidated.positions, [true, false], best.signed, marks);
    assert.equal(share, 6_000n);
    const enough = { ...state, "4": acct(600_000n - share) };
    assert.deepEqual(who(rule([3n], enough, [best])), [4n]);
    const short = { ...state, "4": acct(600_000n - share - 1n) };
    assert.deepEqual(who(rule([3n], short, [best])), [null]);
  });

  it("counts what a liquidator already took earlier in the same batch, and its funding", function () {
    // enough for one lot, not two
    const state = {
      "3": liquidated,
      "6": acct(10_000n, [1n, 0n]),
      "4": acct(700_000n),
      "5": acct(RICH),
    };
    const offers = [
      offer(4n, 1, [
        [5n, 10n],
        [0n, 0n],
      ]),
      offer(5n, 2, [
        [5n, 90n],
        [0n, 0n],
      ]),
    ];
    assert.deepEqual(who(rule([3n, 6n], state, offers)), [4n, 5n]);
    // the same liquidator, with funding to pay that takes it below initial margin first
    const owing: Account = {
      ...acct(700_000n, [1n, 0n]),
      collateral: 1_300_000n,
    };
    const r = chooseTakers({
      accounts: [3n],
      offers: OfferIndex.of(offers, markets.length),
      account: (i) => ({ ...state, "4": owing })[String(i)],
      marks,
      // long 1 lot pays 106,001 of funding: 1,300,000 - 106,001 + a share of 6,000 < 1,200,000,
      // the initial margin of two lots
      indices: [106_001n << 20n, 0n],
      markets,
    }).takers;
    assert.deepEqual(who(r), [5n]);
    const r0 = chooseTakers({
      accounts: [3n],
      offers: OfferIndex.of(offers, markets.length),
      account: (i) => ({ ...state, "4": owing })[String(i)],
      marks,
      indices: [106_000n << 20n, 0n],
      markets,
    }).takers;
    assert.deepEqual(who(r0), [4n]);
  });

  it("a candidate takes every position its offer covers; the rest goes to the fund", function () {
    const both = acct(10_000n, [1n, -3n]);
    const state = { "3": both, "4": acct(RICH), "5": acct(RICH) };
    const btcOnly = offer(4n, 1, [
      [1n, 20n],
      [0n, 0n],
    ]);
    const r = rule([3n], state, [btcOnly]);
    assert.deepEqual(r[0]?.take, [true, false]);
    const all = offer(5n, 0, [
      [1n, 20n],
      [3n, 20n],
    ]);
    assert.deepEqual(
      rule([3n], state, [btcOnly, all])[0]?.take,
      [true, true],
      "equal discount: the earlier wins",
    );
    // the candidate's discount is its highest over what it takes: 20 and 60 rank as 60
    const mixed = offer(5n, 0, [
      [1n, 20n],
      [3n, 60n],
    ]);
    assert.deepEqual(who(rule([3n], state, [btcOnly, mixed])), [4n]);
  });

  it("an offer covers nothing beyond its size, at a discount above the penalty, or in an empty market", function () {
    const state = { "3": acct(10_000n, [2n, 0n]), "4": acct(RICH) };
    assert.deepEqual(
      who(
        rule([3n], state, [
          offer(4n, 1, [
            [1n, 10n],
            [0n, 0n],
          ]),
        ]),
      ),
      [null],
    );
    assert.deepEqual(
      who(
        rule([3n], state, [
          offer(4n, 1, [
            [2n, 101n],
            [0n, 0n],
          ]),
        ]),
      ),
      [null],
    );
    assert.deepEqual(
      who(
        rule([3n], state, [
          offer(4n, 1, [
            [2n, 100n],
            [0n, 0n],
          ]),
        ]),
      ),
      [4n],
    );
    assert.deepEqual(
      who(
        rule([3n], state, [
          offer(4n, 1, [
            [0n, 0n],
            [9n, 10n],
          ]),
        ]),
      ),
      [null],
    );
  });

  it("never hands positions to an account liquidated in the same batch, to itself, or to an account that does not exist", function () {
    const state = { "3": liquidated, "4": acct(10_000n, [-1n, 0n]) };
    const offers = [
      offer(3n, 1, [
        [5n, 10n],
        [0n, 0n],
      ]),
      offer(4n, 2, [
        [5n, 10n],
        [0n, 0n],
      ]),
      offer(9n, 0, [
        [5n, 1n],
        [0n, 0n],
      ]),
    ];
    assert.deepEqual(who(rule([3n, 4n], state, offers)), [null, null]);
  });

  it("never hands positions to an account that is itself liquidatable (due in a later batch)", function () {
    // 4: short 1 BTC with 10,000 of collateral, below maintenance (300,000) at the mark; the
    // batch liquidates 3 only (as if the batcher cut 4 for a later batch). Taking 3's long
    // would leave 4 flat and meeting initial margin: it would escape its own penalty.
    const offers = [
      offer(4n, 1, [
        [5n, 10n],
        [0n, 0n],
      ]),
      offer(5n, 2, [
        [5n, 50n],
        [0n, 0n],
      ]),
    ];
    const due = { "3": liquidated, "4": acct(10_000n, [-1n, 0n]), "5": acct(RICH) };
    assert.deepEqual(who(rule([3n], due, offers)), [5n]);
    assert.deepEqual(who(rule([3n], { ...due, "5": acct(10_000n) }, offers.slice(0, 1))), [null]);
    // the same short above maintenance is a candidate, and the better discount wins
    const healthy = { ...due, "4": acct(RICH, [-1n, 0n]) };
    assert.deepEqual(who(rule([3n], healthy, offers)), [4n]);
  });
});
