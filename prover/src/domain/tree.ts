/**
 * The zkclear account tree: a sparse Poseidon Merkle tree over the BN254 scalar field whose
 * nodes have 8 children (Poseidon(8)) from the leaves up and 4 children (Poseidon(4)) in at
 * most two levels at the top.
 *
 * Layout (circuits/src/merkle.circom must agree bit for bit):
 * - binary depth D (2..32) gives 2^D leaves; the index is read from the leaves up in levels
 *   of w_l bits: 3 while at least 3 bits are left for the levels above, then 2
 *   (D = 3a + 2b, b in {0, 1, 2} as small as it can be): D = 24 is eight 8-ary levels,
 *   D = 16 four 8-ary and two 4-ary, D = 8 two 8-ary and one 4-ary (see {@link treeShape});
 * - level 0 holds the leaves, level L the root; the empty leaf is 0;
 * - a level-l node's parent = poseidon(its 2^w_l siblings and itself, in position order);
 *   zero[0] = 0, zero[l+1] = poseidon([zero[l] x 2^w_l]);
 * - leaf i's level-l ancestor has index i >> s_l (s_l = w_0 + ... + w_{l-1}) and sits at child
 *   position (i >> s_l) & (2^w_l - 1) of its parent;
 * - a proof lists, per level, the 2^w_l - 1 other children of the parent in increasing
 *   position (the circuit takes 7 per level, the unused ones 0).
 */
import { poseidon4, poseidon8 } from "poseidon-lite";
import { ZkClearError } from "./errors.ts";
import { isFieldElement } from "./field.ts";

/** Stable codes of {@link TreeError}. */
export type TreeErrorCode =
  | "TREE_INDEX_OUT_OF_RANGE"
  | "TREE_BAD_VALUE"
  | "TREE_BAD_DEPTH"
  | "TREE_BAD_PROOF";

/** Error thrown for invalid tree input; `code` says which check failed. */
export class TreeError extends ZkClearError {
  declare readonly code: TreeErrorCode;

  constructor(code: TreeErrorCode, message: string) {
    super(code, message);
  }
}

/** Merkle proof of the value at `index` (also a non-membership proof when `leaf` is 0). */
export interface MerkleProof {
  /** Leaf index in [0, 2^D). */
  index: bigint;
  /** Leaf value (0n for an empty leaf). */
  leaf: bigint;
  /**
   * `siblings[l]`: the other 2^w_l - 1 children of the level-l node's parent, in increasing
   * position; one entry per level of the tree's shape.
   */
  siblings: bigint[][];
}

/** Smallest and largest accepted binary depth. */
const MIN_DEPTH = 2;
const MAX_DEPTH = 32;
/** Siblings per level in a circuit's input (an 8-ary level's seven; a 4-ary level pads). */
export const CIRCUIT_SIBLINGS = 7;

/** Bits per level from the leaves up: 3 (8 children) and then at most two levels of 2. */
export function treeShape(depth: number): number[] {
  const d = checkDepth(depth);
  const twos = (3 - (d % 3)) % 3;
  return [...new Array<number>((d - 2 * twos) / 3).fill(3), ...new Array<number>(twos).fill(2)];
}

function hashChildren(children: bigint[]): bigint {
  return children.length === 8 ? poseidon8(children) : poseidon4(children);
}

/** zero[l] = root of an empty subtree of height l for a shape (zero[0] = empty leaf). */
const ZEROS = new Map<string, readonly bigint[]>();

function zeroHashes(shape: readonly number[]): readonly bigint[] {
  const key = shape.join(",");
  let z = ZEROS.get(key);
  if (!z) {
    const out = [0n];
    for (const w of shape)
      out.push(hashChildren(new Array<bigint>(1 << w).fill(out[out.length - 1])));
    ZEROS.set(key, out);
    z = out;
  }
  return z;
}

function checkDepth(depth: unknown): number {
  if (typeof depth !== "number" || !Number.isInteger(depth)) {
    throw new TreeError("TREE_BAD_DEPTH", `tree depth must be an integer, got ${String(depth)}`);
  }
  if (depth < MIN_DEPTH || depth > MAX_DEPTH) {
    throw new TreeError(
      "TREE_BAD_DEPTH",
      `tree depth must be in [${MIN_DEPTH}, ${MAX_DEPTH}], got ${depth}`,
    );
  }
  return depth;
}

/** Validates an index against 2^depth and returns it as a number (exact: 2^32 < 2^53). */
function checkIndex(index: unknown, depth: number): number {
  let n: number;
  if (typeof index === "bigint") {
    if (index < 0n || index >= 1n << BigInt(depth)) {
      throw new TreeError(
        "TREE_INDEX_OUT_OF_RANGE",
        `leaf index ${index} is outside [0, 2^${depth})`,
      );
    }
    n = Number(index);
  } else if (typeof index === "number" && Number.isSafeInteger(index)) {
    n = index;
  } else {
    throw new TreeError(
      "TREE_INDEX_OUT_OF_RANGE",
      `leaf index must be a non-negative integer (bigint or safe integer), got ${String(index)}`,
    );
  }
  if (n < 0 || n >= 2 ** depth) {
    throw new TreeError("TREE_INDEX_OUT_OF_RANGE", `leaf index ${n} is outside [0, 2^${depth})`);
  }
  return n;
}

function checkValue(value: unknown, what: string): bigint {
  if (!isFieldElement(value)) {
    const shown = typeof value === "bigint" ? value.toString() : `${typeof value} ${String(value)}`;
    throw new TreeError(
      "TREE_BAD_VALUE",
      `${what} must be a bigint field element in [0, r), got ${shown}`,
    );
  }
  return value;
}

/**
 * The child position of `index`'s ancestor at each level, leaf level first: digit l =
 * (index >> s_l) & (2^w_l - 1) for the depth's shape.
 */
export function pathDigits(index: bigint | number, depth: number): number[] {
  const shape = treeShape(depth);
  let i = checkIndex(index, depth);
  return shape.map((w) => {
    const digit = i % (1 << w);
    i = (i - digit) / (1 << w);
    return digit;
  });
}

/** Hashes `node` placed at `digit` among `s` (the other children in increasing order). */
function hashWithSiblings(node: bigint, digit: number, s: readonly bigint[]): bigint {
  return hashChildren([...s.slice(0, digit), node, ...s.slice(digit)]);
}

/**
 * Pads a proof's siblings to the circuit's input shape: CIRCUIT_SIBLINGS per level, the
 * unused ones of a 4-ary level 0 (the circuit checks they are).
 */
export function circuitSiblings(siblings: readonly (readonly bigint[])[]): bigint[][] {
  return siblings.map((s) => [...s, ...new Array<bigint>(CIRCUIT_SIBLINGS - s.length).fill(0n)]);
}

/** The circuit siblings of a padding slot: zero everywhere. */
export function emptyCircuitSiblings(depth: number): bigint[][] {
  return treeShape(depth).map(() => new Array<bigint>(CIRCUIT_SIBLINGS).fill(0n));
}

/**
 * Sparse Poseidon Merkle tree of 2^depth leaves (shape: {@link treeShape}). Only nodes that
 * differ from the empty subtree hash of their level are stored (one Map per level keyed by
 * node index).
 */
export class AccountTree {
  /** Binary depth D: the tree has 2^D leaves. */
  readonly depth: number;
  /** Bits per level, leaf level first. */
  readonly shape: readonly number[];
  /** Number of levels L (the length of a proof). */
  readonly levels: number;

  /** nodes[l] maps node index -> value for non-empty nodes; nodes[0] are the leaves. */
  private readonly nodes: Map<number, bigint>[];
  private readonly zero: readonly bigint[];
  /** Reused hash input buffers per arity (poseidon-lite copies its input, so reuse is safe). */
  private readonly bufs = new Map<number, bigint[]>([
    [4, new Array<bigint>(4).fill(0n)],
    [8, new Array<bigint>(8).fill(0n)],
  ]);

  /** Creates an empty tree; throws TreeError "TREE_BAD_DEPTH" unless depth is in [2, 32]. */
  constructor(depth: number) {
    this.depth = checkDepth(depth);
    this.shape = treeShape(depth);
    this.levels = this.shape.length;
    this.zero = zeroHashes(this.shape);
    this.nodes = [];
    for (let l = 0; l <= this.levels; l++) this.nodes.push(new Map());
  }

  /** Current root (zero[L] for the empty tree). */
  get root(): bigint {
    return this.nodes[this.levels].get(0) ?? this.zero[this.levels];
  }

  /** Number of non-empty (non-zero) leaves. */
  get size(): number {
    return this.nodes[0].size;
  }

  /** Number of stored non-empty nodes over all levels, leaves and root included. */
  get nodeCount(): number {
    let n = 0;
    for (const m of this.nodes) n += m.size;
    return n;
  }

  /** Value of leaf `index` (0n if empty). */
  getLeaf(index: bigint | number): bigint {
    return this.nodes[0].get(checkIndex(index, this.depth)) ?? 0n;
  }

  /** Sets leaf `index` to `value` (0n clears it) and rehashes its path: at most L hashes. */
  setLeaf(index: bigint | number, value: bigint): void {
    let i = checkIndex(index, this.depth);
    checkValue(value, "leaf value");
    const leaves = this.nodes[0];
    if ((leaves.get(i) ?? 0n) === value) return;
    if (value === 0n) leaves.delete(i);
    else leaves.set(i, value);
    for (let l = 0; l < this.levels; l++) {
      const arity = 1 << this.shape[l];
      const parent = (i - (i % arity)) / arity;
      const h = this.hashChildren(l, parent);
      const up = this.nodes[l + 1];
      const old = up.get(parent) ?? this.zero[l + 1];
      if (old === h) return; // nothing above can change
      if (h === this.zero[l + 1]) up.delete(parent);
      else up.set(parent, h);
      i = parent;
    }
  }

  /**
   * Writes many leaves at once (later duplicates win, 0n clears), then rehashes every affected
   * internal node exactly once, bottom-up. Works on empty and non-empty trees. All entries are
   * validated before the tree is touched, so a TreeError leaves the tree unchanged.
   */
  bulkLoad(entries: Iterable<readonly [bigint | number, bigint]>): void {
    const staged = new Map<number, bigint>();
    for (const [index, value] of entries) {
      const i = checkIndex(index, this.depth);
      staged.set(i, checkValue(value, `value of leaf ${i}`));
    }
    const leaves = this.nodes[0];
    let dirty = new Set<number>();
    for (const [i, v] of staged) {
      if ((leaves.get(i) ?? 0n) === v) continue;
      if (v === 0n) leaves.delete(i);
      else leaves.set(i, v);
      dirty.add(Math.floor(i / (1 << this.shape[0])));
    }
    staged.clear();
    for (let l = 0; l < this.levels && dirty.size > 0; l++) {
      const up = this.nodes[l + 1];
      const z = this.zero[l + 1];
      const next = new Set<number>();
      for (const p of dirty) {
        const h = this.hashChildren(l, p);
        if ((up.get(p) ?? z) === h) continue;
        if (h === z) up.delete(p);
        else up.set(p, h);
        if (l + 1 < this.levels) next.add(Math.floor(p / (1 << this.shape[l + 1])));
      }
      dirty = next;
    }
  }

  /** Merkle proof for leaf `index` (valid for empty leaves too). No hashing. */
  proof(index: bigint | number): MerkleProof {
    const start = checkIndex(index, this.depth);
    const leaf = this.nodes[0].get(start) ?? 0n;
    let i = start;
    const siblings: bigint[][] = new Array<bigint[]>(this.levels);
    for (let l = 0; l < this.levels; l++) {
      const m = this.nodes[l];
      const z = this.zero[l];
      const arity = 1 << this.shape[l];
      const d = i % arity;
      const base = i - d;
      const s: bigint[] = [];
      for (let c = 0; c < arity; c++) {
        if (c !== d) s.push(m.get(base + c) ?? z);
      }
      siblings[l] = s;
      i = base / arity;
    }
    return { index: BigInt(start), leaf, siblings };
  }

  /**
   * Root obtained by placing `leaf` at `index` and hashing up with `siblings` (one list of
   * 2^w_l - 1 per level). Throws TreeError on malformed input (bad depth, index, values or
   * sibling shape).
   */
  static computeRoot(
    leaf: bigint,
    index: bigint | number,
    siblings: readonly (readonly bigint[])[],
    depth: number,
  ): bigint {
    const shape = treeShape(depth);
    let i = checkIndex(index, depth);
    let node = checkValue(leaf, "leaf value");
    if (!Array.isArray(siblings) || siblings.length !== shape.length) {
      throw new TreeError(
        "TREE_BAD_PROOF",
        `expected ${shape.length} sibling lists for depth ${depth}, got ${Array.isArray(siblings) ? siblings.length : typeof siblings}`,
      );
    }
    for (let l = 0; l < shape.length; l++) {
      const arity = 1 << shape[l];
      const s = siblings[l];
      if (!Array.isArray(s) || s.length !== arity - 1) {
        throw new TreeError(
          "TREE_BAD_PROOF",
          `siblings[${l}] must be an array of ${arity - 1} elements (level ${l} has ${arity} children)`,
        );
      }
      for (let k = 0; k < s.length; k++) checkValue(s[k], `siblings[${l}][${k}]`);
      node = hashWithSiblings(node, i % arity, s);
      i = (i - (i % arity)) / arity;
    }
    return node;
  }

  /**
   * True iff `proof` recomputes `root` for a tree of binary depth `depth`. A malformed proof
   * yields false; an invalid `depth` throws TreeError "TREE_BAD_DEPTH".
   */
  static verifyProof(proof: MerkleProof, root: bigint, depth: number): boolean {
    checkDepth(depth);
    try {
      if (typeof proof !== "object" || proof === null) return false;
      return AccountTree.computeRoot(proof.leaf, proof.index, proof.siblings, depth) === root;
    } catch (e) {
      if (e instanceof TreeError) return false;
      throw e;
    }
  }

  /** Non-empty leaves as [index, value] pairs in increasing index order. */
  *entries(): IterableIterator<[bigint, bigint]> {
    const leaves = this.nodes[0];
    const keys = Float64Array.from(leaves.keys()).sort();
    for (const k of keys) {
      const v = leaves.get(k);
      if (v !== undefined) yield [BigInt(k), v];
    }
  }

  /** Hash of the children of node `parent` at level l + 1 (no hash if all are empty). */
  private hashChildren(l: number, parent: number): bigint {
    const m = this.nodes[l];
    const z = this.zero[l];
    const arity = 1 << this.shape[l];
    const base = parent * arity;
    const b = this.bufs.get(arity)!;
    let empty = true;
    for (let c = 0; c < arity; c++) {
      const v = m.get(base + c) ?? z;
      b[c] = v;
      if (v !== z) empty = false;
    }
    if (empty) return this.zero[l + 1];
    return hashChildren(b);
  }
}
