import assert from "node:assert/strict";
import fc from "fast-check";
import { FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import { AccountTree, circuitSiblings, treeShape } from "../../prover/src/domain/tree.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, wiresFixedBy } from "../../prover/src/proving/r1cs.ts";

const field = fc.bigInt(0n, FIELD_MODULUS - 1n);

/** A random proof's parts for a depth: index, both leaves and each level's siblings. */
const pathArb = (depth: number) =>
  fc.record({
    index: fc.bigInt(0n, (1n << BigInt(depth)) - 1n),
    oldLeaf: field,
    newLeaf: field,
    siblings: fc.tuple(
      ...treeShape(depth).map((w) =>
        fc.array(field, { minLength: (1 << w) - 1, maxLength: (1 << w) - 1 }),
      ),
    ),
  });

function signals(
  depth: number,
  p: { index: bigint; oldLeaf: bigint; newLeaf: bigint; siblings: bigint[][] },
) {
  return {
    oldLeaf: p.oldLeaf.toString(),
    newLeaf: p.newLeaf.toString(),
    indexBits: Array.from({ length: depth }, (_, k) => ((p.index >> BigInt(k)) & 1n).toString()),
    siblings: circuitSiblings(p.siblings).map((s) => s.map(String)),
  };
}

describe("LeafUpdate: the account tree's circuit twin", function () {
  const builds = new Map<number, ProbeBuild>();
  const build = async (depth: number) => {
    let b = builds.get(depth);
    if (!b) {
      b = await compileProbe(`leaf_update_${depth}`, "merkle.circom", `LeafUpdate(${depth})`, {
        wasm: true,
      });
      builds.set(depth, b);
    }
    return b;
  };

  for (const depth of [2, 3, 4, 5, 8, 16, 24]) {
    it(`gives AccountTree's old and new roots at D=${depth} [${treeShape(depth).join(",")}] (property)`, async function () {
      const b = await build(depth);
      await fc.assert(
        fc.asyncProperty(pathArb(depth), async (p) => {
          const w = await calculateWitness(b.wasm!, signals(depth, p));
          assert.equal(w[1], AccountTree.computeRoot(p.oldLeaf, p.index, p.siblings, depth));
          assert.equal(w[2], AccountTree.computeRoot(p.newLeaf, p.index, p.siblings, depth));
        }),
        { numRuns: 8 },
      );
    });
  }

  it("costs 8 levels of 830 constraints at D=24 (two Poseidon(8), the position and the inserts)", async function () {
    assert.equal((await build(24)).constraints, 8 * (2 * 402 + 4 + 14 + 8));
  });

  it("refuses a non-zero padding sibling of a 4-ary level", async function () {
    const b = await build(8);
    const p = {
      index: 77n,
      oldLeaf: 1n,
      newLeaf: 2n,
      siblings: treeShape(8).map((w) => new Array<bigint>((1 << w) - 1).fill(5n)),
    };
    const s = signals(8, p);
    s.siblings[2][3] = "1"; // the top level is 4-ary: only three siblings
    await assert.rejects(calculateWitness(b.wasm!, s), (e: unknown) => {
      assert.ok(e instanceof WitnessError);
      assert.ok(
        e.templates.some((t) => t.startsWith("MerkleLevel")),
        e.templates.join(" < "),
      );
      return true;
    });
  });

  it("has one witness per input: the constraints fix every wire from the leaves, bits and siblings", async function () {
    const b = await build(16);
    const r1cs = readR1cs(b.r1cs);
    const p = {
      index: 12345n,
      oldLeaf: 11n,
      newLeaf: 22n,
      siblings: treeShape(16).map((w, l) =>
        Array.from({ length: (1 << w) - 1 }, (_, k) => BigInt(100 * l + k)),
      ),
    };
    const honest = await calculateWitness(b.wasm!, signals(16, p));
    // wire 0 = 1 and every input (the padding siblings are constants, not wires)
    const known = new Map<number, bigint>([[0, 1n]]);
    for (const [name, wire] of readSymbols(b.sym!))
      if (/^main\.(oldLeaf|newLeaf|indexBits\[\d+\]|siblings\[\d+\]\[\d+\])$/.test(name))
        known.set(wire, honest[wire]);
    assert.ok(known.size >= 1 + 2 + 16 + 4 * 7 + 2 * 3, "the inputs' wires");
    const fixed = wiresFixedBy(r1cs, known);
    assert.equal(fixed.size, r1cs.nWires);
    honest.forEach((v, i) => assert.equal(fixed.get(i), v, `wire ${i}`));
  });
});
