import assert from "node:assert/strict";
import type { Account } from "../../prover/src/domain/account.ts";
import type { BatchData, BatchRequest } from "../../prover/src/domain/batch.ts";
import { signCompartmentMove } from "../../prover/src/domain/compartment-moves.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { FUNDING_SCALE, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { applyBatch } from "../../prover/src/engine/kinds.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import {
  checkCompartments,
  compartmentSnapshot,
} from "../../prover/src/audit/compartment-checks.ts";
import type { Finding } from "../../prover/src/audit/findings.ts";
import { newProgress, type Progress } from "../../prover/src/audit/progress.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { fundShortEth, INDICES, keyOf, MARKS, markets, P, world } from "../helpers/liquidators.ts";

/** The round every batch here is priced at: the liquidators' world's marks and indices. */
const PRICED = { marks: MARKS, round: 1n, fundingIndices: INDICES, margins: oneX(MARKS.length) };

/** An audit's context for the check: its progress and the findings it makes. */
function context() {
  const findings: Finding[] = [];
  const p: Progress = newProgress(0n, 1, true);
  return { p, findings, find: (f: Finding) => findings.push(f) };
}

const liquidations = (
  accounts: bigint[],
  move?: { market: number; amount: bigint; toReserve: boolean },
): Extract<BatchRequest, { kind: "liquidations" }> => ({
  kind: "liquidations",
  accounts,
  ...PRICED,
  ...(move
    ? {
        compartmentMove: signCompartmentMove(
          { ...move, nonce: 0n },
          MARKS.length,
          devOwnerKeys().fund.privateKey,
          SAMPLE_DOMAIN,
        ),
      }
    : {}),
});

/** Replays `req` on `s` through the engine and runs the check on the states around it. */
function replayed(s: ExchangeState, req: BatchRequest) {
  const ctx = context();
  const snap = compartmentSnapshot(s, req as BatchData);
  const d = applyBatch(s, req, P).data;
  checkCompartments(ctx, 4, d, snap, s);
  return { ctx, d, snap };
}

/**
 * The check against a forged history: `d` replayed on `s` by the engine, then the fund's
 * leaf after it replaced by `forge(fund)` (what a wrong circuit and twin could leave).
 */
function forged(s: ExchangeState, req: BatchRequest, forge: (fund: Account) => Account) {
  const ctx = context();
  const snap = compartmentSnapshot(s, req as BatchData);
  const d = applyBatch(s, req, P).data;
  s.setAccount(INSURANCE_ACCOUNT, forge(s.getAccount(INSURANCE_ACCOUNT)));
  checkCompartments(ctx, 4, d, snap, s);
  return ctx.findings.map((f) => f.code);
}

/** Moves `amount` of market j's compartment's value elsewhere (its notional up). */
const drain = (j: number, amount: bigint) => (f: Account) => ({
  ...f,
  positions: f.positions.map((p, k) => (k === j ? { ...p, notional: p.notional + amount } : p)),
});

describe("audit: the insurance compartments, compared before and after each batch", function () {
  it("records a BTC liquidation's charges in BTC's compartment only, and finds nothing", function () {
    const s = world([100_000n, 50_000n]);
    const { ctx } = replayed(s, liquidations([3n]));
    assert.deepEqual(ctx.findings, []);
    const [c] = ctx.p.compartmentChanges!;
    // account 3 (long BTC only) keeps 150,000 - 49,000: BTC's compartment earns the penalty
    assert.deepEqual(
      [c.batch, c.kind, c.liquidated, c.reserveDelta, c.deltas, c.funding],
      [4, "liquidations", 1, 0n, [49_000n, 0n], [0n, 0n]],
    );
    assert.deepEqual(c.compartments, compartmentValues(s.getAccount(INSURANCE_ACCOUNT), MARKS));
  });

  it("counts the fund's funding in each market, and the owner's move, as the compartment's own", function () {
    // the fund holds a short ETH position (it took one over): it earns ETH's funding
    const s = fundShortEth([100_000n, 50_000n]);
    const { ctx } = replayed(s, liquidations([3n], { market: 1, amount: 5_000n, toReserve: true }));
    assert.deepEqual(ctx.findings, []);
    const [c] = ctx.p.compartmentChanges!;
    // ETH: +30 of funding (3 lots short, the index rose 10), -5,000 moved to the reserve (it keeps 45,030, its 45,000 requirement)
    assert.deepEqual(
      [c.deltas, c.funding],
      [
        [49_000n, 30n - 5_000n],
        [0n, 30n],
      ],
    );
    assert.equal(c.reserveDelta, 5_000n);
    assert.deepEqual(c.move, { market: 1, amount: 5_000n, toReserve: true });
  });

  it("finds a liquidation that charges another market's compartment", function () {
    // account 3 holds BTC only: ETH's compartment pays 1 of its loss
    assert.deepEqual(forged(world([0n, 50_000n]), liquidations([3n]), drain(1, 1n)), [
      "COMPARTMENT_CROSSED",
    ]);
    // the same change in BTC's compartment is BTC's own business (the proof and replay judge it)
    assert.deepEqual(forged(world([0n, 50_000n]), liquidations([3n]), drain(0, 1n)), []);
    // a move in ETH does not excuse more than its amount
    assert.deepEqual(
      forged(
        world([0n, 50_000n]),
        liquidations([3n], { market: 1, amount: 10_000n, toReserve: true }),
        drain(1, 1n),
      ),
      ["COMPARTMENT_CROSSED"],
    );
  });

  it("finds a liquidation that touches the reserve beyond the owner's move", function () {
    const lower = (f: Account) => ({ ...f, collateral: f.collateral - 1n });
    assert.deepEqual(forged(world(), liquidations([3n]), lower), ["RESERVE_CHARGED"]);
    assert.deepEqual(
      forged(world(), liquidations([], { market: 0, amount: 5_000n, toReserve: false }), lower),
      ["RESERVE_CHARGED"],
    );
  });

  it("lets the fund's own trade change its market's compartment, and its reserve pay only its fee", function () {
    // the fund buys 1 ETH from account 4 at 1,000 above the mark (within ETH's 1 % band),
    // ETH's compartment holding 50,000 (its requirement after: 5 % of 300,000)
    const trade = () => {
      const s = { markets, domain: SAMPLE_DOMAIN };
      const eth = { market: 1, nonce: 2n, amount: 1n, limitPrice: MARKS[1] + 1_000n };
      return {
        kind: "trades" as const,
        trades: [
          {
            buy: order(
              s,
              { index: INSURANCE_ACCOUNT, keys: devOwnerKeys().fund },
              { ...eth, side: "buy" },
            ),
            sell: order(s, { index: 4n, keys: keyOf(4n) }, { ...eth, side: "sell" }),
            qty: 1n,
            price: MARKS[1] + 1_000n,
            takerIsBuyer: true,
          },
        ],
        reduceOnly: 0n,
        ...PRICED,
      };
    };
    const { ctx } = replayed(world([0n, 50_000n]), trade());
    assert.deepEqual(ctx.findings, []);
    const [c] = ctx.p.compartmentChanges!;
    // the taker's 5 bps of 301,000 from the reserve; ETH's compartment pays the 1,000
    // above the mark (the fund's ETH position was flat: no funding)
    assert.deepEqual([c.kind, c.reserveDelta, c.deltas], ["trades", -150n, [0n, -1_000n]]);
    const lower = (f: Account) => ({ ...f, collateral: f.collateral - 1n });
    assert.deepEqual(forged(world([0n, 50_000n]), trade(), lower), ["RESERVE_CHARGED"]);
    assert.deepEqual(forged(world([0n, 50_000n]), trade(), drain(0, 1n)), ["COMPARTMENT_CROSSED"]);
    // in the traded market too, by 1 more than the trade makes against the mark
    assert.deepEqual(forged(world([0n, 50_000n]), trade(), drain(1, 1n)), ["COMPARTMENT_CROSSED"]);
  });

  it("checks two fund trades in one market exactly: maker then taker, funding owed to it settled once", function () {
    // the fund buys back 2 of its 3 ETH short from account 4, 1,000 and 500 above the mark,
    // first as the maker (2 bps), then as the taker (5 bps); ETH's index moved 10.5 per lot
    // since the fund last paid: it is owed 31.5, credited 31 (rounded up against it), once
    const indices = [0n, (21n * FUNDING_SCALE) / 2n];
    const s = { markets, domain: SAMPLE_DOMAIN };
    const fund = { index: INSURANCE_ACCOUNT, keys: devOwnerKeys().fund };
    const seller = { index: 4n, keys: keyOf(4n) };
    const leg = (nonce: bigint, price: bigint, takerIsBuyer: boolean) => ({
      buy: order(s, fund, { market: 1, side: "buy", nonce, amount: 1n, limitPrice: price }),
      sell: order(s, seller, { market: 1, side: "sell", nonce, amount: 1n, limitPrice: price }),
      qty: 1n,
      price,
      takerIsBuyer,
    });
    const trades = (): BatchRequest => ({
      kind: "trades",
      trades: [leg(2n, MARKS[1] + 1_000n, false), leg(3n, MARKS[1] + 500n, true)],
      reduceOnly: 0n,
      ...PRICED,
      fundingIndices: indices,
    });
    const { ctx } = replayed(fundShortEth([0n, 200_000n]), trades());
    assert.deepEqual(ctx.findings, []);
    const [c] = ctx.p.compartmentChanges!;
    assert.deepEqual(
      [c.deltas, c.funding, c.reserveDelta],
      [[0n, -1_500n + 31n], [0n, 31n], -(60n + 150n)],
    );
    // 1 more or less in ETH's compartment than the trades and the funding account for
    assert.deepEqual(forged(fundShortEth([0n, 200_000n]), trades(), drain(1, 1n)), [
      "COMPARTMENT_CROSSED",
    ]);
    assert.deepEqual(forged(fundShortEth([0n, 200_000n]), trades(), drain(1, -1n)), [
      "COMPARTMENT_CROSSED",
    ]);
  });

  it("lets a fund withdrawal take its amount from the reserve and nothing else, its funding left owed", function () {
    // the fund (1,000,000 in its reserve) withdraws 300,000; ETH's index moved, its ETH
    // position (short 3, taken over) keeps its old index: the funding waits for ETH's
    // compartment
    const withdrawal = (): BatchRequest => ({
      kind: "withdrawals",
      withdrawals: [
        signWithdrawal(
          { account: INSURANCE_ACCOUNT, nonce: 0n, amount: 300_000n, recipient: 0xbeefn },
          devOwnerKeys().fund.privateKey,
          SAMPLE_DOMAIN,
        ),
      ],
      ...PRICED,
    });
    const { ctx } = replayed(fundShortEth([0n, 200_000n]), withdrawal());
    assert.deepEqual(ctx.findings, []);
    assert.deepEqual(
      [ctx.p.compartmentChanges![0].reserveDelta, ctx.p.compartmentChanges![0].deltas],
      [-300_000n, [0n, 0n]],
    );
    // settled into the reserve after all (the rule before the compartments): both found
    const settledIntoReserve = (f: Account) => ({
      ...f,
      collateral: f.collateral + 30n,
      positions: f.positions.map((p, j) => ({ ...p, fundingIndex: INDICES[j] })),
    });
    assert.deepEqual(forged(fundShortEth([0n, 200_000n]), withdrawal(), settledIntoReserve), [
      "RESERVE_CHARGED",
      "COMPARTMENT_CROSSED",
    ]);
  });

  it("finds a deposit or a withdrawal batch that changes the fund's positions", function () {
    const deposits: BatchRequest = { kind: "deposits", deposits: [], queueFrom: 0n };
    assert.deepEqual(forged(world(), deposits, drain(0, 1n)), ["COMPARTMENT_CROSSED"]);
    const withdrawals: BatchRequest = {
      kind: "withdrawals",
      withdrawals: [],
      ...PRICED,
    };
    assert.deepEqual(forged(world(), withdrawals, drain(1, -1n)), ["COMPARTMENT_CROSSED"]);
    const trades: BatchRequest = { ...withdrawals, kind: "trades", trades: [], reduceOnly: 0n };
    assert.deepEqual(forged(world(), trades, drain(0, 1n)), ["COMPARTMENT_CROSSED"]);
    // and records nothing for a batch that left the fund as it was
    const { ctx } = replayed(world(), withdrawals);
    assert.deepEqual([ctx.findings, ctx.p.compartmentChanges], [[], undefined]);
  });
});
