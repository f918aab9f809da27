import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { signAccountQuery } from "../../prover/src/explorer/query.ts";
import { duration } from "../../prover/src/explorer/page.ts";
import {
  accountView,
  checkQuery,
  exitDataView,
  marketsOf,
  QUERY_WINDOW,
} from "../../prover/src/explorer/views.ts";

const DOMAIN = 777n;
const NOW = 1_750_000_000n;
const MARKS = [60_000_00n, 3_000_00n];

function refusal(fn: () => unknown): ZkClearError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ZkClearError, String(e));
    return e;
  }
  assert.fail("not refused");
}

/**
 * The explorer's shared computations on an engine state (what every source serves): the
 * query's checks each refuse with their own code, open interest sums both sides, and exit
 * data is refused at a root the state is not at.
 */
describe("explorer: account queries, open interest and exit data on an engine state", function () {
  const alice = devKeyPair("explorer-alice");
  const bob = devKeyPair("explorer-bob");
  const s = ExchangeState.genesis(8, defaultMarkets(2), DOMAIN, devOwners());
  s.openAccount(3n, alice.publicKey, 5_000_00n);
  s.openAccount(4n, bob.publicKey, 5_000_00n);
  const a = s.getAccount(3n);
  s.setAccount(3n, {
    ...a,
    positions: [{ ...a.positions[0], size: 3n, notional: 3n * MARKS[0] }, a.positions[1]],
  });
  const b = s.getAccount(4n);
  s.setAccount(4n, {
    ...b,
    positions: [{ ...b.positions[0], size: -3n, notional: -3n * MARKS[0] }, b.positions[1]],
  });
  const q = (key = alice, account = 3n, at = NOW) =>
    signAccountQuery(key.privateKey, account, at, DOMAIN);

  it("answers the key holder's query with equity and margin at the marks", function () {
    const v = accountView(s, 3n, q(), { roundId: 9n, marks: [MARKS[0] + 10n, MARKS[1]], now: NOW });
    assert.equal(v.equity, 5_000_00n + 30n);
    assert.equal(v.roundId, 9n);
    assert.ok(v.maintenanceMargin > 0n && v.initialMargin > v.maintenanceMargin);
    assert.equal(v.isolatedMarket, null, "a cross-margin account");
  });

  it("names the market of an isolated sub-account", function () {
    const t = ExchangeState.genesis(8, defaultMarkets(2), DOMAIN, devOwners());
    t.openAccount(5n, alice.publicKey, 1_000n, 1);
    const v = accountView(t, 5n, q(alice, 5n), { roundId: 1n, marks: MARKS, now: NOW });
    assert.equal(v.isolatedMarket, 1);
  });

  it("refuses another key (AUTH_FAILED), a query for another account, a stale or future timestamp (AUTH_EXPIRED), and system or missing accounts", function () {
    assert.equal(refusal(() => checkQuery(s, 3n, q(bob), NOW)).code, "AUTH_FAILED");
    assert.match(refusal(() => checkQuery(s, 3n, q(bob, 4n), NOW)).message, /signed for account 4/);
    assert.equal(
      refusal(() => checkQuery(s, 3n, q(alice, 3n, NOW - QUERY_WINDOW - 1n), NOW)).code,
      "AUTH_EXPIRED",
    );
    assert.equal(
      refusal(() => checkQuery(s, 3n, q(alice, 3n, NOW + QUERY_WINDOW + 1n), NOW)).code,
      "AUTH_EXPIRED",
    );
    checkQuery(s, 3n, q(alice, 3n, NOW - QUERY_WINDOW), NOW);
    assert.equal(refusal(() => checkQuery(s, 2n, q(alice, 2n), NOW)).code, "ACCOUNT_NOT_FOUND");
    assert.equal(refusal(() => checkQuery(s, 9n, q(alice, 9n), NOW)).code, "ACCOUNT_NOT_FOUND");
  });

  it("sums open interest long and short per market", function () {
    assert.deepEqual(
      marketsOf(s, MARKS).map((m) => [m.mark, m.openInterestLong, m.openInterestShort]),
      [
        [MARKS[0], 3n, 3n],
        [MARKS[1], 0n, 0n],
      ],
    );
    assert.equal(marketsOf(s, null)[0].mark, null);
  });

  it("gives exit data at the state's root and refuses it at another (EXIT_DATA_UNAVAILABLE)", function () {
    const point = {
      chainId: 31337n,
      settlement: "0x" + "11".repeat(20),
      batches: 4,
      roundId: 9n,
      marks: MARKS,
      fundingIndices: zeroIndices(MARKS.length),
      margins: oneX(MARKS.length),
    };
    const d = exitDataView(s, 3n, { ...point, root: s.root }, "test", { q: q(), now: NOW });
    assert.equal(d.root, s.root);
    assert.equal(d.payout, 5_000_00n);
    const e = refusal(() =>
      exitDataView(s, 3n, { ...point, root: s.root + 1n }, "test", { q: q(), now: NOW }),
    );
    assert.equal(e.code, "EXIT_DATA_UNAVAILABLE");
    assert.equal(
      refusal(() => exitDataView(s, 3n, point, "test", { q: q(bob), now: NOW })).code,
      "AUTH_FAILED",
    );
  });

  it("says deadlines as people do", function () {
    assert.deepEqual([604_800, 86_400, 9_000, 125, 5].map(duration), [
      "7 days",
      "1 day",
      "2 h 30 min",
      "2 min 5 s",
      "5 s",
    ]);
  });
});
