import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { mod } from "../../prover/src/domain/field.ts";
import {
  skippedDeleveragePublicSignals,
  type SkippedDeleverageInput,
} from "../../prover/src/domain/skip-inputs.ts";
import { skipProofInput, skippedAccounts } from "../../prover/src/engine/skip-proof.ts";
import { ROOT } from "../../prover/src/proving/paths.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { mutantsOf } from "../../prover/src/verify/mutants.ts";
import { statementLine, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { settleCrash, twoShorts, world } from "../helpers/deleverage-world.ts";
import { graftByName, type GraftTarget, type LinkRewrite } from "../helpers/o0-graft.ts";
import { compileProbeO0 } from "../helpers/probe-o0.ts";

// SkippedDeleverage (circuits/src/skip-deleverage.circom) is the skip proof: a valid one
// freezes the exchange for good (DeleverageChallenge.sol), and anyone may submit one, so
// an honest batch must admit none. Three of its `<==` carry what makes a skip real:
//     signal fundLong <== selLong;                       (the fund's side, from its head)
//     candidate.fundLong <== fundLong;                   (the side the candidate opposes)
//     signal neither <== notAbove[A] * (1 - leftOver);   (neither ranked above nor lots left)
// --O2 substitutes each away. Made `<--`, the fund's side stays fixed (DeleverageCandidate
// ties it to the candidate's sign bit) but is no longer the head's, which the determinism
// stage cannot see: it asks whether a wire has one value, not whether it is the right one;
// and `neither === 0` pins only itself. The witness calculator computes the honest values,
// so no test that feeds inputs kills them.
//
// Each forged witness comes from an --O0 probe of SkippedDeleverage at the test parameters
// (every signal keeps its name) with the link's line rewritten. The fund's-side links read
// `headLong[1]` instead: ETH's head is disabled in every batch here, so its side only feeds
// a head hash multiplied by its enabled flag, 0, and a pick multiplied by isMarket[1], 0: a
// free carrier. `neither` reads the constant 0, the only value `neither === 0` lets through
// (so every valid skip proof is reproduced). The harness first checks that the probe,
// grafted by name onto the --O2 circuit of the sources under test, is a valid skip proof's
// honest witness wire for wire; the forged witness is then the probe's on an HONEST batch,
// which the original R1CS must refuse: on the mutant it would be a skip proof freezing the
// exchange over a batch that left nobody out.

const P = TEST_PARAMS;
const FILE = "skip-deleverage.circom";
const EXPR = `SkippedDeleverage(${CIRCUITS.skipped_deleverage.args(P).join(", ")})`;
const BTC = 0;
/** ETH: never deleveraged here, its head's side is the carrier. */
const SPARE = 1;

type Link = Omit<LinkRewrite, "file">;

const FUND_LONG: Link = {
  statement: "signal fundLong <== selLong;",
  to: `signal fundLong<==headLong[${SPARE}];`,
};
const CANDIDATE_SIDE: Link = {
  statement: "candidate.fundLong <== fundLong;",
  to: `candidate.fundLong<==headLong[${SPARE}];`,
};
const NEITHER: Link = {
  statement: "signal neither <== notAbove[A] * (1 - leftOver);",
  to: "signal neither <== 0;",
};

const lineOf = (link: Link) => statementLine(FILE, link.statement);

/**
 * The probe's sources: FILE (the one under test, a mutant's when the tests run against
 * one) with the link's line replaced by `link.to`, padded to the line's length (anonymous
 * components' names carry a file offset). The line may read as the statement or as its
 * `<--` mutant exactly as mutants.ts writes it (a declaration is split: `signal x; x <--
 * ...`), which o0-graft's rewriteLine does not recognise.
 */
function rewriteLink(link: Link): (f: string, text: string) => string {
  const line = lineOf(link);
  const original = fs.readFileSync(path.join(ROOT, "circuits", "src", FILE), "utf8");
  const mutant = mutantsOf(FILE, original).find((m) => m.id === `${FILE}:${line}:unconstrain`);
  assert.ok(mutant, `${FILE}:${line} has an unconstrain mutant`);
  const forms = [link.statement, mutant.after.trim()];
  return (f, text) => {
    if (f !== FILE) return text;
    const lines = text.split("\n");
    const at = lines[line - 1];
    assert.ok(forms.includes(at.trim()), `line ${line} of ${FILE} is the link: ${at}`);
    assert.ok(link.to.length <= at.length, `${link.to} fits the line`);
    lines[line - 1] = link.to.padStart(at.length);
    return lines.join("\n");
  };
}

/**
 * BTC crashes with the bankrupt long 2 lots (C = 100,000 - 1,500,000): the fund takes them
 * and is long 2 lots at 4,700,000. Account 4 is short 1 lot (the only account opposing
 * it), account 5 long 1 lot from 4,000,000 on 10,000,000: healthy, on the fund's side.
 * Honestly account 4 takes a lot and the other stays unplaced with a slot free: nobody else
 * opposes the fund, so the batch left nobody out.
 */
const sideWorld = () =>
  world(
    [100_000n, 10_000_000n],
    [[10_000_000n, 1n, 6_000_000n]],
    [[10_000_000n, 1n, 4_000_000n]],
    2n,
  );

/** `input` with ETH's (disabled) head's side set to `carrier`. */
const carry = (input: SkippedDeleverageInput, carrier: bigint): SkippedDeleverageInput => {
  assert.equal(input.heads[SPARE].enabled, 0n, "ETH's head is disabled");
  return {
    ...input,
    heads: input.heads.map((h, j) => (j === SPARE ? { ...h, long: carrier } : h)),
  };
};

describe("SkippedDeleverage: a skip proof's fund side and its 'left out' are the batch's (witnesses grafted from --O0 probes at the R1CS level)", function () {
  let target: GraftTarget;

  before(async function () {
    const files = await testCircuit("skipped_deleverage");
    target = { r1cs: readR1cs(files.r1cs), names: readWireNames(files.sym).names };
  });

  /**
   * The probe of `link`, checked to reproduce the valid skip proof `real` (the grafted probe
   * must be its honest --O2 witness), then its witness of `forged`, grafted: returns both
   * after checking that the original R1CS refuses the graft.
   */
  async function forge(link: Link, real: SkippedDeleverageInput, forged: SkippedDeleverageInput) {
    const line = lineOf(link);
    const o0 = await compileProbeO0(`skip_deleverage_links_${line}`, FILE, EXPR, {
      rewrite: rewriteLink(link),
    });
    const sym = readSymbols(o0.sym);
    const graft = (witness: readonly bigint[]) =>
      graftByName(target.names, target.r1cs.nWires, { sym, witness });
    const signals = CIRCUITS.skipped_deleverage.toSignals;
    // the harness: the probe, grafted, is the valid skip proof's honest witness
    const expected = await witnessFor({ kind: "skipped_deleverage", input: real });
    assert.deepEqual(unsatisfiedConstraints(target.r1cs, expected), [], "the honest witness");
    const same = graft(await calculateWitness(o0.wasm, signals(real)));
    assert.deepEqual(same, expected, "the rewritten probe reproduces the honest witness");
    // the forgery: the circuit with the link's wire free accepts it
    const w = await calculateWitness(o0.wasm, signals(forged));
    assert.deepEqual(unsatisfiedConstraints(readR1cs(o0.r1cs), w), [], "the probe accepts it");
    const grafted = graft(w);
    // the forgery's public inputs: the honest batch's commitment and binding, the account
    assert.deepEqual(grafted.slice(1, 5), skippedDeleveragePublicSignals(forged));
    assert.ok(
      unsatisfiedConstraints(target.r1cs, grafted).length > 0,
      `${link.statement} (${FILE}:${line}) must break a constraint`,
    );
    const at = (n: string) => {
      const i = sym.get(`main.${n}`);
      assert.ok(i !== undefined, `the probe has main.${n}`);
      return w[i];
    };
    return { at, grafted };
  }

  /** The honest side world: the batch, account 4's skip under a batch that drops it. */
  function sides() {
    const honest = settleCrash(sideWorld);
    assert.deepEqual(
      honest.file.deleveraged?.map((d) => [
        d.market,
        d.fundSize,
        d.entries.map((e) => [e.account, e.lots]),
      ]),
      [[BTC, 2n, [[4n, 1n]]]],
      "the fund long 2 lots, account 4 takes one, one is left unplaced",
    );
    assert.deepEqual(skippedAccounts(honest.before, honest.file, P), [], "nobody left out");
    // the probe's reference: a batch that leaves account 4 out, a real skip
    const dropped = settleCrash(sideWorld, { markets: [BTC], ranking: () => [] });
    assert.deepEqual(skippedAccounts(dropped.before, dropped.file, P), [
      { market: BTC, account: 4n },
    ]);
    const real = skipProofInput(dropped.before, dropped.file, P, 4n, BTC);
    // account 5, long like the fund: the honest batch rightly never examined it
    const long = skipProofInput(honest.before, honest.file, P, 5n, BTC, { unchecked: true });
    assert.deepEqual(
      [long.heads[BTC].enabled, long.heads[BTC].long, long.heads[BTC].lots],
      [1n, 1n, 2n],
      "BTC's head: the fund long 2 lots",
    );
    assert.equal(long.dataCommitment, honest.file.dataCommitment, "the honest batch's commitment");
    return { real, long };
  }

  it(`refuses a skip proof read on the fund's wrong side: fundLong 0 under BTC's head that says long lets account 5, long like the fund, pass as a candidate opposing it: a 'skip' of the honest batch that freezes the exchange (${FILE}:${lineOf(FUND_LONG)})`, async function () {
    const { real, long } = sides();
    // honest fundLong 1 carried; forged 0 (the head still long)
    const { at } = await forge(FUND_LONG, carry(real, 1n), carry(long, 0n));
    assert.equal(at("pick[0][2]"), 1n, "the head's side, read by C: long");
    assert.equal(at("fundLong"), 0n, "the side the proof uses: short");
    assert.equal(at("candidate.fundLong"), 0n, "the candidate opposes a short fund");
    // a long candidate closing a lot at 4,700,000 over the mark 4,000,000 earns, not pays
    assert.equal(at("distance"), mod(-700_000n), "distance read on the wrong side");
    assert.equal(at("leftOver"), 1n, "a lot unplaced with a slot free");
  });

  it(`refuses a skip proof whose candidate opposes another side than the fund's: account 5, long like the fund, is judged as opposing a short fund at the long fund's own price and cost: a 'skip' of the honest batch that freezes the exchange (${FILE}:${lineOf(CANDIDATE_SIDE)})`, async function () {
    const { real, long } = sides();
    const { at } = await forge(CANDIDATE_SIDE, carry(real, 1n), carry(long, 0n));
    assert.equal(at("fundLong"), 1n, "the head's side: long");
    assert.equal(at("candidate.fundLong"), 0n, "the side the candidate is judged against");
    assert.equal(at("distance"), 700_000n, "the cost is the fund's side's");
    assert.equal(at("candidate.q"), 1n, "it 'affords' a lot");
  });

  it(`refuses a skip proof for an account the honest batch rightly ranked below its entry with every lot placed: account 5 in twoShorts, 'skipped' though account 4 took both lots (${FILE}:${lineOf(NEITHER)})`, async function () {
    const honest = settleCrash(twoShorts);
    assert.deepEqual(
      honest.file.deleveraged?.map((d) => d.entries.map((e) => [e.account, e.lots])),
      [[[4n, 2n]]],
      "account 4 takes both lots",
    );
    assert.deepEqual(skippedAccounts(honest.before, honest.file, P), []);
    const below = skipProofInput(honest.before, honest.file, P, 5n, BTC, { unchecked: true });
    assert.equal(below.dataCommitment, honest.file.dataCommitment);
    // the probe's reference: the batch that leaves account 4 out (5 takes a lot, one unplaced)
    const dropped = settleCrash(twoShorts, { markets: [BTC], ranking: (rk) => rk.slice(1) });
    const real = skipProofInput(dropped.before, dropped.file, P, 4n, BTC);
    const { at } = await forge(NEITHER, real, below);
    // honestly neither = 1 * (1 - 0): ranked above no entry, no lot left over
    assert.equal(at(`notAbove[${P.deleverages}]`), 1n, "account 5 ranks above no entry");
    assert.equal(at("leftOver"), 0n, "every lot placed");
    assert.equal(at("neither"), 0n, "the forged 'left out'");
  });
});
