import assert from "node:assert/strict";
import {
  leafHash,
  packBalance,
  packPositionWord,
  unpackBalance,
  unpackPositionWord,
} from "../../prover/src/domain/account.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { BPS_DENOMINATOR, FUNDING_SCALE } from "../../prover/src/domain/constants.ts";
import { deleverageTake } from "../../prover/src/domain/deleveraging.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { mod } from "../../prover/src/domain/field.ts";
import type { SignalValue } from "../../prover/src/domain/inputs.ts";
import {
  skippedDeleveragePublicSignals,
  toSkippedDeleverageSignals,
  type SkippedDeleverageInput,
} from "../../prover/src/domain/skip-inputs.ts";
import { oneX, scaledMarkets } from "../../prover/src/domain/volatility.ts";
import { deleverageRanking } from "../../prover/src/engine/deleverage.ts";
import { LiquidatorError } from "../../prover/src/engine/liquidators.ts";
import { skippedAccounts, skipProofInput } from "../../prover/src/engine/skip-proof.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { assertRefused, statementLine, TEST_PARAMS, testCircuit } from "../helpers/circuit.ts";
import { CRASH_MARKS, settleCrash, world } from "../helpers/deleverage-world.ts";
import { graftByName, rewriteLine, type GraftTarget } from "../helpers/o0-graft.ts";
import { compileProbeO0 } from "../helpers/probe-o0.ts";

// SkippedDeleverage (circuits/src/skip-deleverage.circom) is the skip proof: anyone shows
// that a settled liquidation batch's deleveraging left out an account its ranking had to
// list, and DeleverageChallenge.proveSkippedDeleverage freezes the exchange for good on it
// (no role involved, the operator cannot stop it). Whether the account was a candidate is
// judged on its own leaf, the one proven on the market's root, through five `<==`:
//     old.balance <== balance;                 (the hashed balance is the one unpacked)
//     old.word <== word;                       (so are the hashed position words)
//     funding.collateral <== old.collateral;   (funding is settled from that collateral)
//     funding.lastIndex <== old.lastIndex;     (from the words' own last indices)
//     funding.index <== fundingIndex;          (up to the batch's bound indices)
// --O2 substitutes each away. With one made `<--`, the freed wire reaches no hash and no
// binding, so the candidate's collateral follows whatever the prover writes there, yet the
// witness calculator computes the honest value: no test that feeds inputs sees it.
//
// The forgery: an honest batch and an account it rightly passed over. BTC crashes; the
// bankrupt's 2 lots go to the fund, account 4 (short 1 lot from 6,000,000 on 700,000)
// takes one, and account 5 (short 1 lot from 4,000,000 on 300,000: equity 300,000,
// surplus 10^9 against a cost of 5 * 10^9 per lot at the price 4,700,000) cannot afford
// the other, so the fund keeps it and a slot stays free. Each forged witness gives
// account 5 1,000,000 more collateral through one link (a richer balance, a word whose
// last index makes funding pay it, a richer collateral, or last/bound indices 10^6 * 2^20
// apart), so it "affords" the lot left over with a slot free: a skip proof of account 5
// against the honest batch, with which anyone freezes the exchange.
//
// The witnesses come from an --O0 probe of SkippedDeleverage (sources under test, every
// signal under its name) whose link line reads a carrier instead. The template has no free
// input of M values short enough for `old.word <== word;` (22 characters), so the probe
// declares its own, `signal input carrier[M];`, on the comment line that opens section D
// (the same length: anonymous components' names, which carry file offsets, stay), and the
// production circuit has no such input at all. As test/helpers/o0-graft.ts's linkProbe
// does, the harness first checks that the probe, with the carrier at the link's own value,
// grafted by name onto the production circuit (test parameters, built from the sources
// under test) is a genuine skip proof wire for wire; the R1CS must then refuse the forged
// one, which the circuit without the link accepts by construction (npm run
// mutate:circuits -- --tests <this file> --id skip-deleverage.circom:<line>:unconstrain).

const P = TEST_PARAMS;
const M = P.markets;
const FILE = "skip-deleverage.circom";
const EXPR = `SkippedDeleverage(${CIRCUITS.skipped_deleverage.args(P).join(", ")})`;
/** The line the probe declares its carrier on: section D's opening comment. */
const COMMENT =
  "// D. The account: a user account whose leaf is in the tree of the market's root, a";
/** The collateral the forged proofs give account 5. */
const EXTRA = 1_000_000n;
/** An index distance that pays a 1-lot short EXTRA of funding. */
const DELTA = EXTRA * FUNDING_SCALE;
const LISTED = 4n;
const THIN = 5n;

/** The crash: 2 bankrupt lots; account 4 affords one, account 5 (thin) none. */
const thin = () =>
  world(
    [100_000n, 10_000_000n],
    [
      [700_000n, 1n, 6_000_000n],
      [300_000n, 1n, 4_000_000n],
    ],
    [],
    2n,
  );

const skip = (input: SkippedDeleverageInput) => ({ kind: "skipped_deleverage" as const, input });
const collateralOf = (input: SkippedDeleverageInput) => unpackBalance(input.balance).collateral;
const positionOf = (input: SkippedDeleverageInput, j: number) =>
  unpackPositionWord(input.word[j], input.notional[j]);

/** A link, the probe's line reading `carrier`, and what the carrier holds. */
interface Link {
  readonly statement: string;
  /** At most the line's length. */
  readonly to: string;
  /** The link's own value in `input`: the carrier of the harness. */
  readonly honest: (input: SkippedDeleverageInput) => bigint[];
  /** The value the forged proof reads instead. */
  readonly forged: (input: SkippedDeleverageInput) => bigint[];
  /** The wire the link writes, and the one it copies (they differ in the forgery). */
  readonly freed: readonly [written: string, read: string];
  /** The components whose wires the link feeds: a broken constraint reads one of them. */
  readonly feeds: RegExp;
  readonly title: string;
}

const LINKS: readonly Link[] = [
  {
    statement: "old.balance <== balance;",
    to: "old.balance<==carrier[0];",
    honest: (x) => [x.balance, 0n],
    forged: (x) => {
      const b = unpackBalance(x.balance);
      return [packBalance(b.collateral + EXTRA, b.withdrawNonce, b.flag), 0n];
    },
    freed: ["main.old.balance", "main.balance"],
    feeds: /^main\.old\./,
    title:
      "refuses a skip read from a balance its leaf does not hold: the leaf's balance is hashed, one with 1,000,000 more is unpacked, and account 5, rightly passed over, affords the lot the fund kept",
  },
  {
    statement: "old.word <== word;",
    to: "old.word<==carrier;",
    honest: (x) => [...x.word],
    forged: (x) => {
      const p = positionOf(x, 0);
      return [packPositionWord({ ...p, fundingIndex: p.fundingIndex - DELTA }), x.word[1]];
    },
    freed: ["main.old.word[0]", "main.word[0]"],
    feeds: /^main\.old\./,
    title:
      "refuses a skip read from a position word its leaf does not hold: the leaf's BTC word is hashed, one whose last index lies 10^6 * 2^20 below it is unpacked, so funding pays account 5 1,000,000 it was never owed and it affords the lot the fund kept",
  },
  {
    statement: "funding.collateral <== old.collateral;",
    to: "funding.collateral<==carrier[0];",
    honest: (x) => [collateralOf(x), 0n],
    forged: (x) => [collateralOf(x) + EXTRA, 0n],
    freed: ["main.funding.collateral", "main.old.collateral"],
    feeds: /^main\.(old|funding)\./,
    title:
      "refuses a skip that settles funding on a collateral the leaf does not hold: account 5's 300,000 enters funding as 1,300,000, and it affords the lot the fund kept",
  },
  {
    statement: "funding.lastIndex <== old.lastIndex;",
    to: "funding.lastIndex<==carrier;",
    honest: (x) => [0, 1].map((j) => positionOf(x, j).fundingIndex),
    forged: (x) => [positionOf(x, 0).fundingIndex - DELTA, positionOf(x, 1).fundingIndex],
    freed: ["main.funding.lastIndex[0]", "main.old.lastIndex[0]"],
    feeds: /^main\.(old|funding)\./,
    title:
      "refuses a skip that settles funding from last indices the leaf does not hold: BTC's is read 10^6 * 2^20 below the word's, so funding pays account 5 1,000,000 and it affords the lot the fund kept",
  },
  {
    statement: "funding.index <== fundingIndex;",
    to: "funding.index<==carrier;",
    honest: (x) => [...x.fundingIndex],
    forged: (x) => [x.fundingIndex[0] + DELTA, x.fundingIndex[1]],
    freed: ["main.funding.index[0]", "main.fundingIndex[0]"],
    feeds: /^main\.(funding\.|fundingIndex\[)/,
    title:
      "refuses a skip that settles funding up to indices the batch does not bind: BTC's is read 10^6 * 2^20 above the batch's, so funding pays account 5 1,000,000 and it affords the lot the fund kept",
  },
];

const signals = (
  input: SkippedDeleverageInput,
  carrier: readonly bigint[],
): Record<string, SignalValue> => ({
  ...toSkippedDeleverageSignals(input),
  carrier: carrier.map((x) => String(mod(x))),
});

/**
 * The --O0 probe of `link`: the sources under test with the carrier declared on COMMENT's
 * line and the link's line reading it. Its witnesses, raw and grafted onto `target`.
 */
async function carrierProbe(target: GraftTarget, link: Link) {
  const declare = rewriteLine(FILE, COMMENT, "signal input carrier[M];");
  const relink = rewriteLine(FILE, link.statement, link.to);
  const o0 = await compileProbeO0(
    `skip_deleverage_leaf_links_${statementLine(FILE, link.statement)}`,
    FILE,
    EXPR,
    { rewrite: (f, text) => relink(f, declare(f, text)) },
  );
  const sym = readSymbols(o0.sym);
  const r1cs = readR1cs(o0.r1cs);
  return {
    at: (w: readonly bigint[], name: string) => {
      const i = sym.get(name);
      assert.ok(i !== undefined, `the probe has ${name}`);
      return w[i];
    },
    r1cs,
    async run(s: Record<string, SignalValue>) {
      const probe = await calculateWitness(o0.wasm, s);
      const grafted = graftByName(target.names, target.r1cs.nWires, { sym, witness: probe });
      return { probe, grafted };
    },
  };
}

/** The honest batch and account 5's (refused) skip input on it. */
function honestBatch() {
  const { before, file } = settleCrash(thin);
  return { before, file, input: skipProofInput(before, file, P, THIN, 0, { unchecked: true }) };
}

describe("SkippedDeleverage: a skip is judged on the proven leaf's own collateral and funding (witnesses grafted from --O0 probes at the R1CS level)", function () {
  let target: GraftTarget;
  let wasm: string;
  /** Account 5's skip input on the honest batch (refused). */
  let thinSkip: SkippedDeleverageInput;
  /** Account 5's leaf as the tree holds it before the batch. */
  let thinLeaf: bigint;
  /** A genuine skip: the batch that dropped account 4 from the ranking, proven for it. */
  let genuine: SkippedDeleverageInput;

  before(async function () {
    const files = await testCircuit("skipped_deleverage");
    target = { r1cs: readR1cs(files.r1cs), names: readWireNames(files.sym).names };
    wasm = files.wasm;
    const honest = honestBatch();
    thinSkip = honest.input;
    thinLeaf = leafHash(honest.before.getAccount(THIN));
    const dodge = settleCrash(thin, {
      markets: [0],
      ranking: (rk) => rk.filter((r) => r.account !== LISTED),
    });
    assert.deepEqual(skippedAccounts(dodge.before, dodge.file, P), [
      { market: 0, account: LISTED },
    ]);
    genuine = skipProofInput(dodge.before, dodge.file, P, LISTED, 0);
  });

  it("the honest batch lists account 4 and keeps a lot with a slot free: account 5, short a lot, cannot afford it, and 1,000,000 more would let it (the engine, and the circuit refuses its skip)", async function () {
    const { before, file } = honestBatch();
    const [head] = file.deleveraged ?? [];
    assert.deepEqual(
      [head.market, head.fundSize, head.entries.map((e) => [e.account, e.lots])],
      [0, 2n, [[LISTED, 1n]]],
    );
    assert.ok(P.deleverages > head.entries.length, "a slot is free");
    assert.deepEqual(skippedAccounts(before, file, P), [], "nobody was left out");
    assert.throws(
      () => skipProofInput(before, file, P, THIN, 0),
      (e: unknown) => e instanceof LiquidatorError && e.code === "SKIP_NOT_ELIGIBLE",
    );
    await assertRefused(skip(thinSkip), "DeleverageCandidate");
    // account 5 ranks (equity above 0, at maintenance) but a lot costs more surplus than it has
    const liquidatable = scaledMarkets(before.markets, oneX(M), "liquidation");
    const ranked = deleverageRanking(before, 0, true, CRASH_MARKS, zeroIndices(M), liquidatable);
    const r = ranked.find((x) => x.account === THIN);
    assert.ok(r !== undefined && r.size === -1n);
    const mark = CRASH_MARKS[0];
    const cost =
      BPS_DENOMINATOR * (head.price - mark) - mark * liquidatable[0].maintenanceMarginBps;
    assert.deepEqual([r.surplus, cost], [1_000_000_000n, 5_000_000_000n]);
    assert.equal(deleverageTake(1n, 1n, r.surplus, cost), 0n);
    assert.equal(deleverageTake(1n, 1n, r.surplus + BPS_DENOMINATOR * EXTRA, cost), 1n);
    // its leaf: 300,000 of collateral, short 1 BTC, funding settled at the batch's indices
    assert.equal(collateralOf(thinSkip), 300_000n);
    assert.deepEqual(thinSkip.fundingIndex, zeroIndices(M));
    assert.equal(positionOf(thinSkip, 0).fundingIndex, 0n);
  });

  for (const link of LINKS) {
    const line = statementLine(FILE, link.statement);
    it(`${link.title}, which would freeze the exchange (${FILE}:${line})`, async function () {
      const probe = await carrierProbe(target, link);
      assert.equal(link.honest(thinSkip).length, M, "the carrier holds M values");

      // the harness: with the carrier at the link's own value, the probe grafted onto the
      // production circuit is the genuine skip proof wire for wire
      const expected = await calculateWitness(wasm, toSkippedDeleverageSignals(genuine));
      assert.deepEqual(unsatisfiedConstraints(target.r1cs, expected), [], "the genuine skip");
      const same = await probe.run(signals(genuine, link.honest(genuine)));
      assert.deepEqual(same.grafted, expected, "the probe reproduces the genuine skip");

      // the forgery: account 5's leaf, path and batch as the honest batch has them, the
      // carrier holding the richer value; the probe (the circuit without the link) accepts it
      const { probe: w, grafted } = await probe.run(signals(thinSkip, link.forged(thinSkip)));
      assert.deepEqual(unsatisfiedConstraints(probe.r1cs, w), [], "the probe accepts it");
      assert.deepEqual(
        grafted.slice(1, 5),
        skippedDeleveragePublicSignals(thinSkip).map(mod),
        "it proves: the honest batch left account 5 out of BTC",
      );
      const [written, read] = link.freed;
      assert.equal(probe.at(w, written), mod(link.forged(thinSkip)[0]));
      assert.equal(probe.at(w, read), mod(link.honest(thinSkip)[0]));
      assert.notEqual(probe.at(w, written), probe.at(w, read), "the link's wire is not its value");
      // with the link's own value the probe refuses the same proof: it cannot afford a lot
      await assert.rejects(probe.run(signals(thinSkip, link.honest(thinSkip))), (e: unknown) => {
        assert.ok(e instanceof WitnessError, String(e));
        assert.ok(
          e.templates.some((t) => t.startsWith("DeleverageCandidate")),
          e.message,
        );
        return true;
      });
      // what the skip is judged on: the leaf the tree holds, 1,000,000 more collateral
      // after funding, and a lot afforded
      assert.equal(probe.at(w, "main.leaf"), thinLeaf, "the leaf the tree holds");
      assert.equal(probe.at(w, "main.funding.collateralOut"), mod(collateralOf(thinSkip) + EXTRA));
      assert.equal(probe.at(w, "main.candidate.q"), 1n, "account 5 affords a lot");

      const broken = unsatisfiedConstraints(target.r1cs, grafted);
      assert.ok(broken.length > 0, `${link.statement} (line ${line}) must break a constraint`);
      for (const c of broken) {
        const reads = target.r1cs.constraints[c]
          .flat()
          .some(([wire]) => (target.names.get(wire) ?? []).some((n) => link.feeds.test(n)));
        assert.ok(reads, `constraint ${c} reads no wire of ${link.feeds}`);
      }
    });
  }
});
