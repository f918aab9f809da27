import assert from "node:assert/strict";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import {
  CompartmentMoveError,
  signCompartmentMove,
} from "../../prover/src/domain/compartment-moves.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { newAccount } from "../../prover/src/domain/account.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { deleverageScore } from "../../prover/src/domain/deleveraging.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { liquidate, LiquidatorError } from "../../prover/src/engine/liquidations.ts";
import type { ForgedDeleverage } from "../../prover/src/engine/deleverage.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";
import { GENERIC_TEMPLATE, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import {
  BTC_CRASH,
  ETH,
  bankruptInBoth,
  flat,
  position,
  twoShorts,
  withoutRoots,
  world,
} from "../helpers/deleverage-world.ts";
import { OFFER_TERMS, offerOf, taken, world as liquidatorsWorld } from "../helpers/liquidators.ts";

const P = TEST_PARAMS;

const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const marks = [BTC_CRASH, ETH];
const forged = (s: ExchangeState, forge: ForgedDeleverage) =>
  liquidate(s, [3n], marks, P.liquidations, { unchecked: true, forgeDeleverage: forge });

/** The witness fails, and the innermost template of ours on its stack is `template`. */
async function refusedIn(input: LiquidateBatchInput, template: string): Promise<void> {
  const files = await testCircuit("liquidate_batch");
  await assert.rejects(
    calculateWitness(files.wasm, CIRCUITS.liquidate_batch.toSignals(input)),
    (e: unknown) => {
      assert.ok(e instanceof WitnessError, `expected a WitnessError, got ${String(e)}`);
      const inner = e.templates.find((t) => !GENERIC_TEMPLATE.test(t));
      assert.ok(
        inner?.startsWith(`${template}_`),
        `expected a failure in ${template}, got: ${e.templates.join(" < ")}`,
      );
      return true;
    },
  );
}

describe("auto-deleveraging in LiquidateBatch (test parameters)", function () {
  it("closes the fund's position in the crashed market against the ranked short at the bankruptcy price; ETH's compartment and the reserve are untouched", async function () {
    // BTC's compartment holds 100,000 of the 750,000 loss: C = -650,000 after the charge,
    // the fund long 1 lot; p = 4,000,000 + 650,000
    const s = world([100_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    const r = liquidate(s, [3n], marks, P.liquidations);
    assert.deepEqual(withoutRoots(r.deleveraged), [
      {
        market: 0,
        price: 4_650_000n,
        fundSize: 1n,
        entries: [{ account: 4n, score: r.deleveraged[0].entries[0].score, lots: 1n }],
      },
    ]);
    assert.deepEqual(compartmentValues(s.getAccount(INSURANCE_ACCOUNT), marks), [0n, 10_000_000n]);
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual([fund.collateral, fund.positions[0].size], [1_000_000n, 0n]);
    // the short buys back at 4,650,000: it realises 6,000,000 - 4,650,000 per lot
    const short = s.getAccount(4n);
    assert.deepEqual(
      [short.collateral, short.positions[0].size, short.positions[0].notional],
      [10_000_000n + 1_350_000n, 0n, 0n],
    );
    const w = await witnessFor(liq(r.input));
    assert.equal(w[2], r.newRoot);
    assert.equal(w[3], r.dataCommitment);
  });

  it("follows the ranking: profit times leverage first, each entry taking the most it can", async function () {
    // three bankrupt lots: C = 100,000 - 2,250,000, p = 4,000,000 + ceil(2,150,000 / 3).
    // Shorts of 2 lots: account 4 sold at 6,000,000 on 700,000 (score 5,000 bps x 1.70),
    // account 5 at 6,000,000 on 50,000,000 (x 0.14), account 6 at 4,500,000 on
    // 5,000,000 (1,250 bps x 1.33): the order is 4, 6, 5; 4 takes its 2 lots, 6 the last
    const s = world(
      [100_000n, 10_000_000n],
      [
        [700_000n, 2n, 6_000_000n],
        [50_000_000n, 2n, 6_000_000n],
        [5_000_000n, 2n, 4_500_000n],
      ],
      [],
      3n,
    );
    const r = liquidate(s, [3n], marks, P.liquidations);
    const d = r.deleveraged[0];
    assert.equal(d.price, 4_716_667n);
    assert.deepEqual(
      d.entries.map((e) => [e.account, e.score, e.lots]),
      [
        [4n, 5_000n * 170n, 2n],
        [6n, 1_250n * 133n, 1n],
      ],
    );
    assert.deepEqual(s.getAccount(5n).positions[0].size, -2n);
    assert.deepEqual(s.getAccount(6n).positions[0].size, -1n);
    await witnessFor(liq(r.input));
  });

  it("passes over an entry that cannot afford a lot, and refuses one listed with 0 lots", async function () {
    // account 4 ranks first (tiny equity, huge leverage) but is exactly at maintenance:
    // a lot closed above the mark would take it below
    const mm = 500n; // BTC's maintenance rate, bps
    const equity4 = (2n * BTC_CRASH * mm) / 10_000n; // at its requirement, 2 lots short
    const w = () =>
      world(
        [100_000n, 10_000_000n],
        [
          [equity4 - 2n * 2_000_000n, 2n, 6_000_000n],
          [50_000_000n, 2n, 6_000_000n],
        ],
      );
    const r = liquidate(w(), [3n], marks, P.liquidations);
    assert.deepEqual(
      r.deleveraged[0].entries.map((e) => [e.account, e.lots]),
      [[5n, 1n]],
    );
    await witnessFor(liq(r.input));
    // listed with 0 lots, it would spend a slot and close nothing
    const listed = forged(w(), {
      markets: [0],
      lots: (ex) => [{ account: 4n, score: 0n, lots: 0n }, ...ex],
    });
    await refusedIn(listed.input, "DeleverageCandidate");
  });

  it("refuses a move out of a compartment that the batch's own liquidations need (engine and circuit)", async function () {
    // BTC's compartment holds 1,000,000: it pays the bankrupt's 750,000 alone. A move of
    // 500,000 out of it meets the requirement before the batch (the fund is flat) but would
    // leave the compartment under water after it, the rest paid by the ranked short
    const w = () => world([1_000_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    const move = (s: ExchangeState) =>
      signCompartmentMove(
        {
          market: 0,
          nonce: s.getAccount(INSURANCE_ACCOUNT).withdrawNonce,
          amount: 500_000n,
          toReserve: true,
        },
        2,
        devOwnerKeys().fund.privateKey,
        SAMPLE_DOMAIN,
      );
    assert.deepEqual(liquidate(w(), [3n], marks, P.liquidations).deleveraged, []);
    const s = w();
    assert.throws(
      () => liquidate(s, [3n], marks, P.liquidations, { move: move(s) }),
      (e: unknown) =>
        e instanceof CompartmentMoveError && e.code === "COMPARTMENT_BELOW_REQUIREMENT",
    );
    // forged: the move lands and the deficit it makes is deleveraged
    const f = w();
    const r = liquidate(f, [3n], marks, P.liquidations, {
      move: move(f),
      unchecked: true,
      forgeDeleverage: { markets: [0] },
    });
    assert.equal(r.deleveraged[0].entries[0].account, 4n);
    await refusedIn(r.input, "LiquidateBatch");
  });

  it("deleverages a fund short against the ranked longs, below the mark", async function () {
    // account 3 is short here: the world's long turned short by a position of -1 from
    // 2,000,000, bankrupt when BTC rises to 4,000,000
    const s = world([100_000n, 10_000_000n], [], [[10_000_000n, 1n, 2_000_000n]]);
    s.setAccount(3n, {
      ...s.getAccount(3n),
      collateral: 1_250_000n,
      positions: [position(-1n, -2_000_000n), flat],
    });
    const r = liquidate(s, [3n], marks, P.liquidations);
    const d = r.deleveraged[0];
    assert.equal(d.market, 0);
    assert.ok(d.price < BTC_CRASH, `price ${d.price}`);
    assert.deepEqual(
      d.entries.map((e) => [e.account, e.lots]),
      [[4n, 1n]],
    );
    assert.equal(compartmentValues(s.getAccount(INSURANCE_ACCOUNT), marks)[0], 0n);
    await witnessFor(liq(r.input));
  });

  it("leaves lots nobody can take with the fund, under water, and deleverages them in a later batch", async function () {
    // no opposing position at all: the compartment stays under water
    const s = world([100_000n, 10_000_000n], []);
    const r = liquidate(s, [3n], marks, P.liquidations);
    assert.deepEqual(withoutRoots(r.deleveraged), [
      { market: 0, price: 4_650_000n, fundSize: 1n, entries: [] },
    ]);
    assert.equal(compartmentValues(s.getAccount(INSURANCE_ACCOUNT), marks)[0], -650_000n);
    await witnessFor(liq(r.input));
    // a short appears (account 9, sold 1 lot at 5,000,000): a batch with no liquidation
    // deleverages the rest against it
    s.setAccount(9n, {
      ...newAccount(devKeyPair("late short").publicKey, 2, 5_000_000n),
      positions: [position(-1n, -5_000_000n), flat],
    });
    const later = liquidate(s, [], marks, P.liquidations);
    assert.deepEqual(
      later.deleveraged[0].entries.map((e) => [e.account, e.lots]),
      [[9n, 1n]],
    );
    assert.equal(compartmentValues(s.getAccount(INSURANCE_ACCOUNT), marks)[0], 0n);
    await witnessFor(liq(later.input));
  });

  it("deleverages two markets an account's liquidation leaves under water in one batch, each against its own ranking", async function () {
    // the bankrupt is long 1 BTC and 10 ETH from 400,000; both compartments are empty.
    // Account 4 is short 1 BTC, account 5 short 10 ETH
    const s = bankruptInBoth();
    const r = liquidate(s, [3n], marks, P.liquidations);
    assert.deepEqual(
      r.deleveraged.map((d) => [d.market, d.entries.map((e) => [e.account, e.lots])]),
      [
        [0, [[4n, 1n]]],
        [1, [[5n, 10n]]],
      ],
    );
    assert.deepEqual(compartmentValues(s.getAccount(INSURANCE_ACCOUNT), marks), [0n, 0n]);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(2, 4), [r.newRoot, r.dataCommitment]);
  });

  it("refuses two markets' entries out of the published order (market ascending)", async function () {
    const s = bankruptInBoth();
    const r = forged(s, { markets: [1, 0] });
    assert.deepEqual(
      r.deleveraged.map((d) => d.market),
      [1, 0],
    );
    await refusedIn(r.input, "Deleverage");
  });

  it("records a deficit where the fund holds no position to close, and the batch goes through", async function () {
    // the fund was short 1 BTC from 4,000,000 (compartment 0 at the crash's mark): taking
    // the bankrupt's long nets it flat, with BTC's compartment 650,000 under water
    const s = world([100_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    s.setAccount(INSURANCE_ACCOUNT, {
      ...fund,
      positions: [position(-1n, -BTC_CRASH - 100_000n), fund.positions[1]],
    });
    const r = liquidate(s, [3n], marks, P.liquidations);
    assert.deepEqual(withoutRoots(r.deleveraged), [
      { market: 0, price: 0n, fundSize: 0n, entries: [] },
    ]);
    assert.equal(compartmentValues(s.getAccount(INSURANCE_ACCOUNT), marks)[0], -650_000n);
    await witnessFor(liq(r.input));
  });

  it("refuses entries out of the ranking's order", async function () {
    // account 4 ranks above account 5 and takes both lots
    const w = twoShorts;
    const honest = liquidate(w(), [3n], marks, P.liquidations);
    assert.deepEqual(
      honest.deleveraged[0].entries.map((e) => [e.account, e.lots]),
      [[4n, 2n]],
    );
    await witnessFor(liq(honest.input));
    // the lower-ranked account 5 first: it takes one lot, account 4 the other
    const r = forged(w(), { markets: [0], ranking: (rk) => [...rk].reverse() });
    assert.deepEqual(
      r.deleveraged[0].entries.map((e) => [e.account, e.lots]),
      [
        [5n, 1n],
        [4n, 1n],
      ],
    );
    await refusedIn(r.input, "Deleverage");
    // listed alone, a lower-ranked entry satisfies the circuit: leaving a higher-ranked
    // account out is what the auditor's replay catches
    const alone = forged(w(), { markets: [0], ranking: (rk) => rk.slice(1) });
    assert.deepEqual(
      alone.deleveraged[0].entries.map((e) => [e.account, e.lots]),
      [[5n, 1n]],
    );
    await witnessFor(liq(alone.input));
  });

  it("refuses a batch whose entries took other lots than the greedy maximum", async function () {
    // the circuit computes each entry's lots itself (DeleverageTake: the one q that is
    // maximal, proven unique and refused otherwise in test/circuits/deleveraging.test.ts),
    // so a batch that wrote other lots claims a root the proof cannot reach
    const w = () => world([100_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    const fewer = forged(w(), { markets: [0], lots: (ex) => ex.map((e) => ({ ...e, lots: 0n })) });
    await refusedIn(fewer.input, "LiquidateBatch");
    const more = forged(w(), { markets: [0], lots: (ex) => ex.map((e) => ({ ...e, lots: 2n })) });
    await refusedIn(more.input, "LiquidateBatch");
  });

  it("refuses to deleverage a market whose compartment is not under water", async function () {
    // ETH's compartment is rich; the fund holds no ETH position either
    const rich = world([1_000_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    const notUnder = forged(rich, { markets: [0] });
    await refusedIn(notUnder.input, "Deleverage");
  });

  it("refuses a batch that leaves the compartment under water without deleveraging it", async function () {
    const s = world([100_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    const r = liquidate(s, [3n], marks, P.liquidations, { unchecked: true });
    assert.deepEqual(r.deleveraged, []);
    await refusedIn(r.input, "LiquidateBatch");
  });

  it("refuses an entry below maintenance, or on the fund's side", async function () {
    // account 4 short 2 lots at 4,100,000 with too little collateral to be at maintenance
    const poor = world(
      [100_000n, 10_000_000n],
      [
        [10_000_000n, 1n, 6_000_000n],
        [10_000n, 2n, 4_100_000n],
      ],
    );
    // listed anyway, with a lot: the circuit reads its leaf, finds it below maintenance
    const ineligible = forged(poor, {
      markets: [0],
      lots: () => [{ account: 5n, score: 0n, lots: 1n }],
    });
    await refusedIn(ineligible.input, "DeleverageTake");
    // a long (the fund is long): account 5 here holds +1 from 3,000,000
    const same = world([100_000n, 10_000_000n], [], [[10_000_000n, 1n, 3_000_000n]]);
    const sameSide = forged(same, {
      markets: [0],
      ranking: () => {
        const p = {
          account: 4n,
          size: 1n,
          result: 1_000_000n,
          equity: 11_000_000n,
          surplus: 10n ** 12n,
        };
        return [{ ...p, score: deleverageScore(p, BTC_CRASH) }];
      },
    });
    await refusedIn(sameSide.input, "DeleverageCandidate");
  });

  it("refuses a liquidator's take in the deleveraged market, in the engine and in the circuit", async function () {
    // the liquidators' world: account 3 bankrupt at 4,000,000, account 7 a liquidator
    // rich enough to take its BTC lot; BTC's compartment too thin for the loss
    const w = () => {
      const s = liquidatorsWorld([100_000n, 10_000_000n]);
      s.setAccount(7n, { ...s.getAccount(7n), collateral: 5_000_000n });
      return s;
    };
    const req = taken(3n, offerOf(7n, OFFER_TERMS), [true, false]);
    assert.throws(
      () => liquidate(w(), [req], marks, P.liquidations),
      (e: unknown) => e instanceof LiquidatorError && e.code === "LIQUIDATOR_IN_DELEVERAGED_MARKET",
    );
    const r = liquidate(w(), [req], marks, P.liquidations, {
      unchecked: true,
      forgeDeleverage: { markets: [0] },
    });
    await refusedIn(r.input, "LiquidateBatch");
  });

  it("refuses an entry after a padding one, an entry of no market, and one in a market not deleveraged (forged inputs)", async function () {
    const honest = liquidate(
      world([100_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]),
      [3n],
      marks,
      P.liquidations,
    );
    const adl = honest.input.adl;
    assert.deepEqual(
      adl.entries.map((e) => e.enabled),
      [1n, 0n],
    );
    const withEntries = (entries: typeof adl.entries) => ({
      ...honest.input,
      adl: { ...adl, entries },
    });
    // the entries are a prefix of the slots: the real entry moved behind the padding
    await refusedIn(withEntries([adl.entries[1], adl.entries[0]]), "Deleverage");
    // an enabled entry names exactly one market
    await refusedIn(
      withEntries([{ ...adl.entries[0], market: [0n, 0n] }, adl.entries[1]]),
      "Deleverage",
    );
    // only a market the batch deleverages, where the fund holds lots to close
    await refusedIn(
      withEntries([{ ...adl.entries[0], market: [0n, 1n] }, adl.entries[1]]),
      "Deleverage",
    );
  });

  it("refuses the fund as an entry", async function () {
    const s = world([100_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    const r = forged(s, {
      markets: [0],
      ranking: (rk) => rk.map((p) => ({ ...p, account: INSURANCE_ACCOUNT })),
    });
    await refusedIn(r.input, "NotSystemAccount");
  });
});
