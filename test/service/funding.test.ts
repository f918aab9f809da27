import assert from "node:assert/strict";
import type { Contract } from "ethers";
import type { FastifyInstance } from "fastify";
import type { BatchData, Trade } from "../../prover/src/domain/batch.ts";
import { fundingPayment } from "../../prover/src/domain/funding.ts";
import { fundingRates, indexStep, marketFlows } from "../../prover/src/domain/funding-rate.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { FundingClient } from "../../prover/src/chain/funding.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import type { BatchBody } from "../../prover/src/service/context.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";
import { signers } from "../helpers/chain.ts";
import { mineAt, now } from "../contracts/funding-helpers.ts";

const MARKS = [60_000_00n, 3_000_00n];
const INTERVAL = 3600n;
const CAP = 1_000n;

/**
 * The operator ticks funding on a real chain (service/funding.ts): the rates by the rule
 * from the trade batches settled since the previous tick, the indices as indexStep says,
 * funding settled into both sides of the next trade batch, /v1/funding and /metrics, and a
 * refused tick tried again without stopping batching.
 */
describe("operator: funding ticks on a real chain", function () {
  let rig: OperatorRig;
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let app: FastifyInstance;
  let funding: FundingClient;
  let nonce = 0n;

  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
  /** alice buys `qty` lots of market 0 from bob at `price` (one trade). */
  const trade = (qty: bigint, price: bigint, buyer = alice, seller = bob) => {
    nonce++;
    rig.op.submitOrder(
      order(w, t(seller), { market: 0, side: "sell", nonce, amount: qty, limitPrice: price }),
    );
    const ack = rig.op.submitOrder(
      order(w, t(buyer), { market: 0, side: "buy", nonce, amount: qty, limitPrice: price }),
    );
    assert.equal(ack.status, "filled");
  };
  const settledTrades = () =>
    rig.store
      .batches<BatchBody>(["settled"])
      .filter((b): b is typeof b & { body: { kind: "trades" } } => b.body.kind === "trades");
  const tradesOf = (ids: number[]): Trade[] =>
    settledTrades()
      .filter((b) => ids.includes(b.id))
      .flatMap((b) => (b.body as Extract<BatchData, { kind: "trades" }>).trades);
  /** Moves the chain to the next tick time and posts (and binds) a round there. */
  const toNextTick = async () => {
    await mineAt(await funding.nextTickTime());
    await postRound(w, MARKS);
  };
  const getJson = async (url: string) => {
    const r = await app.inject({ method: "GET", url });
    return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
  };

  before(async function () {
    // the deployment just after a period starts: no tick is due for almost an hour of
    // chain time, whatever the wall clock says
    const t0 = await now();
    await mineAt(((t0 + INTERVAL) / INTERVAL) * INTERVAL + 5n);
    rig = await startOperator(2, "zkclear-funding-", {
      funding: true,
      deploy: { fundingInterval: Number(INTERVAL), maxFundingRatePpm: Number(CAP) },
    });
    w = rig.w;
    [alice, bob] = w.participants;
    funding = await FundingClient.of(w.d.settlement, w.d.settlement.runner!);
    app = buildApi(rig.op);
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await postRound(w, MARKS);
    await rig.op.tick();
  });

  after(async function () {
    await app?.close();
    await rig?.close();
  });

  it("shows tick 0 before any tick, and refuses /v1/funding before the chain was read", async function () {
    // a restarted operator has not read the chain before its first step
    await app.close();
    app = buildApi(rig.restart());
    const early = await getJson("/v1/funding");
    assert.equal(early.status, 503);
    assert.equal(early.body.error, "FUNDING_NOT_READ");
    await rig.op.tick();
    const f = await getJson("/v1/funding");
    assert.equal(f.status, 200);
    assert.equal(f.body.tick, 0);
    assert.equal(f.body.interval, String(INTERVAL));
    assert.equal(f.body.maxRatePpm, String(CAP));
    assert.deepEqual(f.body.indices, ["0", "0"]);
    assert.equal(f.body.nextTickTime, String(await funding.nextTickTime()));
  });

  it("ticks at the rule's rates from the trades settled since the last tick", async function () {
    // 2 lots at +500 ppm over the mark; not due yet: no tick
    trade(2n, MARKS[0] + 3_000n);
    await rig.op.tick({ flushTrades: true });
    assert.equal(await funding.tickCount(), 1);
    const [b1] = settledTrades();
    await toNextTick();
    await rig.op.tick();
    assert.equal(await funding.tickCount(), 2);
    const [ev] = await funding.tickEvents();
    const rule = fundingRates(marketFlows(tradesOf([b1.id]), MARKS, CAP));
    assert.deepEqual(rule, [500n, 0n]);
    assert.deepEqual(ev.ratesPpm, rule);
    assert.equal(ev.priceRound, w.round);
    assert.deepEqual(ev.indices, [indexStep(500n, MARKS[0]), 0n]);
    assert.deepEqual((await funding.tickAt(1)).indices, ev.indices);
  });

  it("settles funding into both sides of the next trade batch: the long pays, the short receives", async function () {
    const i1 = (await funding.tickAt(1)).indices[0];
    // a round after the tick: its batches settle to the new indices
    await postRound(w, MARKS);
    await rig.op.tick();
    assert.deepEqual(w.fundingIndices, [i1, 0n]);
    const aliceBefore = rig.op.state.getAccount(alice.account!).collateral;
    trade(1n, MARKS[0] + 1_200n); // +200 ppm
    await rig.op.tick({ flushTrades: true });
    const b2 = settledTrades().at(-1)!;
    const body = b2.body as Extract<BatchData, { kind: "trades" }>;
    assert.deepEqual(body.fundingIndices, [i1, 0n]);
    const paid = new Map(body.funding.map((f) => [f.account, f.payment]));
    assert.equal(paid.get(alice.account!), fundingPayment(2n * i1));
    assert.equal(paid.get(bob.account!), fundingPayment(-2n * i1));
    assert.ok(paid.get(alice.account!)! > 0n && paid.get(bob.account!)! < 0n);
    assert.equal(paid.get(alice.account!), 6_000n); // 2 lots x 500 ppm x 60,000.00
    assert.ok(rig.op.state.getAccount(alice.account!).collateral < aliceBefore - 5_999n);
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
  });

  it("ticks again from the next window only; /v1/funding and /metrics show rates and indices", async function () {
    const b2 = settledTrades().at(-1)!;
    const i1 = (await funding.tickAt(1)).indices;
    await toNextTick();
    await rig.op.tick();
    assert.equal(await funding.tickCount(), 3);
    const ev = (await funding.tickEvents())[1];
    const rule = fundingRates(marketFlows(tradesOf([b2.id]), MARKS, CAP));
    assert.deepEqual(rule, [200n, 0n]);
    assert.deepEqual(ev.ratesPpm, rule);
    const i2 = [i1[0] + indexStep(200n, MARKS[0]), i1[1]];
    assert.deepEqual(ev.indices, i2);
    const f = await getJson("/v1/funding");
    assert.equal(f.body.tick, 2);
    assert.deepEqual(f.body.ratesPpm, ["200", "0"]);
    assert.deepEqual(f.body.indices, i2.map(String));
    assert.equal(f.body.fromRound, String(w.round + 1n));
    assert.equal((f.body.ticks as unknown[]).length, 2);
    assert.equal(f.body.nextTickTime, String(await funding.nextTickTime()));
    const m = (await app.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(m, /^zkclear_funding_rate_ppm\{market="0"\} 200$/m);
    assert.match(m, /^zkclear_funding_rate_ppm\{market="1"\} 0$/m);
    assert.match(m, new RegExp(`^zkclear_funding_index\\{market="0"\\} ${i2[0]}$`, "m"));
    assert.match(
      m,
      new RegExp(`^zkclear_funding_next_tick_time_seconds ${await funding.nextTickTime()}$`, "m"),
    );
    // after a restart the operator reads where funding stands from the chain: no tick twice
    await app.close();
    app = buildApi(rig.restart());
    await rig.op.tick();
    assert.equal(rig.op.funding?.current.tick, 2);
    assert.equal(await funding.tickCount(), 3);
  });

  it("logs a refused tick with its code, tries again later, and keeps batching", async function () {
    const [guardian] = await signers(1);
    const s = w.d.settlement.connect(guardian) as Contract;
    await toNextTick();
    await (await s.getFunction("pause")(3600n)).wait();
    await rig.op.tick();
    assert.equal(await funding.tickCount(), 3, "no tick while paused");
    assert.equal(rig.op.funding?.refused?.code, "SETTLEMENT_PAUSED");
    assert.equal(rig.op.halted, undefined);
    const f = await getJson("/v1/funding");
    assert.equal((f.body.refused as { code: string }).code, "SETTLEMENT_PAUSED");
    await (await s.getFunction("unpause")()).wait();
    // a trade at -500 ppm settles first; the tick, tried again, sees it in its window
    trade(1n, MARKS[0] - 3_000n, bob, alice);
    await rig.op.tick({ flushTrades: true });
    const b3 = settledTrades().at(-1)!;
    for (let i = 0; i < 10 && (await funding.tickCount()) < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await rig.op.tick();
    }
    assert.equal(await funding.tickCount(), 4);
    assert.equal(rig.op.funding?.refused, null);
    const ev = (await funding.tickEvents())[2];
    assert.deepEqual(ev.ratesPpm, fundingRates(marketFlows(tradesOf([b3.id]), MARKS, CAP)));
    assert.deepEqual(ev.ratesPpm, [-500n, 0n]);
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
  });
});
