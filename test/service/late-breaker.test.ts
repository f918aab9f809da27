import assert from "node:assert/strict";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import type { Operator } from "../../prover/src/service/operator.ts";
import { BREAKER_CRASH, BREAKER_MARKS, orderPlacer } from "../helpers/breakers.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";
import { increaseTime } from "../helpers/chain.ts";

const MARKS = BREAKER_MARKS;
const CRASH = BREAKER_CRASH;

/**
 * A fill acknowledged before a trip whose batch lands too late (later than roundGrace after
 * the tripping round was posted): Settlement refuses it, and cut again at the tripped round
 * it would increase a position in a reduce-only market. The operator never takes a reported
 * fill back: it halts, saying which and why, with its store as it was (the fill still in its
 * batch), and opens again from that store (found by an outside attack review: before, the
 * rebuild threw half-way, the fill vanished from memory and the store could not be opened).
 */
describe("operator: a late batch whose fills a tripped breaker refuses", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let rig: OperatorRig;
  let op: Operator;

  const place = orderPlacer(
    () => w,
    () => op,
  );

  before(async function () {
    rig = await startOperator(2, "zkclear-late-breaker-");
    ({ w, op } = rig);
    [alice, bob] = w.participants;
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await op.tick();
    await postRound(w, MARKS);
    await op.tick();
  });

  after(async function () {
    await rig.close();
  });

  it("halts with the reason and the store as it was, and opens again from it", async function () {
    // an increasing fill at round r, acknowledged to both traders
    assert.equal(place(bob, 0, "sell", 2n), "open");
    assert.equal(place(alice, 0, "buy", 2n), "filled");
    const matched = rig.store.matches.pending().length + rig.store.batches().length;
    // the crash round trips market 0, and the batch of round r misses the grace
    await postRound(w, CRASH);
    assert.equal(w.reduceOnly, 1n);
    await increaseTime(DEPLOY_DEFAULTS.roundGrace + 1);
    await op.tick({ flushTrades: true }).catch(() => undefined);
    assert.match(
      op.halted ?? "",
      /^batch \d+ was late \(.*RoundSuperseded.*\) and its fills cannot be cut again at oracle round 2: .*reduce-only/,
    );
    // the fill is neither lost nor moved: still in its batch of round 1, and in the state
    assert.equal(op.state.getAccount(alice.account!).positions[0].size, 2n);
    const trades = rig.store.batches().filter((b) => b.kind === "trades");
    assert.equal(trades.length, 1);
    assert.notEqual(trades[0].status, "dropped");
    assert.equal(rig.store.matches.pending().length + rig.store.batches().length, matched);
    // intake is closed while halted
    assert.match(place(bob, 1, "sell", 1n), /^OPERATOR_HALTED/);
    // a restart opens the same store, and meets the same refusal again, saying so
    op = rig.restart();
    assert.equal(op.state.getAccount(alice.account!).positions[0].size, 2n);
    await op.tick({ flushTrades: true }).catch(() => undefined);
    assert.match(op.halted ?? "", /reduce-only/);
  });
});
