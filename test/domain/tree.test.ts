import assert from "node:assert/strict";
import fc from "fast-check";
import { poseidon4, poseidon8 } from "poseidon-lite";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { FIELD_MODULUS, isFieldElement, mod } from "../../prover/src/domain/field.ts";
import {
  AccountTree,
  type MerkleProof,
  TreeError,
  circuitSiblings,
  pathDigits,
  treeShape,
} from "../../prover/src/domain/tree.ts";

const R = FIELD_MODULUS;

/** The shape from the spec: 3-bit levels while 3 bits are left above, then 2-bit ones. */
function specShape(depth: number): number[] {
  const shape: number[] = [];
  let left = depth;
  while (left > 0) {
    const w = left >= 5 || left === 3 ? 3 : 2;
    shape.push(w);
    left -= w;
  }
  return shape;
}

const hashN = (c: bigint[]) => (c.length === 8 ? poseidon8(c) : poseidon4(c));

/** zero[l] computed here, independently of the implementation. */
function zeros(shape: readonly number[]): bigint[] {
  const z = [0n];
  shape.forEach((w, l) => z.push(hashN(new Array<bigint>(1 << w).fill(z[l]))));
  return z;
}

/**
 * Reference root: straight from the spec, with bigint index arithmetic and a plain Map per
 * level. Deliberately independent of AccountTree's code paths.
 */
function referenceRoot(leaves: Map<bigint, bigint>, depth: number): bigint {
  const shape = specShape(depth);
  const z = zeros(shape);
  let level = new Map<bigint, bigint>();
  for (const [i, v] of leaves) if (v !== 0n) level.set(i, v);
  shape.forEach((w, l) => {
    const parents = new Set<bigint>();
    for (const i of level.keys()) parents.add(i >> BigInt(w));
    const next = new Map<bigint, bigint>();
    for (const p of parents) {
      const c = Array.from(
        { length: 1 << w },
        (_, k) => level.get((p << BigInt(w)) + BigInt(k)) ?? z[l],
      );
      next.set(p, hashN(c));
    }
    level = next;
  });
  return level.get(0n) ?? z[shape.length];
}

/** Applies entries in order to a plain map (last write wins), as the tree should. */
function applyEntries(entries: readonly (readonly [bigint, bigint])[]): Map<bigint, bigint> {
  const m = new Map<bigint, bigint>();
  for (const [i, v] of entries) m.set(i, v);
  return m;
}

function expectTreeError(fn: () => unknown, code: string, messagePart?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TreeError, `expected TreeError, got ${String(e)}`);
    assert.ok(e instanceof ZkClearError);
    assert.equal(e.code, code);
    assert.equal(e.name, "TreeError");
    if (messagePart) assert.match(e.message, messagePart);
    return true;
  });
}

/** Leaf indices that hit the whole range but also collide/share paths often. */
const indexArb = (depth: number): fc.Arbitrary<bigint> =>
  fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << BigInt(depth)) - 1n }),
    fc.bigInt({ min: 0n, max: 63n }),
    fc.bigInt({ min: (1n << BigInt(depth)) - 64n, max: (1n << BigInt(depth)) - 1n }),
  );

const valueArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 1000n }),
  fc.bigInt({ min: 1n, max: R - 1n }),
  fc.constant(R - 1n),
);

const entriesArb = (depth: number, maxLength: number) =>
  fc.array(fc.tuple(indexArb(depth), valueArb), { maxLength });

describe("field", () => {
  it("is the BN254 scalar field", () => {
    assert.equal(
      R,
      0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n,
      "r of alt_bn128",
    );
    assert.equal(mod(-1n), R - 1n);
    assert.equal(mod(R + 5n), 5n);
    assert.ok(isFieldElement(0n) && isFieldElement(R - 1n));
    assert.ok(!isFieldElement(R) && !isFieldElement(-1n) && !isFieldElement(1));
  });

  it("poseidon4 matches the circomlib test vector", () => {
    assert.equal(
      poseidon4([1n, 2n, 3n, 4n]),
      0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465n,
    );
  });
});

describe("AccountTree", () => {
  it("has the spec's shape at every depth: 8-ary levels, then at most two 4-ary ones", () => {
    for (let d = 2; d <= 32; d++) {
      assert.deepEqual(treeShape(d), specShape(d), `depth ${d}`);
      assert.equal(
        treeShape(d).reduce((a, b) => a + b, 0),
        d,
      );
    }
    assert.deepEqual(treeShape(24), new Array(8).fill(3));
    assert.deepEqual(treeShape(16), [3, 3, 3, 3, 2, 2]);
    assert.deepEqual(treeShape(8), [3, 3, 2]);
    assert.deepEqual(treeShape(4), [2, 2]);
  });

  it("empty root is zero[L] for every supported depth", () => {
    for (let d = 2; d <= 32; d++) {
      const t = new AccountTree(d);
      assert.equal(t.depth, d);
      assert.equal(t.levels, specShape(d).length);
      assert.equal(t.root, zeros(specShape(d))[t.levels], `depth ${d}`);
      assert.equal(t.size, 0);
      assert.equal(t.nodeCount, 0);
    }
  });

  it("single-leaf root at D=3 (one 8-ary level) by hand", () => {
    const t = new AccountTree(3);
    t.setLeaf(5, 42n);
    assert.equal(t.root, poseidon8([0n, 0n, 0n, 0n, 0n, 42n, 0n, 0n]));
    assert.deepEqual(t.proof(5).siblings, [[0n, 0n, 0n, 0n, 0n, 0n, 0n]]);
    assert.deepEqual(t.proof(2).siblings, [[0n, 0n, 0n, 0n, 42n, 0n, 0n]]);
  });

  it("an 8-ary level under a 4-ary one at D=5, by hand", () => {
    const z1 = poseidon8(new Array(8).fill(0n));
    const t = new AccountTree(5);
    t.setLeaf(0b10_011, 9n); // digits [3, 2]
    assert.deepEqual(pathDigits(0b10_011, 5), [3, 2]);
    const n2 = poseidon8([0n, 0n, 0n, 9n, 0n, 0n, 0n, 0n]);
    assert.equal(t.root, poseidon4([z1, z1, n2, z1]));
    assert.deepEqual(t.proof(0b10_011).siblings, [new Array(7).fill(0n), [z1, z1, z1]]);
  });

  it("pads a proof to the circuit's seven siblings per level with zeros", () => {
    const t = new AccountTree(5);
    t.setLeaf(1, 3n);
    const padded = circuitSiblings(t.proof(1).siblings);
    assert.deepEqual(
      padded.map((s) => s.length),
      [7, 7],
    );
    assert.deepEqual(padded[1].slice(3), [0n, 0n, 0n, 0n]);
  });

  it("single-leaf root at D=4 computed by hand", () => {
    const v = 123456789n;
    // index 9 = digits [1, 2]: position 1 in level-1 node 2, which is position 2 of the root.
    assert.deepEqual(pathDigits(9, 4), [1, 2]);
    const z1 = poseidon4([0n, 0n, 0n, 0n]);
    const n2 = poseidon4([0n, v, 0n, 0n]);
    const root = poseidon4([z1, z1, n2, z1]);

    const t = new AccountTree(4);
    t.setLeaf(9, v);
    assert.equal(t.root, root);
    assert.equal(t.getLeaf(9n), v);
    assert.equal(t.getLeaf(8), 0n);
    assert.equal(t.size, 1);
    assert.equal(t.nodeCount, 3); // leaf, one level-1 node, root

    const p = t.proof(9n);
    assert.deepEqual(p, {
      index: 9n,
      leaf: v,
      siblings: [
        [0n, 0n, 0n],
        [z1, z1, z1],
      ],
    });
    assert.ok(AccountTree.verifyProof(p, root, 4));
  });

  it("two leaves at D=4 in different subtrees, by hand", () => {
    const z1 = poseidon4([0n, 0n, 0n, 0n]);
    const t = new AccountTree(4);
    t.setLeaf(0, 7n);
    t.setLeaf(15, 11n); // digits [3, 3]
    const a = poseidon4([7n, 0n, 0n, 0n]);
    const b = poseidon4([0n, 0n, 0n, 11n]);
    assert.equal(t.root, poseidon4([a, z1, z1, b]));
    assert.deepEqual(t.proof(15).siblings, [
      [0n, 0n, 0n],
      [a, z1, z1],
    ]);
  });

  it("pathDigits gives each level's digit leaf level first, up to D=32", () => {
    assert.deepEqual(pathDigits(0b11_100_100, 8), [4, 4, 3]);
    assert.deepEqual(pathDigits(2n ** 32n - 1n, 32), [...new Array(10).fill(7), 3]);
    assert.deepEqual(pathDigits(2 ** 31, 32), [...new Array(10).fill(0), 2]);
    assert.deepEqual(pathDigits(2n ** 24n - 1n, 24), new Array(8).fill(7));
  });

  it("the top index at D=32 (index >= 2^31) works", () => {
    const t = new AccountTree(32);
    const top = 2n ** 32n - 1n;
    t.setLeaf(top, 5n);
    t.setLeaf(2n ** 31n, 6n);
    const expected = referenceRoot(
      new Map([
        [top, 5n],
        [2n ** 31n, 6n],
      ]),
      32,
    );
    assert.equal(t.root, expected);
    assert.ok(AccountTree.verifyProof(t.proof(top), expected, 32));
    assert.equal(t.getLeaf(top), 5n);
  });

  for (const [depth, numRuns, maxLength] of [
    [8, 100, 40],
    [24, 25, 12],
  ] as const) {
    describe(`properties at D=${depth}`, () => {
      it("root matches the reference; every proof verifies and recomputes the root", () => {
        fc.assert(
          fc.property(entriesArb(depth, maxLength), indexArb(depth), (entries, probe) => {
            const t = new AccountTree(depth);
            for (const [i, v] of entries) t.setLeaf(i, v);
            const model = applyEntries(entries);
            const root = referenceRoot(model, depth);
            assert.equal(t.root, root);
            assert.equal(t.size, [...model.values()].filter((v) => v !== 0n).length);
            // Every touched index, plus an arbitrary (likely empty) one: non-membership too.
            for (const i of [...model.keys(), probe]) {
              const p = t.proof(i);
              assert.equal(p.index, i);
              assert.equal(p.leaf, model.get(i) ?? 0n);
              assert.deepEqual(
                p.siblings.map((x) => x.length),
                specShape(depth).map((w) => (1 << w) - 1),
              );
              assert.ok(AccountTree.verifyProof(p, root, depth));
              assert.equal(AccountTree.computeRoot(p.leaf, p.index, p.siblings, depth), root);
            }
          }),
          { numRuns },
        );
      });

      it("setting leaves in any order gives the same root", () => {
        const arb = fc
          .uniqueArray(fc.tuple(indexArb(depth), valueArb), {
            maxLength,
            selector: ([i]) => i,
          })
          .chain((es) =>
            fc.tuple(fc.constant(es), fc.shuffledSubarray(es, { minLength: es.length })),
          );
        fc.assert(
          fc.property(arb, ([a, b]) => {
            const t1 = new AccountTree(depth);
            const t2 = new AccountTree(depth);
            for (const [i, v] of a) t1.setLeaf(i, v);
            for (const [i, v] of b) t2.setLeaf(i, v);
            assert.equal(t1.root, t2.root);
            assert.deepEqual([...t1.entries()], [...t2.entries()]);
          }),
          { numRuns },
        );
      });

      it("bulkLoad equals sequential setLeaf (on empty and non-empty trees)", () => {
        fc.assert(
          fc.property(
            entriesArb(depth, maxLength),
            entriesArb(depth, maxLength),
            (first, second) => {
              const seq = new AccountTree(depth);
              for (const [i, v] of [...first, ...second]) seq.setLeaf(i, v);
              const bulk = new AccountTree(depth);
              bulk.bulkLoad(first);
              assert.equal(bulk.root, referenceRoot(applyEntries(first), depth));
              bulk.bulkLoad(second);
              assert.equal(bulk.root, seq.root);
              assert.equal(bulk.size, seq.size);
              assert.equal(bulk.nodeCount, seq.nodeCount);
              assert.deepEqual([...bulk.entries()], [...seq.entries()]);
            },
          ),
          { numRuns },
        );
      });

      it("clearing every leaf collapses back to the empty tree", () => {
        fc.assert(
          fc.property(entriesArb(depth, maxLength), (entries) => {
            const t = new AccountTree(depth);
            t.bulkLoad(entries);
            for (const [i] of entries) t.setLeaf(i, 0n);
            assert.equal(t.root, new AccountTree(depth).root);
            assert.equal(t.size, 0);
            assert.equal(t.nodeCount, 0);
          }),
          { numRuns },
        );
      });
    });
  }

  describe("tampered proofs fail", () => {
    const depth = 8;
    const t = new AccountTree(depth);
    // Distinct non-zero values everywhere near the probed leaf so every tamper changes the root.
    const entries: [bigint, bigint][] = [];
    for (let i = 0n; i < 64n; i++) entries.push([i * 3n, 1000n + i]);
    t.bulkLoad(entries);
    const root = t.root;
    const good: MerkleProof = t.proof(21n); // digits [5, 2, 0]

    const clone = (p: MerkleProof): MerkleProof => ({
      index: p.index,
      leaf: p.leaf,
      siblings: p.siblings.map((s) => [...s]),
    });

    it("the untampered proof verifies", () => {
      assert.equal(good.leaf, 1007n);
      assert.ok(AccountTree.verifyProof(good, root, depth));
    });

    it("any changed sibling", () => {
      for (let l = 0; l < good.siblings.length; l++) {
        for (let k = 0; k < good.siblings[l].length; k++) {
          const p = clone(good);
          p.siblings[l][k] = mod(p.siblings[l][k] + 1n);
          assert.ok(!AccountTree.verifyProof(p, root, depth), `sibling ${l}/${k}`);
        }
      }
    });

    it("changed leaf, index, root", () => {
      assert.ok(!AccountTree.verifyProof({ ...clone(good), leaf: good.leaf + 1n }, root, depth));
      assert.ok(!AccountTree.verifyProof({ ...clone(good), leaf: 0n }, root, depth));
      for (const index of [20n, 22n, 23n, 17n, 25n, 37n, 85n, 149n, 0n, 255n]) {
        assert.ok(!AccountTree.verifyProof({ ...clone(good), index }, root, depth), `${index}`);
      }
      assert.ok(!AccountTree.verifyProof(good, root + 1n, depth));
    });

    it("malformed proofs give false, not an exception", () => {
      const bad: unknown[] = [
        { ...clone(good), index: 256n },
        { ...clone(good), index: -1n },
        { ...clone(good), leaf: R },
        { ...clone(good), siblings: good.siblings.slice(1) },
        { ...clone(good), siblings: [...good.siblings, [0n, 0n, 0n]] },
        { ...clone(good), siblings: good.siblings.map((s) => s.slice(0, 2)) },
        { ...clone(good), siblings: good.siblings.map((s) => s.map(() => R)) },
        { ...clone(good), siblings: circuitSiblings(good.siblings) },
        null,
      ];
      for (const p of bad)
        assert.equal(AccountTree.verifyProof(p as MerkleProof, root, depth), false);
      // Proof for a different depth does not verify.
      assert.equal(AccountTree.verifyProof(good, root, 10), false);
    });
  });

  describe("errors", () => {
    it("index out of range", () => {
      const t = new AccountTree(8);
      expectTreeError(() => t.setLeaf(256, 1n), "TREE_INDEX_OUT_OF_RANGE", /256.*2\^8/);
      expectTreeError(() => t.setLeaf(2n ** 8n, 1n), "TREE_INDEX_OUT_OF_RANGE", /256/);
      expectTreeError(() => t.getLeaf(-1), "TREE_INDEX_OUT_OF_RANGE");
      expectTreeError(() => t.getLeaf(-1n), "TREE_INDEX_OUT_OF_RANGE");
      expectTreeError(() => t.getLeaf(1.5), "TREE_INDEX_OUT_OF_RANGE");
      expectTreeError(() => t.proof(256n), "TREE_INDEX_OUT_OF_RANGE");
      expectTreeError(() => pathDigits(2n ** 32n, 32), "TREE_INDEX_OUT_OF_RANGE");
      expectTreeError(() => new AccountTree(32).setLeaf(2n ** 32n, 1n), "TREE_INDEX_OUT_OF_RANGE");
    });

    it("value not a field element", () => {
      const t = new AccountTree(8);
      expectTreeError(() => t.setLeaf(1, R), "TREE_BAD_VALUE", /\[0, r\)/);
      expectTreeError(() => t.setLeaf(1, R + 1n), "TREE_BAD_VALUE");
      expectTreeError(() => t.setLeaf(1, -1n), "TREE_BAD_VALUE");
      expectTreeError(() => t.setLeaf(1, 5 as unknown as bigint), "TREE_BAD_VALUE", /number 5/);
      expectTreeError(() => AccountTree.computeRoot(R, 0, [], 2), "TREE_BAD_VALUE");
      assert.equal(t.size, 0);
      assert.equal(t.root, new AccountTree(8).root);
    });

    it("bulkLoad validates everything first and leaves the tree unchanged on error", () => {
      const t = new AccountTree(8);
      t.setLeaf(3, 9n);
      const before = t.root;
      expectTreeError(
        () =>
          t.bulkLoad([
            [1n, 1n],
            [2n, R],
          ]),
        "TREE_BAD_VALUE",
        /leaf 2/,
      );
      expectTreeError(
        () =>
          t.bulkLoad([
            [1n, 1n],
            [300n, 1n],
          ]),
        "TREE_INDEX_OUT_OF_RANGE",
      );
      assert.equal(t.root, before);
      assert.deepEqual([...t.entries()], [[3n, 9n]]);
    });

    it("bad depth", () => {
      for (const d of [0, 1, -2, 33, 34, 64]) {
        expectTreeError(() => new AccountTree(d), "TREE_BAD_DEPTH", /\[2, 32\]/);
      }
      expectTreeError(() => new AccountTree(2.5), "TREE_BAD_DEPTH", /integer/);
      expectTreeError(() => pathDigits(0, 33), "TREE_BAD_DEPTH");
      const t = new AccountTree(8);
      expectTreeError(() => AccountTree.verifyProof(t.proof(0), t.root, 33), "TREE_BAD_DEPTH");
      // a proof for another (valid) depth has another shape: it does not verify
      assert.equal(AccountTree.verifyProof(t.proof(0), t.root, 7), false);
    });
  });

  it("entries() yields non-empty leaves in index order", () => {
    const t = new AccountTree(8);
    t.bulkLoad([
      [200n, 1n],
      [5n, 2n],
      [77n, 3n],
      [5n, 0n],
    ]);
    t.setLeaf(1, 4n);
    assert.deepEqual(
      [...t.entries()],
      [
        [1n, 4n],
        [77n, 3n],
        [200n, 1n],
      ],
    );
  });
});
