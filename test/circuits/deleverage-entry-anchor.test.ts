import assert from "node:assert/strict";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { leafWitness } from "../../prover/src/engine/leaf-witness.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { SHORTFALL_BTC, shortfallWorld } from "../helpers/shortfall-world.ts";

// DeleverageEntry (circuits/src/auto-deleverage.circom) proves the ranked trader's leaf in
// the tree the batch has reached, `(update.oldRoot - rootIn) * enabled === 0`, and writes
// its new leaf into that tree. Without the anchor an entry's Merkle path may start from any
// tree: its new root, and every root after it, is the tree of the prover's choosing.
//
// The world: account 3, long 1 BTC from 6,000,000 on 1,250,000, is bankrupt by 750,000 at
// 4,000,000, the fund holds nothing, and account 4's matching short is deleveraged. The
// forged batch is computed on an invented tree where account 4 holds 10^12 more, and
// claimed from the real old root: the liquidated account's path is the real tree's (its
// octet holds leaf 4), the entry's and the fund's are the invented tree's. Without the
// anchor this proves, and account 4 leaves the batch with 10^12 it never had.

const P = TEST_PARAMS;
const MARKS = [SHORTFALL_BTC, 300_000n];
const MINTED = 10n ** 12n;

describe("DeleverageEntry: a ranked entry reads its leaf from the tree the batch has reached (test parameters)", function () {
  it("refuses an entry proven on a tree where the deleveraged trader holds 10^12 more: the batch would mint it", async function () {
    const real = shortfallWorld(0n);
    const honest = liquidate(shortfallWorld(0n), [3n], MARKS, P.liquidations);
    assert.equal(honest.input.adl.entries[0].enabled, 1n);
    assert.equal(honest.input.adl.entries[0].account, 4n);
    await witnessFor({ kind: "liquidate_batch", input: honest.input });

    const fake = shortfallWorld(0n);
    fake.setAccount(4n, { ...fake.getAccount(4n), collateral: 10_000_000n + MINTED });
    const r = liquidate(fake, [3n], MARKS, P.liquidations);
    assert.equal(r.input.adl.entries[0].account, 4n);
    assert.notEqual(r.newRoot, honest.newRoot);
    const [slot, ...rest] = r.input.slots;
    const forged: LiquidateBatchInput = {
      ...r.input,
      oldRoot: real.root,
      slots: [{ ...slot, siblings: leafWitness(real, 3n).siblings }, ...rest],
    };
    await assertRefusedAt(
      witnessFor({ kind: "liquidate_batch", input: forged }),
      "auto-deleverage.circom",
      "DeleverageEntry",
      "(update.oldRoot - rootIn) * enabled === 0;",
    );
  });
});
