import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EMPTY_POSITION, newAccount, type Account } from "../../prover/src/domain/account.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { Round } from "../../prover/src/domain/ports.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import type { OperatorContext } from "../../prover/src/service/context.ts";
import { chooseTakers } from "../../prover/src/service/liquidators.ts";
import { OfferBook } from "../../prover/src/service/offer-book.ts";
import { Store } from "../../prover/src/store/store.ts";
import { INDICES, MARKS, keyOf, markets, offerOf, world } from "../helpers/liquidators.ts";

/**
 * The operator's offer book over a real engine state and a real SQLite store, with the
 * round set by the test (test parameters: 10% initial margin, 5% maintenance; BTC at
 * 49,000.00, ETH at 3,000.00 in MARKS). Accounts of helpers/liquidators world(), and:
 *   8: no collateral; 9: 1,000,000 flat (backs 2 BTC at 4,900,000: 980,000);
 *   10: long 2 BTC, to be liquidated in the rule's runs.
 */
function open(file: string, state = world(), recheckPerRound?: number) {
  const put = (i: bigint, collateral: bigint, btc = 0n) => {
    const a = newAccount(keyOf(i).publicKey, 2, collateral);
    state.setAccount(i, {
      ...a,
      positions: [
        { ...EMPTY_POSITION, size: btc, notional: btc * MARKS[0], nonce: btc && 1n },
        a.positions[1],
      ],
    });
  };
  if (!state.hasAccount(8n)) {
    put(8n, 0n);
    put(9n, 1_000_000n);
    put(10n, 10_000n, 2n);
  }
  const store = new Store(file);
  let round: Round | undefined = {
    roundId: 1n,
    prices: MARKS,
    fundingIndices: INDICES,
    margins: oneX(MARKS.length),
  };
  const logs: string[] = [];
  const ctx = {
    state,
    store,
    log: (s: string) => logs.push(s),
    round: () => round,
    frozen: () => undefined,
  } as unknown as OperatorContext;
  const book = new OfferBook(() => ctx, recheckPerRound);
  return {
    state,
    store,
    book,
    logs,
    /** A new oracle round at `prices` (undefined: no round). */
    at: (prices: readonly bigint[] | undefined) => {
      round = prices && {
        roundId: (round?.roundId ?? 1n) + 1n,
        prices,
        fundingIndices: INDICES,
        margins: oneX(MARKS.length),
      };
    },
  };
}

const refused = (f: () => unknown, pattern: RegExp) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ZkClearError, String(e));
    assert.equal(e.code, "OFFER_NOT_BACKED", e.message);
    assert.match(e.message, pattern);
    return true;
  });

/** The rule liquidating `accounts` over the book's active offers at `marks`. */
const rule = (state: ExchangeState, book: OfferBook, accounts: bigint[], marks = MARKS) =>
  chooseTakers({
    accounts,
    offers: book.ranked(),
    account: (i) => (state.hasAccount(i) ? state.getAccount(i) : undefined),
    marks,
    indices: INDICES,
    markets,
  });

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-book-")), "z.db");

describe("service: the offer book acknowledges backed offers only and suspends those that lose their backing", function () {
  it("refuses an isolated sub-account's offer to take positions outside its market; stores nothing", function () {
    const { book, store, state } = open(tmp());
    state.setAccount(9n, { ...state.getAccount(9n), isolatedMarket: 1 });
    assert.throws(
      () =>
        book.submit(
          offerOf(9n, [
            [1n, 50n],
            [1n, 50n],
          ]),
        ),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "LIQUIDATOR_OUTSIDE_ISOLATED_MARKET" &&
        /isolated to market 1: its offer may take positions there only, not in market 0/.test(
          e.message,
        ),
    );
    assert.equal(store.offers.standing().length, 0);
    // its own market only: acknowledged
    book.submit(
      offerOf(9n, [
        [0n, 0n],
        [1n, 50n],
      ]),
    );
    assert.equal(store.offers.standing().length, 1);
  });

  it("refuses an offer its account does not back, with OFFER_NOT_BACKED saying what is lacking; stores nothing", function () {
    const { book, store } = open(tmp());
    // no collateral: one BTC lot needs 490,000 of initial margin
    refused(
      () =>
        book.submit(
          offerOf(8n, [
            [1n, 50n],
            [0n, 0n],
          ]),
        ),
      /account 8 lacks 490000 of equity.*1 lots of BTC-PERP/,
    );
    // 5: 1,000,000 and short 1 ETH (receiving 10 of funding). Each market alone is backed
    // (BTC: 490,000 + 30,000; 20 more short ETH: 21 * 30,000), both together are not
    refused(
      () =>
        book.submit(
          offerOf(5n, [
            [1n, 50n],
            [20n, 50n],
          ]),
        ),
      /account 5 lacks 119990 of equity.*needs an initial margin of 1120000.*equity after funding is 1000010/,
    );
    // 3: long 1 BTC with 1,250,000 bought at 6,000,000: below maintenance at 4,900,000
    refused(
      () =>
        book.submit(
          offerOf(3n, [
            [1n, 10n],
            [0n, 0n],
          ]),
        ),
      /account 3 is liquidatable/,
    );
    // no round yet: no marks to check at
    const fresh = open(tmp());
    fresh.at(undefined);
    refused(
      () =>
        fresh.book.submit(
          offerOf(9n, [
            [1n, 10n],
            [0n, 0n],
          ]),
        ),
      /no oracle round yet/,
    );
    assert.deepEqual(store.offers.standing(), []);
    assert.deepEqual(book.counts(), { active: 0, suspended: 0 });
  });

  it("acknowledges a backed offer: the worse direction per market, the margin boundary exact", function () {
    const { book } = open(tmp());
    assert.equal(
      book.submit(
        offerOf(5n, [
          [1n, 50n],
          [0n, 0n],
        ]),
      ).suspended,
      undefined,
    );
    // short 1 ETH: 32 more lots short is 33 * 30,000 = 990,000 <= 1,000,010
    assert.equal(
      book.submit(
        offerOf(
          5n,
          [
            [0n, 0n],
            [32n, 50n],
          ],
          { nonce: 2n },
        ),
      ).nonce,
      2n,
    );
    refused(
      () =>
        book.submit(
          offerOf(
            5n,
            [
              [0n, 0n],
              [33n, 50n],
            ],
            { nonce: 3n },
          ),
        ),
      /lacks 19990/,
    );
    // 9: 2 BTC lots need exactly its 1,000,000 less 20,000; 3 lots do not fit
    book.submit(
      offerOf(9n, [
        [2n, 10n],
        [0n, 0n],
      ]),
    );
    refused(
      () =>
        book.submit(
          offerOf(
            9n,
            [
              [3n, 10n],
              [0n, 0n],
            ],
            { nonce: 2n },
          ),
        ),
      /lacks 470000/,
    );
    // a withdrawal needs no backing
    book.submit(
      offerOf(8n, [
        [0n, 0n],
        [0n, 0n],
      ]),
    );
    assert.deepEqual(book.counts(), { active: 2, suspended: 0 });
  });

  it("suspends an offer whose account withdrew collateral (it is not chosen), makes it active again after a deposit; the status survives a restart", function () {
    const file = tmp();
    const { book, state, store, logs } = open(file);
    const best = book.submit(
      offerOf(9n, [
        [2n, 10n],
        [0n, 0n],
      ]),
    );
    book.submit(
      offerOf(4n, [
        [10n, 50n],
        [10n, 50n],
      ]),
    );
    assert.deepEqual(rule(state, book, [10n]).takers[0]?.offer.offer.account, 9n);
    // a withdrawal batch took 9 down to 900,000: 2 lots (980,000) are no longer backed
    const nine = state.getAccount(9n);
    state.setAccount(9n, { ...nine, collateral: 900_000n });
    book.recheck([9n, 10n, 77n]);
    assert.match(store.offers.get(9n)?.suspended ?? "", /account 9 lacks 80000 of equity/);
    assert.deepEqual(book.counts(), { active: 1, suspended: 1 });
    assert.ok(logs.some((l) => /liquidator 9's offer is suspended/.test(l)));
    const r = rule(state, book, [10n]);
    assert.equal(r.takers[0]?.offer.offer.account, 4n, "the suspended offer is not walked");
    assert.deepEqual(r.failed, []);
    // it stays suspended (and listed) through a restart of the store and the book
    store.close();
    const again = open(file, state);
    assert.equal(again.store.offers.standing().length, 2);
    assert.deepEqual(again.book.counts(), { active: 1, suspended: 1 });
    assert.equal(rule(state, again.book, [10n]).takers[0]?.offer.offer.account, 4n);
    // a deposit of 80,000 backs it again: active, in its old rank (seq kept), chosen again
    state.setAccount(9n, { ...nine, collateral: 980_000n });
    again.book.recheck([9n]);
    const back = again.store.offers.get(9n)!;
    assert.equal(back.suspended, undefined);
    assert.equal(back.seq, best.seq);
    assert.deepEqual(again.book.counts(), { active: 2, suspended: 0 });
    assert.equal(rule(state, again.book, [10n]).takers[0]?.offer.offer.account, 9n);
    again.store.close();
  });

  it("an offer the rule finds wanting after a price move is reported, suspended when checked again, and active again at the first cut of a round that backs it", function () {
    const { book, state, store, at, logs } = open(tmp());
    book.submit(
      offerOf(9n, [
        [2n, 10n],
        [0n, 0n],
      ]),
    );
    book.submit(
      offerOf(4n, [
        [10n, 50n],
        [10n, 50n],
      ]),
    );
    // BTC up to 52,000.00: 9 would need 1,040,000 for 10's two lots, it has 1,000,000 + 10,400
    const up = [5_200_000n, MARKS[1]];
    at(up);
    const r = rule(state, book, [10n], up);
    assert.equal(r.takers[0]?.offer.offer.account, 4n);
    assert.deepEqual(r.failed, [9n]);
    book.recheck(r.failed);
    assert.match(store.offers.get(9n)?.suspended ?? "", /lacks 40000/);
    assert.deepEqual(rule(state, book, [10n], up).failed, [], "not walked again");
    // still up at the next round: checked again at its first cut, still suspended
    at(up);
    assert.equal(rule(state, book, [10n], up).takers[0]?.offer.offer.account, 4n);
    assert.deepEqual(book.counts(), { active: 1, suspended: 1 });
    // the price comes back: the round alone changes nothing until a liquidation cut walks
    // the book; its first walk checks the suspended offer again, finds it backed, and it
    // is chosen (in its old rank) in that very walk
    at(MARKS);
    assert.deepEqual(book.counts(), { active: 1, suspended: 1 });
    assert.equal(rule(state, book, [10n]).takers[0]?.offer.offer.account, 9n);
    assert.deepEqual(book.counts(), { active: 2, suspended: 0 });
    assert.equal(store.offers.get(9n)?.suspended, undefined);
    assert.ok(logs.some((l) => /liquidator 9's offer is active again/.test(l)));
    // suspended again; a re-posted offer (a higher nonce) is active at once, if backed
    at(up);
    book.recheck(rule(state, book, [10n], up).failed);
    assert.deepEqual(book.counts(), { active: 1, suspended: 1 });
    at(MARKS);
    const reposted = book.submit(
      offerOf(
        9n,
        [
          [2n, 10n],
          [0n, 0n],
        ],
        { nonce: 2n },
      ),
    );
    assert.equal(reposted.suspended, undefined);
    assert.deepEqual(book.counts(), { active: 2, suspended: 0 });
  });

  it("an account that became liquidatable is skipped by the rule, reported, and its offer suspended", function () {
    const { book, state } = open(tmp());
    book.submit(
      offerOf(9n, [
        [2n, 10n],
        [0n, 0n],
      ]),
    );
    // 9 went long 2 BTC at 60,000.00 (a trade batch after it was acknowledged)
    const nine: Account = state.getAccount(9n);
    state.setAccount(9n, {
      ...nine,
      positions: [
        { ...EMPTY_POSITION, size: 2n, notional: 12_000_000n, nonce: 1n },
        nine.positions[1],
      ],
    });
    const r = rule(state, book, [10n]);
    assert.deepEqual(r.takers, [null]);
    assert.deepEqual(r.failed, [9n]);
    book.recheck(r.failed);
    assert.deepEqual(book.counts(), { active: 0, suspended: 1 });
  });

  it("a new round checks again at most K suspended offers, the longest suspended first; one still unbacked goes to the end of the line", function () {
    const file = tmp();
    const { book, state, store, at } = open(file, undefined, 1);
    // 9 backs 2 BTC (980,000 of 1,000,000); 11 gets the same
    const nine = state.getAccount(9n);
    state.setAccount(11n, { ...newAccount(keyOf(11n).publicKey, 2, 1_000_000n) });
    const two = (i: bigint) =>
      book.submit(
        offerOf(i, [
          [2n, 10n],
          [0n, 0n],
        ]),
      );
    two(9n);
    two(11n);
    // 11 withdraws (suspended first), then 9 (suspended second)
    state.setAccount(11n, { ...state.getAccount(11n), collateral: 900_000n });
    book.recheck([11n]);
    state.setAccount(9n, { ...nine, collateral: 900_000n });
    book.recheck([9n]);
    assert.deepEqual(book.counts(), { active: 0, suspended: 2 });
    // 9 is backed again (as by a deposit the operator has not batched with it): only a
    // re-check finds it. Round 2, K = 1: 11 is checked (the longest suspended), still
    // unbacked, and goes to the end of the line; 9 is not checked
    state.setAccount(9n, { ...nine, collateral: 1_000_000n });
    at(MARKS);
    assert.deepEqual(rule(state, book, [10n]).takers, [null]);
    assert.deepEqual(book.counts(), { active: 0, suspended: 2 });
    // a second walk at the same round checks nothing again
    book.ranked();
    assert.notEqual(store.offers.get(9n)?.suspended, undefined);
    // round 3: 9's turn; backed, active again and chosen
    at(MARKS);
    assert.equal(rule(state, book, [10n]).takers[0]?.offer.offer.account, 9n);
    assert.deepEqual(book.counts(), { active: 1, suspended: 1 });
    // after a restart the line is the suspended offers in acknowledgement order
    store.close();
    const again = open(file, state, 1);
    state.setAccount(11n, { ...state.getAccount(11n), collateral: 1_000_000n });
    again.at(MARKS);
    again.book.ranked();
    assert.deepEqual(again.book.counts(), { active: 2, suspended: 0 });
    again.store.close();
  });
});
