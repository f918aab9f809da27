import assert from "node:assert/strict";
import { indexStep } from "../../prover/src/domain/funding-rate.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import type { Finding } from "../../prover/src/audit/findings.ts";
import {
  addTradeFlows,
  checkTick,
  type FundingTickedEvent,
} from "../../prover/src/audit/funding-ticks.ts";
import { newProgress, type Progress } from "../../prover/src/audit/progress.ts";

/**
 * checkTick on its own (the chain tests, funding-history.test.ts, cannot make a Funding
 * contract that moves its indices wrongly): the index step against the previous tick's, the
 * rule over the window's flows (capped), a window with an unread batch left unchecked, and
 * the window reset after each tick.
 */
describe("audit: a funding tick against the rule and the previous indices", function () {
  const MARKETS = ["BTC-USD", "ETH-USD"];
  const PRICES = [6_000_007n, 300_000n];
  let p: Progress;
  let found: Finding[];
  const ctx = () => ({ p, markets: MARKETS, find: (f: Finding) => found.push(f) });

  beforeEach(function () {
    p = newProgress(0n, 0, true);
    found = [];
  });

  /** A trade of `qty` lots at `price` on market `market` (only what the flows read). */
  const trade = (market: number, qty: bigint, price: bigint) =>
    ({ buy: { order: { market } }, qty, price }) as unknown as Trade;

  function ev(tick: number, rates: bigint[], indices: bigint[]): FundingTickedEvent {
    return {
      name: "FundingTicked",
      block: 10 + tick,
      txIndex: 0,
      logIndex: 0,
      txHash: "0x",
      tick,
      fromRound: BigInt(tick) + 1n,
      priceRound: BigInt(tick),
      ratesPpm: rates,
      indices,
    };
  }

  const stepped = (prev: bigint[], rates: bigint[]) =>
    prev.map((x, j) => x + indexStep(rates[j], PRICES[j]));

  it("takes a tick at the rule's rates whose indices are the previous plus rate x price", function () {
    addTradeFlows(p, [trade(0, 2n, 6_003_000n)], PRICES, 1000n);
    const i1 = stepped([0n, 0n], [498n, 0n]);
    const t = checkTick(ctx(), ev(1, [498n, 0n], i1), PRICES, 1000n);
    assert.equal(found.length, 0);
    assert.deepEqual(t.rulePpm, [498n, 0n]);
    // the next window starts empty: no trade, rate 0
    const t2 = checkTick(ctx(), ev(2, [0n, 0n], i1), PRICES, 1000n);
    assert.equal(found.length, 0);
    assert.deepEqual(t2.rulePpm, [0n, 0n]);
    assert.equal(p.fundingTicks?.length, 2);
  });

  it("finds indices that are not the previous tick's plus indexStep (a Funding contract that is not zkclear's)", function () {
    const i1 = stepped([0n, 0n], [0n, 0n]);
    checkTick(ctx(), ev(1, [0n, 0n], i1), PRICES, 1000n);
    const wrong = stepped(i1, [0n, 20n]).map((x, j) => (j === 1 ? x + 1n : x));
    checkTick(ctx(), ev(2, [0n, 20n], wrong), PRICES, 1000n);
    assert.deepEqual(
      found.map((f) => f.code),
      ["FUNDING_RATE_RULE", "FUNDING_INDEX_MISMATCH"],
    );
    assert.match(
      found[1].message,
      /^funding tick 2 \(block 12\) moved the indices to \[0, 6291457\]; tick 1's \[0, 0\] plus rate x price .* gives \[0, 6291456\]: the Funding contract does not compute zkclear's indices$/,
    );
  });

  it("caps the rule at the Funding contract's maxRatePpm, for either sign", function () {
    // 1% above on BTC, 1% below on ETH: the rule says +-10,000 ppm, the cap 1,000
    addTradeFlows(p, [trade(0, 1n, 6_060_007n), trade(1, 3n, 297_000n)], PRICES, 1000n);
    const rates = [1000n, -1000n];
    const t = checkTick(ctx(), ev(1, rates, stepped([0n, 0n], rates)), PRICES, 1000n);
    assert.deepEqual(t.rulePpm, rates);
    assert.equal(found.length, 0);
    addTradeFlows(p, [trade(0, 1n, 6_060_007n)], PRICES, 1000n);
    checkTick(ctx(), ev(2, [999n, 0n], stepped(t.indices as bigint[], [999n, 0n])), PRICES, 1000n);
    assert.deepEqual(
      found.map((f) => f.message.replace(/\(block \d+\) /, "")),
      [
        "funding tick 2 set BTC-USD's rate to 999 ppm; the rule gives 1000 ppm: 1 lots traded since the previous tick at a volume-weighted premium of 1000 ppm over their batches' marks (each trade clamped to the cap), oracle price 6000007 at round 2, cap 1000 ppm",
      ],
    );
  });

  it("leaves the rule unchecked for a window with a trade batch it could not read, and checks the next one", function () {
    addTradeFlows(p, [trade(0, 1n, 6_060_007n)], PRICES, 1000n);
    addTradeFlows(p, undefined, PRICES, 1000n); // a file missing or not matching the chain
    addTradeFlows(p, [trade(0, 1n, 6_000_007n)], PRICES, 1000n);
    const t = checkTick(ctx(), ev(1, [777n, 0n], stepped([0n, 0n], [777n, 0n])), PRICES, 1000n);
    assert.equal(t.rulePpm, null);
    assert.equal(found.length, 0);
    const t2 = checkTick(
      ctx(),
      ev(2, [777n, 0n], stepped(t.indices as bigint[], [777n, 0n])),
      PRICES,
      1000n,
    );
    assert.deepEqual(t2.rulePpm, [0n, 0n]);
    assert.deepEqual(
      found.map((f) => f.code),
      ["FUNDING_RATE_RULE"],
    );
  });

  it("checks no rule without batch files (the window is never known)", function () {
    p = newProgress(0n, 0, false);
    addTradeFlows(p, undefined, PRICES, 1000n);
    const t = checkTick(ctx(), ev(1, [5n, 0n], stepped([0n, 0n], [5n, 0n])), PRICES, 1000n);
    assert.equal(t.rulePpm, null);
    assert.equal(found.length, 0);
  });
});
