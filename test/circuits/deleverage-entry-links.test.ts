import assert from "node:assert/strict";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import type { R1cs } from "../../prover/src/proving/r1cs.ts";
import { statementLine } from "../helpers/circuit.ts";
import {
  entryInputs,
  FILE,
  probeO0,
  probeO2,
  reader,
  signed,
  splice,
  unsatisfiedConstraints,
  wordSize,
  type EntryCase,
  type Link,
  type Probe,
} from "../helpers/deleverage-entry-links.ts";

// The links of a deleveraging entry (DeleverageEntry and its DeleverageCandidate, in
// circuits/src/auto-deleverage.circom) that --O2 substitutes away: made `<--`, each leaves a
// wire free that only the leaf's hash and Merkle path stand behind, which the determinism
// stage's solver cannot decide, and which the witness calculator always fills honestly.
// Each test builds, from an --O0 probe with the link writing another value (see
// test/helpers/deleverage-entry-links.ts), the witness of a forged entry that satisfies
// every constraint but the link, and checks that the --O2 circuit refuses it; without the
// link it is accepted (npm run mutate:circuits -- --tests <this file> --id
// auto-deleverage.circom:<line>:unconstrain), and an operator could publish the entry.
// The world: accounts 4 and 5, each short 3 BTC lots from 6,000,000 on 10,000,000 of
// collateral, deleveraged at 4,650,000 against a fund long in BTC (an honest entry closes
// all 3 lots and credits 14,050,000 of collateral).
//
// SettleFunding reads the two indices only as their difference, times 2^161 in the new
// word and times the size in the payment: freeing either index (:174, :175) frees the
// difference, so those mutants also accept the other index's forgery and, for a flat
// market (size 0), any new word (the ETH long of the :176 test).

const FUNDING_OWED = 300_000n;
/** A BTC index that makes a 3-lot short owe FUNDING_OWED (the leaves last paid at 0). */
const BTC_INDEX = -(100_000n << 20n);

type Values = (name: string) => bigint;

interface Graft extends Link {
  /** The prefixes of the wires a broken constraint must read: the link's side. */
  readonly reads: readonly string[];
  /** What the forged entry achieves, for the title. */
  readonly what: string;
  /** The forged entry's inputs, and those of the honest entry it is compared with. */
  readonly forged: EntryCase;
  readonly honest: EntryCase;
  /** Checks the forged witness `v` against the honest one `h` (signed reads). */
  readonly effect: (v: Values, h: Values) => void;
}

const EXACT = { left: 3n };
const collateralMinted = (v: Values, h: Values) => {
  assert.equal(v("main.q"), h("main.q"));
  assert.equal(v("main.newCollateral") - h("main.newCollateral"), 1n << 40n);
};
/** The account closes 6 lots while short 3: it ends long 3 lots at a notional of 0. */
const flipped = (v: Values, h: Values) => {
  assert.deepEqual([h("main.q"), v("main.q")], [3n, 6n]);
  assert.equal(wordSize(v("main.newWord[0]")), 3n);
  assert.equal(v("main.newNotional[0]"), 0n);
};
/** The account closes its position without paying the funding it owes. */
const fundingSkipped = (v: Values, h: Values) => {
  assert.deepEqual([h("main.funding.payment"), v("main.funding.payment")], [FUNDING_OWED, 0n]);
  assert.equal(v("main.newCollateral") - h("main.newCollateral"), FUNDING_OWED);
  assert.equal(wordSize(v("main.newWord[0]")), 0n, "flat: no later settlement collects it");
};

const GRAFTS: readonly Graft[] = [
  {
    statement: "accountBits.in <== account;",
    alt: "accountBits.in <== account+1;",
    reads: ["main.accountBits.", "main.account"],
    what: "closes account 5's position while the entry names account 4",
    forged: { account: 4n, leafOf: 5n, left: 3n },
    honest: { account: 5n, left: 3n },
    effect: (v, h) => {
      assert.equal(v("main.account"), 4n);
      // the tree after it is the one account 5's own entry leaves
      assert.equal(v("main.rootOut"), h("main.rootOut"));
    },
  },
  {
    statement: "old.balance <== balance;",
    alt: "old.balance <== balance + 2**40;",
    reads: ["main.old.", "main.balance"],
    what: "writes a new leaf with 2^40 of collateral the old leaf does not hold",
    forged: EXACT,
    honest: EXACT,
    effect: collateralMinted,
  },
  {
    statement: "old.word <== word;",
    alt: "for (var j = 0; j < M; j++) old.word[j] <== word[j] - market[j] * 3;",
    reads: ["main.old.", "main.word["],
    what: "reads the account short 6 lots where its leaf holds 3, closes 6 and leaves it long 3 at no notional",
    forged: { left: 6n },
    honest: { left: 6n },
    effect: flipped,
  },
  {
    statement: "funding.collateral <== old.collateral;",
    alt: "funding.collateral <== old.collateral + 2**40;",
    reads: ["main.funding.", "main.old."],
    what: "settles funding on 2^40 more collateral than the leaf holds, and writes it to the new leaf",
    forged: EXACT,
    honest: EXACT,
    effect: collateralMinted,
  },
  {
    statement: "funding.lastIndex <== old.lastIndex;",
    alt: "funding.lastIndex <== index;",
    reads: ["main.funding.", "main.old."],
    what: "settles funding from the batch's index instead of the leaf's: closes the position without paying 300,000 it owes",
    forged: { left: 3n, btcIndex: BTC_INDEX },
    honest: { left: 3n, btcIndex: BTC_INDEX },
    effect: fundingSkipped,
  },
  {
    statement: "funding.index <== index;",
    alt: "funding.index <== old.lastIndex;",
    reads: ["main.funding.", "main.index["],
    what: "settles funding to the leaf's own index instead of the batch's: closes the position without paying 300,000 it owes",
    forged: { left: 3n, btcIndex: BTC_INDEX },
    honest: { left: 3n, btcIndex: BTC_INDEX },
    effect: fundingSkipped,
  },
  {
    statement: "funding.word <== word;",
    alt: "for (var j = 0; j < M; j++) funding.word[j] <== word[j] + (1 - market[j]) * 5;",
    // (--O2 reads funding.wordOut where newWord does)
    reads: ["main.funding.", "main.word[", "main.newWord["],
    what: "writes a 5-lot ETH long at no notional into the new leaf, which no trade sold it",
    forged: EXACT,
    honest: EXACT,
    effect: (v, h) => {
      assert.equal(wordSize(h("main.newWord[1]")), 0n);
      assert.equal(wordSize(v("main.newWord[1]")), 5n);
      assert.equal(v("main.newNotional[1]"), 0n);
      assert.equal(v("main.newCollateral"), h("main.newCollateral"));
    },
  },
  {
    statement: "score <== candidate.score;",
    alt: "score <== 2**61;",
    reads: ["main.score", "main.candidate.score"],
    what: "publishes a score of 2^61, not its account's, for the ranking's order",
    forged: EXACT,
    honest: EXACT,
    effect: (v, h) => {
      assert.equal(h("main.score"), 375_000n);
      assert.equal(v("main.score"), 1n << 61n);
      assert.equal(v("main.rootOut"), h("main.rootOut"));
    },
  },
  {
    statement: "pickSize[j] <== market[j] * size[j];",
    alt: "pickSize[j] <== market[j] * size[j] * 2;",
    reads: ["main.candidate.pickSize[", "main.candidate.size["],
    what: "picks a size of -6 where the leaf holds -3, closes 6 lots and leaves the account long 3 at no notional",
    forged: { left: 6n },
    honest: { left: 6n },
    effect: flipped,
  },
  {
    statement: "pickNotional[j] <== market[j] * notional[j];",
    alt: "pickNotional[j] <== market[j] * notional[j] * 2;",
    reads: ["main.candidate.pickNotional[", "main.candidate.notional[", "main.notional["],
    what: "realises twice the position's notional: 18,000,000 moved into collateral, its score computed on it",
    forged: EXACT,
    honest: EXACT,
    effect: (v, h) => {
      assert.equal(v("main.q"), h("main.q"));
      assert.equal(v("main.newCollateral") - h("main.newCollateral"), 18_000_000n);
      // the flat position is left owing it (a state no trade produces)
      assert.equal(wordSize(v("main.newWord[0]")), 0n);
      assert.equal(v("main.newNotional[0]"), 18_000_000n);
      assert.notEqual(v("main.score"), h("main.score"));
    },
  },
];

describe("DeleverageEntry: the links of an entry's leaf, funding, candidate and score (witnesses grafted from an --O0 probe at the R1CS level)", function () {
  let r1cs: R1cs;
  let wasm: string;
  let wires: Map<number, string[]>;
  let plain: Probe;
  const witness = (probe: Probe, c: EntryCase) => calculateWitness(probe.wasm, entryInputs(c));
  const values = (probe: Probe, w: readonly bigint[]): Values => {
    const read = reader(probe, w);
    return (name) => signed(read(name), r1cs.prime);
  };

  before(async function () {
    ({ r1cs, wasm, wires } = await probeO2());
    plain = await probeO0();
  });

  it("splices the unmodified probe's witness into the --O2 circuit's exactly (the harness's sanity check)", async function () {
    const key = (c: EntryCase) =>
      JSON.stringify(c, (_, x: unknown) => (typeof x === "bigint" ? String(x) : x));
    const cases = new Map(GRAFTS.map((g) => [key(g.honest), g.honest]));
    for (const [k, c] of cases) {
      const honest = await calculateWitness(wasm, entryInputs(c));
      assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
      const spliced = splice(wires, r1cs.nWires, plain, await witness(plain, c));
      assert.deepEqual(spliced, honest, k);
    }
  });

  for (const g of GRAFTS) {
    const line = statementLine(FILE, g.statement);
    it(`refuses an entry that ${g.what} (line ${line}, ${g.statement})`, async function () {
      const probe = await probeO0(g);
      // the rewrite kept every signal's name (anonymous components carry their offsets)
      assert.deepEqual([...probe.names.keys()].sort(), [...plain.names.keys()].sort());
      const w = await witness(probe, g.forged);
      g.effect(values(probe, w), values(plain, await witness(plain, g.honest)));
      const forged = splice(wires, r1cs.nWires, probe, w);
      const broken = unsatisfiedConstraints(r1cs, forged);
      // what breaks is the link's side of the circuit, not the splice
      for (const c of broken) {
        const read = r1cs.constraints[c]
          .flat()
          .some(([x]) => (wires.get(x) ?? []).some((n) => g.reads.some((p) => n.startsWith(p))));
        assert.ok(read, `constraint ${c} reads no wire of ${g.reads.join(", ")}`);
      }
      assert.ok(broken.length > 0, `${g.statement} (line ${line}) must break a constraint`);
    });
  }
});
