import assert from "node:assert/strict";
import { FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { newAccount } from "../../prover/src/domain/account.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { readR1cs, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { assertRefusedAt, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { CRASH_MARKS, flat, position, world } from "../helpers/deleverage-world.ts";

// Deleverage (circuits/src/auto-deleverage.circom), section B: the chain of ranked entries
// in a liquidation batch. The entries are a prefix of the slots, each names one market (a
// one-hot of bits), and the first starts from the tree the batch's liquidations left.

const P = TEST_PARAMS;
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const FILE = "auto-deleverage.circom";

/**
 * Only ETH is deleveraged: account 3 (collateral 500,000) is long 10 ETH from 400,000, so
 * the crash to 300,000 leaves ETH's empty compartment 500,000 under water; account 5, short
 * 10 ETH from 400,000 on 10,000,000, is the one entry. BTC is untouched (the bankrupt is
 * flat there). `key5` is the key account 5's leaf holds.
 */
function ethOnly(key5 = devKeyPair("eth short").publicKey): ExchangeState {
  const s = world([100_000n, 0n], []);
  s.setAccount(3n, {
    ...s.getAccount(3n),
    collateral: 500_000n,
    positions: [flat, position(10n, 4_000_000n)],
  });
  s.setAccount(5n, {
    ...newAccount(key5, 2, 10_000_000n),
    positions: [flat, position(-10n, -4_000_000n)],
  });
  return s;
}

/**
 * Both markets deleveraged (both are active: the fund holds lots in each), one entry: the
 * bankrupt is long 1 BTC and 10 ETH from 400,000 with both compartments empty; account 4,
 * short 1 BTC, takes the BTC lot; nobody opposes the fund in ETH, whose lots stay.
 */
function bothMarketsOneEntry(): ExchangeState {
  const s = world([0n, 0n], [[10_000_000n, 1n, 6_000_000n]]);
  s.setAccount(3n, {
    ...s.getAccount(3n),
    positions: [position(1n, 6_000_000n), position(10n, 4_000_000n)],
  });
  return s;
}

const crash = (s: ExchangeState) => liquidate(s, [3n], CRASH_MARKS, P.liquidations);

describe("Deleverage: the chain of ranked entries (auto-deleverage.circom, section B)", function () {
  it("refuses an enabled entry after a disabled one: the entries are a prefix of the slots", async function () {
    const r = crash(ethOnly());
    assert.deepEqual(
      r.deleveraged.map((d) => [d.market, d.entries.map((e) => [e.account, e.lots])]),
      [[1, [[5n, 10n]]]],
    );
    const [entry, padding] = r.input.adl.entries;
    assert.deepEqual([entry.enabled, padding.enabled], [1n, 0n]);
    // forged: the padding slot first, the entry second. Roots and commitment are the honest
    // ones (a disabled slot changes neither), and the entry's key is compared with the
    // padding's only, which sits in market 0's band of the order: without the prefix rule
    // a gap breaks the published order's chain of comparisons (with more slots, entries
    // could be listed out of rank, the lower-ranked taking the lots first)
    const x = { ...r.input, adl: { ...r.input.adl, entries: [padding, entry] } };
    await assertRefusedAt(
      witnessFor(liq(x)),
      FILE,
      "Deleverage",
      "entryEnabled[i] * (1 - entryEnabled[i - 1]) === 0;",
    );
  });

  it("refuses an entry whose market is not a one-hot of bits, though its terms sum to its enabled bit", async function () {
    const r = crash(bothMarketsOneEntry());
    assert.deepEqual(
      r.deleveraged.map((d) => [d.market, d.entries.map((e) => [e.account, e.lots])]),
      [
        [0, [[4n, 1n]]],
        [1, []],
      ],
    );
    const [entry, padding] = r.input.adl.entries;
    assert.equal(padding.enabled, 0n);
    // forged: the padding slot names market [1, -1]. Both markets are active, so the terms
    // pass "only a market with lots to close", and they sum to 0, the slot's enabled bit;
    // only the terms' bit checks refuse it (an enabled entry's [a, 1 - a] would mix the two
    // markets' marks, prices, costs and lots, and move its positions in both)
    const x = {
      ...r.input,
      adl: {
        ...r.input.adl,
        entries: [entry, { ...padding, market: [1n, FIELD_MODULUS - 1n] }],
      },
    };
    await assertRefusedAt(
      witnessFor(liq(x)),
      FILE,
      "Deleverage",
      "AssertBit()(entryMarket[i][j]);",
    );
  });

  // The witness calculator computes a `<--` signal's honest value, so `root[0] <-- rootIn`
  // cannot be told from `root[0] <== rootIn` by inputs. W1 and W2 are honest witnesses of
  // the same batch on two trees that differ in one leaf the deleveraging touches: account
  // 5's key (W2's is the operator's). The graft is W1 (its liquidations, the tree after
  // them, its commitment) with the deleveraging's tree side from W2: the entries' leaves
  // and paths, their root chain, the fund's path and the new root. It claims a batch from
  // the real old root to a new root in which account 5 holds the operator's key. Every
  // constraint holds but the one that starts the entries' chain at the tree after the
  // liquidations, so the R1CS must refuse it.
  it("refuses entries whose root chain does not start at the tree the liquidations left (graft at the R1CS level)", async function () {
    const r1 = crash(ethOnly());
    const r2 = crash(ethOnly(devKeyPair("operator").publicKey));
    assert.notEqual(r1.oldRoot, r2.oldRoot);
    // the same batch: the same entry, lots and score, so the same commitment but for the
    // root the market's head records
    assert.deepEqual(
      r2.deleveraged.map((d) => d.entries),
      r1.deleveraged.map((d) => d.entries),
    );
    const files = await testCircuit("liquidate_batch");
    const r1cs = readR1cs(files.r1cs);
    const { names } = readWireNames(files.sym);
    const w1 = await witnessFor(liq(r1.input));
    const w2 = await witnessFor(liq(r2.input));
    assert.deepEqual(unsatisfiedConstraints(r1cs, w1), []);
    assert.deepEqual(unsatisfiedConstraints(r1cs, w2), []);
    // the deleveraging's tree side: its entries' inputs (adl*), Deleverage's wires but the
    // commitment's (heads, entries' hashes, the roots the heads record), the fund's update
    // and the new root
    const commitment = /^main\.adl\.(head|headHash|c\[|entryHash|commitmentOut|rootBefore|before)/;
    const treeSide = (n: string) =>
      (n.startsWith("main.adl") && !commitment.test(n)) ||
      n.startsWith("main.fundUpdate.") ||
      n.startsWith("main.fundSiblings") ||
      n === "main.newRoot";
    const forged = [...w1];
    let moved = 0;
    for (const [w, ns] of names)
      if (ns.every(treeSide) && forged[w] !== w2[w]) {
        forged[w] = w2[w];
        moved++;
      }
    assert.ok(moved > 0, "the graft moves wires");
    const wire = (name: string) => {
      const ws = [...names].filter(([, ns]) => ns.includes(name)).map(([w]) => w);
      assert.equal(ws.length, 1, `${name} is one wire`);
      return ws[0];
    };
    // from the real tree to the tree with the operator's key, under the real commitment
    assert.deepEqual(
      [
        forged[wire("main.oldRoot")],
        forged[wire("main.newRoot")],
        forged[wire("main.dataCommitment")],
      ],
      [r1.oldRoot, r2.newRoot, r1.dataCommitment],
    );
    assert.ok(
      unsatisfiedConstraints(r1cs, forged).length > 0,
      "entries on another tree than the liquidations left must break a constraint",
    );
  });
});
