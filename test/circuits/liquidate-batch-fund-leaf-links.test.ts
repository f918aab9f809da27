import assert from "node:assert/strict";
import { packPositionWord } from "../../prover/src/domain/account.ts";
import { encodeSigned } from "../../prover/src/domain/amounts.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { signCompartmentMove } from "../../prover/src/domain/compartment-moves.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import type { LiquidateBatchInput, LiquidationSlotInput } from "../../prover/src/domain/inputs.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { liquidate, type LiquidationResult } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { readR1cs, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import { readWireNames } from "../../prover/src/verify/circuit-info.ts";
import { statementLine, TEST_PARAMS, testCircuit, witnessFor } from "../helpers/circuit.ts";
import { linkProbe, wireNamed, type GraftTarget } from "../helpers/o0-graft.ts";
import { SHORTFALL_BTC, shortfallWorld } from "../helpers/shortfall-world.ts";

// LiquidateBatch (circuits/src/liquidate-batch.circom), section B, reads the insurance
// fund's leaf twice: its preimage (fundBalance, fundWord, fundNotional) is hashed into the
// leaf whose Merkle path the fund's update proves, and it is unpacked (AccountLeafUnpack
// `fund`) and settled (SettleFundingByMarket `fundFunding`) into the reserve, sizes and
// compartments the batch judges and writes back. Five `<==` tie the readings together:
//     fund.balance <== fundBalance;               fund.word <== fundWord;
//     fundFunding.lastIndex <== fund.lastIndex;   fundFunding.index <== fundingIndex;
//     fundFunding.notional <== fundNotional;
// --O2 substitutes each away. With one made `<--`, the freed wire is pinned only through
// the leaf hash (or not at all): the determinism stage cannot decide it, and the witness
// calculator computes its honest value, so no test that feeds inputs tells the mutant apart.
//
// Each forged witness here is an --O0 probe of the whole LiquidateBatch at the test
// parameters (every signal keeps its name; about 12 s to compile, cached under the builds'
// probes/) whose link reads a field of slot 0's liquidator instead. Slot 0 liquidates
// account 3 with no liquidator (the fund takes its lot), so those fields are free padding
// that only need to be well formed. The probe's witness, copied by name onto the --O2
// circuit of the sources under test, is consistent everywhere but at the link. The harness
// first checks that with the carrier holding the leaf's own value the grafted probe is the
// honest --O2 witness wire for wire (so a refusal can only come from the link); the R1CS
// must then refuse the forged batch, and the one without the link accepts it by
// construction (npm run mutate:circuits -- --tests <this file> --id
// liquidate-batch.circom:<line>:unconstrain).
//
// The worlds are test/helpers/shortfall-world.ts's: account 3 long 1 BTC bought at
// 6,000,000 with 1,250,000 (at the mark 4,000,000: equity -750,000), account 4 the short.

const P = TEST_PARAMS;
const M = P.markets;
const FILE = "liquidate-batch.circom";
const E = 1_000_000n;
const EXPR = `LiquidateBatch(${CIRCUITS.liquidate_batch.args(P).join(", ")})`;
const MARKS = [SHORTFALL_BTC, 300_000n];
const FUND_KEY = devOwnerKeys().fund.privateKey;
/** A funding index step worth 10^6 quote units a lot (indices are in 2^-20 units). */
const CREDIT_INDEX = E << 20n;

type Carrier = Partial<Pick<LiquidationSlotInput, "takerBalance" | "takerWord" | "takerNotional">>;

/** `input` with slot 0's (unused) liquidator fields set from `carrier`. */
const carry = (input: LiquidateBatchInput, carrier: Carrier): LiquidateBatchInput => ({
  ...input,
  slots: input.slots.map((x, i) => (i === 0 ? { ...x, ...carrier } : x)),
});

interface Batch {
  readonly s: ExchangeState;
  readonly r: LiquidationResult;
}

/**
 * The batch liquidating account 3 in shortfallWorld(reserve, btc, fundSize), after moving
 * `move` of the fund's reserve into BTC's compartment (signed by the fund's key) if nonzero.
 */
function batch(reserve: bigint, btc: bigint, move = 0n, fundSize = 0n): Batch {
  const s = shortfallWorld(reserve, btc, fundSize);
  const m = { market: 0, nonce: 0n, amount: move, toReserve: false };
  const signed = move ? signCompartmentMove(m, M, FUND_KEY, SAMPLE_DOMAIN) : null;
  const r = liquidate(s, [3n], MARKS, P.liquidations, { move: signed });
  assert.equal(s.root, r.newRoot, "the engine's tree after the batch");
  return { s, r };
}

/**
 * `real`'s batch (its old root, slots and fund leaf) carrying `other`'s move, deleveraging,
 * commitment and fund path, proving `newRoot`. The two worlds differ only in the fund's
 * leaf, so the tree the slots leave differs only there and the fund's path is the same.
 */
const splice = (real: Batch, other: Batch, newRoot = other.r.newRoot): LiquidateBatchInput => ({
  ...real.r.input,
  move: other.r.input.move,
  adl: other.r.input.adl,
  dataCommitment: other.r.dataCommitment,
  fund: { ...real.r.input.fund, siblings: other.r.input.fund.siblings },
  newRoot,
});

/** `b`'s tree after the batch with the fund's BTC position edited by `f`. */
function editedFund(b: Batch, f: (p: { notional: bigint; fundingIndex: bigint }) => object) {
  const fund = b.s.getAccount(INSURANCE_ACCOUNT);
  b.s.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    positions: fund.positions.map((p, j) => (j === 0 ? { ...p, ...f(p) } : p)),
  });
  return {
    root: b.s.root,
    compartments: compartmentValues(b.s.getAccount(INSURANCE_ACCOUNT), MARKS),
  };
}

interface Link {
  readonly statement: string;
  /** The replacement, at most the line's length: the link reads a liquidator field. */
  readonly to: string;
}

const BALANCE: Link = {
  statement: "fund.balance <== fundBalance;",
  to: "fund.balance<==takerBalance[0];",
};
const WORD: Link = { statement: "fund.word <== fundWord;", to: "fund.word<==takerWord[0];" };
const LAST_INDEX: Link = {
  statement: "fundFunding.lastIndex <== fund.lastIndex;",
  to: "fundFunding.lastIndex<==takerNotional[0];",
};
const INDEX: Link = {
  statement: "fundFunding.index <== fundingIndex;",
  to: "fundFunding.index<==takerNotional[0];",
};
const NOTIONAL: Link = {
  statement: "fundFunding.notional <== fundNotional;",
  to: "fundFunding.notional<==takerNotional[0];",
};

const lineOf = (link: Link) => statementLine(FILE, link.statement);

describe("LiquidateBatch: the fund's leaf it unpacks and settles is the leaf it proves (witnesses grafted from --O0 probes at the R1CS level)", function () {
  let target: GraftTarget;
  const signals = CIRCUITS.liquidate_batch.toSignals;
  const at = (w: readonly bigint[], n: string) => w[wireNamed(target, `main.${n}`)];

  before(async function () {
    const files = await testCircuit("liquidate_batch");
    target = { r1cs: readR1cs(files.r1cs), names: readWireNames(files.sym).names };
  });

  /**
   * The probe of `link` checked against the honest batch `real` (its carrier holding the
   * leaf's own value `honest`: the grafted probe is the honest witness), then its witness
   * of `forged` with the carrier `other`, grafted. The original R1CS must refuse it.
   */
  async function forge(
    link: Link,
    real: LiquidateBatchInput,
    honest: Carrier,
    forged: LiquidateBatchInput,
    other: Carrier,
  ): Promise<bigint[]> {
    const probe = await linkProbe(
      target,
      { name: `liquidate_batch_fund_leaf_${lineOf(link)}`, source: FILE, expr: EXPR },
      { file: FILE, ...link },
    );
    const base = carry(real, honest);
    const expected = await witnessFor({ kind: "liquidate_batch", input: base });
    await probe.reproduces(signals(base), expected);
    return (await probe.forge(signals(carry(forged, other)))).grafted;
  }
  const refused = (link: Link, w: readonly bigint[]) =>
    assert.ok(
      unsatisfiedConstraints(target.r1cs, w).length > 0,
      `${link.statement} (line ${lineOf(link)}) must break a constraint`,
    );
  const publics = (w: readonly bigint[]) =>
    ["oldRoot", "dataCommitment", "newRoot"].map((n) => at(w, n));
  const adlMarkets = (w: readonly bigint[]) => [0, 1].map((j) => at(w, `adlMarket[${j}]`));

  it(`refuses a move of 10^6 out of an empty reserve: the fund's balance read with 10^6 it does not hold, BTC's compartment covers account 3's deficit and account 4 escapes deleveraging (${FILE}:${lineOf(BALANCE)})`, async function () {
    // the real tree: the fund's reserve and BTC's compartment empty, so the honest batch
    // closes the fund's lot against account 4's short
    const real = batch(0n, 0n);
    assert.deepEqual(
      real.r.deleveraged.map((d) => d.market),
      [0],
    );
    // the tree it proves: that of a fund whose reserve held 10^6, moved into BTC's
    // compartment (the reserve ends at 0, nonce 1, as it would from the real one)
    const moved = batch(E, 0n, E);
    assert.deepEqual(moved.r.deleveraged, []);
    assert.deepEqual(moved.r.compartmentsAfter, [250_000n, 0n]);
    const after = moved.s.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual([after.collateral, after.withdrawNonce], [0n, 1n]);
    const forged = await forge(
      BALANCE,
      real.r.input,
      { takerBalance: real.r.input.fund.balance },
      splice(real, moved),
      { takerBalance: moved.r.input.fund.balance },
    );
    // from the real root (reserve 0) to a tree where the reserve paid 10^6 into BTC's
    // compartment: 10^6 minted, the 750,000 deficit hidden, account 4 keeps its short
    assert.deepEqual(publics(forged), [real.r.oldRoot, moved.r.dataCommitment, moved.r.newRoot]);
    assert.equal(at(forged, "fundBalance"), real.r.input.fund.balance, "the leaf's balance");
    assert.deepEqual(adlMarkets(forged), [0n, 0n], "no market deleveraged");
    assert.equal(at(forged, "finalCompartment[0]"), 250_000n);
    refused(BALANCE, forged);
  });

  it(`refuses a BTC lot the fund does not hold: its word read long 1 lot, BTC's compartment judged 4,000,000 richer and the batch skips the deleveraging it must run, leaving the compartment at -750,000 (${FILE}:${lineOf(WORD)})`, async function () {
    // the real tree: the fund flat with an empty BTC compartment; the honest batch
    // deleverages account 4
    const real = batch(2_000_000n, 0n);
    assert.deepEqual(
      real.r.deleveraged.map((d) => d.market),
      [0],
    );
    const fund = real.s.getAccount(INSURANCE_ACCOUNT);
    const words = real.r.input.fund.word;
    assert.deepEqual(words, fund.positions.map(packPositionWord));
    // no deleveraging: the commitment and fund path of the batch on a funded compartment;
    // the new leaf the forged batch writes: the lot it took (size 1 in the word it hashes)
    // at notional 3,750,000 + 10^6, the funded batch's less the 10^6 it started with
    const funded = batch(2_000_000n, E);
    assert.deepEqual(funded.r.deleveraged, []);
    const left = editedFund(funded, (p) => ({ notional: p.notional + E }));
    assert.deepEqual(left.compartments, [-750_000n, 0n], "BTC's compartment left under water");
    const forged = await forge(
      WORD,
      real.r.input,
      { takerWord: words },
      splice(real, funded, left.root),
      { takerWord: [packPositionWord({ ...fund.positions[0], size: 1n }), words[1]] },
    );
    assert.deepEqual(publics(forged), [real.r.oldRoot, funded.r.dataCommitment, left.root]);
    assert.deepEqual(
      [0, 1].map((j) => at(forged, `fundWord[${j}]`)),
      [...words],
      "the leaf's words",
    );
    assert.deepEqual(adlMarkets(forged), [0n, 0n], "no market deleveraged");
    assert.equal(at(forged, "finalCompartment[0]"), 3_250_000n, "as the batch's checks judge it");
    refused(WORD, forged);
  });

  /**
   * The fund short 1 BTC with 10^6 in BTC's compartment: it takes account 3's long and ends
   * flat with 250,000 (no deleveraging). Funding indices are 0, the fund's and the batch's.
   */
  const shortFund = () => batch(2_000_000n, E, 0n, -1n);
  /**
   * Its tree after the batch had the fund been credited 10^6 of funding in BTC. The forged
   * lastIndex and the forged index below write this same tree: the settlement reads only
   * index - lastIndex, so the circuit without either link accepts both forgeries.
   */
  function credited() {
    const honest = shortFund();
    assert.deepEqual(honest.r.deleveraged, []);
    assert.deepEqual(honest.r.compartmentsAfter, [250_000n, 0n]);
    // the notional 10^6 lower; the word's funding field moved by what was settled
    const left = editedFund(honest, (p) => ({
      notional: p.notional - E,
      fundingIndex: p.fundingIndex + CREDIT_INDEX,
    }));
    assert.deepEqual(left.compartments, [1_250_000n, 0n], "10^6 more, and the fund is flat");
    return left;
  }
  const zeroIndices = () => Array<bigint>(M).fill(0n);

  it(`refuses funding settled from a lastIndex other than the leaf's: the short fund credited 10^6 of BTC funding nobody paid, kept as it ends flat (${FILE}:${lineOf(LAST_INDEX)})`, async function () {
    const real = shortFund();
    const fund = real.s.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual(
      fund.positions.map((p) => p.fundingIndex),
      zeroIndices(),
      "the leaf's lastIndex",
    );
    const left = credited();
    // the short reads BTC's lastIndex 10^6 * 2^20 back: it receives 10^6
    const forged = await forge(
      LAST_INDEX,
      real.r.input,
      { takerNotional: zeroIndices() },
      { ...real.r.input, newRoot: left.root },
      { takerNotional: [encodeSigned(-CREDIT_INDEX), 0n] },
    );
    assert.deepEqual(publics(forged), [real.r.oldRoot, real.r.dataCommitment, left.root]);
    assert.equal(at(forged, "finalCompartment[0]"), 1_250_000n);
    refused(LAST_INDEX, forged);
  });

  it(`refuses funding settled to an index other than the batch's bound one: the short fund credited 10^6 of BTC funding nobody paid, kept as it ends flat (${FILE}:${lineOf(INDEX)})`, async function () {
    const real = shortFund();
    assert.deepEqual(real.r.input.fundingIndex, zeroIndices(), "the batch's indices");
    const left = credited();
    // the short settles BTC to 10^6 * 2^20 where the batch binds 0: it receives 10^6
    const forged = await forge(
      INDEX,
      real.r.input,
      { takerNotional: zeroIndices() },
      { ...real.r.input, newRoot: left.root },
      { takerNotional: [CREDIT_INDEX, 0n] },
    );
    assert.deepEqual(publics(forged), [real.r.oldRoot, real.r.dataCommitment, left.root]);
    assert.deepEqual(
      [0, 1].map((j) => at(forged, `fundingIndex[${j}]`)),
      zeroIndices(),
      "the bound indices",
    );
    assert.equal(at(forged, "finalCompartment[0]"), 1_250_000n);
    refused(INDEX, forged);
  });

  it(`refuses funding settled on a notional other than the leaf's: BTC's compartment read 10^6 richer, the batch skips the deleveraging of account 4 it must run (${FILE}:${lineOf(NOTIONAL)})`, async function () {
    // the real tree: an empty BTC compartment (notional 0), deleveraged honestly
    const real = batch(2_000_000n, 0n);
    assert.deepEqual(
      real.r.deleveraged.map((d) => d.market),
      [0],
    );
    const notionals = real.r.input.fund.notional;
    assert.deepEqual(notionals, [0n, 0n]);
    // the tree it proves: the batch on a compartment holding 10^6 (notional -10^6)
    const funded = batch(2_000_000n, E);
    assert.deepEqual(funded.r.deleveraged, []);
    assert.deepEqual(funded.r.compartmentsAfter, [250_000n, 0n]);
    const forged = await forge(
      NOTIONAL,
      real.r.input,
      { takerNotional: notionals },
      splice(real, funded),
      { takerNotional: funded.r.input.fund.notional },
    );
    // 10^6 nobody paid covers account 3's deficit: account 4 keeps its short
    assert.deepEqual(publics(forged), [real.r.oldRoot, funded.r.dataCommitment, funded.r.newRoot]);
    assert.deepEqual(adlMarkets(forged), [0n, 0n], "no market deleveraged");
    assert.equal(at(forged, "finalCompartment[0]"), 250_000n, "the checks see no deficit");
    refused(NOTIONAL, forged);
  });
});
