import assert from "node:assert/strict";
import { compileProbe } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { TEST_PARAMS } from "../helpers/circuit.ts";
import { entryInputs } from "../helpers/deleverage-entry-links.ts";

const P = TEST_PARAMS;
const M = P.markets;

/**
 * One ranked entry alone (DeleverageEntry of circuits/src/auto-deleverage.circom): account
 * 4 of the deleveraging world, short 3 BTC lots from 6,000,000 on 10,000,000, closes lots
 * at 4,650,000 against a fund long in BTC (test/helpers/deleverage-entry-links.ts's
 * entryInputs). It can afford far more than 3 lots, so the lots it takes are bound by
 * `left`, the fund's lots still to place.
 */
const entrySignals = (left: bigint) => entryInputs({ left });

// The witness calculator computes a `<--` signal's honest value, so a test that only feeds
// inputs cannot tell `q <== take.q` from `q <-- take.q`. Here W2 (left = 2: two lots) and
// W1 (left = 1: one lot) are honest witnesses of the same entry; each graft is W1 with the
// wires of W2 on one side of a `q <==` and the input left = 2. In the circuit the lots are
// one wire from the take to the closing trade, so the graft must break a constraint;
// without that `<==` it satisfies every one.
describe("DeleverageEntry: the lots an entry closes are the lots its take proves (witnesses edited at the R1CS level)", function () {
  let r1cs: ReturnType<typeof readR1cs>;
  let names: Map<number, string[]>;
  let w1: bigint[];
  let w2: bigint[];
  const wire = (name: string) => {
    const ws = [...names].filter(([, ns]) => ns.includes(name)).map(([w]) => w);
    assert.equal(ws.length, 1, `${name} is one wire`);
    return ws[0];
  };
  /** W1 with the wires of W2 that `part` names (by any of their names), and left = 2. */
  const graft = (part: (name: string) => boolean) => {
    const forged = [...w1];
    let moved = 0;
    for (const [w, ns] of names)
      if (ns.some(part) && forged[w] !== w2[w]) {
        forged[w] = w2[w];
        moved++;
      }
    assert.ok(moved > 0, "the graft moves wires");
    forged[wire("main.left")] = 2n;
    return forged;
  };

  before(async function () {
    const probe = await compileProbe(
      "deleverage_entry_graft",
      "auto-deleverage.circom",
      `DeleverageEntry(${P.depth}, ${M})`,
      { wasm: true },
    );
    r1cs = readR1cs(probe.r1cs);
    names = readWireNames(probe.sym!).names;
    w2 = await calculateWitness(probe.wasm!, entrySignals(2n));
    w1 = await calculateWitness(probe.wasm!, entrySignals(1n));
    for (const w of [w2, w1]) assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
    // the lots are bound by left: 2 and 1 (the take caps them by left, size and surplus)
    assert.deepEqual([w2[wire("main.q")], w1[wire("main.q")]], [2n, 1n]);
  });

  it("refuses a candidate whose lots are not the ones its take proves (DeleverageCandidate's q <== take.q)", function () {
    // the take (DeleverageTake) proves two lots for left = 2; the candidate, its
    // at-least-one-lot check and the entry close one
    assert.ok(
      unsatisfiedConstraints(
        r1cs,
        graft((n) => n.startsWith("main.candidate.take.")),
      ).length > 0,
      "a take of 2 lots under a candidate of 1 must break a constraint",
    );
  });

  it("refuses an entry that closes other lots than its candidate proves (DeleverageEntry's q <== candidate.q)", function () {
    // the candidate (its take and its at-least-one-lot check) proves two lots for left = 2;
    // the entry's closing trade, new leaf and root close one
    assert.ok(
      unsatisfiedConstraints(
        r1cs,
        graft((n) => n.startsWith("main.candidate.")),
      ).length > 0,
      "a candidate of 2 lots under an entry closing 1 must break a constraint",
    );
  });
});
