import assert from "node:assert/strict";
import { COLLATERAL_BITS, NOTIONAL_BITS, SIZE_BITS } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import type { Account } from "../../prover/src/domain/account.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { assertRefusedAt, witnessFor } from "../helpers/circuit.ts";
import { INDICES, MARKS, OFFER_TERMS, P, offerOf, taken, world } from "../helpers/liquidators.ts";

// A liquidator's new leaf (LiquidationSlot, section G of circuits/src/liquidate-batch.circom):
// its collateral after the share, and its size and notional in each market after the
// positions it takes, each range-checked in the width every leaf reader accepts
// (COLLATERAL_BITS, SIZE_BITS, NOTIONAL_BITS, signed). The engine checks the same widths
// (LIQUIDATOR_POSITION_OUT_OF_RANGE). Each test lands one field on the end of its range,
// which must prove (a check one bit narrower refuses it), and one unit past it, which the
// engine refuses and, built unchecked, the circuit refuses at that field's check (without
// it, the liquidator's leaf would hold a value no circuit reads again, or its balance word
// would carry into the nonce). The unchecked engine packs the over-width field as it packs
// any other: the collateral (nonce 0) and the notional as the circuit does, the size with
// a bitwise OR where the circuit adds, so that batch's new root is not the circuit's
// either; it is refused at the size's check first, and a refusal anywhere else fails it.
//
// The world is test/helpers/liquidators.ts's: account 6 (long 1 BTC, short 2 ETH) is below
// maintenance at MARKS, and liquidator 5 takes its 2 ETH short at the mark (ETH 300,000);
// the fund takes the BTC long.

const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const FILE = "liquidate-batch.circom";
const SLOT = "LiquidationSlot";
const ETH = 1;
const top = (bits: number) => 1n << BigInt(bits);

/** world() with liquidator 5 changed by `edit`, and the batch liquidating 6 to it. */
function batch(edit: (a: Account) => Account, unchecked = false) {
  const s = world();
  s.setAccount(5n, edit(s.getAccount(5n)));
  const request = taken(6n, offerOf(5n, OFFER_TERMS), [false, true]);
  const r = liquidate(s, [request], MARKS, P.liquidations, { unchecked }, INDICES);
  return { s, r, taker: s.getAccount(5n) };
}

/** Liquidator 5's ETH position replaced by (size, notional), its collateral by `collateral`. */
const eth =
  (size: bigint, notional: bigint, collateral: bigint) =>
  (a: Account): Account => ({
    ...a,
    collateral,
    positions: a.positions.map((p, j) => (j === ETH ? { ...p, size, notional } : p)),
  });

/** Liquidator 5's collateral as `collateral`, the rest as world() has it. */
const rich = (collateral: bigint) => (a: Account) => ({ ...a, collateral });

const outOfRange = (e: unknown) =>
  e instanceof ZkClearError && e.code === "LIQUIDATOR_POSITION_OUT_OF_RANGE";

async function proves(r: ReturnType<typeof liquidate>) {
  const w = await witnessFor(liq(r.input));
  assert.deepEqual(w.slice(1, 4), [r.oldRoot, r.newRoot, r.dataCommitment]);
}

/** The checked engine refuses the edit, leaving the state as it was. */
function refusedByEngine(edit: (a: Account) => Account) {
  const s: ExchangeState = world();
  s.setAccount(5n, edit(s.getAccount(5n)));
  const root = s.root;
  const request = taken(6n, offerOf(5n, OFFER_TERMS), [false, true]);
  assert.throws(() => liquidate(s, [request], MARKS, P.liquidations, {}, INDICES), outOfRange);
  assert.equal(s.root, root, "the state is unchanged");
}

describe("LiquidationSlot: the liquidator's new leaf at the ends of its ranges (test parameters)", function () {
  // what the batch adds to liquidator 5's collateral: its share of 6's penalty and the
  // funding its ETH short is owed, read from the engine on a collateral far inside
  const collateralStep = (() => {
    const { taker } = batch(rich(1n << 100n));
    return taker.collateral - (1n << 100n);
  })();

  it("proves a liquidator's collateral ending at 2^128 - 1, and refuses it at 2^128 (engine, and the circuit at its check)", async function () {
    assert.ok(collateralStep > 0n, "the liquidator is paid");
    const last = top(COLLATERAL_BITS) - 1n;
    const ok = batch(rich(last - collateralStep));
    assert.equal(ok.taker.collateral, last);
    await proves(ok.r);

    const over = rich(last - collateralStep + 1n);
    refusedByEngine(over);
    const { r, taker } = batch(over, true);
    assert.equal(taker.collateral, top(COLLATERAL_BITS));
    await assertRefusedAt(
      witnessFor(liq(r.input)),
      FILE,
      SLOT,
      "_ <== SignedRangeCheck(COLLATERAL_BITS())(takerCollateral);",
    );
  });

  it("proves a liquidator short 2^64 ETH lots after taking 2, and refuses one lot more (engine, and the circuit at its check)", async function () {
    // short 2^64 - 2 lots at 300,000 each, with collateral far above their margin
    const lots = top(SIZE_BITS) - 2n;
    const ok = batch(eth(-lots, -lots * MARKS[ETH], 1n << 110n));
    assert.equal(ok.taker.positions[ETH].size, -top(SIZE_BITS));
    await proves(ok.r);

    const over = eth(-(lots + 1n), -(lots + 1n) * MARKS[ETH], 1n << 110n);
    refusedByEngine(over);
    const { r, taker } = batch(over, true);
    assert.equal(taker.positions[ETH].size, -top(SIZE_BITS) - 1n);
    await assertRefusedAt(
      witnessFor(liq(r.input)),
      FILE,
      SLOT,
      "takerSizeNegative[j] <== SignedRangeCheck(SIZE_BITS())(takerSize[j]);",
    );
  });

  it("proves a liquidator's ETH notional ending at -2^128, and refuses it one unit lower (engine, and the circuit at its check)", async function () {
    // taking the 2-lot short at 300,000 lowers the notional by 600,000
    const taken_ = 2n * MARKS[ETH];
    const lowest = -top(NOTIONAL_BITS);
    const ok = batch(eth(-1n, lowest + taken_, 1_000_000n));
    assert.equal(ok.taker.positions[ETH].notional, lowest);
    await proves(ok.r);

    const over = eth(-1n, lowest + taken_ - 1n, 1_000_000n);
    refusedByEngine(over);
    const { r, taker } = batch(over, true);
    assert.equal(taker.positions[ETH].notional, lowest - 1n);
    await assertRefusedAt(
      witnessFor(liq(r.input)),
      FILE,
      SLOT,
      "_ <== SignedRangeCheck(NOTIONAL_BITS())(newTakerNotional[j]);",
    );
  });
});
