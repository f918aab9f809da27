import assert from "node:assert/strict";
import { OfferIndex, type StandingOffer } from "../../prover/src/service/offer-index.ts";

const offer = (account: bigint, seq: number, terms: [bigint, bigint][]): StandingOffer => ({
  seq,
  signed: {
    offer: {
      account,
      nonce: 1n,
      terms: terms.map(([maxSize, discountBps]) => ({ maxSize, discountBps })),
    },
    signature: { r8x: 0n, r8y: 0n, s: 0n },
  },
});
const order = (ix: OfferIndex, market: number) =>
  [...ix.inMarket(market)].map((o) => `${o.signed.offer.account}@${o.seq}`);

describe("service: the offer index", function () {
  it("lists each market's offers by that term's discount, then by seq; a term of maxSize 0 is not listed", function () {
    const ix = OfferIndex.of(
      [
        offer(3n, 5, [
          [1n, 50n],
          [1n, 10n],
        ]),
        offer(4n, 2, [
          [1n, 50n],
          [0n, 0n],
        ]),
        offer(5n, 9, [
          [2n, 20n],
          [3n, 10n],
        ]),
        offer(6n, 1, [
          [0n, 0n],
          [1n, 30n],
        ]),
      ],
      2,
    );
    assert.deepEqual(order(ix, 0), ["5@9", "4@2", "3@5"]);
    assert.deepEqual(order(ix, 1), ["3@5", "5@9", "6@1"]);
    assert.equal(ix.size, 4);
  });

  it("replaces an account's offer (its entries leave every list), removes one, and ignores an unknown account", function () {
    const ix = OfferIndex.of(
      [
        offer(3n, 1, [
          [1n, 10n],
          [1n, 10n],
        ]),
        offer(4n, 2, [
          [1n, 10n],
          [1n, 10n],
        ]),
      ],
      2,
    );
    ix.add(
      offer(3n, 3, [
        [0n, 0n],
        [1n, 5n],
      ]),
    );
    assert.deepEqual(order(ix, 0), ["4@2"]);
    assert.deepEqual(order(ix, 1), ["3@3", "4@2"]);
    assert.equal(ix.remove(4n), true);
    assert.equal(ix.remove(4n), false);
    assert.equal(ix.remove(99n), false);
    assert.deepEqual(order(ix, 0), []);
    assert.deepEqual(order(ix, 1), ["3@3"]);
    assert.equal(ix.size, 1);
    assert.equal(ix.has(3n), true);
    assert.equal(ix.has(4n), false);
  });
});
