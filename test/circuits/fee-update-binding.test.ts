import assert from "node:assert/strict";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { mod } from "../../prover/src/domain/field.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { statementLine, TEST_PARAMS, testCircuit, witnessOf } from "../helpers/circuit.ts";

// SettleTrades (circuits/src/settle-trades.circom) unpacks the fee leaf from `feeBalance`,
// the balance its old leaf hashes, and writes the new fee leaf from what it unpacked. The
// witness calculator computes the unpacked fields from the input, so no input can claim
// others; only a witness edited after it ran shows that they are bound. With
// `feeLeaf.balance <== feeBalance` made `<--` every example test passes and the determinism
// check runs out of solver time, yet the operator could write any collateral into its own
// fee account and withdraw it (an outside analysis of the mutation run's survivors,
// docs/verification.md). Here the honest batch is grafted with the fee leaf, the new fee
// leaf and its new path from the same batch on an exchange whose fee account holds 10^9
// more: every constraint holds but the one tie, so the R1CS must refuse it.

const P = TEST_PARAMS;
const PX = 60_000_00n;
const RICHER = 1_000_000_000n;

/** The batch of one trade, on an exchange whose fee account holds `extra` more. */
async function batchWitness(extra: bigint) {
  const s = sampleExchange(P, 4);
  const fee = s.state.getAccount(FEE_ACCOUNT);
  s.state.setAccount(FEE_ACCOUNT, { ...fee, collateral: fee.collateral + extra });
  const [a, b] = s.traders;
  const trade = simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n });
  const r = settleTrades(s.state, [trade], s.marks, P.batch);
  return { witness: await witnessFor(r.input), newRoot: r.input.newRoot };
}
const witnessFor = witnessOf;

describe("SettleTrades: the fee leaf written is the one proven (witnesses edited at the R1CS level)", function () {
  it("refuses a new fee leaf unpacked from a balance other than the proven one", async function () {
    const files = await testCircuit("settle_trades");
    const r1cs = readR1cs(files.r1cs);
    const sym = readSymbols(files.sym);
    const honest = await batchWitness(0n);
    const richer = await batchWitness(RICHER);
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest.witness), []);
    assert.notEqual(richer.newRoot, honest.newRoot);

    // what the richer batch computes from its fee leaf onwards: the unpacked fields, the new
    // collateral and its range check, the new balance and leaf, the new path and root
    const line = (statement: string) => statementLine("settle-trades.circom", statement);
    const anonymous = [
      line("_ <== SignedRangeCheck(COLLATERAL_BITS())(newFeeCollateral);"),
      line(
        "signal newFeeBalance <== PackBalance()(newFeeCollateral, feeLeaf.withdrawNonce, feeLeaf.flag);",
      ),
      line("signal newFeeLeaf <== LeafHash(M)(feeAx, feeAy, newFeeBalance, feeWord, feeNotional);"),
    ].map((n) => new RegExp(`^main\\.[A-Za-z]+_${n}_\\d+\\.`));
    const newParent = statementLine(
      "merkle.circom",
      "newParent <== SparsePoseidon(N)(newChildren);",
    );
    const newPath = new RegExp(
      `^main\\.feeUpdate\\.(newLeaf|newRoot|newNode\\[|(oct|quad)\\[\\d+\\]\\.(newNode|newChildren\\[|newParent|SparsePoseidon_${newParent}_))`,
    );
    const grafted = (name: string) =>
      name.startsWith("main.feeLeaf.") ||
      /^main\.newFee(Collateral|Balance|Leaf)$/.test(name) ||
      name === "main.newRoot" ||
      anonymous.some((re) => re.test(name)) ||
      newPath.test(name);
    const forged = [...honest.witness];
    let moved = 0;
    for (const [name, i] of sym) {
      if (i <= 0 || !grafted(name)) continue;
      forged[i] = richer.witness[i];
      moved++;
    }
    // each level's change is its new children less the old path's (the honest one's)
    for (const [name, i] of sym) {
      const m = /^(main\.feeUpdate\.(?:oct|quad)\[\d+\]\.)change\[(\d+)\]$/.exec(name);
      if (!m || i <= 0) continue;
      const children = sym.get(`${m[1]}newChildren[${m[2]}]`);
      const old = sym.get(`${m[1]}old.children[${m[2]}]`);
      assert.ok(children !== undefined && old !== undefined, name);
      forged[i] = mod(forged[children] - forged[old]);
    }
    assert.ok(moved > 500, `${moved} wires grafted`);
    assert.equal(forged[sym.get("main.newRoot")!], richer.newRoot);
    const broken = unsatisfiedConstraints(r1cs, forged);
    assert.ok(
      broken.length > 0,
      "a fee leaf unpacked from another balance must break a constraint",
    );
  });
});
