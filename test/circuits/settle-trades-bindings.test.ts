import assert from "node:assert/strict";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { defaultMarkets, type MarketParams } from "../../prover/src/domain/market.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { mod } from "../../prover/src/domain/field.ts";
import {
  SAMPLE_DOMAIN,
  sampleExchange,
  simpleTrade,
  type Sample,
} from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { statementLine, TEST_PARAMS, testCircuit, witnessOf } from "../helpers/circuit.ts";

// What SettleTrades (circuits/src/settle-trades.circom) writes is tied to what it proves:
// each leaf it updates is unpacked from the balance its old leaf hashes, and each slot's fee
// rates are the market's, picked from the bound market parameters. The witness calculator
// computes those values from the inputs, so no input can claim others; only a witness
// edited after it ran shows that they are bound. With `feeLeaf.balance <== feeBalance`,
// TradeSide's `old.balance <== balance`, or `pickMaker` / `pickTaker` made `<--`, every
// example test passes and the determinism check runs out of solver time, yet the operator
// could write any collateral, withdrawal nonce or flag into its fee account's leaf or a
// colluding trader's, or charge any rate up to each order's cap (outside analyses of the
// mutation run's survivors, docs/verification.md). Each test grafts, at the R1CS level,
// the batch on the real exchange with the same batch on another (an account holding 10^9
// more, a market with other rates): every constraint holds but the one tie, so the R1CS
// must refuse it; each mutant accepts it (run by hand).

const P = TEST_PARAMS;
const PX = 60_000_00n;
const RICHER = 1_000_000_000n;

/** The batch of one lot between the first two traders (trader 3 buys: side[0][0]). */
async function oneLot(s: Sample) {
  const [a, b] = s.traders;
  const trade = simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n });
  const r = settleTrades(s.state, [trade], s.marks, P.batch);
  return { witness: await witnessOf(r.input), newRoot: r.input.newRoot };
}

/** The one-lot batch, `account` holding `extra` more. */
function batchWitness(account: bigint, extra: bigint) {
  const s = sampleExchange(P, 4);
  const leaf = s.state.getAccount(account);
  s.state.setAccount(account, { ...leaf, collateral: leaf.collateral + extra });
  return oneLot(s);
}

/** The one-lot batch on an exchange whose market 0 has `fees` (the sample's traders). */
function ratesWitness(fees: Partial<MarketParams>) {
  const markets = defaultMarkets(P.markets).map((m, j) => (j === 0 ? { ...m, ...fees } : m));
  const sample = sampleExchange(P, 4);
  const state = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
  for (const t of sample.traders)
    state.openAccount(t.index, t.keys.publicKey, sample.state.getAccount(t.index).collateral);
  return oneLot({ ...sample, state, markets });
}

const OLD_PARENT = () =>
  statementLine("merkle.circom", "oldParent <== SparsePoseidon(N)(old.children);");
const NEW_PARENT = () =>
  statementLine("merkle.circom", "newParent <== SparsePoseidon(N)(newChildren);");

/**
 * `base` with the wires `take` names copied from `other`. With `merkle`, each level of the
 * Merkle update `merkle.update` (a name prefix), whose new path and old path now come from
 * different witnesses, gets its `change` recomputed: its new children less the old path's
 * children, which are those of `merkle.oldPath` (the witness the old path came from; --O2
 * keeps them only as new children less change).
 */
function graft(
  base: readonly bigint[],
  other: readonly bigint[],
  sym: ReadonlyMap<string, number>,
  take: (name: string) => boolean,
  merkle?: { update: string; oldPath: readonly bigint[] },
): { forged: bigint[]; moved: number } {
  const forged = [...base];
  let moved = 0;
  for (const [name, i] of sym) {
    if (i <= 0 || !take(name)) continue;
    forged[i] = other[i];
    moved++;
  }
  if (!merkle) return { forged, moved };
  for (const [name, i] of sym) {
    if (i <= 0 || !name.startsWith(`${merkle.update}.`)) continue;
    const m = /^(.*\.(?:oct|quad)\[\d+\]\.)change\[(\d+)\]$/.exec(name);
    if (!m) continue;
    const children = sym.get(`${m[1]}newChildren[${m[2]}]`);
    assert.ok(children !== undefined && children > 0, name);
    const oldChild = merkle.oldPath[children] - merkle.oldPath[i];
    forged[i] = mod(forged[children] - oldChild);
  }
  return { forged, moved };
}

describe("SettleTrades: what a batch writes is tied to what it proves (witnesses edited at the R1CS level)", function () {
  let r1cs: ReturnType<typeof readR1cs>;
  let sym: Map<string, number>;
  before(async function () {
    const files = await testCircuit("settle_trades");
    r1cs = readR1cs(files.r1cs);
    sym = readSymbols(files.sym);
  });

  it("refuses a new fee leaf unpacked from a balance other than the proven one", async function () {
    const honest = await batchWitness(FEE_ACCOUNT, 0n);
    const richer = await batchWitness(FEE_ACCOUNT, RICHER);
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
    const newPath = new RegExp(
      `^main\\.feeUpdate\\.(newLeaf|newRoot|newNode\\[|(oct|quad)\\[\\d+\\]\\.(newNode|newChildren\\[|newParent|SparsePoseidon_${NEW_PARENT()}_))`,
    );
    const { forged, moved } = graft(
      honest.witness,
      richer.witness,
      sym,
      (name) =>
        name.startsWith("main.feeLeaf.") ||
        /^main\.newFee(Collateral|Balance|Leaf)$/.test(name) ||
        name === "main.newRoot" ||
        anonymous.some((re) => re.test(name)) ||
        newPath.test(name),
      { update: "main.feeUpdate", oldPath: honest.witness },
    );
    assert.ok(moved > 500, `${moved} wires grafted`);
    assert.equal(forged[sym.get("main.newRoot")!], richer.newRoot);
    assert.ok(
      unsatisfiedConstraints(r1cs, forged).length > 0,
      "a fee leaf unpacked from another balance must break a constraint",
    );
  });

  it("refuses a trader's new leaf unpacked from a balance other than the proven one", async function () {
    const buyer = sampleExchange(P, 4).traders[0].index;
    const honest = await batchWitness(buyer, 0n);
    const richer = await batchWitness(buyer, RICHER);
    const balance = sym.get("main.leafBalance[0][0]")!;
    assert.notEqual(richer.witness[balance], honest.witness[balance], "side[0][0] is the buyer's");
    // the richer batch throughout, but for what the real state proves: the old root, the
    // buyer's balance, its old leaf and its old path
    const oldLeaf = statementLine(
      "trade.circom",
      "signal oldLeaf <== LeafHash(M)(ax, ay, balance, word, notional);",
    );
    const side = "main.side[0][0]";
    const oldPath = new RegExp(
      `^main\\.side\\[0\\]\\[0\\]\\.update\\.(oldLeaf|oldRoot|oldNode\\[|(oct|quad)\\[\\d+\\]\\.(oldNode|old\\.|oldParent|SparsePoseidon_${OLD_PARENT()}_))`,
    );
    const { forged, moved } = graft(
      richer.witness,
      honest.witness,
      sym,
      (name) =>
        name === "main.oldRoot" ||
        name === "main.leafBalance[0][0]" ||
        name === `${side}.oldLeaf` ||
        name.startsWith(`${side}.LeafHash_${oldLeaf}_`) ||
        oldPath.test(name),
      { update: `${side}.update`, oldPath: honest.witness },
    );
    assert.ok(moved > 300, `${moved} wires grafted`);
    assert.equal(forged[sym.get("main.oldRoot")!], honest.witness[sym.get("main.oldRoot")!]);
    assert.equal(forged[sym.get("main.newRoot")!], richer.newRoot);
    assert.ok(
      unsatisfiedConstraints(r1cs, forged).length > 0,
      "a trader's leaf unpacked from another balance must break a constraint",
    );
  });

  // The market's maker and taker rates reach each slot through `pickMaker` / `pickTaker`
  // (the market's rate where the slot's market is selected). Made `<--`, each lets the
  // operator charge any rate up to the cap each order signed (five times the maker rate at
  // the default cap) or waive fees at will; the determinism check runs out of solver time.
  // The batch under a market charging other rates, with the real market's binding and
  // public price configuration, satisfies every constraint but the rate's pick.
  for (const [rate, label] of [
    ["makerFeeBps", "maker"],
    ["takerFeeBps", "taker"],
  ] as const) {
    it(`refuses fees charged at another ${label} rate than the market's`, async function () {
      const real = await ratesWitness({});
      const other = await ratesWitness({ [rate]: 7n });
      // the fees, and so the new root, differ: the rate reached the leaves
      assert.notEqual(other.newRoot, real.newRoot);
      // the other rates' batch throughout, but for the market binding and its hash
      const boundLine = statementLine(
        "settle-trades.circom",
        "signal bound <== SparsePoseidon(2)([binding.priceConfigHash, reduceOnly]);",
      );
      const bound = new RegExp(`^main\\.SparsePoseidon_${boundLine}_\\d+\\.`);
      const { forged, moved } = graft(
        other.witness,
        real.witness,
        sym,
        (name) =>
          name.startsWith("main.binding.") ||
          bound.test(name) ||
          /^main\.(marketParam\[\d+\]|tradeBinding|bound)$/.test(name),
      );
      assert.ok(moved > 100, `${moved} wires grafted`);
      assert.notEqual(forged[sym.get("main.newRoot")!], real.newRoot);
      assert.ok(
        unsatisfiedConstraints(r1cs, forged).length > 0,
        `a ${label} rate other than the market's must break a constraint`,
      );
    });
  }
});
