import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { leafWitness } from "../../prover/src/engine/leaf-witness.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { ROOT } from "../../prover/src/proving/paths.ts";
import { WitnessError } from "../../prover/src/proving/prover.ts";
import { settleTradesCircuit, TEST_PARAMS, witnessOf } from "../helpers/circuit.ts";

// SettleTrades (circuits/src/settle-trades.circom) credits the batch's fees to the fee
// account in one Merkle update after the trades, and that update must start from the root
// the trades left: it is the only thing that ties the batch's new root to them. Nothing
// else reads that root, so the determinism check passes without the tie, and no test
// offered a fee leaf from another tree: the mutation run found the check deletable with
// every test green (docs/verification.md; an outside analysis gave the attack). Without it
// the prover publishes any tree it likes around a fee leaf: here the trades erased.

const P = TEST_PARAMS;
const PX = 60_000_00n;

describe("SettleTrades: the fee update starts from the root the trades left (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("refuses a fee leaf from the tree before the trades, whose update would publish a root without them", async function () {
    const s = sampleExchange(P, 4);
    const [a, b] = s.traders;
    const r = settleTrades(
      s.state,
      [simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    assert.ok(r.totalFees > 0n);
    // the same exchange before the trade: its fee leaf, credited with the batch's fees
    const before = sampleExchange(P, 4);
    const w = leafWitness(before.state, FEE_ACCOUNT);
    const fee = before.state.getAccount(FEE_ACCOUNT);
    before.state.setAccount(FEE_ACCOUNT, { ...fee, collateral: fee.collateral + r.totalFees });
    const input = {
      ...r.input,
      newRoot: before.state.root,
      feeLeaf: {
        ax: w.leafAx,
        ay: w.leafAy,
        balance: w.leafBalance,
        word: w.leafWord,
        notional: w.leafNotional,
        siblings: w.siblings,
      },
    };
    const source = fs
      .readFileSync(path.join(ROOT, "circuits", "src", "settle-trades.circom"), "utf8")
      .split("\n");
    const lines = source.flatMap((l, i) =>
      l.trim() === "feeUpdate.oldRoot === root[B];" ? [i + 1] : [],
    );
    assert.equal(lines.length, 1);
    await assert.rejects(witnessOf(input), (e: unknown) => {
      assert.ok(e instanceof WitnessError, `expected a refusal, got ${String(e)}`);
      assert.match(
        e.message,
        new RegExp(`Error in template SettleTrades_\\d+ line: ${lines[0]}\\b`),
      );
      return true;
    });
  });
});
