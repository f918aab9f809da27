import assert from "node:assert/strict";
import { newAccount, type Position } from "../../prover/src/domain/account.ts";
import { COLLATERAL_BITS, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets, type MarketParams } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { MARKS, P, world } from "../helpers/liquidators.ts";

// The liquidated slot's own rules in LiquidationSlot (circuits/src/liquidate-batch.circom),
// and the fund's cross-margin rule of LiquidateBatch. Each test takes a batch the engine
// writes (with `unchecked` where the engine itself refuses it), breaks exactly one rule, and
// requires the circuit to refuse it AT the statement that states that rule (assertRefusedAt
// matches circom's "Error in template <T>_<n> line: <L>"): a circuit without the statement
// accepts the batch, or refuses it somewhere else, and either fails the test.
// Also covered elsewhere: NotSystemAccount()(account, enabled) (liquidating the fund, in
// liquidate-batch-anchors-slots.test.ts) and the slot's Merkle anchor (update.oldRoot -
// rootIn) * enabled === 0 (liquidate-batch-anchors.test.ts).

const FILE = "liquidate-batch.circom";
const SLOT = "LiquidationSlot";
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });

/** The honest batch of test/helpers/liquidators.ts: account 3 (long 1 BTC) liquidated. */
const honest = () => liquidate(world(), [3n], MARKS, P.liquidations);

describe("LiquidationSlot: the liquidated slot's own rules (test parameters)", function () {
  it("refuses a slot enabled twice (enabled = 2): the fund would be handed account 3's lot twice and the commitment's step scaled", async function () {
    const r = honest();
    await witnessFor(liq(r.input));
    // sizeMoved = (enabled - take) * size and the commitment's c + enabled * (h - c) are
    // linear in the flag: only AssertBit keeps it a count of 0 or 1
    const slots = [{ ...r.input.slots[0], enabled: 2n }, ...r.input.slots.slice(1)];
    await assertRefusedAt(
      witnessFor(liq({ ...r.input, slots })),
      FILE,
      SLOT,
      "AssertBit()(enabled);",
    );
  });

  it("refuses liquidating an account exactly at its maintenance requirement: it would pay the 50,000 penalty and lose its lot while healthy", async function () {
    // account 3: long 1 BTC from 6,000,000 on 1,250,000; at 5,000,000 its equity 250,000
    // is exactly 5% of the lot's value, so it is healthy
    const marks = [5_000_000n, MARKS[1]];
    assert.throws(
      () => liquidate(world(), [3n], marks, P.liquidations),
      (e: unknown) => e instanceof ZkClearError && e.code === "LIQUIDATE_HEALTHY",
    );
    const s = world();
    const forged = liquidate(s, [3n], marks, P.liquidations, { unchecked: true });
    assert.equal(s.getAccount(3n).collateral, 200_000n, "the forged batch takes the penalty");
    assert.deepEqual(forged.charges, [[50_000n, 0n]]);
    await assertRefusedAt(
      witnessFor(liq(forged.input)),
      FILE,
      SLOT,
      "RangeCheck(MARGIN_DIFF_BITS())(shortfall);",
    );
    // one unit lower it is liquidatable, and proven
    const r = liquidate(world(), [3n], [4_999_999n, MARKS[1]], P.liquidations);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(1, 4), [r.oldRoot, r.newRoot, r.dataCommitment]);
  });
});

// What the liquidated account keeps, kept = max(equity - penalty, 0), is written to its
// leaf's collateral, range-checked in COLLATERAL_BITS signed bits (`_ <==
// SignedRangeCheck(COLLATERAL_BITS())(kept)`): AttributeCharges computes it in up to 132
// bits. It reaches 2^128 only for an account whose maintenance requirement exceeds its
// equity there: two markets at 90% maintenance, each position worth nearly 2^128 (size and
// mark just under 2^64), and an equity near 2^128 made of collateral and gains.

const TOP = 1n << BigInt(COLLATERAL_BITS);
const MAX64 = (1n << 64n) - 1n;
/** Two markets requiring 90% maintenance (100% initial), with a 1% penalty. */
const HEAVY: MarketParams[] = defaultMarkets(TEST_PARAMS.markets).map((m) => ({
  ...m,
  initialMarginBps: 10_000n,
  maintenanceMarginBps: 9_000n,
  liquidationPenaltyBps: 100n,
}));
const HEAVY_MARKS = [MAX64, MAX64];
/** Each position's value at HEAVY_MARKS, 2^128 - 2^65 + 1, and its penalty. */
const VALUE = MAX64 * MAX64;
const PENALTY = (VALUE * 100n) / 10_000n;
const COLLATERAL = 1n << 127n;

/**
 * Account 3 long 2^64 - 1 lots in both markets, with 2^127 of collateral and gains that
 * make its equity kept + both penalties: it is below its 90% maintenance requirement
 * (equity about 1.0 * 2^128 against 1.8 * 2^128), and liquidating it leaves it `kept`.
 */
function heavyWorld(kept: bigint): ExchangeState {
  const s = ExchangeState.genesis(P.depth, HEAVY, SAMPLE_DOMAIN, devOwners());
  const gains = kept + 2n * PENALTY - COLLATERAL;
  const gain = [gains / 2n, gains - gains / 2n];
  const positions: Position[] = gain.map((g) => ({
    size: MAX64,
    notional: VALUE - g,
    nonce: 1n,
    filled: MAX64,
    fundingIndex: 0n,
  }));
  s.setAccount(3n, { ...newAccount(devKeyPair("heavy").publicKey, 2, COLLATERAL), positions });
  return s;
}

describe("LiquidationSlot: the kept collateral at the end of its range (test parameters)", function () {
  it("proves a liquidation that leaves the account 2^128 - 1, the largest collateral a leaf holds (a check one bit narrower refuses it)", async function () {
    const s = heavyWorld(TOP - 1n);
    const r = liquidate(s, [3n], HEAVY_MARKS, P.liquidations);
    assert.equal(s.getAccount(3n).collateral, TOP - 1n);
    assert.deepEqual(r.charges, [[PENALTY, PENALTY]]);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(1, 4), [r.oldRoot, r.newRoot, r.dataCommitment]);
  });

  it("refuses one that would leave it 2^128: its leaf's balance word would carry the collateral into the withdrawal nonce", async function () {
    // the engine refuses to write that leaf, changing nothing
    const refused = heavyWorld(TOP);
    const root = refused.root;
    assert.throws(
      () => liquidate(refused, [3n], HEAVY_MARKS, P.liquidations),
      (e: unknown) => e instanceof ZkClearError && e.code === "VALUE_OUT_OF_RANGE",
    );
    assert.equal(refused.root, root);
    const s = heavyWorld(TOP);
    const forged = liquidate(s, [3n], HEAVY_MARKS, P.liquidations, { unchecked: true });
    assert.equal(s.getAccount(3n).collateral, TOP, "the unchecked engine writes it as it is");
    await assertRefusedAt(
      witnessFor(liq(forged.input)),
      FILE,
      SLOT,
      "_ <== SignedRangeCheck(COLLATERAL_BITS())(kept);",
    );
  });
});

describe("LiquidateBatch: the insurance fund is a cross-margin account (test parameters)", function () {
  it("refuses a fund leaf flagged as a sub-account isolated to ETH: the batch would hand it account 3's BTC lot and compartment, which its flag says it cannot hold", async function () {
    const s = world();
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    s.setAccount(INSURANCE_ACCOUNT, { ...fund, isolatedMarket: 1 }, false);
    const forged = liquidate(s, [3n], MARKS, P.liquidations, { unchecked: true });
    assert.equal(s.getAccount(INSURANCE_ACCOUNT).positions[0].size, 1n, "the fund took BTC");
    await assertRefusedAt(
      witnessFor(liq(forged.input)),
      FILE,
      "LiquidateBatch",
      "fund.flag === 0;",
    );
  });
});
