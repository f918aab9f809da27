import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];

/**
 * Restart cost and event-loop fairness on the real operator (in-process chain, real
 * proofs): a restart loads the latest state snapshot and replays only the batches after it
 * (a snapshot that does not hold is dropped, never trusted); a burst of batches is cut in
 * slices that let other work (the API) run between them.
 */
describe("operator: state snapshots and cutting in slices", function () {
  let rig: OperatorRig;
  let w: World;
  let alice: Participant;
  let bob: Participant;
  const events: string[] = [];
  let nonce = 0n;
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });

  /** `n` crossing pairs, matched but not batched. */
  function pairs(n: number) {
    for (let i = 0; i < n; i++) {
      nonce++;
      rig.op.submitOrder(
        order(w, t(alice), { market: 0, side: "sell", nonce, amount: 1n, limitPrice: MARKS[0] }),
      );
      rig.op.submitOrder(
        order(w, t(bob), { market: 0, side: "buy", nonce, amount: 1n, limitPrice: MARKS[0] }),
      );
    }
  }

  before(async function () {
    rig = await startOperator(2, "zkclear-snap-", {
      snapshotEvery: 2,
      log: (line) => events.push(line),
    });
    w = rig.w;
    [alice, bob] = w.participants;
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await rig.op.tick();
    await postRound(w, MARKS);
    await rig.op.tick();
  });

  after(async function () {
    await rig.close();
  });

  it("cuts a burst of batches in slices, yielding to the event loop between them", async function () {
    pairs(3 * rig.op.p.batch);
    events.length = 0;
    // a stand-in for the API: it runs whenever the event loop is free
    let running = true;
    const spin = () => {
      events.push("other work");
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    await rig.op.tick({ flushTrades: true });
    running = false;
    const cuts = events
      .map((e, i) => [e, i] as const)
      .filter(([e]) => /^batch \d+: \d+ trades$/.test(e))
      .map(([, i]) => i);
    assert.equal(cuts.length, 3, events.join("\n"));
    for (let k = 1; k < cuts.length; k++)
      assert.ok(
        events.slice(cuts[k - 1], cuts[k]).includes("other work"),
        `nothing else ran between cutting two batches:\n${events.join("\n")}`,
      );
  });

  it("restarts from the latest snapshot, replaying only the batches after it", async function () {
    pairs(rig.op.p.batch);
    await rig.op.tick({ flushTrades: true });
    const root = rig.op.state.root;
    const total = rig.store.batches().length;
    assert.ok(total >= 5, `${total} batches`);
    const op = rig.restart();
    assert.equal(op.state.root, root);
    assert.ok(
      op.replayedOnOpen < 2,
      `replayed ${op.replayedOnOpen} of ${total} batches with a snapshot every 2`,
    );
    assert.deepEqual(op.state.getAccount(alice.account!), rig.op.state.getAccount(alice.account!));
  });

  it("falls back to the snapshot before a latest one that does not hold", async function () {
    // one more batch and a snapshot after it, so that there are two
    pairs(rig.op.p.batch);
    await rig.op.tick({ flushTrades: true });
    pairs(rig.op.p.batch);
    await rig.op.tick({ flushTrades: true });
    const db = new Database(rig.storeFile);
    const rows = db.prepare("SELECT batch, state FROM snapshots ORDER BY batch DESC").all() as {
      batch: number;
      state: string;
    }[];
    assert.equal(rows.length, 2, "the latest two snapshots are kept");
    db.prepare("UPDATE snapshots SET state = ? WHERE batch = ?").run(
      rows[0].state.replace(/"collateral":"(\d)/, '"collateral":"9$1'),
      rows[0].batch,
    );
    db.close();
    const root = rig.op.state.root;
    const total = Math.max(...rig.store.batches().map((b) => b.id));
    const op = rig.restart();
    assert.equal(op.state.root, root);
    assert.equal(op.replayedOnOpen, total - rows[1].batch);
    assert.equal(rig.store.snapshots.latestBatch(), rows[1].batch);
  });

  it("deletes snapshots that do not hash to their batch's root, and replays from genesis", async function () {
    const root = rig.op.state.root;
    const total = rig.store.batches().length;
    // another writer (a bug, a disk fault) changes a balance in every snapshot
    const db = new Database(rig.storeFile);
    const rows = db.prepare("SELECT batch, state FROM snapshots").all() as {
      batch: number;
      state: string;
    }[];
    assert.ok(rows.length > 0);
    for (const row of rows)
      db.prepare("UPDATE snapshots SET state = ? WHERE batch = ?").run(
        row.state.replace(/"collateral":"(\d)/, '"collateral":"9$1'),
        row.batch,
      );
    db.close();
    events.length = 0;
    const op = rig.restart();
    assert.equal(op.state.root, root);
    assert.equal(op.replayedOnOpen, total);
    assert.ok(events.some((e) => /does not match its batch: deleted/.test(e)));
    assert.equal(rig.store.snapshots.latest(), undefined, "no snapshot that does not hold is kept");
  });
});
