import assert from "node:assert/strict";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import type { Store } from "../../prover/src/store/store.ts";
import type { Operator } from "../../prover/src/service/operator.ts";
import { BREAKER_CRASH, BREAKER_MARKS, orderPlacer } from "../helpers/breakers.ts";
import type { ChainClient } from "../../prover/src/chain/client.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";
import { auditorOf } from "../audit/helpers.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";

/**
 * Market 0's margin multiplier after the crash round, by the default volatility rule: the
 * 40 % move (4,000 bps) is the first in a calm window, so acc = 4,000 and the multiplier is
 * acc * 10^4 / (span * refBps); liquidations keep 1x through the grace period.
 */
const RULE = DEPLOY_DEFAULTS.marginRule;
const CRASH_MULT = Math.floor((4_000 * 10_000) / (RULE.span * RULE.refBps));

const MARKS = BREAKER_MARKS;
const CRASH = BREAKER_CRASH;

/**
 * The operator under a tripped circuit breaker (a real chain, proofs and store): it reads
 * the round's reduce-only markets, refuses at intake an order that could increase a
 * position in a tripped market (MARKET_REDUCE_ONLY, saying how much may still be traded),
 * and settles reducing trades there and any trade in the other market.
 */
describe("operator: orders in a market under its circuit breaker", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let rig: OperatorRig;
  let store: Store;
  let chain: ChainClient;
  let op: Operator;

  const place = orderPlacer(
    () => w,
    () => op,
  );

  before(async function () {
    rig = await startOperator(2, "zkclear-breakers-");
    ({ w, store, op, chain } = rig);
    [alice, bob] = w.participants;
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await op.tick();
    await postRound(w, MARKS);
    await op.tick();
    // alice long 2, bob short 2 in market 0
    assert.equal(place(bob, 0, "sell", 2n), "open");
    assert.equal(place(alice, 0, "buy", 2n), "filled");
    await op.tick({ flushTrades: true });
    assert.equal(op.state.getAccount(alice.account!).positions[0].size, 2n);
  });

  after(async function () {
    await rig.close();
  });

  it("refuses an order that could increase a position in the tripped market, for its reason", async function () {
    await postRound(w, CRASH);
    await op.tick();
    assert.equal(w.reduceOnly, 1n);
    // /metrics shows which markets are reduce-only
    const metrics = await op.prometheus.text();
    assert.match(metrics, /zkclear_market_reduce_only\{market="0"\} 1/);
    assert.match(metrics, /zkclear_market_reduce_only\{market="1"\} 0/);
    // and the round's margin multipliers: market 0's requirement rose, liquidation waits
    assert.ok(CRASH_MULT > 10_000);
    const gauge = (market: number, use: string) =>
      new RegExp(`zkclear_margin_multiplier_bps\\{market="${market}",use="${use}"\\} (\\d+)`).exec(
        metrics,
      )?.[1];
    assert.equal(gauge(0, "requirement"), String(CRASH_MULT));
    assert.equal(gauge(0, "liquidation"), "10000");
    assert.equal(gauge(1, "requirement"), "10000");
    const refused = place(alice, 0, "buy", 1n);
    assert.match(refused, /^MARKET_REDUCE_ONLY: market 0 is reduce-only/);
    assert.match(refused, /at most 0 may be bought/);
    // selling more than the long is refused too: it would cross into a short
    assert.match(place(alice, 0, "sell", 3n), /^MARKET_REDUCE_ONLY: .*at most 2 may be sold/);
    assert.match(place(bob, 0, "sell", 1n), /^MARKET_REDUCE_ONLY/);
  });

  it("settles reducing trades in the tripped market, and market 1 trades on", async function () {
    assert.equal(place(alice, 0, "sell", 2n), "open");
    assert.equal(place(bob, 0, "buy", 2n), "filled");
    assert.equal(place(alice, 1, "sell", 4n), "open");
    assert.equal(place(bob, 1, "buy", 4n), "filled");
    await op.tick({ flushTrades: true });
    assert.equal(await chain.stateRoot(), op.state.root);
    const a = op.state.getAccount(alice.account!);
    assert.deepEqual(
      a.positions.map((p) => p.size),
      [0n, -4n],
    );
    const batch = store.batches().at(-1)!;
    assert.equal(batch.status, "settled");
    assert.equal((batch.body as { reduceOnly?: bigint }).reduceOnly, 1n);
  });

  it("the auditor verifies the batch against the round's reduce-only markets and recomputes them by the breaker rule", async function () {
    const a = await auditorOf(w, undefined);
    await a.catchUp();
    const r = a.report();
    assert.deepEqual(r.findings, []);
    assert.equal(
      r.counts.proofsVerified,
      store.batches().filter((b) => b.status === "settled").length,
    );
    // the rule, walked over every RoundFinalized event, gives the oracle's masks
    const crash = w.round;
    assert.equal(a.p.rounds[String(crash)].reduceOnly, 1n);
    assert.equal(a.p.rounds[String(crash - 1n)].reduceOnly, 0n);
    // and the report lists the trip
    assert.deepEqual(
      r.breakers.trips.map((t) => [t.market, t.roundId, t.previousPrice, t.price]),
      [[0, String(crash), String(MARKS[0]), String(CRASH[0])]],
    );
    assert.equal(r.breakers.walked, true);
    // the volatility rule, walked likewise, gives the oracle's multipliers at every priced
    // batch's round (no finding), and the report shows the crash round's rise
    assert.equal(r.margins.walked, true);
    assert.deepEqual(
      r.margins.changes.filter((c) => c.roundId === String(crash)),
      [{ roundId: String(crash), market: 0, mult: String(CRASH_MULT), liqMult: "10000" }],
    );
    assert.deepEqual(a.p.rounds[String(crash)].margins, {
      mult: [BigInt(CRASH_MULT), 10_000n],
      liqMult: [10_000n, 10_000n],
    });
  });
});
