import assert from "node:assert/strict";
import fc from "fast-check";
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
const order = (
  ix: OfferIndex,
  market: number,
  filter?: { minSize?: bigint; maxDiscount?: bigint },
) => [...ix.inMarket(market, filter)].map((o) => `${o.signed.offer.account}@${o.seq}`);

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

  it("a walk with a minimum size skips the smaller terms, through inserts, removals and replacements", function () {
    const ix = OfferIndex.of(
      [
        offer(3n, 1, [[1n, 0n]]),
        offer(4n, 2, [[5n, 20n]]),
        offer(5n, 3, [[2n, 0n]]),
        offer(6n, 4, [[1n, 10n]]),
        offer(7n, 5, [[3n, 30n]]),
      ],
      1,
    );
    assert.deepEqual(order(ix, 0), ["3@1", "5@3", "6@4", "4@2", "7@5"]);
    assert.deepEqual(order(ix, 0, { minSize: 2n }), ["5@3", "4@2", "7@5"]);
    assert.deepEqual(order(ix, 0, { minSize: 3n }), ["4@2", "7@5"]);
    assert.deepEqual(order(ix, 0, { minSize: 6n }), []);
    // a discount cap stops the walk at the first entry above it
    assert.deepEqual(order(ix, 0, { minSize: 2n, maxDiscount: 20n }), ["5@3", "4@2"]);
    assert.deepEqual(order(ix, 0, { maxDiscount: 0n }), ["3@1", "5@3"]);
    // the largest term leaves: the subtree maxima follow
    ix.remove(4n);
    assert.deepEqual(order(ix, 0, { minSize: 3n }), ["7@5"]);
    assert.deepEqual(order(ix, 0, { minSize: 4n }), []);
    // a small term replaced by a large one (a new seq) is found again; the reverse hides it
    ix.add(offer(3n, 6, [[9n, 0n]]));
    ix.add(offer(5n, 7, [[1n, 0n]]));
    assert.deepEqual(order(ix, 0, { minSize: 2n }), ["3@6", "7@5"]);
    assert.deepEqual(order(ix, 0), ["3@6", "5@7", "6@4", "7@5"]);
    // a new entry inserted among the small ones
    ix.add(offer(8n, 8, [[4n, 10n]]));
    assert.deepEqual(order(ix, 0, { minSize: 4n }), ["3@6", "8@8"]);
  });

  it("a filtered walk yields exactly the unfiltered walk's entries that pass, after any adds and removals", function () {
    const op = fc.record({
      account: fc.integer({ min: 1, max: 30 }),
      remove: fc.boolean(),
      maxSize: fc.constantFrom(0n, 1n, 1n, 1n, 2n, 3n, 8n),
      discount: fc.constantFrom(0n, 0n, 5n, 10n, 50n),
    });
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 80 }),
        fc.constantFrom(1n, 2n, 3n, 4n, 8n),
        fc.option(fc.constantFrom(0n, 5n, 10n, 50n)),
        (ops, minSize, cap) => {
          const ix = new OfferIndex(1);
          ops.forEach((o, seq) => {
            if (o.remove) ix.remove(BigInt(o.account));
            else ix.add(offer(BigInt(o.account), seq, [[o.maxSize, o.discount]]));
          });
          const all = [...ix.inMarket(0)];
          // the unfiltered walk is in rank order
          for (let i = 1; i < all.length; i++) {
            const [a, b] = [all[i - 1], all[i]].map((o) => o.signed.offer.terms[0]);
            assert.ok(
              a.discountBps < b.discountBps ||
                (a.discountBps === b.discountBps && all[i - 1].seq < all[i].seq),
            );
          }
          const maxDiscount = cap ?? undefined;
          const want = all.filter(
            (o) =>
              o.signed.offer.terms[0].maxSize >= minSize &&
              (maxDiscount === undefined || o.signed.offer.terms[0].discountBps <= maxDiscount),
          );
          assert.deepEqual([...ix.inMarket(0, { minSize, maxDiscount })], want);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("skips 10,000 entries too small without visiting each: a walk to the covering one visits O(log n) nodes", function () {
    const n = 10_000;
    const offers: StandingOffer[] = [];
    for (let i = 0; i < n; i++) offers.push(offer(BigInt(100 + i), i + 1, [[1n, 0n]]));
    // the covering offer ranks after every junk one (a higher discount), another among them
    offers.push(offer(10n, n + 1, [[5n, 40n]]));
    offers.splice(n / 2, 0, offer(11n, n + 2, [[2n, 0n]]));
    const ix = OfferIndex.of(offers, 1);
    ix.steps = 0;
    assert.deepEqual(order(ix, 0, { minSize: 2n }), ["11@10002", "10@10001"]);
    // a treap's depth is about 3 log2 n (~40) in expectation; two yields, each after a
    // descent: far below the 10^4 entries a one-by-one walk reads
    assert.ok(ix.steps < 300, `the walk visited ${ix.steps} nodes`);
    ix.steps = 0;
    assert.deepEqual(order(ix, 0, { minSize: 3n }), ["10@10001"]);
    assert.ok(ix.steps < 200, `the walk visited ${ix.steps} nodes`);
    // the unfiltered walk visits every entry
    ix.steps = 0;
    assert.equal([...ix.inMarket(0)].length, n + 2);
    assert.equal(ix.steps, n + 2);
  });
});
