import assert from "node:assert/strict";
import { COLLATERAL_BITS, NOTIONAL_BITS, SIZE_BITS } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import type { Account } from "../../prover/src/domain/account.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
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

/** world() with liquidator 5 changed by `edit`, and the request liquidating 6 to it. */
function start(edit: (a: Account) => Account) {
  const s = world();
  s.setAccount(5n, edit(s.getAccount(5n)));
  return { s, request: taken(6n, offerOf(5n, OFFER_TERMS), [false, true]) };
}

/** The batch on start(edit), checked or not, and liquidator 5 after it. */
function batch(edit: (a: Account) => Account, unchecked = false) {
  const { s, request } = start(edit);
  const r = liquidate(s, [request], MARKS, P.liquidations, { unchecked }, INDICES);
  return { r, taker: s.getAccount(5n) };
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

/**
 * What the batch adds to liquidator 5's collateral: its share of 6's penalty and the
 * funding its ETH short is owed, read from the engine on a collateral far inside.
 */
let step: bigint | undefined;
const collateralStep = () => (step ??= batch(rich(1n << 100n)).taker.collateral - (1n << 100n));

/** A field of the liquidator's new leaf at the end of its range, and one unit past it. */
interface RangeEnd {
  readonly title: string;
  /** Liquidator 5 before the batch, which leaves the field `past` units beyond its end. */
  readonly before: (past: bigint) => (a: Account) => Account;
  readonly field: (a: Account) => bigint;
  readonly end: bigint;
  /** +1 or -1: the side of the range the end is on. */
  readonly outward: bigint;
  /** The check in LiquidationSlot that refuses the value past the end. */
  readonly check: string;
}

const LOWEST_NOTIONAL = -top(NOTIONAL_BITS);
/** Taking 6's 2-lot short at 300,000 lowers the liquidator's ETH notional by this much. */
const TAKEN_NOTIONAL = 2n * MARKS[ETH];
/** Short 2^64 - 2 ETH lots (at the mark), with collateral far above their margin. */
const LOTS = top(SIZE_BITS) - 2n;

const ENDS: readonly RangeEnd[] = [
  {
    title: "a liquidator's collateral ending at 2^128 - 1, refused at 2^128",
    before: (past) => rich(top(COLLATERAL_BITS) - 1n - collateralStep() + past),
    field: (a) => a.collateral,
    end: top(COLLATERAL_BITS) - 1n,
    outward: 1n,
    check: "_ <== SignedRangeCheck(COLLATERAL_BITS())(takerCollateral);",
  },
  {
    title: "a liquidator short 2^64 ETH lots after taking 2, refused one lot more",
    before: (past) => eth(-(LOTS + past), -(LOTS + past) * MARKS[ETH], 1n << 110n),
    field: (a) => a.positions[ETH].size,
    end: -top(SIZE_BITS),
    outward: -1n,
    check: "takerSizeNegative[j] <== SignedRangeCheck(SIZE_BITS())(takerSize[j]);",
  },
  {
    title: "a liquidator's ETH notional ending at -2^128, refused one unit lower",
    before: (past) => eth(-1n, LOWEST_NOTIONAL + TAKEN_NOTIONAL - past, 1_000_000n),
    field: (a) => a.positions[ETH].notional,
    end: LOWEST_NOTIONAL,
    outward: -1n,
    check: "_ <== SignedRangeCheck(NOTIONAL_BITS())(newTakerNotional[j]);",
  },
];

describe("LiquidationSlot: the liquidator's new leaf at the ends of its ranges (test parameters)", function () {
  for (const c of ENDS) {
    it(`proves ${c.title} (engine, and the circuit at its check)`, async function () {
      const ok = batch(c.before(0n));
      assert.equal(c.field(ok.taker), c.end);
      const w = await witnessFor(liq(ok.r.input));
      assert.deepEqual(w.slice(1, 4), [ok.r.oldRoot, ok.r.newRoot, ok.r.dataCommitment]);

      // one unit past: the checked engine refuses it, leaving the state as it was
      const { s, request } = start(c.before(1n));
      const root = s.root;
      assert.throws(
        () => liquidate(s, [request], MARKS, P.liquidations, {}, INDICES),
        (e: unknown) => e instanceof ZkClearError && e.code === "LIQUIDATOR_POSITION_OUT_OF_RANGE",
      );
      assert.equal(s.root, root, "the state is unchanged");
      // built unchecked, the circuit refuses it at the field's own check
      const past = batch(c.before(1n), true);
      assert.equal(c.field(past.taker), c.end + c.outward);
      await assertRefusedAt(witnessFor(liq(past.r.input)), FILE, SLOT, c.check);
    });
  }
});
