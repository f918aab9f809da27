import assert from "node:assert/strict";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  proveTrades,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  type Participant,
  type World,
  devAttestations,
} from "../../prover/src/dev/onchain.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import { CHECKS } from "../../prover/src/audit/findings.ts";
import {
  roundBreaches,
  roundFinding,
  type PricedBatchView,
  type RoundRuleParams,
} from "../../prover/src/audit/round-rule.ts";
import type { BatchPoint } from "../../prover/src/audit/auditor.ts";
import { prepareTestContracts, signers } from "../helpers/chain.ts";
import { audit, codes, P } from "./helpers.ts";

const CHECK = "every priced batch used an admissible oracle round";
const RULES: RoundRuleParams = { maxPriceAge: 300n, roundGrace: 60n };
/** Rounds 1, 2, 3 finalised at 1000, 1100, 1200; round 4 later, at 1300. */
const TIMES: Record<string, bigint> = { "1": 1000n, "2": 1100n, "3": 1200n, "4": 1300n };
/** Each round was posted (its block) 10 s after its timestamp (its oldest report). */
const POSTED: Record<string, bigint> = { "1": 1010n, "2": 1110n, "3": 1210n, "4": 1310n };

/** A trade batch at the latest round (3), 50 s after it, after a batch at round 2. */
function view(over: Partial<PricedBatchView> = {}): PricedBatchView {
  return {
    batch: 7,
    kind: "trades",
    roundId: 3n,
    blockTime: 1250n,
    latest: { id: 3n, timestamp: 1200n },
    lastRoundUsed: 2n,
    timestampOf: (id) => TIMES[id.toString()],
    postedAtOf: (id) => POSTED[id.toString()],
    ...over,
  };
}

const broken = (v: PricedBatchView) => roundBreaches(v, RULES).map((b) => b.rule);
const reason = (v: PricedBatchView) => roundBreaches(v, RULES)[0]?.reason;

describe("audit: the price rule, as a pure function of chain data", function () {
  it("admits the latest round, the same round as the previous batch, and a newer one", function () {
    assert.deepEqual(roundBreaches(view(), RULES), []);
    assert.deepEqual(broken(view({ lastRoundUsed: 3n })), []);
    assert.deepEqual(broken(view({ lastRoundUsed: 0n, roundId: 1n, blockTime: 1101n })), []);
  });

  it("rule 0: refuses a round the oracle had not finalised before the batch", function () {
    // round 4 exists later; its timestamp must not be read
    const v = view({ roundId: 4n });
    assert.deepEqual(broken(v), [0]);
    assert.equal(reason(v), "the oracle's latest round before the batch was 3");
    assert.deepEqual(broken(view({ latest: null })), [0]);
    assert.equal(reason(view({ latest: null })), "no oracle round was finalised before the batch");
    const zero = view({ roundId: 0n, lastRoundUsed: 0n, blockTime: 1001n, latest: null });
    assert.deepEqual(broken(zero), [0]);
    const never = view({ roundId: 0n, lastRoundUsed: 0n, blockTime: 1060n });
    assert.equal(
      roundBreaches(never, RULES).find((b) => b.rule === 0)?.reason,
      "the oracle never finalised round 0",
    );
  });

  it("rule 1: refuses a round older than the previous priced batch's", function () {
    const v = view({ roundId: 2n, lastRoundUsed: 3n, blockTime: 1210n });
    assert.deepEqual(broken(v), [1]);
    assert.equal(reason(v), "the previous priced batch used round 3");
  });

  it("rule 2: a superseded round only while round r + 1 was posted less than the grace ago (boundary: exactly at the grace fails)", function () {
    // round 2, superseded by round 3 posted at 1210: admissible up to 1269, not at 1270
    assert.deepEqual(broken(view({ roundId: 2n, lastRoundUsed: 2n, blockTime: 1269n })), []);
    const v = view({ roundId: 2n, lastRoundUsed: 2n, blockTime: 1270n });
    assert.deepEqual(broken(v), [2]);
    assert.equal(
      reason(v),
      "round 3 (posted at 1210) superseded it 60 s before the batch's block (time 1270), not less than the grace of 60 s; the latest round was 3",
    );
    // round 1 two rounds behind: the grace runs from when round 2 was posted, not the latest
    assert.deepEqual(broken(view({ roundId: 1n, lastRoundUsed: 1n, blockTime: 1169n })), []);
    const old = view({ roundId: 1n, lastRoundUsed: 1n, blockTime: 1170n });
    assert.deepEqual(broken(old), [2]);
    assert.match(reason(old)!, /^round 2 \(posted at 1110\) superseded it 60 s before/);
    // a round posted late on old reports (timestamp 1200, posted at 1300) does not cut the
    // grace of the round before it short: it runs from 1300
    const late = (blockTime: bigint) =>
      view({
        roundId: 2n,
        lastRoundUsed: 2n,
        blockTime,
        postedAtOf: (id) => (id === 3n ? 1300n : POSTED[id.toString()]),
      });
    assert.deepEqual(broken(late(1359n)), []);
    assert.deepEqual(broken(late(1360n)), [2]);
  });

  it("rule 2: liquidations get no grace: only the latest round", function () {
    const liq = (roundId: bigint, blockTime: bigint) =>
      view({ kind: "liquidations", roundId, blockTime, lastRoundUsed: 2n });
    assert.deepEqual(broken(liq(3n, 1210n)), []);
    assert.deepEqual(broken(liq(2n, 1209n)), []); // (before round 3 was posted)
    const v = liq(2n, 1210n);
    assert.deepEqual(broken(v), [2]);
    assert.equal(reason(v), "a liquidation must use the latest round, which was 3");
    // the same batch as a withdrawal is within the grace
    assert.deepEqual(broken({ ...v, kind: "withdrawals" }), []);
  });

  it("rule 3: the round is at most maxPriceAge old (boundary: exactly the age passes)", function () {
    assert.deepEqual(broken(view({ blockTime: 1500n })), []);
    const v = view({ blockTime: 1501n });
    assert.deepEqual(broken(v), [3]);
    assert.equal(
      reason(v),
      "round 3 (timestamp 1200) was 301 s old at the batch's block (time 1501), beyond maxPriceAge 300 s",
    );
  });

  it("names every rule a batch breaks, and the finding names the batch, the round and the rule", function () {
    const v = view({ roundId: 1n, blockTime: 1400n, lastRoundUsed: 3n });
    assert.deepEqual(broken(v), [1, 2, 3]);
    const f = roundFinding(v, roundBreaches(v, RULES)[1]);
    assert.equal(f.code, "ROUND_INADMISSIBLE");
    assert.equal(f.batch, 7);
    assert.match(
      f.message,
      /^batch 7 \(trades\) used oracle round 1, which breaks price rule 2 \(a superseded round only within the grace\): round 2 \(posted at 1110\)/,
    );
  });

  it("is a check of the report's checklist, failed by ROUND_INADMISSIBLE", function () {
    assert.deepEqual(CHECKS.find((c) => c.name === CHECK)?.codes, ["ROUND_INADMISSIBLE"]);
  });
});

/**
 * An honest history that uses the grace: a trade batch proven at round 1 lands after
 * rounds 2 and 3 (round 2 younger than the grace), after a batch at round 1 that only the
 * oracle's state before the scan shows to be finalised, when the audit starts after it.
 */
describe("audit: the price rule on a real chain (real proofs, test parameters)", function () {
  let w: World;
  let afterRound1: number;
  const points: BatchPoint[] = [];
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
  const trade = (buyer: Participant, seller: Participant, nonce: bigint) => ({
    buy: order(w, t(buyer), { market: 1, side: "buy", nonce, amount: 1n, limitPrice: 3_000_00n }),
    sell: order(w, t(seller), {
      market: 1,
      side: "sell",
      nonce,
      amount: 1n,
      limitPrice: 3_000_00n,
    }),
    qty: 1n,
    price: 3_000_00n,
    takerIsBuyer: true,
  });

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]]);
    const [a, b] = w.participants;
    await postRound(w, [60_000_00n, 3_000_00n]);
    const [round1] = await w.d.oracle.queryFilter(w.d.oracle.filters.RoundFinalized());
    afterRound1 = round1.blockNumber + 1;
    await deposit(w, a, 1_000_000_00n);
    await deposit(w, b, 1_000_000_00n);
    await settleDeposits(w);
    await settleTradeBatch(w, [trade(a, b, 1n)]);
    const late = await proveTrades(w, [trade(a, b, 2n)]);
    await postRound(w, [60_000_00n, 3_010_00n]);
    await postRound(w, [60_000_00n, 3_020_00n]);
    await submitBatch(
      w.d.settlement,
      late.data,
      late.proof.proof,
      await devAttestations(w.d, late.data),
    );
    assert.equal(late.data.round + 2n, w.round);
    // ethers answers getBlock("latest") from a cache for 250 ms: let the audit see the head
    await new Promise((r) => setTimeout(r, 300));
  });

  it("passes a batch landed at a superseded round within the grace, and lists the check as passed", async function () {
    const r = await audit(w, undefined, { onBatch: (b) => points.push(b) });
    assert.deepEqual(codes(r), []);
    assert.equal(r.counts.batches, 3);
    assert.equal(r.checks.find((c) => c.name === CHECK)?.status, "pass");
    assert.deepEqual(
      points.slice(-2).map((b) => [b.kind, b.roundId]),
      [
        ["trades", "1"],
        ["trades", "1"],
      ],
    );
  });

  it("starting after round 1 was finalised, learns it from the oracle's state before the scan", async function () {
    const r = await audit(w, undefined, { fromBlock: afterRound1 });
    assert.deepEqual(codes(r), []);
    assert.equal(r.counts.batches, 3);
    assert.equal(r.checks.find((c) => c.name === CHECK)?.status, "pass");
  });
});
