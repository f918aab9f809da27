import assert from "node:assert/strict";
import { indexStep } from "../../prover/src/domain/funding-rate.ts";
import { FUNDING_SCALE, RATE_DENOMINATOR } from "../../prover/src/domain/constants.ts";
import { Contract, ZeroHash, id, type JsonRpcSigner } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { fundingHash } from "../../prover/src/domain/funding.ts";
import { priceConfigHash } from "../../prover/src/domain/market.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { FundingClient, tickInEffect } from "../../prover/src/chain/funding.ts";
import {
  deposit,
  postRound,
  setupWorld,
  WORLD_TIMELOCK_DELAY,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";
import { codeOf, mineAt, nextBlockAt, now, postUnbound, uncached } from "./funding-helpers.ts";

const P = PARAM_SETS.test;
const OPERATOR = id("OPERATOR_ROLE");
const INTERVAL = BigInt(DEPLOY_DEFAULTS.fundingInterval);
const CAP = BigInt(DEPLOY_DEFAULTS.maxFundingRatePpm);
const MARKS = [60_000_00n, 3_000_00n];
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * The Funding contract on a real chain, deployed as `deploy` does (Settlement creates it):
 * every rule of a tick broken once and refused for its reason (the custom error, and the
 * code FundingClient maps it to), the indices and hashes of the ticks it takes against
 * domain/funding.ts, which tick each round's binding folds in, and that a posted round's
 * binding never changes.
 */
describe("Funding: capped ticks of the funding indices, bound into every round", function () {
  let w: World;
  let funding: Contract;
  let client: FundingClient;
  let operator: JsonRpcSigner;
  let trader: JsonRpcSigner;
  let stranger: JsonRpcSigner;
  let guardian: JsonRpcSigner;
  let owner: JsonRpcSigner;

  /** What the contract says of `signer`'s tick of `rates` now (or in the next block). */
  const verdict = (
    rates: readonly bigint[],
    signer: JsonRpcSigner = operator,
    blockTag: "latest" | "pending" = "latest",
  ) =>
    refusal(
      funding,
      (funding.connect(signer) as Contract)
        .getFunction("tick")
        .staticCall([...rates], { blockTag }),
    );

  before(async function () {
    await prepareTestContracts();
    const s = await signers(5);
    [operator, trader, stranger, guardian, owner] = await Promise.all(
      s.map((_, i) => uncached.getSigner(i)),
    );
    w = await setupWorld(P, s[0], [trader], {
      deploy: { guardian: await guardian.getAddress(), owner: await owner.getAddress() },
    });
    funding = w.d.funding;
    client = await FundingClient.of(w.d.settlement, operator);
  });

  it("is Settlement's, with the configuration's interval and cap and no way to change them; tick 0 holds every index at 0", async function () {
    const s = w.d.settlement;
    assert.equal(await s.getFunction("funding")(), w.deployment.addresses.funding);
    assert.equal(await funding.getAddress(), w.deployment.addresses.funding);
    assert.equal(await funding.getFunction("settlement")(), await s.getAddress());
    assert.equal(await funding.getFunction("oracle")(), await w.d.oracle.getAddress());
    assert.equal(await funding.getFunction("maxPriceAge")(), await s.getFunction("maxPriceAge")());
    const params = await client.params();
    assert.deepEqual(params, {
      interval: INTERVAL,
      maxRatePpm: CAP,
      marketCount: 2,
      maxPriceAge: BigInt(DEPLOY_DEFAULTS.maxPriceAge),
    });
    assert.deepEqual(w.deployment.funding, { interval: 3600, maxRatePpm: 1000 });
    // tick is its only transaction: nothing sets the interval, the cap or an index
    const writes: string[] = [];
    funding.interface.forEachFunction((f) => {
      if (!f.constant) writes.push(f.name);
    });
    assert.deepEqual(writes, ["tick"]);
    const [t0] = await client.ticks();
    assert.deepEqual(
      { ...t0, period: 0n },
      { tick: 0, fromRound: 0n, period: 0n, indices: [0n, 0n], fundingHash: fundingHash([0n, 0n]) },
    );
    assert.equal(await client.nextTickTime(), (t0.period + 1n) * INTERVAL);
    assert.equal(await client.tickCount(), 1);
    assert.equal(await client.hashAt(12345n), fundingHash([0n, 0n]));
    assert.deepEqual((await refusal(funding, client.tickAt(1))).name, "UnknownTick");
  });

  it("takes a tick from Settlement's operator only: not a stranger, the guardian, the governance owner or the timelock that administers the roles", async function () {
    for (const who of [stranger, guardian, owner]) {
      const address = await who.getAddress();
      assert.equal(await w.d.settlement.getFunction("hasRole")(OPERATOR, address), false);
      assert.deepEqual(await verdict([0n, 0n], who), {
        name: "AccessControlUnauthorizedAccount",
        args: [address, OPERATOR],
      });
      const theirs = new FundingClient(await funding.getAddress(), who);
      assert.equal(await codeOf(theirs.tick([0n, 0n])), "FUNDING_NOT_OPERATOR");
    }
    // the timelock holds DEFAULT_ADMIN_ROLE: it grants roles, it does not tick
    const timelock = w.d.timelock.connect(owner) as Contract;
    const tl = await timelock.getAddress();
    assert.equal(await w.d.settlement.getFunction("hasRole")(ZeroHash, tl), true);
    const data = funding.interface.encodeFunctionData("tick", [[0n, 0n]]);
    const target = await funding.getAddress();
    await (
      await timelock.getFunction("schedule")(
        target,
        0n,
        data,
        ZeroHash,
        ZeroHash,
        WORLD_TIMELOCK_DELAY,
      )
    ).wait();
    await increaseTime(WORLD_TIMELOCK_DELAY);
    assert.deepEqual(
      await refusal(
        funding,
        timelock.getFunction("execute").staticCall(target, 0n, data, ZeroHash, ZeroHash),
      ),
      { name: "AccessControlUnauthorizedAccount", args: [tl, OPERATOR] },
    );
  });

  it("takes one rate per market (RateCountMismatch), each within the cap for positive and negative rates (RateAboveCap)", async function () {
    for (const rates of [[], [0n], [0n, 0n, 0n]]) {
      assert.deepEqual(await verdict(rates), {
        name: "RateCountMismatch",
        args: [BigInt(rates.length), 2n],
      });
      assert.equal(await codeOf(client.tick(rates)), "FUNDING_RATE_COUNT");
    }
    for (const [rates, market, rate] of [
      [[CAP + 1n, 0n], 0n, CAP + 1n],
      [[0n, -CAP - 1n], 1n, -CAP - 1n],
      [[-(2n ** 31n), CAP], 0n, -(2n ** 31n)],
    ] as const) {
      assert.deepEqual(await verdict(rates), { name: "RateAboveCap", args: [market, rate, CAP] });
      assert.equal(await codeOf(client.tick(rates)), "FUNDING_RATE_ABOVE_CAP");
    }
    // beyond an int32 the client refuses it before asking the chain
    assert.equal(await codeOf(client.tick([2n ** 31n, 0n])), "FUNDING_RATE_ABOVE_CAP");
  });

  it("prices a tick at a fresh round only: none posted yet, or the latest older than maxPriceAge (StalePrices)", async function () {
    await mineAt(await client.nextTickTime());
    assert.deepEqual(await verdict([1n, 1n]), { name: "StalePrices", args: [0n, 0n] });
    await postRound(w, MARKS);
    // in a block one second past maxPriceAge (the next block's time, asked as pending)
    await nextBlockAt(w.roundTime + BigInt(DEPLOY_DEFAULTS.maxPriceAge) + 1n);
    assert.deepEqual(await verdict([1n, 1n], operator, "pending"), {
      name: "StalePrices",
      args: [w.round, w.roundTime],
    });
    await uncached.send("evm_mine", []);
    assert.equal(await codeOf(client.tick([1n, 1n])), "FUNDING_STALE_PRICES");
  });

  it("refuses a tick while Settlement is paused (ContractPaused)", async function () {
    await postRound(w, MARKS);
    const s = w.d.settlement.connect(guardian) as Contract;
    await (await s.getFunction("pause")(3600n)).wait();
    const until = BigInt(await w.d.settlement.getFunction("pausedUntil")());
    assert.deepEqual(await verdict([1n, 1n]), { name: "ContractPaused", args: [until] });
    assert.equal(await codeOf(client.tick([1n, 1n])), "SETTLEMENT_PAUSED");
    await (await s.getFunction("unpause")()).wait();
  });

  it("ticks at the cap (+ and -) at a round exactly maxPriceAge old: each index moves by rate x the round's price, from the next round on, hashed as domain/funding.ts does", async function () {
    const before = w.round;
    await nextBlockAt(w.roundTime + BigInt(DEPLOY_DEFAULTS.maxPriceAge));
    const r = await client.tick([CAP, -CAP]);
    assert.equal(await now(), w.roundTime + BigInt(DEPLOY_DEFAULTS.maxPriceAge));
    console.log(`      gas of a tick (M = 2): ${r.gasUsed}`);
    const indices = [indexStep(CAP, MARKS[0]), indexStep(-CAP, MARKS[1])];
    assert.deepEqual(r, { ...r, tick: 1, fromRound: before + 1n, priceRound: before, indices });
    const t1 = await client.tickAt(1);
    assert.deepEqual(t1.indices, indices);
    assert.equal(t1.fundingHash, fundingHash(indices));
    assert.equal(t1.period, (await now()) / INTERVAL);
    const [ev] = await client.tickEvents();
    assert.deepEqual(
      { ...ev, block: 0, logIndex: 0, txHash: "" },
      {
        tick: 1,
        fromRound: before + 1n,
        priceRound: before,
        ratesPpm: [CAP, -CAP],
        indices,
        block: 0,
        logIndex: 0,
        txHash: "",
      },
    );
    // the round the tick priced at keeps tick 0; the next is the first with the new indices
    assert.deepEqual(await client.indicesAt(before), [0n, 0n]);
    assert.deepEqual(await client.indicesAt(before + 1n), indices);
    assert.equal(await client.hashAt(before + 1n), fundingHash(indices));
  });

  it("takes one tick per period (FundingTooSoon names when the next may come)", async function () {
    await postRound(w, MARKS);
    const next = ((await now()) / INTERVAL + 1n) * INTERVAL;
    assert.equal(await client.nextTickTime(), next);
    assert.deepEqual(await verdict([1n, 1n]), { name: "FundingTooSoon", args: [next] });
    assert.equal(await codeOf(client.tick([1n, 1n])), "FUNDING_TOO_SOON");
  });

  it("spaces ticks by half an interval: a late tick and the next period's cannot land seconds apart (FundingTooSoon)", async function () {
    const next = await client.nextTickTime();
    // a tick 10 s before its period ends
    await mineAt(next + INTERVAL - 10n);
    await postRound(w, MARKS);
    const late = await client.tick([1_000n, -1_000n]);
    // (the tick's block is the latest)
    const spaced = (await now()) + INTERVAL / 2n;
    assert.ok(spaced > next + INTERVAL, "the spacing, not the period, decides here");
    assert.equal(await client.nextTickTime(), spaced);
    // the next period has begun, but half an interval has not passed
    await mineAt(next + INTERVAL + 1n);
    await postRound(w, MARKS);
    assert.deepEqual(await verdict([1n, 1n]), { name: "FundingTooSoon", args: [spaced] });
    assert.equal(await codeOf(client.tick([1n, 1n])), "FUNDING_TOO_SOON");
    // at the spaced time it passes
    await mineAt(spaced);
    await postRound(w, MARKS);
    const again = await client.tick([1n, 1n]);
    assert.equal(again.tick, late.tick + 1);
  });

  it("needs a new oracle round between two ticks, even in a new period (NoRoundSinceTick)", async function () {
    const next = await client.nextTickTime();
    // a round 100 s before a period ends, a tick at it, and the next period half an
    // interval later (the earliest the next tick may come)
    await mineAt(next + INTERVAL - 100n);
    await postRound(w, [MARKS[0] + 1n, MARKS[1] - 1n]);
    const r = await client.tick([500n, 250n]);
    await mineAt((await now()) + INTERVAL / 2n);
    assert.deepEqual(await verdict([1n, 1n]), {
      name: "NoRoundSinceTick",
      args: [w.round, w.round + 1n],
    });
    assert.equal(await codeOf(client.tick([1n, 1n])), "FUNDING_NO_ROUND");
    await postRound(w, MARKS);
    const again = await client.tick([-7n, 0n]);
    assert.equal(again.tick, r.tick + 1);
    assert.deepEqual(again.indices, [r.indices[0] + indexStep(-7n, MARKS[0]), r.indices[1]]);
  });

  it("hashOf, indicesOf and tickOf pick the last tick with fromRound <= the round: before, at and after each tick's", async function () {
    const ticks = await client.ticks();
    assert.equal(ticks.length, 6); // tick 0 and the five the tests above made
    for (let k = 1; k < ticks.length; k++) assert.ok(ticks[k].fromRound > ticks[k - 1].fromRound);
    const rounds = new Set<bigint>([0n, 2n ** 64n - 1n]);
    for (const t of ticks.slice(1)) for (const d of [-1n, 0n, 1n]) rounds.add(t.fromRound + d);
    for (const r of rounds) {
      const expected = ticks.filter((t) => t.fromRound <= r).at(-1)!;
      assert.equal(tickInEffect(ticks, r), expected, `round ${r}`);
      assert.equal(Number(await funding.getFunction("tickOf")(r)), expected.tick, `round ${r}`);
      assert.equal(await client.hashAt(r), expected.fundingHash, `round ${r}`);
      assert.deepEqual(await client.indicesAt(r), expected.indices, `round ${r}`);
    }
  });

  it("never changes a posted round's binding (bound before a tick, or first after it); bindRound is priceConfigHash(markets, domain, prices, indices)", async function () {
    const s = w.d.settlement;
    const bind = async (r: bigint) => {
      const rc = await (await s.getFunction("bindRound")(r)).wait();
      return { binding: BigInt(await s.getFunction("roundBinding")(r)), gas: BigInt(rc.gasUsed) };
    };
    const expect = async (r: bigint, prices: readonly bigint[]) =>
      priceConfigHash(
        w.state,
        prices,
        await client.indicesAt(r),
        await w.chain.roundMargins(r, prices.length),
      );
    await mineAt(await client.nextTickTime());
    await postRound(w, MARKS);
    const bound = w.round;
    const boundBefore = BigInt(await s.getFunction("roundBinding")(bound));
    assert.equal(boundBefore, await expect(bound, MARKS));
    const later = [MARKS[0] * 2n, MARKS[1] * 3n];
    const unbound = await postUnbound(w, later);
    const indicesBefore = await client.indicesAt(unbound);
    const t = await client.tick([CAP, CAP]);
    assert.deepEqual(await client.indicesAt(unbound), indicesBefore);
    assert.notDeepEqual(t.indices, indicesBefore);
    // bound again: the same; bound first now: at the indices it had when posted
    assert.equal((await bind(bound)).binding, boundBefore);
    const first = await bind(unbound);
    assert.equal(
      first.binding,
      priceConfigHash(
        w.state,
        later,
        indicesBefore,
        await w.chain.roundMargins(unbound, later.length),
      ),
    );
    await postUnbound(w, MARKS);
    const after = await bind(w.round);
    assert.equal(
      after.binding,
      priceConfigHash(w.state, MARKS, t.indices, await w.chain.roundMargins(w.round, 2)),
    );
    console.log(`      gas of bindRound (M = 2, ${await client.tickCount()} ticks): ${after.gas}`);
  });

  it("keeps every index in [-2^63, 2^63): the ends taken, one step beyond refused (IndexOutOfRange)", async function () {
    const [i0, i1] = await client.indicesAt(w.round + 1n);
    // rates of -1 and +1 at the largest prices whose steps stay inside: a step is
    // trunc(price * 2^20 / 10^6), so the indices land within one unit of -2^63 and 2^63 - 1
    const price = (room: bigint) => (room * RATE_DENOMINATOR) / FUNDING_SCALE;
    const prices = [price(2n ** 63n + i0), price(I64_MAX - i1)];
    await mineAt(await client.nextTickTime());
    await postRound(w, prices);
    const edge = await client.tick([-1n, 1n]);
    const ends = [i0 + indexStep(-1n, prices[0]), i1 + indexStep(1n, prices[1])];
    assert.deepEqual(edge.indices, ends);
    assert.ok(ends[0] - I64_MIN <= 1n && I64_MAX - ends[1] <= 1n, "within a unit of the ends");
    assert.equal((await client.tickAt(edge.tick)).fundingHash, fundingHash(ends));
    await mineAt(await client.nextTickTime());
    await postRound(w, MARKS);
    assert.deepEqual(await verdict([-1n, 0n]), {
      name: "IndexOutOfRange",
      args: [0n, ends[0] + indexStep(-1n, MARKS[0])],
    });
    assert.deepEqual(await verdict([0n, 1n]), {
      name: "IndexOutOfRange",
      args: [1n, ends[1] + indexStep(1n, MARKS[1])],
    });
    assert.equal(await codeOf(client.tick([0n, 1n])), "FUNDING_INDEX_OUT_OF_RANGE");
    // back inside: taken
    const back = await client.tick([1n, -1n]);
    assert.deepEqual(back.indices, [
      ends[0] + indexStep(1n, MARKS[0]),
      ends[1] + indexStep(-1n, MARKS[1]),
    ]);
  });

  it("refuses a tick once Settlement is frozen (ExchangeFrozen)", async function () {
    const who = w.participants[0];
    await deposit(w, who, 1000n);
    await increaseTime(DEPLOY_DEFAULTS.forcedDeadline + 1);
    await (await (w.d.settlement.connect(stranger) as Contract).getFunction("freeze")()).wait();
    await postRound(w, MARKS);
    assert.deepEqual(await verdict([0n, 0n]), { name: "ExchangeFrozen", args: [] });
    assert.equal(await codeOf(client.tick([0n, 0n])), "SETTLEMENT_FROZEN");
  });
});
