import assert from "node:assert/strict";
import { isolationFlag, packBalance, type Account } from "../../prover/src/domain/account.ts";
import { FUNDING_SCALE } from "../../prover/src/domain/constants.ts";
import { exitPayout, signExit } from "../../prover/src/domain/exit.ts";
import { mod } from "../../prover/src/domain/field.ts";
import { settleFunding, zeroIndices } from "../../prover/src/domain/funding.ts";
import {
  exitAccountPublicSignals,
  toExitAccountSignals,
  type ExitAccountInput,
} from "../../prover/src/domain/inputs.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { sampleExchange, simpleTrade, type Sample } from "../../prover/src/dev/sample.ts";
import { exitInput } from "../../prover/src/engine/exit.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { statementLine, TEST_PARAMS, testCircuit } from "../helpers/circuit.ts";
import { linkProbe, type GraftTarget } from "../helpers/o0-graft.ts";

// ExitAccount (circuits/src/exit-account.circom) is the escape hatch: after a freeze a user
// proves its leaf in the frozen root and is paid max(0, equity) at the bound marks, after
// the funding its positions owe at the bound indices. Three `<==` tie what it pays to what
// it proves: leaf.balance <== leafBalance (the hashed balance is the one unpacked into the
// collateral), funding.lastIndex <== leaf.lastIndex (funding is settled from the leaf's own
// indices) and funding.index <== fundingIndex (up to the indices the binding names). --O2
// substitutes each away; with one made `<--`, the freed wire reaches no hash and no
// binding, so the payout follows whatever the prover writes there, yet the witness
// calculator computes the honest value and no test that feeds inputs sees the difference.
//
// Here the prover writes another value through the link. ExitAccount's signerX and signerY
// are free when signer = 0 (a trader's exit: they reach no constraint's outcome), so an
// --O0 probe of ExitAccount whose link line reads them instead computes the whole exit for
// the other value; its witness, copied by name onto the production circuit's (test
// parameters, built from the sources under test), is the forged exit. The R1CS must refuse
// it; the one without the link accepts it by construction
// (npm run mutate:circuits -- --tests <this file> --id exit-account.circom:<line>:unconstrain).

const P = TEST_PARAMS;
const M = P.markets;
const FILE = "exit-account.circom";
const EXIT = `ExitAccount(${P.depth}, ${M})`;
const TO = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
/** The trader who exits: long 1 lot of market 0, bought at the mark. */
const TRADER = 2;
/** The collateral the forged balance adds. */
const EXTRA = 1_000_000n;
/** What the long owes at the frozen indices: market 0's index moved by this per unit size. */
const FUNDING_QUOTE = 50_000n;

interface World {
  readonly s: Sample;
  readonly account: bigint;
  readonly leaf: Account;
  /** The indices of the round recorded at the freeze. */
  readonly indices: bigint[];
  /** The honest input (no carrier set: signerX = signerY = 0). */
  readonly input: ExitAccountInput;
}

function world(): World {
  const s = sampleExchange(P, 4, 1_000_000n);
  const trade = simpleTrade(s, s.traders[2], s.traders[3], 0, 1n, s.marks[0], {
    buy: 1n,
    sell: 1n,
  });
  settleTrades(s.state, [trade], s.marks, P.batch);
  const account = s.traders[TRADER].index;
  const leaf = s.state.getAccount(account);
  // the long pays funding: market 0's index rose by FUNDING_QUOTE per unit of its size
  const size = leaf.positions[0].size;
  assert.ok(size > 0n, "the trader is long market 0");
  const indices = zeroIndices(M).map((x, j) =>
    j === 0 ? leaf.positions[0].fundingIndex + (FUNDING_QUOTE * FUNDING_SCALE) / size : x,
  );
  const sig = signExit(account, TO, s.traders[TRADER].keys.privateKey, s.domain);
  const input = exitInput(s.state, account, TO, sig, s.marks, indices, oneX(M));
  return { s, account, leaf, indices, input };
}

/** A link, what the probe reads instead, and the carrier's honest and forged values. */
interface Link {
  readonly statement: string;
  /** The replacement (at most the line's length): signerX/signerY in place of the value. */
  readonly to: string;
  /** [signerX, signerY] holding the link's own value. */
  readonly honest: (w: World) => [bigint, bigint];
  /** [signerX, signerY] holding the value the forged exit is settled from. */
  readonly forged: (w: World) => [bigint, bigint];
  /** The payout the forged exit claims. */
  readonly payout: (w: World) => bigint;
  /** The components whose wires the link feeds (a broken constraint reads one of them). */
  readonly feeds: RegExp;
  readonly title: string;
}

const balanceOf = (a: Account, collateral: bigint) =>
  packBalance(collateral, a.withdrawNonce, isolationFlag(a));
const pair = (xs: readonly bigint[]): [bigint, bigint] => {
  assert.equal(xs.length, 2, "the carriers hold M = 2 values");
  return [xs[0], xs[1]];
};
/** The equity at the marks with no funding settled: what dodging the funding pays. */
const unsettled = (w: World) => equity(w.leaf, w.s.marks);

const LINKS: readonly Link[] = [
  {
    statement: "leaf.balance <== leafBalance;",
    to: "leaf.balance<==signerX;",
    honest: (w) => [w.input.leafBalance, 0n],
    forged: (w) => [balanceOf(w.leaf, w.leaf.collateral + EXTRA), 0n],
    payout: (w) => w.input.payout + EXTRA,
    feeds: /^main\.leaf\./,
    title:
      "refuses paying an exit from a collateral its leaf does not hold: the proven leaf's balance is hashed, one with 1,000,000 more is unpacked, and the user leaves with 1,000,000 it never had (leaf.balance <== leafBalance)",
  },
  {
    statement: "funding.lastIndex <== leaf.lastIndex;",
    to: "funding.lastIndex<==[signerX,signerY];",
    honest: (w) => pair(w.leaf.positions.map((p) => p.fundingIndex)),
    forged: (w) => pair(w.indices),
    payout: unsettled,
    feeds: /^main\.(funding|leaf)\./,
    title:
      "refuses an exit that dodges the funding it owes: funding is settled from last indices equal to the frozen ones, not the leaf's, and the long is paid its equity without the 50,000 it owes (funding.lastIndex <== leaf.lastIndex)",
  },
  {
    statement: "funding.index <== fundingIndex;",
    to: "funding.index<==[signerX,signerY];",
    honest: (w) => pair(w.indices),
    forged: (w) => pair(w.leaf.positions.map((p) => p.fundingIndex)),
    payout: unsettled,
    feeds: /^main\.funding\./,
    title:
      "refuses an exit that dodges the funding it owes: funding is settled up to the leaf's own indices, not the frozen ones the binding names, and the long is paid its equity without the 50,000 it owes (funding.index <== fundingIndex)",
  },
];

const withCarrier = (input: ExitAccountInput, [x, y]: [bigint, bigint]): ExitAccountInput => ({
  ...input,
  signerX: x,
  signerY: y,
});

describe("ExitAccount: the exit is paid from the proven leaf at the frozen indices (witnesses grafted from --O0 probes at the R1CS level)", function () {
  /** The production circuit. */
  let target: GraftTarget;
  let wasm: string;
  let w: World;

  before(async function () {
    const files = await testCircuit("exit_account");
    target = { r1cs: readR1cs(files.r1cs), names: readWireNames(files.sym).names };
    wasm = files.wasm;
    w = world();
  });

  it("the long owes 50,000 of funding at the frozen indices, and its exit pays its equity after it (the engine)", function () {
    const settled = settleFunding(w.leaf, w.indices);
    assert.equal(settled.payment, FUNDING_QUOTE);
    assert.equal(w.input.payout, equity(settled.account, w.s.marks));
    assert.equal(w.input.payout, exitPayout(w.leaf, w.s.marks, w.indices));
    assert.equal(unsettled(w), w.input.payout + FUNDING_QUOTE);
    assert.ok(w.input.payout > 0n);
    assert.equal(w.input.signer, 0n, "a trader's exit: signerX, signerY are free");
  });

  for (const link of LINKS) {
    const line = statementLine(FILE, link.statement);
    it(`${link.title}, line ${line}`, async function () {
      const probe = await linkProbe(
        target,
        { name: `exit_account_link_${line}`, source: FILE, expr: EXIT },
        { file: FILE, ...link },
      );

      // the harness: with the carrier holding the link's own value, the rewritten probe
      // grafted onto the production circuit is the honest exit, wire for wire
      const base = withCarrier(w.input, link.honest(w));
      const honest = await calculateWitness(wasm, toExitAccountSignals(base));
      await probe.reproduces(toExitAccountSignals(base), honest);

      // the forged exit: the same leaf, root, signature and binding, the carrier holding
      // the other value and the payout it yields (the rewritten probe's R1CS accepts it)
      const claim = withCarrier({ ...w.input, payout: link.payout(w) }, link.forged(w));
      const forged = (await probe.forge(toExitAccountSignals(claim))).grafted;
      // its public signals: the frozen root, the trader's account and signed recipient,
      // signer 0, and a payout above the equity its leaf has at the frozen indices
      const pub = exitAccountPublicSignals(claim).map(mod);
      assert.deepEqual(forged.slice(1, 1 + pub.length), pub);
      assert.deepEqual(
        exitAccountPublicSignals(claim).filter((_, i) => i !== 4),
        exitAccountPublicSignals(w.input).filter((_, i) => i !== 4),
        "all but the payout are the honest exit's",
      );
      assert.ok(claim.payout > w.input.payout, "paid more than its equity");

      const broken = unsatisfiedConstraints(target.r1cs, forged);
      assert.ok(broken.length > 0, `${link.statement} (line ${line}) must break a constraint`);
      // what breaks is where the link fed its value, not elsewhere in the graft
      for (const c of broken) {
        const reads = target.r1cs.constraints[c]
          .flat()
          .some(([wire]) => (target.names.get(wire) ?? []).some((n) => link.feeds.test(n)));
        assert.ok(reads, `constraint ${c} reads no wire of ${link.feeds}`);
      }
    });
  }
});
