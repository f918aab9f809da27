/**
 * The zkclear account tree: a sparse Poseidon Merkle tree of arity 4 over the BN254 scalar field.
 *
 * Layout (the Circom circuit must agree bit for bit):
 * - binary depth D (even, 2..32) gives 2^D leaves and L = D/2 levels of 4-ary nodes;
 * - level 0 holds the leaves, level L the root; the empty leaf is 0;
 * - parent = poseidon4([c0, c1, c2, c3]); zero[0] = 0, zero[l+1] = poseidon4([zero[l] x 4]);
 * - leaf i sits at child position (i >> 2l) & 3 at level l, its level-l ancestor has index i >> 2l;
 * - a proof lists, per level, the three other children of the parent in increasing position.
 */
import { poseidon4 } from "poseidon-lite";
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

/** The three siblings at one level, in increasing child position (own position skipped). */
export type SiblingTriple = [bigint, bigint, bigint];

/** Merkle proof of the value at `index` (also a non-membership proof when `leaf` is 0). */
export interface MerkleProof {
  /** Leaf index in [0, 2^D). */
  index: bigint;
  /** Leaf value (0n for an empty leaf). */
  leaf: bigint;
  /** `siblings[l]`: the three other children of the level-l node's parent; length L = D/2. */
  siblings: SiblingTriple[];
}

/** Smallest and largest accepted binary depth. */
const MIN_DEPTH = 2;
const MAX_DEPTH = 32;

/** zero[l] = root of an empty subtree of height l (zero[0] = empty leaf); grown lazily. */
const ZERO: bigint[] = [0n];

function zeroHashes(levels: number): readonly bigint[] {
  while (ZERO.length <= levels) {
    const z = ZERO[ZERO.length - 1];
    ZERO.push(poseidon4([z, z, z, z]));
  }
  return ZERO;
}

function checkDepth(depth: unknown): number {
  if (typeof depth !== "number" || !Number.isInteger(depth)) {
    throw new TreeError("TREE_BAD_DEPTH", `tree depth must be an integer, got ${String(depth)}`);
  }
  if (depth % 2 !== 0) {
    throw new TreeError("TREE_BAD_DEPTH", `tree depth must be even (arity 4), got ${depth}`);
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
 * The L = depth/2 child positions (base-4 digits) of `index`, leaf level first:
 * digit l = (index >> 2l) & 3.
 */
export function pathDigits(index: bigint | number, depth: number): number[] {
  const levels = checkDepth(depth) / 2;
  let i = checkIndex(index, depth);
  const digits = new Array<number>(levels);
  for (let l = 0; l < levels; l++) {
    digits[l] = i & 3;
    i = (i - (i & 3)) / 4;
  }
  return digits;
}

/** Hashes `node` placed at `digit` among `s` (the other three children in increasing order). */
function hashWithSiblings(node: bigint, digit: number, s: readonly bigint[]): bigint {
  switch (digit) {
    case 0:
      return poseidon4([node, s[0], s[1], s[2]]);
    case 1:
      return poseidon4([s[0], node, s[1], s[2]]);
    case 2:
      return poseidon4([s[0], s[1], node, s[2]]);
    default:
      return poseidon4([s[0], s[1], s[2], node]);
  }
}

/**
 * Sparse arity-4 Poseidon Merkle tree of 2^depth leaves. Only nodes that differ from the empty
 * subtree hash of their level are stored (one Map per level keyed by node index).
 */
export class AccountTree {
  /** Binary depth D: the tree has 2^D leaves. */
  readonly depth: number;
  /** Number of 4-ary levels L = D/2 (the length of a proof). */
  readonly levels: number;

  /** nodes[l] maps node index -> value for non-empty nodes; nodes[0] are the leaves. */
  private readonly nodes: Map<number, bigint>[];
  private readonly zero: readonly bigint[];
  /** Reused hash input buffer (poseidon-lite copies its input, so reuse is safe). */
  private readonly buf: bigint[] = [0n, 0n, 0n, 0n];

  /** Creates an empty tree; throws TreeError "TREE_BAD_DEPTH" unless depth is even in [2, 32]. */
  constructor(depth: number) {
    this.depth = checkDepth(depth);
    this.levels = depth / 2;
    this.zero = zeroHashes(this.levels);
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
      const parent = (i - (i & 3)) / 4;
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
      dirty.add((i - (i & 3)) / 4);
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
        next.add((p - (p & 3)) / 4);
      }
      dirty = next;
    }
  }

  /** Merkle proof for leaf `index` (valid for empty leaves too). No hashing. */
  proof(index: bigint | number): MerkleProof {
    const start = checkIndex(index, this.depth);
    const leaf = this.nodes[0].get(start) ?? 0n;
    let i = start;
    const siblings: SiblingTriple[] = new Array<SiblingTriple>(this.levels);
    for (let l = 0; l < this.levels; l++) {
      const m = this.nodes[l];
      const z = this.zero[l];
      const d = i & 3;
      const base = i - d;
      const s: SiblingTriple = [0n, 0n, 0n];
      for (let c = 0, k = 0; c < 4; c++) {
        if (c !== d) s[k++] = m.get(base + c) ?? z;
      }
      siblings[l] = s;
      i = base / 4;
    }
    return { index: BigInt(start), leaf, siblings };
  }

  /**
   * Root obtained by placing `leaf` at `index` and hashing up with `siblings` (L triples).
   * Throws TreeError on malformed input (bad depth, index, values or sibling shape).
   */
  static computeRoot(
    leaf: bigint,
    index: bigint | number,
    siblings: readonly (readonly bigint[])[],
    depth: number,
  ): bigint {
    const levels = checkDepth(depth) / 2;
    let i = checkIndex(index, depth);
    let node = checkValue(leaf, "leaf value");
    if (!Array.isArray(siblings) || siblings.length !== levels) {
      throw new TreeError(
        "TREE_BAD_PROOF",
        `expected ${levels} sibling triples for depth ${depth}, got ${Array.isArray(siblings) ? siblings.length : typeof siblings}`,
      );
    }
    for (let l = 0; l < levels; l++) {
      const s = siblings[l];
      if (!Array.isArray(s) || s.length !== 3) {
        throw new TreeError("TREE_BAD_PROOF", `siblings[${l}] must be an array of 3 elements`);
      }
      for (let k = 0; k < 3; k++) checkValue(s[k], `siblings[${l}][${k}]`);
      node = hashWithSiblings(node, i & 3, s);
      i = (i - (i & 3)) / 4;
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

  /** Hash of the four children of node `parent` at level l + 1 (no hash if all are empty). */
  private hashChildren(l: number, parent: number): bigint {
    const m = this.nodes[l];
    const z = this.zero[l];
    const base = parent * 4;
    const b = this.buf;
    b[0] = m.get(base) ?? z;
    b[1] = m.get(base + 1) ?? z;
    b[2] = m.get(base + 2) ?? z;
    b[3] = m.get(base + 3) ?? z;
    if (b[0] === z && b[1] === z && b[2] === z && b[3] === z) return this.zero[l + 1];
    return poseidon4(b);
  }
}
