import assert from "node:assert/strict";
import { defaultMarkets } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { newAccount } from "../../prover/src/domain/account.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";

const open = (s: ExchangeState, index: bigint, collateral: bigint) =>
  s.setAccount(index, newAccount(devKeyPair(`a${index}`).publicKey, 2, collateral));

describe("the exchange state's journal of writes", function () {
  it("nests: an inner journal undoes its own writes, the outer one everything since it opened", function () {
    const s = ExchangeState.genesis(8, defaultMarkets(2), SAMPLE_DOMAIN, devOwners());
    open(s, 3n, 100n);
    const start = s.root;
    s.startJournal();
    open(s, 3n, 200n);
    const middle = s.root;
    s.startJournal();
    open(s, 3n, 300n);
    open(s, 4n, 50n);
    s.rollback(s.stopJournal());
    assert.equal(s.root, middle);
    assert.equal(s.getAccount(3n).collateral, 200n);
    assert.equal(s.hasAccount(4n), false);
    // the inner journal's writes and its rollback's were recorded by the outer one
    open(s, 5n, 10n);
    s.rollback(s.stopJournal());
    assert.equal(s.root, start);
    assert.equal(s.getAccount(3n).collateral, 100n);
    assert.deepEqual([s.hasAccount(4n), s.hasAccount(5n)], [false, false]);
    // nothing is recorded once every journal is closed
    assert.equal(s.stopJournal().size, 0);
  });
});
