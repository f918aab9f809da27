import assert from "node:assert/strict";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { newAccount } from "../../prover/src/domain/account.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import {
  readR1cs,
  readSymbols,
  unsatisfiedConstraints,
  type R1cs,
} from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { editWitness, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { bankruptInBoth, CRASH_MARKS, flat } from "../helpers/deleverage-world.ts";

// LiquidateBatch (circuits/src/liquidate-batch.circom), section E: the two wires that hand
// the batch to its deleveraging, `adl.rootIn <== root[L]` and `adl.entryEnabled <==
// adlEntryEnabled`. --O2 merges each pair into one wire, so a `<--` there leaves two wires
// the witness calculator fills with the same value: no input can tell the mutant apart.
// These tests build, from honest witnesses, a witness of the full liquidate_batch circuit
// that keeps every constraint but the link, and require the R1CS to refuse it.

const P = TEST_PARAMS;
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });

/**
 * bankruptInBoth (account 3 bankrupt in BTC and ETH; account 4, short BTC, takes the BTC
 * lot, account 5, short ETH, the 10 ETH lots) with account 6, the operator's, flat with
 * `operatorCollateral`. Account 6 is neither liquidated nor a deleveraging candidate: the
 * batch is the same whatever it holds.
 */
function crashWithOperator(operatorCollateral: bigint) {
  const s: ExchangeState = bankruptInBoth();
  s.setAccount(6n, {
    ...newAccount(devKeyPair("operator").publicKey, 2, operatorCollateral),
    positions: [flat, flat],
  });
  return liquidate(s, [3n], CRASH_MARKS, P.liquidations);
}

async function circuit() {
  const files = await testCircuit("liquidate_batch");
  const r1cs = readR1cs(files.r1cs);
  const { names } = readWireNames(files.sym);
  const wire = (name: string) => {
    const ws = [...names].filter(([, ns]) => ns.includes(name)).map(([w]) => w);
    assert.equal(ws.length, 1, `${name} is one wire`);
    return ws[0];
  };
  return { r1cs, names, wire };
}

/** The constraints `w` breaks; each must read one of `links` (the wires the link writes). */
function brokenAt(r1cs: R1cs, w: readonly bigint[], links: readonly number[]): number[] {
  const bad = unsatisfiedConstraints(r1cs, w);
  for (const i of bad) {
    const reads = r1cs.constraints[i].some((lc) => lc.some(([x]) => links.includes(x)));
    assert.ok(reads, `constraint ${i} is broken without reading the link's wire`);
  }
  return bad;
}

describe("LiquidateBatch: the links to its deleveraging (liquidate-batch.circom, section E)", function () {
  // adl.rootIn <== root[L]. W1 and W2 are honest witnesses of the same batch on two trees
  // that differ in account 6's collateral: 1,000 in W1, 10^12 in W2. The graft keeps W1's
  // liquidations (from the real old root to the real tree after the slots, root[L]) and
  // takes W2's whole deleveraging side: the entries' leaves and paths, the root chain and
  // the heads that record it, the fund's path and update, the new root and the data
  // commitment (both public: the operator chooses them). Deleverage's rootIn is then W2's
  // tree after the slots, not W1's. Without the link, the deleveraging and the fund's update
  // run on any tree the operator knows paths in, so the proof takes the real old root to a
  // new root the liquidations never produced: here one in which the operator's account
  // holds 10^12 of collateral it never had (any balance, key or position could be rewritten
  // the same way, in every liquidation batch, with or without entries).
  it("refuses a deleveraging on a tree other than the one the liquidations left: the operator mints collateral (graft)", async function () {
    const r1 = crashWithOperator(1_000n);
    const r2 = crashWithOperator(1_000_000_000_000n);
    assert.notEqual(r1.oldRoot, r2.oldRoot);
    // the same batch: the same deleveraged markets, entries, lots and scores
    assert.deepEqual(
      r1.deleveraged.map((d) => [d.market, d.entries]),
      [
        [0, [{ account: 4n, score: 165_000n, lots: 1n }]],
        [1, [{ account: 5n, score: 89_991n, lots: 10n }]],
      ],
    );
    assert.deepEqual(
      r2.deleveraged.map((d) => [d.market, d.entries]),
      r1.deleveraged.map((d) => [d.market, d.entries]),
    );
    const { r1cs, names, wire } = await circuit();
    const w1 = await witnessFor(liq(r1.input));
    const w2 = await witnessFor(liq(r2.input));
    assert.deepEqual(unsatisfiedConstraints(r1cs, w1), []);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w2), []);
    // a wire is the deleveraging's when every signal it carries is: Deleverage's, its
    // inputs (adl*), the fund's update and path, the new root, the data commitment. On the
    // original, adl.rootIn shares its wire with root[L] (the liquidations' side) and stays
    // W1's; on the mutant it is a wire of its own and moves with the rest.
    const side = (n: string) =>
      n.startsWith("main.adl") ||
      n.startsWith("main.fundUpdate.") ||
      n.startsWith("main.fundSiblings") ||
      n === "main.newRoot" ||
      n === "main.dataCommitment";
    const forged = [...w1];
    for (const [w, ns] of names) if (ns.every(side)) forged[w] = w2[w];
    // from the real old root to W2's new root, under W2's commitment
    assert.deepEqual(
      [wire("main.oldRoot"), wire("main.newRoot"), wire("main.dataCommitment")].map(
        (w) => forged[w],
      ),
      [r1.oldRoot, r2.newRoot, r2.dataCommitment],
    );
    // the slots' side is W1's: the tree after the liquidations is not W2's. On the
    // original, root[L]'s wire is also Deleverage's rootIn (adl.rootIn, adl.root[0] and
    // entry[0].rootIn carry no wire of their own), so each constraint the graft breaks
    // must read it: the graft breaks the link and nothing else
    const link = wire(`main.root[${r1.input.slots.length}]`);
    assert.notEqual(forged[link], w2[link]);
    const bad = brokenAt(r1cs, forged, [link]);
    assert.ok(
      bad.length > 0,
      "a deleveraging on another tree than root[L] must break a constraint reading root[L]",
    );
  });

  // adl.entryEnabled <== adlEntryEnabled. The forged witness is the honest one with the
  // batch's input adlEntryEnabled set to [0, 0] (no deleveraging) while Deleverage still
  // runs both entries with its own flags [1, 1]: it closes account 4's BTC lot and account
  // 5's ETH lots, writes their leaves and commits them. adlEntryEnabled is a private input
  // read nowhere else, so what a verifier sees (roots, commitment) is the same either way:
  // without the link the flags the batch's inputs state are not those the proof runs with
  // (anyone reading the inputs takes "no deleveraging" for a batch that deleveraged two
  // accounts), and the entries' flags are pinned only inside Deleverage. (Without the link
  // --O2 drops the unread input from the R1CS altogether: the edit then changes no wire,
  // and the honest witness, which the R1CS accepts, stands for the forged claim.)
  it("refuses entry flags other than those the deleveraging runs with: inputs saying no entry for entries that close lots (graft)", async function () {
    const r = crashWithOperator(1_000n);
    assert.deepEqual(
      r.input.adl.entries.map((e) => e.enabled),
      [1n, 1n],
    );
    const files = await testCircuit("liquidate_batch");
    const r1cs = readR1cs(files.r1cs);
    const sym = readSymbols(files.sym);
    const honest = await witnessFor(liq(r.input));
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    const flags = [0, 1].map((i) => `main.adlEntryEnabled[${i}]`);
    const forged = editWitness(
      honest,
      sym,
      flags.map((n) => [n, "set", 0n] as const),
    );
    // the rest of the witness is honest: both entries still close their lots
    assert.equal(forged[sym.get("main.newRoot") ?? -1], r.newRoot);
    // each broken constraint reads a flag the edit changed (on the original, the input's
    // wire is also Deleverage's entryEnabled, which carries no wire of its own)
    const links = flags.flatMap((n) => sym.get(n) ?? []);
    const bad = brokenAt(r1cs, forged, links);
    assert.ok(
      bad.length > 0,
      "entry flags other than those the deleveraging runs with must break a constraint",
    );
  });
});
