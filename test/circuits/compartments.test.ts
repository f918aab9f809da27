import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeSigned, encodeSigned } from "../../prover/src/domain/amounts.ts";
import { EMPTY_POSITION, type Account } from "../../prover/src/domain/account.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { attributeLiquidation, sharesByMarket } from "../../prover/src/domain/compartments.ts";
import { penaltyMarket } from "../helpers/compartments.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { assertEveryWireFixed } from "../helpers/determinism.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";

const M = 3;
const KEY = devKeyPair("compartments-circuit").publicKey;
const market = penaltyMarket;
const abs = (x: bigint) => (x < 0n ? -x : x);

interface Case {
  readonly collateral: bigint;
  readonly positions: readonly (readonly [bigint, bigint])[];
  readonly marks: readonly bigint[];
  readonly penaltyBps: readonly bigint[];
  readonly take: readonly boolean[];
  readonly discountBps: readonly bigint[];
}

const accountOf = (c: Case): Account => ({
  pubKey: KEY,
  collateral: c.collateral,
  withdrawNonce: 0n,
  positions: c.positions.map(([size, notional]) => ({ ...EMPTY_POSITION, size, notional })),
});

function attributionInputs(c: Case) {
  const values = c.positions.map(([size], j) => size * c.marks[j]);
  return {
    enabled: "1",
    collateral: encodeSigned(c.collateral).toString(),
    size: c.positions.map(([s]) => encodeSigned(s).toString()),
    markValue: values.map((v) => encodeSigned(v).toString()),
    absMarkValue: values.map((v) => abs(v).toString()),
    notional: c.positions.map(([, n]) => encodeSigned(n).toString()),
    penaltyBps: c.penaltyBps.map(String),
    shareBase: values.map((v, j) => (c.take[j] ? abs(v) * c.discountBps[j] : 0n).toString()),
  };
}

/**
 * Positions as trades leave them: flat with no notional, open at an entry price, or flat
 * with a leftover notional (a liquidator's takeover to zero leaves one).
 */
const arbCase: fc.Arbitrary<Case> = fc
  .record({
    collateral: fc.oneof(fc.bigInt(-(10n ** 9n), 10n ** 10n), fc.bigInt(-(1n << 127n), 1n << 127n)),
    positions: fc.array(
      fc.oneof(
        fc.constant<[bigint, bigint]>([0n, 0n]),
        fc.bigInt(-(1n << 80n), 1n << 80n).map((n): [bigint, bigint] => [0n, n]),
        fc
          .tuple(fc.bigInt(-(1n << 40n), 1n << 40n), fc.bigInt(1n, 1n << 40n))
          .map(([size, entry]): [bigint, bigint] => [size, size * entry]),
      ),
      { minLength: M, maxLength: M },
    ),
    marks: fc.array(fc.bigInt(1n, 1n << 40n), { minLength: M, maxLength: M }),
    penaltyBps: fc.array(fc.bigInt(0n, 2000n), { minLength: M, maxLength: M }),
    take: fc.array(fc.boolean(), { minLength: M, maxLength: M }),
    fraction: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: M, maxLength: M }),
  })
  .map((r) => ({
    ...r,
    discountBps: r.penaltyBps.map((p, j) => (p * BigInt(r.fraction[j])) / 100n),
  }));

/**
 * The compartments' building blocks (circuits/src/compartments.circom) against their twins
 * (prover/src/domain/compartments.ts): AttributeCharges splits a liquidation's result by
 * market; LiquidateBatch adds the charges to the compartments (test/circuits/auto-deleverage.test.ts).
 */
describe("AttributeCharges: the compartment rules, proven (twins of domain/compartments.ts)", function () {
  let attribute: ProbeBuild;
  before(async function () {
    // inputs public, so that --O2 keeps a wire for each, for the determinism check
    attribute = await compileProbe(
      "attribute_charges_3",
      "compartments.circom",
      `AttributeCharges(${M})`,
      {
        wasm: true,
        publicInputs: [
          "enabled",
          "collateral",
          "size",
          "markValue",
          "absMarkValue",
          "notional",
          "penaltyBps",
          "shareBase",
        ],
      },
    );
  });

  const outputs = (b: ProbeBuild, w: readonly bigint[], name: string) => {
    const sym = readSymbols(b.sym!);
    return Array.from({ length: M }, (_, j) => decodeSigned(w[sym.get(`main.${name}[${j}]`)!]));
  };

  async function checkAttribution(c: Case) {
    const a = accountOf(c);
    const shares = sharesByMarket(a, c.marks, c.take, c.discountBps);
    const twin = attributeLiquidation(a, c.marks, c.penaltyBps.map(market), shares);
    const w = await calculateWitness(attribute.wasm!, attributionInputs(c));
    assert.deepEqual(outputs(attribute, w, "charge"), twin.charges, "charges");
    assert.deepEqual(outputs(attribute, w, "share"), shares, "shares");
    const sym = readSymbols(attribute.sym!);
    assert.equal(w[sym.get("main.penaltyTotal")!], twin.penalty, "penalty");
    assert.equal(decodeSigned(w[sym.get("main.kept")!]), twin.kept, "kept");
  }

  it("charges what attributeLiquidation charges, for random liquidated accounts (property)", async function () {
    await fc.assert(fc.asyncProperty(arbCase, checkAttribution), { numRuns: 60 });
  });

  it("charges what the twin charges in each branch: penalty covered, waterfall, negative collateral, nothing open", async function () {
    const positions: [bigint, bigint][] = [
      [10n, 1200n],
      [-10n, -1100n],
      [10n, 1050n],
    ];
    const base = {
      positions,
      marks: [100n, 100n, 100n],
      penaltyBps: [100n, 100n, 100n],
      take: [false, true, false],
      discountBps: [0n, 50n, 0n],
    };
    for (const collateral of [1000n, 100n, 0n, -150n, -(1n << 100n)])
      await checkAttribution({ ...base, collateral });
    const shapes: [string, bigint, [bigint, bigint][]][] = [
      // negative resources with only winning markets open: the largest position carries them
      [
        "largest value",
        -500n,
        [
          [0n, 0n],
          [-1n, -200n],
          [-10n, -1100n],
        ],
      ],
      [
        "values tie: the lower index",
        -500n,
        [
          [0n, 0n],
          [-10n, -1100n],
          [-10n, -1100n],
        ],
      ],
      [
        "losses tie, a flat market's leftover notional",
        -900n,
        [
          [10n, 1100n],
          [0n, 77n],
          [10n, 1100n],
        ],
      ],
      [
        "nothing open: market 0",
        -7n,
        [
          [0n, 0n],
          [0n, 0n],
          [0n, 0n],
        ],
      ],
    ];
    for (const [, collateral, positions] of shapes)
      await checkAttribution({ ...base, collateral, positions });
    // the largest values the preconditions allow
    const big = (1n << 64n) - 1n;
    await checkAttribution({
      collateral: -(1n << 128n),
      positions: [
        [big, -((1n << 127n) - 1n)],
        [-big, (1n << 127n) - 1n],
        [1n, 0n],
      ],
      marks: [big, big, 1n],
      penaltyBps: [(1n << 16n) - 1n, (1n << 16n) - 1n, 0n],
      take: [true, false, false],
      discountBps: [(1n << 16n) - 1n, 0n, 0n],
    });
  });

  it("a padding slot (enabled 0) charges nothing, whatever leaf the prover puts in it", async function () {
    // the leaf of a disabled slot is not read from the tree: a forged one would otherwise
    // charge market 0 about 2^129 and deleverage its traders
    const wild: Case = {
      collateral: -(1n << 128n),
      positions: [
        [1n, (1n << 128n) - 1n],
        [0n, 0n],
        [0n, 0n],
      ],
      marks: [100n, 100n, 100n],
      penaltyBps: [500n, 0n, 0n],
      take: [false, false, false],
      discountBps: [0n, 0n, 0n],
    };
    const on = await calculateWitness(attribute.wasm!, attributionInputs(wild));
    assert.ok(outputs(attribute, on, "charge")[0] < -(1n << 128n));
    const off = await calculateWitness(attribute.wasm!, {
      ...attributionInputs(wild),
      enabled: "0",
    });
    assert.deepEqual(outputs(attribute, off, "charge"), [0n, 0n, 0n]);
  });

  it("has one witness per input: every wire of AttributeCharges is fixed by its inputs", async function () {
    // IsZero's inverse is a free witness when its input is 0; it fixes nothing else
    await assertEveryWireFixed(attribute, "compartments.circom", "AttributeCharges", {
      free: /\.inv$/,
    });
  });

  it("refuses a forged split: a loss moved from the losing market to another one", async function () {
    // long 10 in market 0 bought at 120 and short 10 in market 1 sold at 100, collateral 0:
    // market 0 pays its loss of 200 beyond its penalty, market 1 nets its penalty against
    // its uncovered need (0); a prover moving 1 of market 0's loss to market 1 is refused
    const c: Case = {
      collateral: 0n,
      positions: [
        [10n, 1200n],
        [-10n, -1000n],
        [0n, 0n],
      ],
      marks: [100n, 100n, 100n],
      penaltyBps: [100n, 100n, 100n],
      take: [false, false, false],
      discountBps: [0n, 0n, 0n],
    };
    const honest = await calculateWitness(attribute.wasm!, attributionInputs(c));
    const r1cs = readR1cs(attribute.r1cs);
    const sym = readSymbols(attribute.sym!);
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    const [c0, c1] = [sym.get("main.charge[0]")!, sym.get("main.charge[1]")!];
    assert.deepEqual([decodeSigned(honest[c0]), decodeSigned(honest[c1])], [-200n, 0n]);
    const forged = [...honest];
    forged[c0] = encodeSigned(-199n);
    forged[c1] = encodeSigned(-1n);
    const bad = unsatisfiedConstraints(r1cs, forged);
    assert.ok(bad.length > 0, "a loss moved between compartments was accepted");
  });
});
