import assert from "node:assert/strict";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { mod } from "../../prover/src/domain/field.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { circuitSiblings } from "../../prover/src/domain/tree.ts";
import { liquidate, type LiquidationResult } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { readR1cs, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { statementLine, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { CRASH_MARKS, world } from "../helpers/deleverage-world.ts";
import { linkProbe, wireNamed, type GraftTarget, type LinkRewrite } from "../helpers/o0-graft.ts";

// Deleverage (circuits/src/auto-deleverage.circom), which LiquidateBatch runs as `adl`,
// ties the lots its entries close to the fund's side of the trade and the tree its entries
// leave to the tree the fund's leaf is updated on. Four `<==` carry those ties:
//     taken[i][j] <== entryMarket[i][j] * entry[i].q;          (the lots entry i closed)
//     rootOut <== root[A];                                      (the tree after the entries)
//     signedPlaced[j] <== (2 * fundLong[j] - 1) * placed[j];   (the fund's side of them)
//     sizeDelta[j] <== -signedPlaced[j];                        (the fund's size change)
// With one made `<--`, the freed wire reaches the public roots only through the fund's
// leaf hash and Merkle path (or the entries' paths): the determinism stage cannot decide
// it, and the witness calculator computes its honest value, so no test feeding inputs
// tells the mutant apart.
//
// Each forged witness is an --O0 probe of the whole LiquidateBatch at the test parameters
// (every signal keeps its name; cached under the builds' probes/) whose link also reads
// `ax[A-1]`, the public key's x of the last deleveraging entry. That entry is disabled
// in every batch here, so its key only feeds a leaf hash whose root is multiplied by the
// entry's enabled flag, 0: a free carrier. The harness first checks that, with the carrier
// at its honest value, the probe's witness grafted by name onto the --O2 circuit of the
// sources under test is the honest witness wire for wire (a refusal can then only come
// from the link); the R1CS must then refuse the forged batch, which the circuit without
// the link accepts by construction (npm run mutate:circuits -- --tests <this file> --id
// auto-deleverage.circom:<line>:unconstrain).
//
// The world: deleverage-world's BTC crash with one short. Account 3, long 1 BTC from
// 6,000,000 on 1,250,000, is liquidated at 4,000,000: the fund takes its lot and BTC's
// compartment ends at -750,000, so account 4 (short 1 BTC from 6,000,000) is deleveraged:
// it buys the fund's lot at the bankruptcy price 4,750,000 and the fund ends flat, with
// notional 0. ETH is untouched.

const P = TEST_PARAMS;
const FILE = "auto-deleverage.circom";
/** The file the probe includes: LiquidateBatch's, which includes FILE. */
const MAIN = "liquidate-batch.circom";
const EXPR = `LiquidateBatch(${CIRCUITS.liquidate_batch.args(P).join(", ")})`;
const PRICE = 4_750_000n;
/** The disabled entry whose key carries the forgery. */
const SPARE = P.deleverages - 1;

/** A link of FILE and its probe's line, which also reads the carrier ax[A-1]. */
type Link = Omit<LinkRewrite, "file">;

const TAKEN: Link = {
  statement: "taken[i][j] <== entryMarket[i][j] * entry[i].q;",
  to: "taken[i][j]<==entryMarket[i][j]*(entry[i].q+ax[A-1]);",
};
const ROOT_OUT: Link = { statement: "rootOut <== root[A];", to: "rootOut<==ax[A-1];" };
const SIGNED: Link = {
  statement: "signedPlaced[j] <== (2 * fundLong[j] - 1) * placed[j];",
  to: "signedPlaced[j]<==(2*fundLong[j]-1+ax[A-1])*placed[j];",
};
const SIZE_DELTA: Link = {
  statement: "sizeDelta[j] <== -signedPlaced[j];",
  to: "sizeDelta[j]<==-signedPlaced[j]*ax[A-1];",
};

const lineOf = (link: Link) => statementLine(FILE, link.statement);

const crashWorld = () => world([0n, 0n], [[10_000_000n, 1n, 6_000_000n]]);

interface Batch {
  readonly s: ExchangeState;
  readonly r: LiquidationResult;
}

/** The honest batch: account 3 liquidated, account 4 deleveraged in BTC. */
function crash(): Batch {
  const s = crashWorld();
  const r = liquidate(s, [3n], CRASH_MARKS, P.liquidations);
  assert.equal(s.root, r.newRoot, "the engine's tree after the batch");
  assert.deepEqual(
    r.deleveraged.map((d) => [d.market, d.price, d.entries]),
    [[0, PRICE, [{ account: 4n, score: 165_000n, lots: 1n }]]],
  );
  const entries = r.input.adl.entries;
  assert.deepEqual(
    entries.map((e) => e.enabled),
    [1n, 0n],
    "entry 0 enabled, the spare disabled",
  );
  assert.equal(entries[SPARE].ax, 0n, "the spare's padding key");
  const fund = s.getAccount(INSURANCE_ACCOUNT).positions[0];
  assert.deepEqual([fund.size, fund.notional], [0n, 0n], "the fund ends flat in BTC");
  return { s, r };
}

/** `input` with the spare entry's key x set to `carrier`. */
const carry = (input: LiquidateBatchInput, carrier: bigint): LiquidateBatchInput => ({
  ...input,
  adl: {
    ...input.adl,
    entries: input.adl.entries.map((e, i) => (i === SPARE ? { ...e, ax: mod(carrier) } : e)),
  },
});

/** `b`'s tree after the batch with the fund's BTC size and notional moved by `size`, `notional`. */
function fundMoved(b: Batch, size: bigint, notional: bigint): bigint {
  const fund = b.s.getAccount(INSURANCE_ACCOUNT);
  b.s.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    positions: fund.positions.map((p, j) =>
      j === 0 ? { ...p, size: p.size + size, notional: p.notional + notional } : p,
    ),
  });
  return b.s.root;
}

describe("Deleverage: the fund's side of the closed lots and the tree it is updated on are the entries' (witnesses grafted from --O0 probes of LiquidateBatch at the R1CS level)", function () {
  let target: GraftTarget;
  const at = (w: readonly bigint[], n: string) => w[wireNamed(target, `main.${n}`)];
  const publics = (w: readonly bigint[]) =>
    ["oldRoot", "dataCommitment", "newRoot"].map((n) => at(w, n));

  before(async function () {
    const files = await testCircuit("liquidate_batch");
    target = { r1cs: readR1cs(files.r1cs), names: readWireNames(files.sym).names };
  });

  /**
   * The probe of `link` checked against `real` carrying the link's honest value `honest`
   * (the grafted probe must be the honest --O2 witness), then its witness of `forged`
   * carrying `other`, grafted. Returns it after checking the original R1CS refuses it.
   */
  async function forge(
    link: Link,
    real: LiquidateBatchInput,
    honest: bigint,
    forged: LiquidateBatchInput,
    other: bigint,
  ): Promise<bigint[]> {
    const line = lineOf(link);
    const probe = await linkProbe(
      target,
      { name: `liquidate_batch_deleverage_${line}`, source: MAIN, expr: EXPR },
      { file: FILE, ...link },
    );
    const signals = CIRCUITS.liquidate_batch.toSignals;
    const base = carry(real, honest);
    const expected = await witnessFor({ kind: "liquidate_batch", input: base });
    await probe.reproduces(signals(base), expected);
    const w = (await probe.forge(signals(carry(forged, other)))).grafted;
    assert.ok(
      unsatisfiedConstraints(target.r1cs, w).length > 0,
      `${link.statement} (${FILE}:${line}) must break a constraint`,
    );
    return w;
  }

  it(`refuses an entry that closes a lot the fund keeps: account 4's short is bought back at 4,750,000 while taken[0] reads 0 lots, so the fund stays long 1 BTC with nobody short against it (${FILE}:${lineOf(TAKEN)})`, async function () {
    const real = crash();
    // the tree the forgery proves: account 4 closed as honestly, the fund's lot and the
    // notional it bought it at (4,750,000 after the deficit's charge) still there
    const forgedRoot = fundMoved(crash(), 1n, PRICE);
    assert.equal(real.s.getAccount(4n).positions[0].size, 0n, "account 4 is closed");
    // the carrier -1: taken[0][BTC] = 1 * (q - 1) = 0 where the entry's q is 1
    const forged = await forge(
      TAKEN,
      real.r.input,
      0n,
      { ...real.r.input, newRoot: forgedRoot },
      -1n,
    );
    assert.deepEqual(publics(forged), [real.r.oldRoot, real.r.dataCommitment, forgedRoot]);
  });

  it(`refuses a fund leaf updated on a tree without the entries: the published root keeps account 4 short 1 BTC while the fund's lot is closed as sold to it, so its short has no counterparty (${FILE}:${lineOf(ROOT_OUT)})`, async function () {
    const real = crash();
    const start = crashWorld();
    // the tree the honest entries leave, the fund's leaf not yet written: root[A]
    const entriesDone = crash();
    entriesDone.s.setAccount(INSURANCE_ACCOUNT, start.getAccount(INSURANCE_ACCOUNT));
    const rootA = entriesDone.s.root;
    // the tree the forged batch publishes: the honest one with account 4 as it was
    const dropped = crash();
    const short = start.getAccount(4n);
    assert.equal(short.positions[0].size, -1n);
    dropped.s.setAccount(4n, short);
    const forgedInput: LiquidateBatchInput = {
      ...real.r.input,
      fund: {
        ...real.r.input.fund,
        siblings: circuitSiblings(dropped.s.tree.proof(INSURANCE_ACCOUNT).siblings),
      },
      newRoot: dropped.s.root,
    };
    // the fund's path read on root[L], the tree the slots left (what Deleverage starts from)
    dropped.s.setAccount(INSURANCE_ACCOUNT, start.getAccount(INSURANCE_ACCOUNT));
    const rootL = dropped.s.root;
    assert.notEqual(rootL, rootA);
    const forged = await forge(ROOT_OUT, real.r.input, rootA, forgedInput, rootL);
    // the commitment still records account 4's entry: the root does not
    assert.deepEqual(publics(forged), [real.r.oldRoot, real.r.dataCommitment, forgedInput.newRoot]);
    assert.equal(at(forged, `root[${P.liquidations}]`), rootL, "the slots' tree");
  });

  it(`refuses the fund buying where it must sell: signedPlaced reads -1 for the lot account 4 bought, so the fund ends long 2 BTC at 9,500,000 against no short (${FILE}:${lineOf(SIGNED)})`, async function () {
    const real = crash();
    // honest: the fund sold 1 lot (size -1, notional -4,750,000); forged: it bought one
    const forgedRoot = fundMoved(crash(), 2n, 2n * PRICE);
    // the carrier -2: (2 * 1 - 1 - 2) * 1 = -1
    const forged = await forge(
      SIGNED,
      real.r.input,
      0n,
      { ...real.r.input, newRoot: forgedRoot },
      -2n,
    );
    assert.deepEqual(publics(forged), [real.r.oldRoot, real.r.dataCommitment, forgedRoot]);
  });

  it(`refuses a fund size that does not move with its notional: the fund books the sale of its lot at 4,750,000 and keeps the lot, long 1 BTC at notional 0 (${FILE}:${lineOf(SIZE_DELTA)})`, async function () {
    const real = crash();
    const forgedRoot = fundMoved(crash(), 1n, 0n);
    // the carrier 0 (honest 1): sizeDelta[BTC] = -1 * 0 = 0; notionalDelta stays -4,750,000
    const forged = await forge(
      SIZE_DELTA,
      real.r.input,
      1n,
      { ...real.r.input, newRoot: forgedRoot },
      0n,
    );
    assert.deepEqual(publics(forged), [real.r.oldRoot, real.r.dataCommitment, forgedRoot]);
  });
});
