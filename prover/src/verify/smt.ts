import type { LinearCombination, R1cs } from "../proving/r1cs.ts";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import { invMod, type BitRow } from "./propagation.ts";
import { VerdictCache } from "./smt-cache.ts";

/**
 * Local uniqueness questions for an SMT solver: "can two assignments of these constraints
 * agree on every known wire and differ on this one?", over the prime field, written as
 * SMT-LIB 2 over the integers (every wire in [0, p), every equation taken mod p) so that
 * any SMT solver can rerun it. `unsat` proves the wire unique: both global solutions that
 * agree on the inputs agree on the known wires, and restricted to the neighbourhood they
 * are two solutions of the query. `sat` only says the neighbourhood does not decide it.
 *
 * Encoding: a constraint A * B = C with C = 0 is "A = 0 or B = 0" (a field has no zero
 * divisors), which keeps boolean and zero-test constraints linear; otherwise
 * A * B - C = 0 mod p.
 */
export class SmtError extends ZkClearError<CodeOf<"verify">> {}

export type Verdict = "unique" | "not-unique" | "unknown";

export interface NeighbourhoodSource {
  readonly r1cs: R1cs;
  isKnown(w: number): boolean;
  constraintsOf(w: number): number[];
  wiresOf(ci: number): number[];
  /** Constraints over known wires only that bound a known wire (its bit constraint). */
  factsAbout(w: number): number[];
}

/**
 * The constraints around `target`, grown greedily: every constraint whose unknown wires
 * are all in the set so far is added, then the one that brings in the fewest new unknown
 * wires, while the set has at most `maxUnknowns` unknown wires and `maxConstraints`
 * constraints. Small, tight neighbourhoods are what the solver decides quickly.
 */
export function neighbourhood(
  src: NeighbourhoodSource,
  target: number,
  maxUnknowns: number,
  maxConstraints: number,
): number[] {
  const chosen = new Set<number>();
  const unknowns = new Set<number>([target]);
  // the cost of adding a constraint: its new unknowns, then how far they reach
  const cost = (fresh: number[]) =>
    fresh.length * 1000 + fresh.reduce((n, w) => n + src.constraintsOf(w).length, 0);
  for (;;) {
    let best: { ci: number; fresh: number[]; cost: number } | undefined;
    for (const u of unknowns) {
      for (const ci of src.constraintsOf(u)) {
        if (chosen.has(ci)) continue;
        const fresh = src.wiresOf(ci).filter((w) => !src.isKnown(w) && !unknowns.has(w));
        const c = cost(fresh);
        if (!best || c < best.cost) best = { ci, fresh, cost: c };
      }
    }
    if (!best || chosen.size >= maxConstraints) break;
    if (unknowns.size + best.fresh.length > maxUnknowns) break;
    chosen.add(best.ci);
    for (const w of best.fresh) unknowns.add(w);
  }
  // what is known about the known wires involved (that they are bits, say)
  const facts = new Set<number>();
  for (const ci of chosen)
    for (const w of src.wiresOf(ci))
      if (src.isKnown(w)) for (const f of src.factsAbout(w)) if (!chosen.has(f)) facts.add(f);
  return [...chosen, ...facts];
}

/** The SMT-LIB 2 query "two solutions of `constraints` that differ on `target`". */
export function uniquenessQuery(
  src: NeighbourhoodSource,
  constraints: readonly number[],
  target: number,
): string {
  const p = src.r1cs.prime;
  const half = p >> 1n;
  const P = p.toString();
  const num = (c: bigint) => {
    const s = c > half ? c - p : c;
    return s < 0n ? `(- ${-s})` : s.toString();
  };
  const decls = new Set<string>();
  const name = (w: number, copy: string) => {
    const n = src.isKnown(w) ? `k${w}` : `${copy}${w}`;
    decls.add(n);
    return n;
  };
  const lc = (l: LinearCombination, copy: string): { expr: string } => {
    const terms: string[] = [];
    let c0 = 0n;
    for (const [w, c] of l) {
      if (c % p === 0n) continue;
      if (w === 0) c0 = (c0 + c) % p;
      else terms.push(c === 1n ? name(w, copy) : `(* ${num(c)} ${name(w, copy)})`);
    }
    if (c0 !== 0n) terms.push(num(c0));
    if (terms.length === 0) return { expr: "0" };
    return { expr: terms.length === 1 ? terms[0] : `(+ ${terms.join(" ")})` };
  };
  const asserts: string[] = [];
  for (const copy of ["a", "b"]) {
    for (const ci of constraints) {
      const [a, b, c] = src.r1cs.constraints[ci];
      const A = lc(a, copy);
      const B = lc(b, copy);
      const C = lc(c, copy);
      if (C.expr === "0") {
        asserts.push(`(or (= (mod ${A.expr} ${P}) 0) (= (mod ${B.expr} ${P}) 0))`);
      } else {
        asserts.push(`(= (mod (- (* ${A.expr} ${B.expr}) ${C.expr}) ${P}) 0)`);
      }
    }
  }
  const ta = name(target, "a");
  const tb = name(target, "b");
  if (ta === tb) throw new SmtError("SMT_KNOWN_TARGET", `wire ${target} is already known`);
  const lines = [`; ${constraints.length} constraints, wire ${target}, modulus p`];
  for (const d of [...decls].sort()) {
    lines.push(`(declare-const ${d} Int)`, `(assert (and (<= 0 ${d}) (< ${d} ${P})))`);
  }
  for (const a of new Set(asserts)) lines.push(`(assert ${a})`);
  lines.push(`(assert (distinct ${ta} ${tb}))`);
  return lines.join("\n") + "\n";
}

/**
 * The SMT-LIB 2 query "two assignments of these bits in {0, 1} that satisfy the same
 * rows (with the same known values) and differ on some bit". Bits whose coefficients in
 * a row run c, 2c, 4c, ... are read as one integer in [0, 2^m) (what Num2Bits made),
 * which is the same question and one the solver answers far more easily.
 */
export function bitBlockQuery(p: bigint, rows: readonly BitRow[]): string {
  const half = p >> 1n;
  const P = p.toString();
  const num = (c: bigint) => {
    const x = c > half ? c - p : c;
    return x < 0n ? `(- ${-x})` : x.toString();
  };
  const scaled = rows.map((row) => {
    const all = smallestMultiple(
      [...row.bits.map(([, c]) => c), ...row.known.map(([, c]) => c)],
      p,
    );
    return {
      bits: new Map(row.bits.map(([b], i) => [b, all[i]])),
      known: row.known.map(([n], i) => [n, all[row.bits.length + i]] as [string, bigint]),
    };
  });
  // groups: runs c, 2c, 4c, ... of one row, kept if every row that uses one of their bits
  // uses all of them in the same proportions
  const groupOf = new Map<number, number[]>();
  for (const row of scaled) {
    const signed = [...row.bits]
      .filter(([b]) => !groupOf.has(b))
      .map(([b, c]) => [b, c > half ? c - p : c] as [number, bigint])
      .sort((x, y) => (abs(x[1]) < abs(y[1]) ? -1 : abs(x[1]) > abs(y[1]) ? 1 : 0));
    let run: number[] = [];
    const close = () => {
      const ok = scaled.every((r) => {
        const cs = run.map((b) => r.bits.get(b));
        if (cs.every((c) => c === undefined)) return true;
        if (cs.some((c) => c === undefined)) return false;
        return cs.every((c, j) => c === (cs[0]! * (1n << BigInt(j))) % p);
      });
      for (const b of run) groupOf.set(b, ok ? run : [b]);
      run = [];
    };
    signed.forEach(([b, c], i) => {
      if (i > 0 && c !== signed[i - 1][1] * 2n) close();
      run.push(b);
    });
    if (run.length) close();
  }
  const groups = [...new Set(groupOf.values())];
  const lines = [
    `; ${rows.length} rows over ${groupOf.size} bits in ${groups.length} groups, modulus p`,
  ];
  const shared = new Set(scaled.flatMap((r) => r.known.map(([n]) => n)).filter((n) => n !== "1"));
  for (const n of [...shared].sort())
    lines.push(`(declare-const ${n} Int)`, `(assert (and (<= 0 ${n}) (< ${n} ${P})))`);
  groups.forEach((g, i) => {
    for (const copy of ["a", "b"])
      lines.push(
        `(declare-const ${copy}g${i} Int)`,
        `(assert (and (<= 0 ${copy}g${i}) (< ${copy}g${i} ${1n << BigInt(g.length)})))`,
      );
  });
  const index = new Map(groups.map((g, i) => [g, i]));
  for (const row of scaled) {
    for (const copy of ["a", "b"]) {
      const terms: string[] = [];
      const done = new Set<number[]>();
      for (const [b] of row.bits) {
        const g = groupOf.get(b)!;
        if (done.has(g)) continue;
        done.add(g);
        terms.push(`(* ${num(row.bits.get(g[0])!)} ${copy}g${index.get(g)})`);
      }
      for (const [n, c] of row.known) terms.push(n === "1" ? num(c) : `(* ${num(c)} ${n})`);
      lines.push(`(assert (= (mod (+ ${terms.join(" ")}) ${P}) 0))`);
    }
  }
  lines.push(`(assert (or ${groups.map((_, i) => `(distinct ag${i} bg${i})`).join(" ")}))`);
  return lines.join("\n") + "\n";
}

const abs = (x: bigint) => (x < 0n ? -x : x);

/** The row times the inverse of one of its coefficients, chosen to make the largest |c| smallest. */
function smallestMultiple(coeffs: readonly bigint[], p: bigint): bigint[] {
  const half = p >> 1n;
  let best = [...coeffs];
  let bestMax = p;
  for (const unit of coeffs) {
    const s = invMod(unit, p);
    let max = 0n;
    const scaled = coeffs.map((c) => {
      const e = (c * s) % p;
      const a = e > half ? p - e : e;
      if (a > max) max = a;
      return e;
    });
    if (max < bestMax) {
      bestMax = max;
      best = scaled;
    }
  }
  return best;
}

type Z3Api = Awaited<ReturnType<typeof import("z3-solver").init>>;
type Z3Context = ReturnType<Z3Api["Context"]>;

/** One z3 instance (WebAssembly, from the z3-solver npm package). */
export class LocalSolver {
  private constructor(
    private readonly api: Z3Api,
    private readonly ctx: Z3Context,
    /** Settled verdicts kept across runs (smt-cache.ts), when a file is given. */
    readonly cache?: VerdictCache,
  ) {}

  static async create(opts: { cacheFile?: string } = {}): Promise<LocalSolver> {
    const { init } = await import("z3-solver");
    const api = await init();
    const cache = opts.cacheFile ? new VerdictCache(opts.cacheFile) : undefined;
    return new LocalSolver(api, api.Context("main") as unknown as Z3Context, cache);
  }

  /** Runs an SMT-LIB query: unsat means the target is unique. */
  async check(query: string, timeoutMs: number): Promise<Verdict> {
    const cached = this.cache?.get(query, timeoutMs);
    if (cached) return cached;
    const solver = new this.ctx.Solver();
    try {
      solver.set("timeout", timeoutMs);
      solver.fromString(query);
      const r = await solver.check();
      const v = r === "unsat" ? "unique" : r === "sat" ? "not-unique" : "unknown";
      this.cache?.put(query, v, timeoutMs);
      return v;
    } finally {
      solver.release();
    }
  }

  /** Stops z3's worker threads (the process would not exit otherwise). */
  close(): void {
    this.api.em.PThread.terminateAllThreads();
  }
}
