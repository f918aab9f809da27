import assert from "node:assert/strict";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import type { FastifyInstance } from "fastify";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import type { Account } from "../../prover/src/domain/account.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import { settleFunding, settleFundingByMarket } from "../../prover/src/domain/funding.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { signOffer, type OfferTerm } from "../../prover/src/domain/offer.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { liquidationPenalty, liquidatorShare } from "../../prover/src/engine/liquidations.ts";
import type { Contract } from "ethers";
import { OperatorError, type BatchBody, type Operator } from "../../prover/src/service/operator.ts";
import { signers } from "../helpers/chain.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { fundCompartment, startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];
/** What the fund owner moves from the fund's 5,000,000 into BTC's compartment. */
const MOVED = 4_500_000n;

type Liquidation = Extract<BatchBody, { kind: "liquidations" }>;

describe("operator: liquidators take liquidated positions", function () {
  let w: World;
  let thin: Participant;
  let thin2: Participant;
  let rich: Participant;
  let liq: Participant;
  let poor: Participant;
  let thin3: Participant;
  let rig: OperatorRig;
  let op: Operator;
  let app: FastifyInstance;
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });

  const postOffer = async (who: Participant, nonce: bigint, terms: OfferTerm[]) => {
    const so = signOffer(
      { account: who.account!, nonce, terms },
      who.keys.privateKey,
      w.markets.length,
      w.domain,
    );
    const r = await app.inject({
      method: "POST",
      url: "/v1/liquidator-offers",
      payload: JSON.parse(
        JSON.stringify({ ...so.offer, signature: so.signature }, (_k, v) =>
          typeof v === "bigint" ? v.toString() : v,
        ),
      ),
    });
    assert.equal(r.statusCode, 201, r.body);
  };
  const offerBtc = (maxSize: bigint, discountBps: bigint): OfferTerm[] => [
    { maxSize, discountBps },
    { maxSize: 0n, discountBps: 0n },
  ];
  /** `who` buys one lot of market 0 from `rich` at `price`; settled in a trade batch. */
  const goLong = async (who: Participant, nonce: bigint, price: bigint) => {
    op.submitOrder(
      order(w, t(rich), { market: 0, side: "sell", nonce, amount: 1n, limitPrice: price }),
    );
    op.submitOrder(
      order(w, t(who), { market: 0, side: "buy", nonce: 1n, amount: 1n, limitPrice: price }),
    );
    await op.tick({ flushTrades: true });
    assert.equal(op.state.getAccount(who.account!).positions[0].size, 1n);
  };
  const liquidations = () =>
    op.batches().filter((b) => b.kind === "liquidations") as unknown as {
      status: string;
      body: Liquidation;
    }[];
  const metric = async (taker: string) =>
    Number(
      new RegExp(`zkclear_liquidations_positions_total\\{taker="${taker}"\\} (\\d+)`).exec(
        await op.prometheus.text(),
      )?.[1],
    );
  const offers = async (status: string) =>
    Number(
      new RegExp(`zkclear_liquidator_offers\\{status="${status}"\\} (\\d+)`).exec(
        await op.prometheus.text(),
      )?.[1],
    );
  const offerOf = async (who: Participant) =>
    (await app.inject({ method: "GET", url: `/v1/liquidator-offers/${who.account}` })).json()
      .offer as { status: string; suspendedBecause?: string };

  before(async function () {
    // its crashes are about liquidations, not circuit breakers or volatility margins: moves
    // up to 100 % stay open, and margins stay at the markets' rates (floor = ceiling = 1x)
    rig = await startOperator(6, "zkclear-liqtake-", {
      breakerMoveBps: 10_000,
      marginRule: { ...DEPLOY_DEFAULTS.marginRule, ceilBps: 10_000 },
    });
    ({ w, op } = rig);
    [thin, thin2, rich, liq, poor, thin3] = w.participants;
    await deposit(w, thin, 1_000_000n);
    await deposit(w, thin2, 1_000_000n);
    await deposit(w, rich, 100_000_000n);
    await deposit(w, liq, 5_000_000n);
    // enough to back a one-lot offer, not to carry it after the crash (below)
    await deposit(w, poor, 1_300_000n);
    await deposit(w, thin3, 1_000_000n);
    await op.tick();
    await deposit(
      w,
      { signer: rich.signer, keys: rich.keys, account: INSURANCE_ACCOUNT },
      5_000_000n,
    );
    await postRound(w, MARKS);
    await op.tick();
    app = buildApi(op);
  });

  after(async function () {
    await app.close();
    await rig.close();
  });

  it("hands a crashed account's position to the best liquidator with margin for it, pays its share, and the fund the rest; on-chain", async function () {
    await goLong(thin, 1n, MARKS[0]);
    // poor goes long 10 ETH; its 13,000.00 back that and one more BTC lot at 60,000.00
    // (9,000.00 of initial margin), so it may offer the lower discount for one lot
    op.submitOrder(
      order(w, t(rich), { market: 1, side: "sell", nonce: 1n, amount: 10n, limitPrice: MARKS[1] }),
    );
    op.submitOrder(
      order(w, t(poor), { market: 1, side: "buy", nonce: 1n, amount: 10n, limitPrice: MARKS[1] }),
    );
    await op.tick({ flushTrades: true });
    assert.equal(op.state.getAccount(poor.account!).positions[1].size, 10n);
    await postOffer(poor, 1n, offerBtc(1n, 10n));
    await postOffer(liq, 1n, offerBtc(5n, 50n));
    assert.equal((await offerOf(poor)).status, "standing");
    // BTC and ETH fall: poor keeps about 3,000.00 of equity (above its 1,000.00 of
    // maintenance) but would need 6,000.00 to carry a BTC lot at 40,000.00 as well
    const crash = [40_000_00n, 2_000_00n];
    const before = new Map<bigint, Account>(
      [thin, liq, poor].map((x) => [x.account!, op.state.getAccount(x.account!)]),
    );
    const fundBefore = op.state.getAccount(INSURANCE_ACCOUNT);
    // the fund owner funds BTC's compartment: the crash batch carries the move, which pays
    // this test's and the next ones' BTC shortfalls
    fundCompartment(rig, 0, MOVED);
    await postRound(w, crash);
    await op.tick();

    const liqs = liquidations();
    assert.equal(liqs.length, 1);
    assert.equal(liqs[0].status, "settled");
    assert.deepEqual(liqs[0].body.accounts, [thin.account]);
    const taker = liqs[0].body.takers?.[0];
    assert.equal(taker?.offer.offer.account, liq.account, "liq took it, poor was skipped");
    assert.deepEqual(taker?.take, [true, false]);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);

    // the liquidator holds the position at the mark and was paid its share
    const indices = liqs[0].body.fundingIndices;
    const thinSettled = settleFunding(before.get(thin.account!)!, indices).account;
    const share = liquidatorShare([1n, 0n], crash, [true, false], [50n, 0n]);
    assert.equal(share, 20_000n);
    const l = op.state.getAccount(liq.account!);
    const l0 = settleFunding(before.get(liq.account!)!, indices).account;
    assert.equal(l.positions[0].size, 1n);
    assert.equal(l.positions[0].notional, crash[0]);
    assert.equal(l.collateral, l0.collateral + share);
    assert.deepEqual(op.state.getAccount(poor.account!), before.get(poor.account!));
    // the fund: no position, the account's equity less what it keeps, less the share
    const e = equity(thinSettled, crash);
    const penalty = liquidationPenalty(thinSettled, crash, w.markets);
    const kept = e - penalty > 0n ? e - penalty : 0n;
    // its BTC compartment gains that (negative: pays), after the move from its reserve
    const fund = op.state.getAccount(INSURANCE_ACCOUNT);
    const fund0 = settleFundingByMarket(fundBefore, indices).account;
    assert.equal(fund.positions[0].size, fund0.positions[0].size);
    assert.equal(fund.collateral, fundBefore.collateral - MOVED);
    assert.equal(
      compartmentValues(fund, crash)[0],
      compartmentValues(fund0, crash)[0] + MOVED + e - kept - share,
    );
    assert.equal(op.state.getAccount(thin.account!).positions[0].size, 0n);
    // the liquidator now has a position: the watcher watches it too
    const index = (op as unknown as { batcher: { withPositions: Set<bigint> } }).batcher
      .withPositions;
    assert.ok(index.has(liq.account!));
    assert.equal(await metric("liquidator"), 1);
    assert.equal(await metric("fund"), 0);
    // poor's offer was found wanting: checked again at the crash round, it is suspended
    const suspended = await offerOf(poor);
    assert.equal(suspended.status, "suspended");
    assert.match(suspended.suspendedBecause ?? "", /lacks \d+ of equity to back its offer/);
    assert.equal(await offers("suspended"), 1);
    assert.equal(await offers("active"), 1);
  });

  it("the fund takes a position no liquidator with margin covers; a deposit makes a suspended offer active again", async function () {
    // liq withdraws; poor's offer stays suspended: ETH still at 2,000.00, poor's 3,000.00
    // of equity do not back a BTC lot at 28,000.00 (4,800.00 of initial margin with its
    // ETH), so the new round's re-check of suspended offers leaves it suspended
    await postOffer(liq, 2n, offerBtc(0n, 0n));
    await goLong(thin2, 2n, 40_000_00n);
    const fundSize = op.state.getAccount(INSURANCE_ACCOUNT).positions[0].size;
    const poorBefore = op.state.getAccount(poor.account!);
    await postRound(w, [28_000_00n, 2_000_00n]);
    await op.tick();
    const liqs = liquidations();
    assert.equal(liqs.length, 2);
    assert.equal(liqs[1].status, "settled");
    assert.deepEqual(liqs[1].body.accounts, [thin2.account]);
    assert.equal(liqs[1].body.takers, undefined);
    assert.equal(op.state.getAccount(INSURANCE_ACCOUNT).positions[0].size, fundSize + 1n);
    assert.deepEqual(op.state.getAccount(poor.account!), poorBefore);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);
    assert.equal(await metric("fund"), 1);
    assert.equal(await metric("liquidator"), 1);
    assert.equal((await offerOf(poor)).status, "suspended");
    // ETH back at 3,000.00 would back it, but a round without a liquidation checks nothing
    await postRound(w, [28_000_00n, MARKS[1]]);
    await op.tick();
    assert.equal(liquidations().length, 2);
    assert.equal((await offerOf(poor)).status, "suspended");
    // a deposit batch changes poor: its offer is checked again, backed, active
    await deposit(w, poor, 1n);
    await op.tick();
    assert.equal((await offerOf(poor)).status, "standing");
    assert.equal(await offers("suspended"), 0);
    await postOffer(poor, 2n, offerBtc(0n, 0n));
  });

  it("while the batch is in flight the taker's orders wait; a superseded batch is undone, the taker with it", async function () {
    await goLong(thin3, 3n, 28_000_00n);
    await postOffer(liq, 3n, offerBtc(5n, 50n));
    // a resting sell of the liquidator's, above the market
    const resting = op.submitOrder(
      order(w, t(liq), { market: 0, side: "sell", nonce: 1n, amount: 1n, limitPrice: 30_000_00n }),
    );
    assert.equal(resting.status, "open");
    const liqBefore = op.state.getAccount(liq.account!);
    const [guardian] = await signers(1);
    const s = w.d.settlement.connect(guardian) as Contract;
    await (await s.getFunction("pause")(3600n)).wait();
    try {
      await postRound(w, [18_000_00n, MARKS[1]]);
      // cut and proved at the crash round, held back by the pause
      await assert.rejects(op.tick(), /paused/);
      const held = liquidations().at(-1)!;
      assert.notEqual(held.status, "settled");
      assert.deepEqual(held.body.accounts, [thin3.account]);
      assert.equal(held.body.takers?.[0]?.offer.offer.account, liq.account);
      assert.equal(op.state.getAccount(liq.account!).positions[0].size, 2n);
      assert.throws(
        () =>
          op.submitOrder(
            order(w, t(liq), {
              market: 1,
              side: "buy",
              nonce: 1n,
              amount: 1n,
              limitPrice: MARKS[1],
            }),
          ),
        (e: unknown) => e instanceof OperatorError && e.code === "ACCOUNT_TAKING_LIQUIDATION",
      );
      // its resting order does not match meanwhile: it is cancelled, saying why
      const hit = op.submitOrder(
        order(w, t(rich), {
          market: 0,
          side: "buy",
          nonce: 10n,
          amount: 1n,
          limitPrice: 30_000_00n,
        }),
      );
      assert.equal(hit.status, "open");
      const cancelled = op.getOrder(resting.id)!;
      assert.equal(cancelled.status, "cancelled");
      assert.match(cancelled.reason ?? "", /liquidated positions in a batch not yet settled/);
      // the crash is superseded by a round at which thin3 is healthy before the batch lands
      await postRound(w, [28_000_00n, MARKS[1]]);
    } finally {
      await (await s.getFunction("unpause")()).wait();
    }
    const held = liquidations().at(-1)!;
    for (let i = 0; i < 20 && liquidations().at(-1)!.status !== "dropped"; i++) {
      await new Promise((r) => setTimeout(r, 600));
      await op.tick().catch(() => {});
    }
    assert.equal(liquidations().at(-1)!.status, "dropped", JSON.stringify(held.status));
    assert.deepEqual(op.state.getAccount(liq.account!), liqBefore, "the take was undone");
    assert.equal(op.state.getAccount(thin3.account!).positions[0].size, 1n);
    const index = (op as unknown as { batcher: { withPositions: Set<bigint> } }).batcher
      .withPositions;
    assert.ok(index.has(liq.account!) && index.has(thin3.account!));
    // the liquidator trades again
    const again = op.submitOrder(
      order(w, t(liq), {
        market: 1,
        side: "buy",
        nonce: 2n,
        amount: 1n,
        limitPrice: MARKS[1] - 100n,
      }),
    );
    assert.equal(again.status, "open");
    await op.tick();
    assert.equal(op.halted, undefined);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);
    assert.equal(await metric("liquidator"), 1, "a dropped batch counts nothing");
  });

  it("a suspended offer is active again by itself at the first liquidation of a round that backs it (no deposit, no new offer)", async function () {
    // poor is the only liquidator: 1 BTC lot at 10 bps
    await postOffer(liq, 4n, offerBtc(0n, 0n));
    await postOffer(poor, 3n, offerBtc(1n, 10n));
    assert.equal((await offerOf(poor)).status, "standing");
    // BTC to 18,000.00, ETH to 2,000.00: thin3 is liquidated; poor's 3,000.00 of equity
    // cannot carry a BTC lot as well (3,800.00 of initial margin): found wanting, suspended
    await postRound(w, [18_000_00n, 2_000_00n]);
    await op.tick();
    const crashed = liquidations().at(-1)!;
    assert.equal(crashed.status, "settled");
    assert.deepEqual(crashed.body.accounts, [thin3.account]);
    assert.equal(crashed.body.takers, undefined);
    assert.equal((await offerOf(poor)).status, "suspended");
    // thin sells a BTC lot (to rich's resting buy) on a thin margin
    await deposit(w, thin, 200_000n);
    await op.tick();
    op.submitOrder(
      order(w, t(thin), {
        market: 0,
        side: "sell",
        nonce: 40n,
        amount: 1n,
        limitPrice: 18_000_00n,
      }),
    );
    await op.tick({ flushTrades: true });
    assert.equal(op.state.getAccount(thin.account!).positions[0].size, -1n);
    const poorBefore = op.state.getAccount(poor.account!);
    // BTC to 60,000.00, ETH back at 3,000.00: thin is liquidated. Nothing of poor's changed,
    // but at this round its 13,000.00 back the offer (9,000.00 needed): the round's first
    // cut checks it again before the rule walks, and it takes thin's position
    await postRound(w, [60_000_00n, MARKS[1]]);
    await op.tick();
    const last = liquidations().at(-1)!;
    assert.equal(last.status, "settled");
    assert.deepEqual(last.body.accounts, [thin.account]);
    assert.equal(last.body.takers?.[0]?.offer.offer.account, poor.account);
    assert.equal(op.state.getAccount(poor.account!).positions[0].size, -1n);
    // the batch's own check (its takers) then finds that short lot plus another one more
    // than poor carries: suspended again, by rule (a), not for lack of a re-check
    const after = await offerOf(poor);
    assert.equal(after.status, "suspended");
    assert.match(after.suspendedBecause ?? "", /lacks \d+ of equity to back its offer/);
    assert.deepEqual(op.state.getAccount(poor.account!).positions[1], poorBefore.positions[1]);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);
  });
});
