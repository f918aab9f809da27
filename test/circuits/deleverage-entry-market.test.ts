import assert from "node:assert/strict";
import { INSURANCE_ACCOUNT, BPS_DENOMINATOR } from "../../prover/src/domain/constants.ts";
import { newAccount, type Account } from "../../prover/src/domain/account.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { liquidationCommitment } from "../../prover/src/domain/batch.ts";
import {
  deleverageCommitment,
  deleverageScore,
  deleverageTake,
  type Deleveraging,
  type RankedPosition,
} from "../../prover/src/domain/deleveraging.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import type { LeafSlotFields, LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { circuitSiblings } from "../../prover/src/domain/tree.ts";
import { oneX, scaledMarkets } from "../../prover/src/domain/volatility.ts";
import { deleverageRanking } from "../../prover/src/engine/deleverage.ts";
import { leafWitness, plainLeaf } from "../../prover/src/engine/leaf-witness.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { BTC_CRASH, ETH, position, world } from "../helpers/deleverage-world.ts";

const P = TEST_PARAMS;
const marks = [BTC_CRASH, ETH];
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });

/**
 * The fund short in both markets after the liquidation, and one account long in both.
 * Account 3 is short 1 BTC from 2,000,000 and 10 ETH from 200,000 on 1,250,000: at the
 * crash's marks (BTC 4,000,000, ETH 300,000) it is bankrupt in both, both compartments are
 * empty, so the fund takes its shorts and deleverages BTC at 3,250,000 and ETH at 200,000.
 * Account 4 is long 2 BTC from 4,000,000 and 10 ETH from 300,000 on 1,500,000: it opposes
 * the fund in both markets and can afford about one lot at the two prices together.
 */
function crashBothShort(): ExchangeState {
  const s = world([0n, 0n], []);
  s.setAccount(3n, {
    ...s.getAccount(3n),
    collateral: 1_250_000n,
    positions: [position(-1n, -2_000_000n), position(-10n, -2_000_000n)],
  });
  s.setAccount(4n, {
    ...newAccount(devKeyPair("long in both").publicKey, 2, 1_500_000n),
    positions: [position(2n, 2n * BTC_CRASH), position(10n, 10n * ETH)],
  });
  return s;
}

/** What one entry of account 4 on `market` (its bits) does, by Deleverage's own formulas. */
interface EntryBatch {
  readonly input: LiquidateBatchInput;
  readonly q: bigint;
  readonly prices: readonly bigint[];
  /** Account 4 and the fund (after the charges) before the entry, and after it. */
  readonly accountBefore: Account;
  readonly account: Account;
  readonly fundBefore: Account;
  readonly fund: Account;
}

/**
 * A liquidation batch of account 3 that deleverages both markets with one enabled entry,
 * account 4 on `market`, computed the way Deleverage and DeleverageEntry compute it: every
 * per-market value the entry reads is the sum over the market bits (selMark, selPrice,
 * selCost, selLong, selLeft, the size, notional and result it picks), the take's q and the
 * score follow from those sums, each named market's word moves by delta = q * (2 * selLong
 * - 1) and its notional by delta * selPrice, and the fund places q lots in each named
 * market at that market's own price. The roots (the entry's, the fund's leaf after it), the
 * heads' roots and the commitment are recomputed, so the batch satisfies every constraint
 * that reads them. With one market named this is an honest entry (the original accepts it).
 */
function entryBatch(market: readonly bigint[]): EntryBatch {
  const s = crashBothShort();
  const liquidatable = scaledMarkets(s.markets, oneX(marks.length), "liquidation");
  let start: { root: bigint; leaf: LeafSlotFields; fund: Account; ranked: RankedPosition[] };
  // the engine deleverages both markets with no entry: the tree after the slots, the
  // heads' prices and the fund after the charges, to which the entry is added by hand
  const r = liquidate(s, [3n], marks, P.liquidations, {
    unchecked: true,
    forgeDeleverage: {
      markets: [0, 1],
      lots: () => [],
      atMarketStart: (j, state) => {
        if (j !== 0) return;
        const ranked = marks.map((_, k) => {
          const rk = deleverageRanking(state, k, false, marks, zeroIndices(2), liquidatable);
          const p = rk.find((x) => x.account === 4n);
          assert.ok(p, `account 4 opposes the fund in market ${k}`);
          return p;
        });
        start = {
          root: state.root,
          leaf: leafWitness(state, 4n),
          fund: state.getAccount(INSURANCE_ACCOUNT),
          ranked,
        };
      },
    },
  });
  const heads = r.deleveraged;
  assert.deepEqual(
    heads.map((d) => [d.market, d.fundSize]),
    [
      [0, -1n],
      [1, -10n],
    ],
  );
  const { root: rootIn, leaf, fund: storedFund, ranked } = start!;
  const sum = (f: (j: number) => bigint) => market.reduce((t, m, j) => t + m * f(j), 0n);
  const fundLong = (j: number) => (heads[j].fundSize > 0n ? 1n : 0n);
  const selLong = sum(fundLong);
  const selPrice = sum((j) => heads[j].price);
  const distance = (j: number) => (2n * fundLong(j) - 1n) * (heads[j].price - marks[j]);
  const selCost = sum(
    (j) => BPS_DENOMINATOR * distance(j) - marks[j] * liquidatable[j].maintenanceMarginBps,
  );
  const selLeft = sum((j) => (heads[j].fundSize < 0n ? -heads[j].fundSize : heads[j].fundSize));
  const a = s.getAccount(4n);
  const selSize = sum((j) => a.positions[j].size);
  const absSize = selLong === 1n ? -selSize : selSize;
  const { equity, surplus } = ranked[0];
  const q = deleverageTake(selLeft, absSize, surplus, selCost);
  assert.ok(q >= 1n, "the entry takes a lot");
  const score = deleverageScore(
    { account: 4n, size: selSize, result: sum((j) => ranked[j].result), equity, surplus },
    sum((j) => marks[j]),
  );
  const delta = q * (2n * selLong - 1n);
  assert.notEqual(selSize + delta, 0n, "no position realised (not modelled here)");
  const account: Account = {
    ...a,
    positions: a.positions.map((p, j) =>
      market[j] ? { ...p, size: p.size + delta, notional: p.notional + delta * selPrice } : p,
    ),
  };
  const charged = s.getAccount(INSURANCE_ACCOUNT);
  const fund: Account = {
    ...charged,
    positions: charged.positions.map((p, j) => {
      const moved = -(2n * fundLong(j) - 1n) * q;
      return market[j]
        ? { ...p, size: p.size + moved, notional: p.notional + moved * heads[j].price }
        : p;
    }),
  };
  // the tree after the entry (the fund's leaf as stored), then after the fund's update
  s.setAccount(INSURANCE_ACCOUNT, storedFund, false);
  s.setAccount(4n, account, false);
  const afterEntry = s.root;
  const fundSiblings = circuitSiblings(s.tree.proof(INSURANCE_ACCOUNT).siblings);
  s.setAccount(INSURANCE_ACCOUNT, fund, false);
  const marketIndex = Number(sum((j) => BigInt(j)));
  const records: Deleveraging[] = heads.map((d, j) => ({
    ...d,
    // a head's root: the tree after the entries of the markets below it
    root: market.slice(0, j).some((m) => m === 1n) ? afterEntry : rootIn,
    entries: j === marketIndex ? [{ account: 4n, score, lots: q }] : [],
  }));
  const input: LiquidateBatchInput = {
    ...r.input,
    newRoot: s.root,
    dataCommitment: deleverageCommitment(liquidationCommitment([3n]), records),
    fund: { ...r.input.fund, siblings: fundSiblings },
    adl: {
      market: r.input.adl.market,
      entries: [
        { enabled: 1n, market, account: 4n, ...plainLeaf(leaf) },
        ...r.input.adl.entries.slice(1),
      ],
    },
  };
  return {
    input,
    q,
    prices: heads.map((d) => d.price),
    accountBefore: a,
    account,
    fundBefore: charged,
    fund,
  };
}

// Deleverage reads an enabled entry's market as bits that sum to its enabled bit
// ("bits === entryEnabled[i];"); DeleverageEntry and DeleverageCandidate take the market as
// one-hot and sum every per-market value over its bits. Naming both markets here, with the
// fund short in both and the account long in both, passes every other check: selLong = 0
// and the account's two signs sum to 0, so it is on the fund's other side; the take reads
// 1 + 10 lots left, 2 + 10 lots of size and the two costs summed, and takes q = 1; the score
// is a valid one of the summed size and marks. The roots and the commitment are the
// circuit's own, so without that line the batch is accepted (checked against that
// circuit's R1CS: no constraint unsatisfied). A fund long in both (the test world's
// bankruptInBoth) would not do: the account's signs would sum to 2, which DeleverageScore's
// AssertBit refuses.
describe("Deleverage: an enabled entry names exactly one market (a forged LiquidateBatch)", function () {
  it("honestly, account 4 is deleveraged in both markets, one entry each", async function () {
    const s = crashBothShort();
    const r = liquidate(s, [3n], marks, P.liquidations);
    assert.deepEqual(
      r.deleveraged.map((d) => [d.market, d.price, d.entries.map((e) => [e.account, e.lots])]),
      [
        [0, 3_250_000n, [[4n, 1n]]],
        [1, 200_000n, [[4n, 4n]]],
      ],
    );
    // the entry builder, with one market named, makes a batch the circuit accepts: its
    // roots, heads and commitment are the circuit's
    const one = entryBatch([1n, 0n]);
    assert.equal(one.q, 1n);
    const w = await witnessFor(liq(one.input));
    assert.deepEqual(w.slice(2, 4), [one.input.newRoot, one.input.dataCommitment]);
  });

  it("refuses one entry naming both markets, which would sell a BTC lot and an ETH lot each at the two prices summed, crediting the account 3,450,000 nobody paid", async function () {
    const forged = entryBatch([1n, 1n]);
    // one entry closes a lot in each market (selLeft = 1 + 10 lots, q = 1)
    assert.equal(forged.q, 1n);
    const [btc, eth] = forged.prices;
    assert.deepEqual([btc, eth], [3_250_000n, 200_000n]);
    const summed = btc + eth;
    // the account sells a lot in each market at 3,450,000 ...
    assert.deepEqual(
      forged.account.positions.map((p) => [p.size, p.notional]),
      [
        [1n, 2n * BTC_CRASH - summed],
        [9n, 10n * ETH - summed],
      ],
    );
    // ... while the fund buys them at 3,250,000 and 200,000: the account's notionals fall
    // by 2 * 3,450,000, the fund's rise by 3,450,000, so 3,450,000 of value is made up
    const moved = (after: Account, before: Account) =>
      after.positions.map((p, j) => [
        p.size - before.positions[j].size,
        p.notional - before.positions[j].notional,
      ]);
    assert.deepEqual(moved(forged.fund, forged.fundBefore), [
      [1n, btc],
      [1n, eth],
    ]);
    assert.deepEqual(moved(forged.account, forged.accountBefore), [
      [-1n, -summed],
      [-1n, -summed],
    ]);
    await assertRefusedAt(
      witnessFor(liq(forged.input)),
      "auto-deleverage.circom",
      "Deleverage",
      "bits === entryEnabled[i];",
    );
  });
});
