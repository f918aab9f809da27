import assert from "node:assert/strict";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import {
  signCompartmentMove,
  type CompartmentMove,
} from "../../prover/src/domain/compartment-moves.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { mod } from "../../prover/src/domain/field.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { liquidate, type LiquidationResult } from "../../prover/src/engine/liquidations.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { statementLine, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { SHORTFALL_BTC, shortfallWorld } from "../helpers/shortfall-world.ts";
import { graftByName, linkProbe, wireNamed, type GraftTarget } from "../helpers/o0-graft.ts";
import { compileProbeO0 } from "../helpers/probe-o0.ts";

// LiquidateBatch (circuits/src/liquidate-batch.circom), section D: the insurance fund's
// notional in market j after its funding and the batch's compartment move,
//     notionalMoved[j] <== fundFunding.notionalOut[j] - move.delta[j];
// is read twice: by the compartment C_j = size_j * mark_j - notional_j the batch's floor,
// move-out and must-deleverage checks judge (compartment, finalCompartment, Deleverage),
// and by the fund's new leaf (newFundNotional, whose Merkle update gives the new root).
// --O2 substitutes the wire away. In the circuit with the link made `<--` it is a wire of
// its own, pinned only through the fund's leaf hash: the determinism stage cannot decide
// it (solver timeouts) and the witness calculator computes its honest value, so no test
// that feeds inputs tells the mutant apart.
//
// Here the prover writes the fund's notional 10^6 lower in BTC's market: its compartment
// is credited 10^6 that no trade, penalty or move paid. That mints value into the insurance
// fund (which later pays bankrupts' deficits or moves to the reserve: the Vault then owes
// more than it holds), or hides a deficit so that the batch skips a deleveraging it must
// run. The forged witness of the whole liquidate_batch circuit is an --O0 probe of
// LiquidateBatch (every signal keeps its name; at the test parameters it compiles in about
// 12 s, cached under the builds' probes/) whose link's line subtracts the 10^6, run on the
// forged batch's inputs and copied by name onto the --O2 circuit of the sources under test:
// every wire after the link (the compartment and its checks' bits, the fund's new leaf, its
// Merkle update, the new root) is consistent with it. The R1CS must refuse it; the one
// without the link accepts it by construction
// (npm run mutate:circuits -- --tests <this file> --id liquidate-batch.circom:600:unconstrain).

const P = TEST_PARAMS;
const M = P.markets;
const FILE = "liquidate-batch.circom";
const LINK = "notionalMoved[j] <== fundFunding.notionalOut[j] - move.delta[j];";
/** The forged line: 10^6 off the notional of market 0 (BTC) only. */
const FORGED = "notionalMoved[j]<==fundFunding.notionalOut[j]-move.delta[j]-10**6*(j<1);";
const E = 1_000_000n;
const EXPR = `LiquidateBatch(${CIRCUITS.liquidate_batch.args(P).join(", ")})`;
const MARKS = [SHORTFALL_BTC, 300_000n];
const FUND_KEY = devOwnerKeys().fund.privateKey;

/**
 * Account 3 long 1 BTC bought at 6,000,000 with 1,250,000 (at 4,000,000: equity -750,000,
 * all of it BTC's loss), account 4 the matching short; the fund holds 2,000,000 in its
 * reserve and `btc` in BTC's compartment (a flat position's notional of -btc). The batch
 * liquidates account 3, after moving `move` of the reserve into BTC's compartment (signed
 * by the fund's key) if nonzero: the fund takes the lot at the mark and BTC's compartment
 * pays the 750,000, or, when it holds less, the batch deleverages account 4's short.
 */
function batch(btc: bigint, move: bigint): { s: ExchangeState; r: LiquidationResult } {
  const s = shortfallWorld(2_000_000n, btc);
  const m: CompartmentMove = { market: 0, nonce: 0n, amount: move, toReserve: false };
  const signed = move ? signCompartmentMove(m, M, FUND_KEY, SAMPLE_DOMAIN) : null;
  const r = liquidate(s, [3n], MARKS, P.liquidations, { move: signed });
  assert.equal(s.root, r.newRoot, "the engine's tree after the batch");
  return { s, r };
}

/** The move batch: 10^6 of the reserve into BTC's compartment, which keeps 250,000. */
const moved = () => batch(0n, E);
/** The batch without a move: BTC's empty compartment cannot pay, account 4 is deleveraged. */
const deleveraged = () => batch(0n, 0n);
/** The batch without a move on a compartment already holding 10^6: no deleveraging. */
const funded = () => batch(E, 0n);

describe("LiquidateBatch: the fund's notional after the compartment move is the one its compartment and new leaf read (a witness grafted from an --O0 probe at the R1CS level)", function () {
  let target: GraftTarget;
  /** The wire of `name` in the --O2 circuit, if --O2 kept one. */
  const wireOf = (name: string) =>
    [...target.names].filter(([, ns]) => ns.includes(name)).map(([w]) => w)[0];

  before(async function () {
    const files = await testCircuit("liquidate_batch");
    target = { r1cs: readR1cs(files.r1cs), names: readWireNames(files.sym).names };
  });

  const signals = CIRCUITS.liquidate_batch.toSignals;
  const at = (w: readonly bigint[], n: string) => w[wireNamed(target, `main.${n}`)];
  const line = statementLine(FILE, LINK);
  /** The rewritten probe's witness for `input` grafted, checked against its own R1CS. */
  async function forge(input: LiquidateBatchInput): Promise<bigint[]> {
    const probe = await linkProbe(
      target,
      { name: `liquidate_batch_fund_o0_${line}`, source: FILE, expr: EXPR },
      { file: FILE, statement: LINK, to: FORGED },
    );
    return (await probe.forge(signals(input))).grafted;
  }
  /**
   * The constraints `forged` breaks, each of which must read a wire the link writes: on the
   * original notionalMoved carries no wire and is written through the two that read it,
   * compartment[0] and newFundNotional[0] (on the mutant, its own wire too).
   */
  function broken(forged: readonly bigint[]): number[] {
    const links = ["notionalMoved[0]", "compartment[0]", "newFundNotional[0]"].flatMap(
      (n) => wireOf(`main.${n}`) ?? [],
    );
    const bad = unsatisfiedConstraints(target.r1cs, forged);
    for (const i of bad) {
      const reads = target.r1cs.constraints[i].some((lc) => lc.some(([x]) => links.includes(x)));
      assert.ok(reads, `constraint ${i} is broken without reading the link's wires`);
    }
    return bad;
  }

  it("the unmodified --O0 probe of the batch, grafted, is the honest witness wire for wire (the harness)", async function () {
    const plain = await compileProbeO0("liquidate_batch_fund_o0", FILE, EXPR);
    const sym = readSymbols(plain.sym);
    for (const { r } of [moved(), deleveraged()]) {
      const honest = await witnessFor({ kind: "liquidate_batch", input: r.input });
      assert.deepEqual(unsatisfiedConstraints(target.r1cs, honest), [], "the honest batch");
      const witness = await calculateWitness(plain.wasm, signals(r.input));
      assert.deepEqual(
        graftByName(target.names, target.r1cs.nWires, { sym, witness }),
        honest,
        "the probe reproduces the honest witness",
      );
    }
  });

  it(`refuses a fund leaf whose BTC notional is 10^6 below what the move left: BTC's compartment credited 10^6 nobody paid (${FILE}:${line})`, async function () {
    const { s, r } = moved();
    const honest = await witnessFor({ kind: "liquidate_batch", input: r.input });
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual(r.compartmentsAfter, [250_000n, 0n], "BTC's compartment keeps 250,000");
    assert.deepEqual([fund.collateral, fund.withdrawNonce], [E, 1n], "the reserve paid 10^6");
    // the forged batch: the same inputs but for the new root, that of the honest tree with
    // the fund's BTC notional 10^6 lower (the rewritten probe asserts its Merkle update)
    s.setAccount(INSURANCE_ACCOUNT, {
      ...fund,
      positions: fund.positions.map((p, j) => (j === 0 ? { ...p, notional: p.notional - E } : p)),
    });
    assert.deepEqual(compartmentValues(s.getAccount(INSURANCE_ACCOUNT), MARKS), [1_250_000n, 0n]);
    const forged = await forge({ ...r.input, newRoot: s.root });
    // what it proves: from the real old root, under the batch's commitment, to a tree whose
    // fund leaf holds 1,250,000 in BTC's compartment where the batch left 250,000: the
    // reserve paid 10^6 once and the compartment got it twice
    assert.deepEqual(
      ["oldRoot", "dataCommitment", "newRoot"].map((n) => at(forged, n)),
      [r.oldRoot, r.dataCommitment, s.root],
    );
    assert.notEqual(s.root, r.newRoot);
    assert.equal(at(forged, "newFundNotional[0]"), mod(at(honest, "newFundNotional[0]") - E));
    assert.equal(at(forged, "newFundNotional[1]"), at(honest, "newFundNotional[1]"));
    assert.equal(at(forged, "finalCompartment[0]"), 1_250_000n, "as the batch's checks judge it");
    assert.equal(at(honest, "finalCompartment[0]"), 250_000n);
    const bad = broken(forged);
    assert.ok(bad.length > 0, `${LINK} (line ${line}) must break a constraint`);
  });

  it(`refuses a fund leaf 10^6 lower that hides BTC's deficit: the batch skips the deleveraging of account 4 it must run (${FILE}:${line})`, async function () {
    // honestly BTC's empty compartment ends at -750,000 with the fund long the lot: the
    // batch must close it against account 4's short
    const { r } = deleveraged();
    assert.deepEqual(
      r.deleveraged.map((d) => [d.market, d.entries.map((e) => [e.account, e.lots])]),
      [[0, [[4n, 1n]]]],
    );
    assert.deepEqual(r.compartmentsAfter, [0n, 0n], "the deleveraging clears BTC's deficit");
    // the same batch on a compartment that held 10^6 (another tree) needs no deleveraging:
    // the fund keeps the lot and 250,000; its tree after the batch differs from the
    // deleveraged one only in the fund's leaf and account 4's
    const f = funded();
    assert.deepEqual(f.r.deleveraged, []);
    assert.deepEqual(f.r.compartmentsAfter, [250_000n, 0n]);
    assert.notEqual(f.r.oldRoot, r.oldRoot);
    // the forged batch: the deleveraged batch's liquidation of account 3 from its real root,
    // with the funded batch's (empty) deleveraging, the fund's path there, its commitment
    // and new root. The link writes the fund's notional 10^6 lower, so its new leaf is the
    // funded batch's
    const forged = await forge({
      ...r.input,
      newRoot: f.r.newRoot,
      dataCommitment: f.r.dataCommitment,
      fund: { ...r.input.fund, siblings: f.r.input.fund.siblings },
      adl: f.r.input.adl,
    });
    // what it proves: from the real old root to a tree in which account 4 keeps its short
    // and the fund its long with 250,000 in BTC's compartment, where the honest batch
    // closed both (a deficit of 750,000 made good by 10^6 that nobody paid)
    assert.deepEqual(
      ["oldRoot", "dataCommitment", "newRoot"].map((n) => at(forged, n)),
      [r.oldRoot, f.r.dataCommitment, f.r.newRoot],
    );
    assert.deepEqual(
      [0, 1].map((j) => at(forged, `adlMarket[${j}]`)),
      [0n, 0n],
      "no market deleveraged",
    );
    assert.equal(at(forged, "finalCompartment[0]"), 250_000n, "the checks see no deficit");
    const bad = broken(forged);
    assert.ok(bad.length > 0, `${LINK} (line ${line}) must break a constraint`);
  });
});
