import assert from "node:assert/strict";
import hre from "hardhat";
import type {} from "@nomicfoundation/hardhat-ethers";
import fc from "fast-check";
import type { Contract, Wallet } from "ethers" with { "resolution-mode": "require" };
import {
  breakerMasks,
  breakerProblem,
  MAX_BREAKER_COOLDOWN,
  MAX_BREAKER_MOVE_BPS,
  type BreakerRound,
} from "../../prover/src/domain/breakers.ts";
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
const MOVE_BPS = 2_000; // 20 %
const COOLDOWN = 600;

/**
 * PriceOracle's circuit breakers: a round that moves a market more than the bound makes it
 * reduce-only for the cool-down (round time). Each rule broken once, and the contract's masks
 * against the TypeScript twin (domain/breakers.ts) over random price paths.
 */
describe("PriceOracle circuit breakers", function () {
  let owner: HardhatEthersSigner;
  let wallets: Wallet[];
  let oracle: Contract;
  let round: bigint;
  let time: bigint;

  before(async function () {
    await hre.run("compile", { quiet: true });
    [owner] = await hre.ethers.getSigners();
    wallets = oracleWallets(3);
  });

  const deploy = (moveBps = MOVE_BPS, cooldown = COOLDOWN) =>
    deployOracle({
      signers: wallets,
      quorum: 3,
      maxAge: 3_600n,
      bounds: BOUNDS,
      breakerMoveBps: moveBps,
      breakerCooldown: cooldown,
    });

  beforeEach(async function () {
    oracle = await deploy();
    round = 0n;
    time = (await latestTimestamp()) + 10n;
  });

  /** Posts the next round at `prices`, `gap` seconds of round time after the previous one. */
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
    return {
      mask: BigInt(await oracle.roundReduceOnly(round)),
      trips: eventsOf(receipt, oracle, "BreakerTripped").map((e) => e.args.toArray()),
    };
  }

  it("refuses a breaker bound of 0 or above 100 %, and a cool-down of 0 or above a day", async function () {
    const factory = await hre.ethers.getContractFactory("PriceOracle", owner);
    for (const [bps, cooldown] of [
      [0, COOLDOWN],
      [10_001, COOLDOWN],
      [MOVE_BPS, 0],
      [MOVE_BPS, 86_401],
    ]) {
      const setup = await oracleSetup({
        signers: wallets,
        quorum: 3,
        bounds: BOUNDS,
        breakerMoveBps: bps,
        breakerCooldown: cooldown,
        owner,
      });
      await expectCustomError(factory.deploy(setup), factory, "InvalidBreaker", [
        BigInt(bps),
        BigInt(cooldown),
      ]);
    }
    // the limits themselves are accepted (domain/breakers.ts states the same), and immutable
    // (no setter exists)
    assert.equal(await oracle.MAX_BREAKER_MOVE_BPS(), BigInt(MAX_BREAKER_MOVE_BPS));
    assert.equal(await oracle.MAX_BREAKER_COOLDOWN(), BigInt(MAX_BREAKER_COOLDOWN));
    assert.equal(breakerProblem(MAX_BREAKER_MOVE_BPS, MAX_BREAKER_COOLDOWN), null);
    const edge = await deploy(10_000, 86_400);
    assert.equal(await edge.breakerMoveBps(), 10_000n);
    assert.equal(await edge.breakerCooldown(), 86_400n);
    assert.equal(edge.interface.getFunction("setBreaker"), null);
  });

  it("trips only the market that moved more than the bound, until the round's time plus the cool-down", async function () {
    assert.deepEqual(await post([10_000n, 500n]), { mask: 0n, trips: [] });
    // market 0 falls 40 %: tripped; market 1 moves 20 % exactly: the bound itself is allowed
    const crash = await post([6_000n, 600n]);
    assert.equal(crash.mask, 1n);
    assert.deepEqual(crash.trips, [[0n, round, 10_000n, 6_000n, time + BigInt(COOLDOWN)]]);
    assert.equal(await oracle.breakerUntil(0), time + BigInt(COOLDOWN));
    assert.equal(await oracle.breakerUntil(1), 0n);
    const tripped = time;
    // a calm round inside the cool-down: still reduce-only, no new trip
    assert.deepEqual(await post([6_100n, 601n], 300n), { mask: 1n, trips: [] });
    // one second before the end: still on; at the end: off
    time = tripped + BigInt(COOLDOWN) - 1n - 10n;
    assert.equal((await post([6_100n, 601n])).mask, 1n);
    assert.deepEqual(await post([6_100n, 601n], 1n), { mask: 0n, trips: [] });
    assert.equal(time, tripped + BigInt(COOLDOWN));
    // market 1 up by one unit more than 20 %: tripped, market 0 stays open
    const jump = await post([6_100n, 722n]);
    assert.equal(jump.mask, 2n);
    assert.equal(jump.trips.length, 1);
    await expectCustomError(oracle.breakerUntil(2), oracle, "UnknownMarket", [2n]);
    await expectCustomError(oracle.roundReduceOnly(round + 1n), oracle, "UnknownRound", [
      round + 1n,
    ]);
  });

  it("restarts the cool-down when a tripped market moves again", async function () {
    await post([10_000n, 500n]);
    await post([5_000n, 500n]);
    const second = await post([10_000n, 500n], 500n);
    assert.equal(second.trips.length, 1);
    assert.equal(await oracle.breakerUntil(0), time + BigInt(COOLDOWN));
    time += BigInt(COOLDOWN) - 1n;
    assert.equal((await post([10_000n, 500n], 0n)).mask, 1n);
  });

  it("computes every round's mask as domain/breakers.ts does, over random price paths", async function () {
    this.timeout(300_000);
    const step = fc.record({
      moves: fc.tuple(
        fc.integer({ min: -6_000, max: 6_000 }),
        fc.integer({ min: -3_000, max: 3_000 }),
      ),
      gap: fc.integer({ min: 1, max: 400 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 10 }), async (steps) => {
        oracle = await deploy();
        round = 0n;
        time = (await latestTimestamp()) + 10n;
        let prices = [100_000n, 50_000n];
        const rounds: BreakerRound[] = [];
        const masks: bigint[] = [];
        for (const s of steps) {
          prices = prices.map((p, m) => {
            const next = (p * BigInt(10_000 + s.moves[m])) / 10_000n;
            return next < 1n ? 1n : next;
          });
          masks.push((await post(prices, BigInt(s.gap))).mask);
          rounds.push({ roundId: round, timestamp: time, prices });
        }
        const twin = breakerMasks(
          { moveBps: BigInt(MOVE_BPS), cooldown: BigInt(COOLDOWN) },
          rounds,
        );
        assert.deepEqual(
          masks,
          rounds.map((r) => twin.masks.get(r.roundId)),
        );
      }),
      { numRuns: 15 },
    );
  });
});
