import assert from "node:assert/strict";
import { INSURANCE_ACCOUNT, SIZE_BITS } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { BTC_CRASH, ETH, position, world } from "../helpers/deleverage-world.ts";

// LiquidateBatch reads the insurance fund's size between the slots and its deleveraging in
// SIZE_BITS signed bits (`fundSizeNegative`, the side the deleveraging closes), and the
// fund's final size again after it. Until 2026-12-07 the engine checked only the final
// size, so it built batches the circuit cannot prove: the fund long exactly 2^64 lots after
// taking a bankrupt's position, brought back in range by the deleveraging. The operator
// would have accepted such a batch and then failed to prove it. The engine now refuses it
// where the circuit does.

const P = TEST_PARAMS;
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const marks = [BTC_CRASH, ETH];
const FILE = "liquidate-batch.circom";
const MID_BATCH_CHECK = "fundSizeNegative[j] <== SignedRangeCheck(SIZE_BITS())(fundSizeAfter[j]);";
const TOP = 1n << BigInt(SIZE_BITS);
/** The bankrupt's lots: long B BTC from 6,000,000 (test/helpers/deleverage-world.ts). */
const B = (1n << BigInt(SIZE_BITS - 1)) + 1n;
/** Fewer lots: the fund keeps more than 2^63 of its long after the deleveraging. */
const B2 = 1n << BigInt(SIZE_BITS - 2);

/**
 * The bankrupt (account 3) is long `lots` BTC, account 4 short as many (rich, ranked first); the fund
 * already holds `fundLots` long BTC with 100,000 in BTC's compartment. Liquidating 3 moves
 * its lots to the fund, whose compartment cannot pay the loss: the deleveraging closes
 * the fund's long against account 4's short.
 */
function crash(fundLots: bigint, lots = B): ExchangeState {
  const s = world([100_000n, 10_000_000n], [[1n << 90n, lots, 6_000_000n]], [], lots);
  const fund = s.getAccount(INSURANCE_ACCOUNT);
  s.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    positions: [position(fundLots, fundLots * BTC_CRASH - 100_000n), fund.positions[1]!],
  });
  return s;
}

const lotsOf = (r: ReturnType<typeof liquidate>) =>
  r.deleveraged.map((d) => d.entries.map((e) => [e.account, e.lots]));

describe("LiquidateBatch: the fund's size between the slots and the deleveraging (test parameters)", function () {
  it("proves the fund long 2^64 - 1 lots after the slots, and 2^64 - 1 - 2^62 after the deleveraging", async function () {
    // both above 2^63: a check one bit narrower, of either size, refuses this legal batch
    const s = crash(TOP - 1n - B2, B2);
    const r = liquidate(s, [3n], marks, P.liquidations);
    // the whole short of account 4 closes part of the fund's long
    assert.deepEqual(lotsOf(r), [[[4n, B2]]]);
    assert.equal(s.getAccount(INSURANCE_ACCOUNT).positions[0]!.size, TOP - 1n - B2);
    assert.ok(TOP - 1n - B2 >= TOP / 2n);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(2, 4), [r.newRoot, r.dataCommitment]);
  });

  it("refuses the fund long 2^64 lots after the slots, in the engine and in the circuit, though the deleveraging would bring it back", async function () {
    const s = crash(TOP - B);
    const root = s.root;
    assert.throws(
      () => liquidate(s, [3n], marks, P.liquidations),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "FUND_POSITION_OUT_OF_RANGE" &&
        /before any deleveraging/.test(e.message),
    );
    assert.equal(s.root, root, "the state is unchanged");
    // the batch the engine built before: the same ranking, the fund left at 2^64 - B
    const forged = liquidate(crash(TOP - B), [3n], marks, P.liquidations, {
      unchecked: true,
      forgeDeleverage: { markets: [0] },
    });
    assert.deepEqual(lotsOf(forged), [[[4n, B]]]);
    await assertRefusedAt(witnessFor(liq(forged.input)), FILE, "LiquidateBatch", MID_BATCH_CHECK);
  });
});
