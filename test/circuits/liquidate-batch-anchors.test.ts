import assert from "node:assert/strict";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { priceConfigHash } from "../../prover/src/domain/market.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { circuitSiblings } from "../../prover/src/domain/tree.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { leafWitness } from "../../prover/src/engine/leaf-witness.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { assertRefusedAt, witnessFor } from "../helpers/circuit.ts";
import { INDICES, MARKS, OFFER_TERMS, P, offerOf, taken, world } from "../helpers/liquidators.ts";

/**
 * LiquidateBatch's anchors: the root chain that ties each leaf it reads to the public
 * oldRoot and newRoot, and the binding of its prices to the public priceConfigHash. Each
 * test takes an honest engine batch, makes one edit, and requires the refusal at the
 * statement that states the rule (assertRefusedAt); each forged batch is one the circuit
 * without that statement accepts (its roots are those the forged inputs compute).
 * The slot rules that keep a liquidator in a real liquidation:
 * liquidate-batch-anchors-slots.test.ts.
 */
const FILE = "liquidate-batch.circom";
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const publicOf = (r: ReturnType<typeof liquidate>) => [
  r.oldRoot,
  r.newRoot,
  r.dataCommitment,
  r.priceConfigHash,
];
/** Marks at which account 3 (long 1 BTC from 6,000,000 on 1,250,000) still has equity. */
const PENALTY_MARKS = [4_900_000n, 300_000n];
/** The honest takers batch: liquidator 5 takes account 3's BTC lot under its offer. */
const takerRequest = () => taken(3n, offerOf(5n, OFFER_TERMS), [true, false]);
const takersBatch = (s: ExchangeState = world()) =>
  liquidate(s, [takerRequest()], MARKS, P.liquidations, {}, INDICES);

describe("LiquidateBatch anchors: roots and prices (test parameters)", function () {
  it("pins the public newRoot to the root the batch computes", async function () {
    // forged: the batch claims the old root as its new one. Without
    // `fundUpdate.newRoot === newRoot` nothing constrains the public newRoot: this (or any
    // root) proves, so the operator posts whatever state it likes after any batch
    const r = liquidate(world(), [3n], PENALTY_MARKS, P.liquidations);
    assert.deepEqual((await witnessFor(liq(r.input))).slice(1, 5), publicOf(r));
    await assertRefusedAt(
      witnessFor(liq({ ...r.input, newRoot: r.oldRoot })),
      FILE,
      "LiquidateBatch",
      "fundUpdate.newRoot === newRoot;",
    );
  });

  it("reads the liquidated account's leaf from the tree at oldRoot", async function () {
    // account 3 is exactly at its requirement at 5,000,000: healthy in the real tree
    const marks = [5_000_000n, 300_000n];
    const real = world([1_000_000n, 1_000_000n]);
    assert.throws(
      () => liquidate(world([1_000_000n, 1_000_000n]), [3n], marks, P.liquidations),
      (e: unknown) => e instanceof ZkClearError && e.code === "LIQUIDATE_HEALTHY",
    );
    // forged: the batch is computed on an invented leaf 3 without its collateral (bankrupt
    // by 1,000,000, paid by BTC's compartment), claimed from the real oldRoot. Leaf 3's
    // siblings do not hold leaf 3, so they are the real ones. Without
    // `(update.oldRoot - rootIn) * enabled === 0` this proves: the real account 3 loses its
    // 1,250,000 and its position, and the compartment pays a loss that never existed
    const fake = world([1_000_000n, 1_000_000n]);
    fake.setAccount(3n, { ...fake.getAccount(3n), collateral: 0n });
    const r = liquidate(fake, [3n], marks, P.liquidations);
    assert.deepEqual(r.charges, [[-1_000_000n, 0n]]);
    assert.notEqual(r.oldRoot, real.root);
    await assertRefusedAt(
      witnessFor(liq({ ...r.input, oldRoot: real.root })),
      FILE,
      "LiquidationSlot",
      "(update.oldRoot - rootIn) * enabled === 0;",
    );
  });

  it("reads the liquidator's leaf from the tree the account's update left", async function () {
    // forged: the batch is computed with an invented leaf 5 holding 10^12 of collateral,
    // claimed from the real oldRoot. Slot 0's siblings hold leaf 5, so they are the real
    // tree's; leaf 5's own siblings (after leaf 3's update) and the fund's are the same in
    // both. Without `(takerUpdate.oldRoot - mid) * takerEnabled === 0` this proves:
    // liquidator 5 leaves the batch with 10^12 it never had
    const real = world();
    const fake = world();
    fake.setAccount(5n, { ...fake.getAccount(5n), collateral: 10n ** 12n });
    const r = takersBatch(fake);
    assert.equal(r.takers.length, 1);
    const slots = [
      { ...r.input.slots[0], siblings: leafWitness(real, 3n).siblings },
      ...r.input.slots.slice(1),
    ];
    await assertRefusedAt(
      witnessFor(liq({ ...r.input, oldRoot: real.root, slots })),
      FILE,
      "LiquidationSlot",
      "(takerUpdate.oldRoot - mid) * takerEnabled === 0;",
    );
  });

  it("reads the fund's leaf from the tree the slots and the deleveraging left", async function () {
    // forged: after an honest batch, account 4 is given 10^15 of collateral, and the batch
    // claims that tree as its new root, with the fund's siblings read from it (leaf 4 is
    // in the fund's octet). The fund's new leaf is the honest one, so newRoot is what the
    // fund's path computes. Without `fundUpdate.oldRoot === adl.rootOut` this proves: the
    // batch mints 10^15 into account 4 (any tree with the fund's leaf in it would do)
    const s = world();
    const r = liquidate(s, [3n], PENALTY_MARKS, P.liquidations);
    s.setAccount(4n, { ...s.getAccount(4n), collateral: 10n ** 15n });
    const forged: LiquidateBatchInput = {
      ...r.input,
      newRoot: s.root,
      fund: {
        ...r.input.fund,
        siblings: circuitSiblings(s.tree.proof(INSURANCE_ACCOUNT).siblings),
      },
    };
    assert.notDeepEqual(forged.fund.siblings, r.input.fund.siblings);
    await assertRefusedAt(
      witnessFor(liq(forged)),
      FILE,
      "LiquidateBatch",
      "fundUpdate.oldRoot === adl.rootOut;",
    );
  });

  it("binds the marks to the public priceConfigHash", async function () {
    // at the oracle's 5,000,000 account 3 is healthy (exactly at its requirement)
    const real = [5_000_000n, 300_000n];
    const w = () => world([1_000_000n, 1_000_000n]);
    assert.throws(
      () => liquidate(w(), [3n], real, P.liquidations),
      (e: unknown) => e instanceof ZkClearError && e.code === "LIQUIDATE_HEALTHY",
    );
    // forged: the batch is computed at a mark of 4,000,000 the oracle never published and
    // claims the oracle's hash. Without `binding.priceConfigHash === priceConfigHash` this
    // proves: a healthy account is liquidated at a made-up price (and penalties, margins,
    // funding indices and the domain are free too)
    const f = liquidate(w(), [3n], [4_000_000n, 300_000n], P.liquidations);
    const bound = priceConfigHash(w(), real, zeroIndices(2), oneX(2));
    assert.notEqual(bound, f.priceConfigHash);
    await assertRefusedAt(
      witnessFor(liq({ ...f.input, priceConfigHash: bound })),
      FILE,
      "LiquidateBatch",
      "binding.priceConfigHash === priceConfigHash;",
    );
  });
});
