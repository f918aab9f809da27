import assert from "node:assert/strict";
import hre from "hardhat";
import type {} from "@nomicfoundation/hardhat-ethers";
import fc from "fast-check";
import type { Contract, Wallet } from "ethers" with { "resolution-mode": "require" };
import {
  marginMultipliers,
  marginRuleProblem,
  marginsWord,
  MAX_MARGIN_CEIL_BPS,
  MAX_MARGIN_GRACE,
  MAX_VOL_REF_BPS,
  MAX_VOL_SPAN,
  toMarginRule,
  type MarginRound,
  type MarginRuleNumbers,
} from "../../prover/src/domain/volatility.ts";
import {
  deployOracle,
  eventsOf,
  expectCustomError,
  latestTimestamp,
  oracleSetup,
  oracleWallets,
  setNextTimestamp,
  signReports,
  submitRound,
  type HardhatEthersSigner,
} from "./oracle-helpers.ts";

const BOUNDS = [
  [1n, 1n << 40n],
  [1n, 1n << 40n],
] as const;
/** A short window and a 1 % reference move, so a few rounds move the multiplier. */
const RULE: MarginRuleNumbers = {
  span: 4,
  refBps: 100,
  floorBps: 10_000,
  ceilBps: 30_000,
  grace: 600,
};

/**
 * PriceOracle's volatility margins (VolatilityMargins): each round's multipliers follow the
 * markets' realised volatility between the floor and the ceiling, and the liquidation
 * multiplier rises only after the grace period. Each rule broken once, and the contract's
 * multipliers against the TypeScript twin (domain/volatility.ts) over random price paths.
 */
describe("PriceOracle volatility margins", function () {
  let owner: HardhatEthersSigner;
  let wallets: Wallet[];
  let oracle: Contract;
  let round: bigint;
  let time: bigint;
  let rounds: MarginRound[];

  before(async function () {
    await hre.run("compile", { quiet: true });
    [owner] = await hre.ethers.getSigners();
    wallets = oracleWallets(3);
  });

  // a breaker bound of 100 %: these tests move prices freely
  const deploy = (rule: MarginRuleNumbers = RULE) =>
    deployOracle({
      signers: wallets,
      quorum: 3,
      maxAge: 100_000n,
      bounds: BOUNDS,
      breakerMoveBps: 10_000,
      marginRule: rule,
    });

  async function fresh(rule: MarginRuleNumbers = RULE) {
    oracle = await deploy(rule);
    round = 0n;
    time = (await latestTimestamp()) + 10n;
    rounds = [];
  }

  beforeEach(async function () {
    await fresh();
  });

  /** Posts the next round at `prices`, `gap` seconds after the previous one; its multipliers. */
  async function post(prices: readonly bigint[], gap = 10n) {
    round += 1n;
    time += gap;
    await setNextTimestamp(time);
    const signed = await signReports(
      oracle,
      wallets,
      round,
      time,
      wallets.map(() => prices),
    );
    const receipt = await submitRound(oracle, round, signed);
    // each round is posted in a block at its reports' time: posted at `time` too
    rounds.push({ roundId: round, timestamp: time, prices: [...prices], postedAt: time });
    const [mult, liqMult] = (await oracle.roundMargins(round)) as [bigint[], bigint[]];
    return {
      mult: [...mult],
      liqMult: [...liqMult],
      events: eventsOf(receipt, oracle, "MarginsScaled").map((e) => e.args.toArray()),
    };
  }

  it("refuses every parameter out of its range, and has no setter", async function () {
    const factory = await hre.ethers.getContractFactory("PriceOracle", owner);
    const bad: MarginRuleNumbers[] = [
      { ...RULE, span: 0 },
      { ...RULE, span: Number(MAX_VOL_SPAN) + 1 },
      { ...RULE, refBps: 0 },
      { ...RULE, refBps: Number(MAX_VOL_REF_BPS) + 1 },
      { ...RULE, floorBps: 9_999 },
      { ...RULE, floorBps: 20_000, ceilBps: 19_999 },
      { ...RULE, ceilBps: Number(MAX_MARGIN_CEIL_BPS) + 1 },
      { ...RULE, grace: 0 },
      { ...RULE, grace: Number(MAX_MARGIN_GRACE) + 1 },
    ];
    for (const r of bad) {
      assert.notEqual(marginRuleProblem(toMarginRule(r)), null, JSON.stringify(r));
      const setup = await oracleSetup({
        signers: wallets,
        quorum: 3,
        bounds: BOUNDS,
        marginRule: r,
        owner,
      });
      await expectCustomError(factory.deploy(setup), factory, "InvalidMarginRule", [
        BigInt(r.span),
        BigInt(r.refBps),
        BigInt(r.floorBps),
        BigInt(r.ceilBps),
        BigInt(r.grace),
      ]);
    }
    // the limits themselves are accepted, as the twin says
    const edge: MarginRuleNumbers = {
      span: Number(MAX_VOL_SPAN),
      refBps: Number(MAX_VOL_REF_BPS),
      floorBps: Number(MAX_MARGIN_CEIL_BPS),
      ceilBps: Number(MAX_MARGIN_CEIL_BPS),
      grace: Number(MAX_MARGIN_GRACE),
    };
    assert.equal(marginRuleProblem(toMarginRule(edge)), null);
    const e = await deploy(edge);
    assert.equal(await e.marginCeilBps(), MAX_MARGIN_CEIL_BPS);
    assert.equal(await e.volSpan(), MAX_VOL_SPAN);
    assert.equal(await e.marginGrace(), MAX_MARGIN_GRACE);
    e.interface.forEachFunction((f) =>
      assert.ok(!/^set.*(margin|vol)/i.test(f.name), `no setter: ${f.name}`),
    );
  });

  it("starts at the floor, rises with volatility up to the ceiling, and stays there while the market swings", async function () {
    const first = await post([10_000n, 500n]);
    assert.deepEqual(first.mult, [10_000n, 10_000n]);
    assert.deepEqual(first.liqMult, [10_000n, 10_000n]);
    // market 0 moves 10 % per round (10x the reference): acc 1000, mult 1000 * 10^4 / 400
    const swing = await post([11_000n, 500n]);
    assert.deepEqual(swing.mult, [25_000n, 10_000n]);
    // then the ceiling (3x), however large the moves
    const more = await post([9_900n, 500n]);
    assert.deepEqual(more.mult, [30_000n, 10_000n]);
    const huge = await post([1n, 500n]);
    assert.deepEqual(huge.mult, [30_000n, 10_000n]);
    // a calm market 1 never left the floor, and emitted no event
    assert.ok(swing.events.every((e) => e[0] === 0n));
    await expectCustomError(oracle.roundMargins(round + 1n), oracle, "UnknownRound", [round + 1n]);
    await expectCustomError(oracle.pendingMargin(2), oracle, "UnknownMarginMarket", [2n]);
  });

  it("holds a rise away from liquidations for the grace period, then applies it; a fall applies at once", async function () {
    await post([10_000n, 500n]);
    const rise = await post([11_000n, 500n]);
    // the trade requirement rose at once; the liquidation one waits
    assert.equal(rise.mult[0], 25_000n);
    assert.equal(rise.liqMult[0], 10_000n);
    const risenAt = time;
    assert.deepEqual([...((await oracle.pendingMargin(0)) as bigint[])], [25_000n, risenAt]);
    assert.deepEqual(rise.events, [[0n, round, 25_000n, 10_000n]]);
    // the market keeps swinging: one second before the grace ends, still the old level
    const before = await post([10_000n, 500n], BigInt(RULE.grace) - 1n);
    assert.deepEqual([before.mult[0], before.liqMult[0]], [30_000n, 10_000n]);
    // at the end: the level that began the wait (25,000), and the ceiling now waits in turn
    const at = await post([11_000n, 500n], 1n);
    assert.equal(time, risenAt + BigInt(RULE.grace));
    assert.deepEqual([at.mult[0], at.liqMult[0]], [30_000n, 25_000n]);
    assert.deepEqual([...((await oracle.pendingMargin(0)) as bigint[])], [30_000n, time]);
    const later = await post([11_000n, 500n], BigInt(RULE.grace));
    assert.deepEqual([later.mult[0], later.liqMult[0]], [30_000n, 30_000n]);
    // calm rounds: once the multiplier falls, liquidations follow it in the same round
    let calm = later;
    while (calm.mult[0] === 30_000n) calm = await post([11_000n, 500n]);
    assert.ok(calm.mult[0] < 30_000n);
    assert.equal(calm.liqMult[0], calm.mult[0]);
    assert.deepEqual([...((await oracle.pendingMargin(0)) as bigint[])], [0n, 0n]);
  });

  it("applies a rise that dips while it waits at the lowest level published meanwhile", async function () {
    await post([10_000n, 500n]);
    await post([11_000n, 500n]); // mult 25,000, pending
    // calm rounds: the multiplier decays while the rise waits, and the pending level follows it
    const calm = await post([11_000n, 500n], 100n);
    assert.ok(calm.mult[0] < 25_000n);
    assert.equal(calm.liqMult[0], 10_000n);
    const [pending] = (await oracle.pendingMargin(0)) as bigint[];
    assert.equal(pending, calm.mult[0]);
    // a new swing raises the current multiplier, not the pending level
    const swing = await post([13_000n, 500n], 100n);
    assert.ok(swing.mult[0] > calm.mult[0]);
    assert.equal(((await oracle.pendingMargin(0)) as bigint[])[0], calm.mult[0]);
    // after the grace, liquidations use the lowest level published meanwhile
    const after = await post([13_000n, 500n], BigInt(RULE.grace));
    assert.equal(after.liqMult[0], calm.mult[0] < after.mult[0] ? calm.mult[0] : after.mult[0]);
  });

  it("runs the grace in block time: a round posted late does not shorten it", async function () {
    // reports may be up to maxAge old when their round is posted: here 599 s, grace 600 s
    oracle = await deployOracle({
      signers: wallets,
      quorum: 3,
      maxAge: BigInt(RULE.grace - 1),
      bounds: BOUNDS,
      breakerMoveBps: 10_000,
      marginRule: RULE,
    });
    const at = async (r: bigint, reportTime: bigint, blockTime: bigint, prices: bigint[]) => {
      await setNextTimestamp(blockTime);
      const signed = await signReports(
        oracle,
        wallets,
        r,
        reportTime,
        wallets.map(() => prices),
      );
      await submitRound(oracle, r, signed);
      const [mult, liqMult] = (await oracle.roundMargins(r)) as [bigint[], bigint[]];
      return { mult: mult[0], liqMult: liqMult[0] };
    };
    const t0 = (await latestTimestamp()) + 10n;
    await at(1n, t0, t0, [10_000n, 500n]);
    // the rise's reports signed at t0 + 10, the round posted 599 s later
    const posted = t0 + 10n + BigInt(RULE.grace - 1);
    assert.deepEqual(await at(2n, t0 + 10n, posted, [11_000n, 500n]), {
      mult: 25_000n,
      liqMult: 10_000n,
    });
    assert.deepEqual([...((await oracle.pendingMargin(0)) as bigint[])], [25_000n, posted]);
    // a fresh round 1 s later: the rise still waits (it was published 1 s ago)
    const soon = await at(3n, posted + 1n, posted + 1n, [10_000n, 500n]);
    assert.equal(soon.liqMult, 10_000n);
    // a round `grace` seconds after the rise was posted: it takes effect
    const due = await at(4n, posted + BigInt(RULE.grace), posted + BigInt(RULE.grace), [
      11_000n,
      500n,
    ]);
    assert.equal(due.liqMult, 25_000n);
  });

  it("records each round's word as the twin packs it", async function () {
    await post([10_000n, 500n]);
    const r = await post([12_000n, 450n]);
    assert.equal(
      await oracle.roundMarginsWord(round),
      marginsWord({ mult: r.mult, liqMult: r.liqMult }),
    );
  });

  it("computes every round's multipliers as domain/volatility.ts does, and never liquidates above a level of the last grace period", async function () {
    this.timeout(300_000);
    const step = fc.record({
      moves: fc.tuple(fc.integer({ min: -3_000, max: 3_000 }), fc.integer({ min: -500, max: 500 })),
      gap: fc.integer({ min: 1, max: 400 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 12 }), async (steps) => {
        await fresh();
        let prices = [100_000n, 50_000n];
        const seen: { mult: bigint[]; liqMult: bigint[] }[] = [];
        for (const s of steps) {
          prices = prices.map((p, m) => {
            const next = (p * BigInt(10_000 + s.moves[m])) / 10_000n;
            return next < 1n ? 1n : next;
          });
          const r = await post(prices, BigInt(s.gap));
          seen.push({ mult: r.mult, liqMult: r.liqMult });
        }
        const twin = marginMultipliers(toMarginRule(RULE), rounds);
        assert.deepEqual(
          seen,
          rounds.map((r) => {
            const t = twin.get(r.roundId);
            return t && { mult: [...t.mult], liqMult: [...t.liqMult] };
          }),
        );
        // the grace rule's promise: liqMult <= mult of every round in (ts - grace, ts]
        rounds.forEach((r, i) => {
          for (let k = 0; k <= i; k++) {
            if (rounds[k].timestamp <= r.timestamp - BigInt(RULE.grace)) continue;
            seen[i].liqMult.forEach((l, m) => assert.ok(l <= seen[k].mult[m]));
          }
        });
      }),
      { numRuns: 12 },
    );
  });
});
