import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sampleExchange } from "../../prover/src/dev/sample.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { signTransfer } from "../../prover/src/domain/sub-accounts.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { AnomalyWatch } from "../../prover/src/service/anomaly-watch.ts";
import { withdrawalId } from "../../prover/src/service/sequencer.ts";
import { Store } from "../../prover/src/store/store.ts";

/**
 * The outflow anomaly counts what leaves the Vault: a transfer between a key's accounts
 * queues with the withdrawals but moves nothing out, so it is not an outflow.
 */
describe("service: the anomaly watch's outflow", function () {
  it("counts withdrawals, not transfers between a key's accounts", async function () {
    const P = PARAM_SETS.test;
    // two traders of 10M each: 20M of collateral; the outflow threshold is 10 %
    const s = sampleExchange(P, 2, 10_000_000n);
    s.state.openAccount(5n, s.traders[0].keys.publicKey, 0n, 0);
    const store = new Store(
      path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-watch-")), "s.db"),
    );
    const log: string[] = [];
    const watch = new AnomalyWatch(
      { markets: s.markets, chain: {}, store },
      () => s.state,
      (l) => log.push(l),
    );
    const [a] = s.traders;
    const transfer = signTransfer(
      { from: a.index, to: 5n, nonce: 0n, amount: 5_000_000n, isolatedMarket: 0 },
      P.markets,
      a.keys.privateKey,
      s.domain,
    );
    const now = Date.now();
    store.withdrawals.insert(withdrawalId(transfer), a.index, 0n, transfer, now);
    await watch.step(undefined, now);
    assert.deepEqual(log, [], "a quarter of the collateral moved between accounts: no outflow");
    const withdrawal = signWithdrawal(
      { account: a.index, nonce: 1n, amount: 5_000_000n, recipient: 1n },
      a.keys.privateKey,
      s.domain,
    );
    store.withdrawals.insert(withdrawalId(withdrawal), a.index, 1n, withdrawal, now + 1);
    await watch.step(undefined, now + 60 * 60_000 - 1);
    assert.equal(log.length, 1, log.join("\n"));
    assert.match(log[0], /ANOMALY outflow \(market all\) started/);
    store.close();
  });
});
