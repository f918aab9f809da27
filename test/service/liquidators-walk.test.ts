import assert from "node:assert/strict";
import fc from "fast-check";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import { FUNDING_SCALE } from "../../prover/src/domain/constants.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { chooseTakersSorted } from "../../prover/src/dev/taker-rule-sorted.ts";
import { chooseTakers } from "../../prover/src/service/liquidators.ts";
import { OfferIndex, type StandingOffer } from "../../prover/src/service/offer-index.ts";

// three markets (penalties 100, 100 and 150 bps), so an account's positions span several
// per-market lists and the walk's merge matters
const markets = defaultMarkets(3);
const marks = [60_000_00n, 3_000_00n, 100_00n];
const M = markets.length;

const size = fc.integer({ min: -3, max: 3 }).map(BigInt);
const account = fc.record({
  collateral: fc.constantFrom(0n, 100_000n, 700_000n, 1_500_000n, 5_000_000n, 50_000_000n),
  // positions opened above or below the mark: equity varies around the margin boundaries
  positions: fc.array(fc.tuple(size, fc.integer({ min: 80, max: 120 })), {
    minLength: M,
    maxLength: M,
  }),
});
const term = fc.record({
  maxSize: fc.constantFrom(0n, 0n, 1n, 2n, 3n, 4n),
  // ties, and discounts above a market's penalty (which cover nothing there)
  discountBps: fc.constantFrom(0n, 10n, 10n, 50n, 100n, 101n, 150n, 151n),
});
const N = 12;
/** Junk offers at most: small maxSize (below most positions), low discounts, so they rank first. */
const J = 40;
const junkTerm = fc.record({
  maxSize: fc.constantFrom(0n, 1n, 1n, 1n, 2n),
  discountBps: fc.constantFrom(0n, 0n, 10n),
});
/**
 * Accounts 3..3+N-1 (some missing), offers of some of them and of missing ones; and junk
 * liquidators 100.. (existing, flat, some without margin) whose offers mostly cover nothing.
 */
const book = fc.record({
  accounts: fc.array(fc.option(account, { freq: 6 }), { minLength: N, maxLength: N }),
  offers: fc.uniqueArray(
    fc.record({
      who: fc.integer({ min: 3, max: 3 + N + 2 }),
      terms: fc.array(term, { minLength: M, maxLength: M }),
    }),
    { selector: (o) => o.who, maxLength: N },
  ),
  junk: fc.array(
    fc.record({
      collateral: fc.constantFrom(0n, 1_500_000n, 50_000_000n),
      terms: fc.array(junkTerm, { minLength: M, maxLength: M }),
    }),
    { maxLength: J },
  ),
  seqs: fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), {
    minLength: N + J,
    maxLength: N + J,
  }),
  liquidated: fc.uniqueArray(fc.integer({ min: 3, max: 3 + N }), { minLength: 1, maxLength: 4 }),
  busy: fc.uniqueArray(fc.integer({ min: 3, max: 3 + N }), { maxLength: 2 }),
  funding: fc.array(fc.integer({ min: -20, max: 20 }), { minLength: M, maxLength: M }),
});
type Book = typeof book extends fc.Arbitrary<infer T> ? T : never;

function setup(b: Book) {
  const state = new Map<bigint, Account>();
  b.accounts.forEach((a, i) => {
    if (!a) return;
    state.set(BigInt(3 + i), {
      pubKey: { x: 1n, y: 2n },
      collateral: a.collateral,
      withdrawNonce: 0n,
      positions: a.positions.map(([s, pct], j) => ({
        ...EMPTY_POSITION,
        size: s,
        notional: (s * marks[j] * BigInt(pct)) / 100n,
      })),
    });
  });
  const standing = (who: bigint, seq: number, terms: Book["offers"][number]["terms"]) => ({
    seq,
    signed: { offer: { account: who, nonce: 1n, terms }, signature: { r8x: 0n, r8y: 0n, s: 0n } },
  });
  b.junk.forEach((j, i) =>
    state.set(BigInt(100 + i), {
      pubKey: { x: 1n, y: 2n },
      collateral: j.collateral,
      withdrawNonce: 0n,
      positions: marks.map(() => EMPTY_POSITION),
    }),
  );
  const offers: StandingOffer[] = [
    ...b.offers.map((o, i) => standing(BigInt(o.who), b.seqs[i], o.terms)),
    ...b.junk.map((j, i) => standing(BigInt(100 + i), b.seqs[N + i], j.terms)),
  ];
  const busy = new Set(b.busy.map(BigInt));
  const input = {
    accounts: b.liquidated.map(BigInt),
    busy: (i: bigint) => busy.has(i),
    account: (i: bigint) => state.get(i),
    marks,
    indices: b.funding.map((f) => BigInt(f) * FUNDING_SCALE),
    markets,
  };
  return { offers, input };
}

describe("service: the watcher's rule walks the offer index lazily", function () {
  it("chooses exactly what the old rule (every candidate filtered and sorted) chooses, for random books", function () {
    fc.assert(
      fc.property(book, (b) => {
        const { offers, input } = setup(b);
        const old = chooseTakersSorted({ ...input, offers });
        const walked = chooseTakers({ ...input, offers: OfferIndex.of(offers, M) });
        assert.deepEqual(walked.takers, old);
        // what it reports as wanting is walked, standing, not chosen for that account
        for (const f of walked.failed) assert.ok(offers.some((o) => o.signed.offer.account === f));
      }),
      { numRuns: 400 },
    );
  });

  it("an index kept up to date one offer at a time (replacements, withdrawals) walks as one built afresh", function () {
    const ops = fc.array(
      fc.record({ remove: fc.boolean(), at: fc.nat(), seq: fc.integer({ min: 1001, max: 2000 }) }),
      { maxLength: 15 },
    );
    fc.assert(
      fc.property(book, ops, (b, changes) => {
        const { offers, input } = setup(b);
        if (offers.length === 0) return;
        const index = OfferIndex.of(offers, M);
        const live = new Map(offers.map((o) => [o.signed.offer.account, o]));
        const used = new Set(offers.map((o) => o.seq));
        for (const c of changes) {
          const o = offers[c.at % offers.length];
          if (c.remove) {
            index.remove(o.signed.offer.account);
            live.delete(o.signed.offer.account);
          } else if (!used.has(c.seq)) {
            // a replacement (or the offer back, after a suspension): a new seq
            used.add(c.seq);
            const again = { ...o, seq: c.seq };
            index.add(again);
            live.set(o.signed.offer.account, again);
          }
        }
        assert.equal(index.size, live.size);
        const old = chooseTakersSorted({ ...input, offers: [...live.values()] });
        assert.deepEqual(chooseTakers({ ...input, offers: index }).takers, old);
      }),
      { numRuns: 300 },
    );
  });

  it("walks past 10,000 offers that cover nothing (1 lot at discount 0, ranked first) without reading each (review finding 4)", function () {
    const flat = (collateral: bigint): Account => ({
      pubKey: { x: 1n, y: 2n },
      collateral,
      withdrawNonce: 0n,
      positions: marks.map(() => EMPTY_POSITION),
    });
    const state = new Map<bigint, Account>();
    const one = (who: bigint, seq: number, maxSize: bigint, discountBps: bigint) => ({
      seq,
      signed: {
        offer: { account: who, nonce: 1n, terms: marks.map(() => ({ maxSize, discountBps })) },
        signature: { r8x: 0n, r8y: 0n, s: 0n },
      },
    });
    const offers: StandingOffer[] = [];
    for (let i = 0; i < 10_000; i++) {
      state.set(BigInt(100 + i), flat(50_000_000n));
      offers.push(one(BigInt(100 + i), i + 1, 1n, 0n));
    }
    state.set(10n, flat(10n ** 12n));
    offers.push(one(10n, 10_001, 100n, 40n));
    state.set(3n, {
      ...flat(1_000n),
      positions: marks.map((m, j) => ({
        ...EMPTY_POSITION,
        size: j === 2 ? 0n : 2n,
        notional: 2n * m,
      })),
    });
    const index = OfferIndex.of(offers, M);
    index.steps = 0;
    const input = {
      accounts: [3n],
      account: (i: bigint) => state.get(i),
      marks,
      indices: marks.map(() => 0n),
      markets,
    };
    const r = chooseTakers({ ...input, offers: index });
    assert.equal(r.takers[0]?.offer.offer.account, 10n);
    assert.deepEqual(r.takers[0]?.take, [true, true, false]);
    assert.deepEqual(r.takers, chooseTakersSorted({ ...input, offers }));
    // two markets walked, each a descent or two of a treap of ~10^4 nodes
    assert.ok(index.steps < 400, `the walk visited ${index.steps} index nodes`);
  });
});
