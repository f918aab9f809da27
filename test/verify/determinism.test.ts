import assert from "node:assert/strict";
import { FIELD_MODULUS as P } from "../../prover/src/domain/field.ts";
import type { Constraint, LinearCombination, R1cs } from "../../prover/src/proving/r1cs.ts";
import { analyseDeterminism } from "../../prover/src/verify/determinism.ts";
import {
  invMod,
  Status,
  superincreasing,
  UniquenessPropagation,
} from "../../prover/src/verify/propagation.ts";
import { LocalSolver } from "../../prover/src/verify/smt.ts";

// Tiny hand-written systems. Wire 0 is 1; `lc` writes a linear combination as
// [wire, coefficient] pairs with negative coefficients allowed.
const lc = (...terms: Array<[number, bigint]>): LinearCombination =>
  terms.map(([w, c]) => [w, ((c % P) + P) % P]);
const system = (nWires: number, inputs: number, constraints: Constraint[]): R1cs => ({
  prime: P,
  nWires,
  nPubOut: 0,
  nPubIn: inputs,
  nPrvIn: 0,
  constraints,
});
const inputsOf = (r: R1cs) => Array.from({ length: r.nPubIn }, (_, i) => 1 + i);
/** x * (x - 1) = 0 */
const bit = (w: number): Constraint => [lc([w, 1n]), lc([w, 1n], [0, -1n]), []];
/** sum 2^i * bits[i] = value (given as a linear combination), as --O2 leaves it: A = 1. */
const sumOfBits = (bits: number[], value: Array<[number, bigint]>): Constraint => [
  lc([0, 1n]),
  lc(...bits.map((b, i): [number, bigint] => [b, 1n << BigInt(i)])),
  lc(...value),
];

describe("determinism: uniqueness propagation and the local solver", function () {
  let solver: LocalSolver;
  before(async function () {
    solver = await LocalSolver.create();
  });
  after(function () {
    solver?.close();
  });

  it("fixes wires computed from the inputs, through products and linear systems", function () {
    // x (1), y (2) inputs; p = x * y (3); a + b = p, a - b = x (4, 5): a 2x2 linear system
    const r = system(6, 2, [
      [lc([1, 1n]), lc([2, 1n]), lc([3, 1n])],
      [lc([0, 1n]), lc([4, 1n], [5, 1n]), lc([3, 1n])],
      [lc([0, 1n]), lc([4, 1n], [5, -1n]), lc([1, 1n])],
    ]);
    const u = new UniquenessPropagation(r, inputsOf(r));
    assert.deepEqual([...u.status], [1, 1, 1, 2, 2, 2]);
  });

  it("leaves a wire the constraints do not fix unknown, and what depends on it", function () {
    // h (2) is assigned with <-- and only used in b = h * a (3): both are free
    const r = system(4, 1, [[lc([2, 1n]), lc([1, 1n]), lc([3, 1n])]]);
    const u = new UniquenessPropagation(r, inputsOf(r));
    assert.equal(u.status[2], Status.Unknown);
    assert.equal(u.status[3], Status.Unknown);
  });

  it("fixes Num2Bits's bits after --O2 substituted one of them away (superincreasing rule)", function () {
    // x (1) input; bits 2, 3, 4 and the top bit (x - b0 - 2 b1 - 4 b2) / 8 in its own
    // boolean constraint
    const i8 = invMod(8n, P);
    const top = lc([1, i8], [2, -i8], [3, -2n * i8], [4, -4n * i8]);
    const r = system(5, 1, [bit(2), bit(3), bit(4), [top, [...top, [0, P - 1n]], []]]);
    const u = new UniquenessPropagation(r, inputsOf(r));
    assert.deepEqual([...u.status].slice(2), [2, 2, 2]);
    // without the top bit's constraint, x - b0 - 2 b1 - 4 b2 is any value: bits not fixed
    const loose = system(5, 1, [bit(2), bit(3), bit(4)]);
    assert.deepEqual([...new UniquenessPropagation(loose, [1]).status].slice(2), [0, 0, 0]);
  });

  it("does not fix 254 bits of a field element (two representations below 2^254)", function () {
    const n = 254;
    const bits = Array.from({ length: n }, (_, i) => 2 + i);
    const r = system(2 + n, 1, [...bits.map(bit), sumOfBits(bits, [[1, 1n]])]);
    const u = new UniquenessPropagation(r, inputsOf(r));
    assert.ok(bits.every((b) => u.status[b] === Status.Unknown));
    // 253 bits are fine
    const r253 = system(2 + 253, 1, [
      ...bits.slice(0, 253).map(bit),
      sumOfBits(bits.slice(0, 253), [[1, 1n]]),
    ]);
    const u253 = new UniquenessPropagation(r253, inputsOf(r253));
    assert.ok(bits.slice(0, 253).every((b) => u253.status[b] !== Status.Unknown));
  });

  it("judges coefficient sets as superincreasing only when they are (up to a common factor)", function () {
    const k = 12345n;
    assert.ok(
      superincreasing(
        [1n, 2n, 4n, 8n].map((c) => (c * k) % P),
        P,
      ),
    );
    assert.ok(superincreasing([P - 1n, 2n, 5n], P)); // |-1|, 2, 5
    assert.ok(!superincreasing([1n, 2n, 3n], P));
    assert.ok(!superincreasing([1n, 1n], P));
  });

  it("proves IsZero's output unique by a case split on its input, and finds its inverse a free witness", async function () {
    // in (1) input; inv (2), out (3): in * inv = 1 - out, in * out = 0
    const r = system(4, 1, [
      [lc([1, 1n]), lc([2, 1n]), lc([0, 1n], [3, -1n])],
      [lc([1, 1n]), lc([3, 1n]), []],
    ]);
    assert.equal(new UniquenessPropagation(r, [1]).status[3], Status.Unknown);
    const res = await analyseDeterminism(r, [1], solver);
    assert.equal(res.status[3], Status.Cases);
    assert.equal(res.status[2], Status.FreeWitness);
    assert.deepEqual(res.undecided, []);
    // without in * out = 0, out may be 1 with inv = 0 for any in: not unique
    const broken = system(4, 1, [r.constraints[0]]);
    const b = await analyseDeterminism(broken, [1], solver);
    assert.deepEqual(b.undecided.sort(), [2, 3]);
  });

  it("proves a quotient unique when the remainder is range-checked on both sides", async function () {
    // s (1) input = 10 q + r with q < 2^8 (bits 2..9), r < 2^4 (bits 10..13) and
    // 9 - r < 2^4 (bits 14..17): q = floor(s / 10) is unique
    const q = Array.from({ length: 8 }, (_, i) => 2 + i);
    const rb = Array.from({ length: 4 }, (_, i) => 10 + i);
    const t = Array.from({ length: 4 }, (_, i) => 14 + i);
    const qTerms = q.map((b, i): [number, bigint] => [b, 10n << BigInt(i)]);
    const rTerms = rb.map((b, i): [number, bigint] => [b, 1n << BigInt(i)]);
    const division: Constraint = [lc([0, 1n]), lc(...qTerms, ...rTerms), lc([1, 1n])];
    const upper: Constraint = [
      lc([0, 1n]),
      lc(...t.map((b, i): [number, bigint] => [b, 1n << BigInt(i)])),
      lc([0, 9n], ...rTerms.map(([b, c]): [number, bigint] => [b, -c])),
    ];
    const all = [...q, ...rb, ...t];
    const r = system(18, 1, [...all.map(bit), division, upper]);
    assert.ok(q.some((b) => new UniquenessPropagation(r, [1]).status[b] === Status.Unknown));
    const res = await analyseDeterminism(r, [1], solver);
    assert.deepEqual(res.undecided, []);
    assert.ok(q.every((b) => res.status[b] === Status.Solver));
    // without the upper bound on r, s = 10 q + r has two solutions when r may reach 15
    const loose = system(18, 1, [...[...q, ...rb].map(bit), division]);
    const l = await analyseDeterminism(loose, [1], solver);
    assert.ok(q.every((b) => l.undecided.includes(b)));
  });

  it("records a wire fixed only when a denominator is nonzero as conditional", async function () {
    // x (1), y (2) inputs; w (3): x * w = y. Unique when x != 0; when x = y = 0, w is free
    const r = system(4, 2, [[lc([1, 1n]), lc([3, 1n]), lc([2, 1n])]]);
    const res = await analyseDeterminism(r, [1, 2], solver);
    assert.equal(res.status[3], Status.FreeWitness);
    // with a second use, w is no free witness: it flows into z (4) = w * w
    const r2 = system(5, 2, [...r.constraints, [lc([3, 1n]), lc([3, 1n]), lc([4, 1n])]]);
    const res2 = await analyseDeterminism(r2, [1, 2], solver);
    assert.equal(res2.status[3], Status.Conditional);
    assert.equal(res2.conditional.get(3), 0);
    assert.equal(res2.status[4], Status.Conditional);
  });
});
