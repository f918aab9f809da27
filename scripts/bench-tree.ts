/**
 * Benchmark of the account tree: bulk-load N accounts (default 1,000,000 at D=24, random distinct
 * indices, random field values from a seeded PRNG so the root is reproducible), then time
 * setLeaf, proof and verifyProof, and report heap usage.
 *
 *   npx tsx --expose-gc scripts/bench-tree.ts [--n 1000000] [--depth 24] [--seed 1] [--dense]
 *
 * --dense loads indices 0..N-1 instead of random ones (the best case: ~N/7 hashes).
 */
import { poseidon4, poseidon8 } from "poseidon-lite";
import { FIELD_MODULUS } from "../prover/src/domain/field.ts";
import { AccountTree } from "../prover/src/domain/tree.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const N = arg("n", 1_000_000);
const DEPTH = arg("depth", 24);
const SEED = arg("seed", 1);
const DENSE = process.argv.includes("--dense");
const UPDATES = 1_000;
const PROOFS = 10_000;
const VERIFIES = 200;

/** splitmix64 on bigints: deterministic 64-bit words. */
function prng(seed: number): () => bigint {
  let s = BigInt(seed) & 0xffffffffffffffffn;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  };
}

const next = prng(SEED);
const randomField = (): bigint =>
  ((next() << 192n) | (next() << 128n) | (next() << 64n) | next()) % FIELD_MODULUS;
const randomIndex = (): number => Number(next() % (1n << BigInt(DEPTH)));

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const ms = (x: number): string => `${x.toFixed(3)} ms`;

// 1. Raw cost of the node hashes (8-ary levels, and 4-ary ones at the top of some depths).
for (const [name, hash, arity] of [
  ["poseidon4", poseidon4, 4],
  ["poseidon8", poseidon8, 8],
] as const) {
  let x = 1n;
  const input = (v: bigint) => [v, ...new Array<bigint>(arity - 1).fill(3n)];
  for (let i = 0; i < 500; i++) x = hash(input(x));
  const calls = 5_000;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) x = hash(input(x));
  const dt = performance.now() - t0;
  console.log(`${name} (poseidon-lite): ${((dt / calls) * 1000).toFixed(1)} us/call`);
}

// 2. Generate accounts.
gc();
const heapBaseline = process.memoryUsage().heapUsed;
if (N > 2 ** DEPTH) throw new Error(`cannot place ${N} distinct accounts in 2^${DEPTH} leaves`);
const entries: [bigint, bigint][] = new Array(N);
{
  const used = new Set<number>();
  for (let k = 0; k < N; k++) {
    let i = k;
    if (!DENSE) {
      do i = randomIndex();
      while (used.has(i));
      used.add(i);
    }
    entries[k] = [BigInt(i), 1n + (randomField() % (FIELD_MODULUS - 1n))];
  }
}

// 3. Bulk load.
const tree = new AccountTree(DEPTH);
const t0 = performance.now();
tree.bulkLoad(entries);
const loadMs = performance.now() - t0;
const internal = tree.nodeCount - tree.size; // each stored internal node was hashed exactly once
console.log(
  `bulkLoad: ${N} accounts at D=${DEPTH} (${DENSE ? "dense" : "random"} indices, seed ${SEED})`,
);
console.log(`  time            ${(loadMs / 1000).toFixed(2)} s`);
console.log(`  node hashes     ${internal} (${((loadMs / internal) * 1000).toFixed(1)} us each)`);
console.log(`  root            ${tree.root}`);
console.log(`  root (hex)      0x${tree.root.toString(16).padStart(64, "0")}`);

// 4. Updates.
{
  const t = performance.now();
  for (let k = 0; k < UPDATES; k++) {
    // Half the updates hit existing accounts, half create new ones.
    const index = k % 2 === 0 ? entries[Number(next() % BigInt(N))][0] : randomIndex();
    tree.setLeaf(index, randomField());
  }
  console.log(`setLeaf: ${ms((performance.now() - t) / UPDATES)} avg over ${UPDATES} updates`);
}

// 5. Proofs and verification.
{
  const idx = Array.from({ length: PROOFS }, () => entries[Number(next() % BigInt(N))][0]);
  let t = performance.now();
  const proofs = idx.map((i) => tree.proof(i));
  console.log(`proof: ${ms((performance.now() - t) / PROOFS)} avg over ${PROOFS} proofs`);
  const root = tree.root;
  t = performance.now();
  for (let k = 0; k < VERIFIES; k++) {
    if (!AccountTree.verifyProof(proofs[k], root, DEPTH)) throw new Error("proof failed");
  }
  console.log(`verifyProof: ${ms((performance.now() - t) / VERIFIES)} avg over ${VERIFIES}`);
}

// 6. Memory.
entries.length = 0;
gc();
const mem = process.memoryUsage();
console.log(
  `heap used: ${mb(mem.heapUsed)} total, ~${mb(mem.heapUsed - heapBaseline)} for the tree; ` +
    `rss ${mb(mem.rss)}, stored nodes ${tree.nodeCount}, leaves ${tree.size}` +
    ((globalThis as { gc?: unknown }).gc ? "" : " [run with --expose-gc for exact numbers]"),
);
