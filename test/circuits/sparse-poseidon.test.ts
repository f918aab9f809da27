import assert from "node:assert/strict";
import fc from "fast-check";
import { poseidon } from "../../prover/src/domain/hash.ts";
import { BN128_R } from "../../prover/src/proving/dev-zkey.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import {
  readR1cs,
  unsatisfiedConstraints,
  wiresFixedBy,
  type R1cs,
} from "../../prover/src/proving/r1cs.ts";

// Every arity zkclear's circuits hash with, and the extremes.
const ARITIES = [1, 2, 3, 4, 5, 8, 11, 16];

/** One circuit hashing a prefix of x with each arity, with one template or the other. */
function allArities(template: string): string {
  const lines = ARITIES.map(
    (n, i) =>
      `    out[${i}] <== ${template}(${n})([${Array.from({ length: n }, (_, j) => `x[${j}]`).join(", ")}]);`,
  );
  return [
    "template AllArities() {",
    "    signal input x[16];",
    `    signal output out[${ARITIES.length}];`,
    ...lines,
    "}",
  ].join("\n");
}

const field = fc.bigInt(0n, BN128_R - 1n);

describe("SparsePoseidon: circomlib's Poseidon with sparse A and B", function () {
  let sparse: ProbeBuild;
  let circomlib: ProbeBuild;
  let r1cs: R1cs;

  before(async function () {
    sparse = await compileProbe("sparse_poseidon_all", "sparse-poseidon.circom", "AllArities()", {
      wasm: true,
      body: allArities("SparsePoseidon"),
    });
    circomlib = await compileProbe(
      "circomlib_poseidon_all",
      "sparse-poseidon.circom",
      "AllArities()",
      { body: `include "circomlib/circuits/poseidon.circom";\n${allArities("Poseidon")}` },
    );
    r1cs = readR1cs(sparse.r1cs);
  });

  it("has exactly circomlib's constraint and wire counts", function () {
    assert.equal(sparse.constraints, circomlib.constraints);
    assert.equal(sparse.wires, circomlib.wires);
  });

  it("puts the linear layers in C: far fewer A and B terms than circomlib's Poseidon", function () {
    const ab = (r: R1cs) => r.constraints.reduce((n, [a, b]) => n + a.length + b.length, 0);
    const theirs = ab(readR1cs(circomlib.r1cs));
    const ours = ab(r1cs);
    assert.ok(ours * 2 < theirs, `A+B terms: ${ours} here, ${theirs} in circomlib's`);
  });

  it("hashes like poseidon-lite (the TypeScript twin) at every arity (property)", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(field, { minLength: 16, maxLength: 16 }), async (x) => {
        const w = await calculateWitness(sparse.wasm!, { x: x.map(String) });
        ARITIES.forEach((n, i) => assert.equal(w[1 + i], poseidon(x.slice(0, n)), `arity ${n}`));
        assert.deepEqual(unsatisfiedConstraints(r1cs, w), []);
      }),
      { numRuns: 12 },
    );
  });

  it("hashes the edge values 0 and r - 1 like poseidon-lite", async function () {
    for (const v of [0n, BN128_R - 1n]) {
      const x = Array.from({ length: 16 }, () => v);
      const w = await calculateWitness(sparse.wasm!, { x: x.map(String) });
      ARITIES.forEach((n, i) => assert.equal(w[1 + i], poseidon(x.slice(0, n)), `arity ${n}`));
    }
  });

  it("has one witness per input: the constraints alone fix every wire from the inputs", async function () {
    const x = Array.from({ length: 16 }, (_, i) => BigInt(i) * 1_000_003n + 17n);
    const honest = await calculateWitness(sparse.wasm!, { x: x.map(String) });
    // wire 0 is 1; the outputs come first, then the 16 inputs
    const inputs = new Map<number, bigint>([[0, 1n]]);
    x.forEach((v, i) => inputs.set(1 + ARITIES.length + i, v));
    const fixed = wiresFixedBy(r1cs, inputs);
    assert.equal(fixed.size, r1cs.nWires, "some wires are not fixed by the constraints");
    honest.forEach((v, w) => assert.equal(fixed.get(w), v, `wire ${w}`));
    // so no other output can be proven for these inputs
    const forgedOut = new Map(inputs).set(1, (honest[1] + 1n) % BN128_R);
    assert.throws(() => wiresFixedBy(r1cs, forgedOut), /satisfy no witness/);
  });

  it("(the uniqueness check finds a wire the constraints leave free)", async function () {
    const loose = await compileProbe("loose", "sparse-poseidon.circom", "Loose()", {
      body: "template Loose() { signal input a; signal output b; signal h; h <-- a + 1; b <== h * a; }",
    });
    const fixed = wiresFixedBy(
      readR1cs(loose.r1cs),
      new Map([
        [0, 1n],
        [2, 5n],
      ]),
    );
    assert.ok(fixed.size < loose.wires, "the free wire h (and b with it) must not count as fixed");
  });

  it("refuses a forged witness: any wire changed breaks a constraint that uses it", async function () {
    const x = Array.from({ length: 16 }, (_, i) => BigInt(i + 1) * 7919n);
    const honest = await calculateWitness(sparse.wasm!, { x: x.map(String) });
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    // every output, then wires spread over every round of every arity
    const outputs = ARITIES.map((_, i) => 1 + i);
    const step = Math.floor(honest.length / 97);
    const inner = Array.from({ length: 96 }, (_, i) => 1 + ARITIES.length + 16 + i * step);
    for (const wire of [...outputs, ...inner]) {
      if (wire >= honest.length) continue;
      const forged = [...honest];
      forged[wire] = (forged[wire] + 1n) % BN128_R;
      const bad = unsatisfiedConstraints(r1cs, forged);
      assert.ok(bad.length > 0, `changing wire ${wire} went unnoticed`);
      assert.ok(
        bad.every((c) => r1cs.constraints[c].some((lc) => lc.some(([w]) => w === wire))),
        `wire ${wire}: a constraint that does not use it failed`,
      );
    }
  });
});
