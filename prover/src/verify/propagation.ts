import type { LinearCombination, R1cs } from "../proving/r1cs.ts";

/**
 * Symbolic uniqueness propagation over an R1CS: which wires are fixed by the constraints
 * alone once the inputs are fixed, for every value of the inputs (not for one witness, as
 * `wiresFixedBy` in r1cs.ts checks). No values are tracked: a wire is "known" when every
 * satisfying assignment that agrees on the inputs agrees on it.
 *
 * Rules (each sound over a prime field):
 * - Linear: a constraint A * B = C whose A and B are known (or constant) is a linear
 *   equation in its unknown wires with constant coefficients. Those equations are kept in
 *   reduced row-echelon form; a row left with one unknown fixes it.
 * - Bits: a constraint X * (X - c) = 0 (A and B the same linear form up to a constant
 *   factor and offset, C zero) makes X two-valued; a variable beta = X / c in {0, 1} is
 *   added with the row beta - X / c = 0. A row of the echelon form whose unknowns are all
 *   such bits, sum e_i * beta_i = known, fixes every bit in it when the |e_i| (scaled by one
 *   of them) are superincreasing and sum to less than the modulus: two solutions differ by
 *   sum e_i * d_i = 0 with d_i in {-1, 0, 1}, which over the integers forces d = 0. This is
 *   Num2Bits after circom --O2 has substituted one bit away, and sums of bit fields.
 * - Conditional (a separate, last phase): a constraint with one unknown wire u, linear in
 *   u with a coefficient that is a known but non-constant expression (a denominator),
 *   fixes u whenever that coefficient is nonzero. Wires found this way, and all found
 *   after them, are "conditional": fixed if every recorded denominator is nonzero.
 */
export const Status = {
  Unknown: 0,
  Input: 1,
  Linear: 2,
  Bits: 3,
  Solver: 4,
  /** Not fixed, but in one constraint only, whose other wires are fixed: flows nowhere. */
  FreeWitness: 5,
  Conditional: 6,
  /** Fixed in every case of a split on known two-valued or zero/nonzero factors (cases.ts). */
  Cases: 7,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

/**
 * A linear equation sum t[v] * v + sum k[x] * x = 0: `t` over unknown variables (wires,
 * then bits), `k` over known ones, where a negative key -1 - i stands for the product
 * A * B of constraint i once both are known (an opaque known value).
 */
interface Row {
  readonly t: Map<number, bigint>;
  readonly k: Map<number, bigint>;
}
const newRow = (): Row => ({ t: new Map(), k: new Map() });

/** A row over unknown bits (0-based bit indices) and named known values ("1" for 1). */
export interface BitRow {
  readonly bits: Array<[number, bigint]>;
  readonly known: Array<[string, bigint]>;
}

interface ConstraintWires {
  /** Distinct non-constant wires of A, B and C. */
  readonly a: number[];
  readonly b: number[];
  readonly c: number[];
}

const distinctWires = (lc: LinearCombination): number[] => [
  ...new Set(lc.filter(([w, k]) => w !== 0 && k !== 0n).map(([w]) => w)),
];

export class UniquenessPropagation {
  readonly r1cs: R1cs;
  readonly p: bigint;
  readonly nWires: number;
  /** Per wire: a Status code. */
  readonly status: Uint8Array;
  /** For conditional wires: the constraint whose coefficient must be nonzero. */
  readonly condition = new Map<number, number>();
  /** Per boolean variable (index - nWires): the constraint X * (X - c) = 0 it comes from. */
  readonly bitConstraint: number[] = [];
  /** Two-valued constraints (those with a boolean variable). */
  private readonly bitOf = new Set<number>();
  /** Linear forms known to take two values, 0 and another (by normalKey): that value. */
  readonly twoValued = new Map<string, bigint>();

  readonly cons: ConstraintWires[];
  /** wire -> [constraint, mask (1 = in A, 2 = in B, 4 = in C)] */
  private readonly occ: number[][];
  private readonly cntA: Int32Array;
  private readonly cntB: Int32Array;
  readonly cntAll: Int32Array;
  private readonly used: Uint8Array;
  private known: Uint8Array;
  private readonly rows = new Map<number, Row>();
  private readonly rowPivot = new Map<number, number>();
  private readonly pivotRow = new Map<number, number>();
  private readonly col = new Map<number, Set<number>>();
  private nextRow = 0;
  private readonly queue: number[] = [];
  private phase: StatusCode = Status.Linear;

  constructor(r1cs: R1cs, inputs: Iterable<number>) {
    this.r1cs = r1cs;
    this.p = r1cs.prime;
    this.nWires = r1cs.nWires;
    this.status = new Uint8Array(r1cs.nWires);
    const n = r1cs.constraints.length;
    this.cons = r1cs.constraints.map(([a, b, c]) => ({
      a: distinctWires(a),
      b: distinctWires(b),
      c: distinctWires(c),
    }));
    this.occ = Array.from({ length: r1cs.nWires }, () => []);
    this.cntA = new Int32Array(n);
    this.cntB = new Int32Array(n);
    this.cntAll = new Int32Array(n);
    this.used = new Uint8Array(n);
    this.cons.forEach((k, i) => {
      const mask = new Map<number, number>();
      k.a.forEach((w) => mask.set(w, (mask.get(w) ?? 0) | 1));
      k.b.forEach((w) => mask.set(w, (mask.get(w) ?? 0) | 2));
      k.c.forEach((w) => mask.set(w, (mask.get(w) ?? 0) | 4));
      for (const [w, m] of mask) this.occ[w].push(i, m);
      this.cntA[i] = k.a.length;
      this.cntB[i] = k.b.length;
      this.cntAll[i] = mask.size;
    });
    // one boolean variable per two-valued form, after the wires
    const bitTerms: { ci: number; terms: Array<[number, bigint]> }[] = [];
    r1cs.constraints.forEach((_, i) => {
      const terms = this.bitRow(i);
      if (terms) bitTerms.push({ ci: i, terms });
    });
    this.known = new Uint8Array(r1cs.nWires + bitTerms.length);
    this.known[0] = 1;
    this.status[0] = Status.Input;
    for (const w of inputs) this.mark(w, Status.Input);
    const bits = bitTerms.map(({ ci, terms }) => {
      const row = newRow();
      for (const [w, c] of terms) this.addTerm(row, w, c);
      return { ci, row };
    });
    bits.forEach(({ ci, row }, k) => {
      this.bitConstraint.push(ci);
      this.bitOf.add(ci);
      row.t.set(this.nWires + k, 1n);
      this.insertRow(row);
    });
    // constraints with a constant A or B are linear from the start
    r1cs.constraints.forEach(([a, b, c], i) => {
      const k = this.cons[i];
      if (k.a.length === 0 || k.b.length === 0) {
        const [constant, other] = k.a.length === 0 ? [a, b] : [b, a];
        const f = constant.reduce((s, [, x]) => s + x, 0n) % this.p;
        const row = newRow();
        this.addLc(row, other, f);
        this.addLc(row, c, this.p - 1n);
        this.used[i] = 1;
        this.insertRow(row);
      } else this.checkConstraint(i);
    });
    this.drain();
  }

  isKnown(w: number): boolean {
    return this.known[w] === 1;
  }

  /** Marks a wire fixed (by the solver, say) and propagates. */
  fix(w: number, why: StatusCode): void {
    this.mark(w, why);
    this.drain();
  }

  /**
   * Solver candidates, fewest unknowns first: unknown wires of constraints with at most
   * `maxUnknowns` unknown wires that are linear in them (no product of two unknowns).
   */
  frontier(maxUnknowns = 3): number[] {
    const best = new Map<number, number>();
    this.cntAll.forEach((n, i) => {
      if (n < 1 || n > maxUnknowns) return;
      const k = this.cons[i];
      if (k.a.some((w) => !this.known[w]) && k.b.some((w) => !this.known[w])) return;
      for (const w of [...k.a, ...k.b, ...k.c])
        if (!this.known[w] && (best.get(w) ?? 99) > n) best.set(w, n);
    });
    return [...best].sort((x, y) => x[1] - y[1] || x[0] - y[0]).map(([w]) => w);
  }

  /** Constraints that say a known wire is a bit (or two-valued): facts for the solver. */
  factsAbout(w: number): number[] {
    return this.constraintsOf(w).filter(
      (ci) => this.bitOf.has(ci) && this.wiresOf(ci).every((x) => this.known[x]),
    );
  }

  /**
   * The echelon rows over bits alone that the superincreasing rule did not settle, in
   * blocks that share no bit: sum coefficient * bit + sum coefficient * known = 0.
   */
  bitBlocks(): BitRow[][] {
    const rows: BitRow[] = [];
    for (const [rid, row] of this.rows) {
      if (this.rowPivot.get(rid)! < this.nWires) continue;
      rows.push({
        bits: [...row.t].map(([v, c]) => [v - this.nWires, c]),
        known: [...row.k].map(([v, c]) => [this.symbolName(v), c]),
      });
    }
    // union-find over bits
    const parent = new Map<number, number>();
    const find = (x: number): number => {
      let r = x;
      while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    for (const row of rows) {
      const r0 = find(row.bits[0][0]);
      for (const [v] of row.bits) parent.set(find(v), r0);
    }
    const blocks = new Map<number, BitRow[]>();
    for (const row of rows) {
      const r = find(row.bits[0][0]);
      if (!blocks.has(r)) blocks.set(r, []);
      blocks.get(r)!.push(row);
    }
    return [...blocks.values()];
  }

  /** A known value's name in solver queries: k<wire>, c<bit> or p<constraint> (a product). */
  symbolName(v: number): string {
    return v === 0 ? "1" : v < 0 ? `p${-1 - v}` : v < this.nWires ? `k${v}` : `c${v - this.nWires}`;
  }

  /** Marks bits (0-based bit indices) fixed, as the solver found them, and propagates. */
  fixBits(bits: readonly number[]): void {
    // the wires of these bits' constraints that this fixes count as fixed by the solver
    const wires = bits.flatMap((b) => this.wiresOf(this.bitConstraint[b]));
    const before = wires.filter((w) => !this.known[w]);
    for (const b of bits) this.mark(this.nWires + b, Status.Solver);
    this.drain();
    for (const w of before) if (this.known[w]) this.status[w] = Status.Solver;
  }

  /** Constraints in which a wire occurs. */
  constraintsOf(w: number): number[] {
    const o = this.occ[w];
    const out: number[] = [];
    for (let j = 0; j < o.length; j += 2) out.push(o[j]);
    return out;
  }

  /** Distinct non-constant wires of a constraint. */
  wiresOf(ci: number): number[] {
    const k = this.cons[ci];
    return [...new Set([...k.a, ...k.b, ...k.c])];
  }

  /**
   * Free witnesses: unknown wires that occur in exactly one constraint, all of whose other
   * wires are known. Such a wire cannot change any other wire; its constraint only says
   * that some value of it exists (for IsZero's inverse: in != 0 or out = 1).
   */
  markFreeWitnesses(): number {
    let n = 0;
    for (let w = 1; w < this.nWires; w++) {
      if (this.known[w] || this.occ[w].length !== 2) continue;
      const ci = this.occ[w][0];
      if (this.wiresOf(ci).every((x) => x === w || this.known[x])) {
        this.mark(w, Status.FreeWitness);
        n++;
      }
    }
    this.drain();
    return n;
  }

  /** The last phase: fixes wires behind nonzero-coefficient conditions (see the header). */
  propagateConditional(): void {
    this.phase = Status.Conditional;
    for (let i = 0; i < this.cntAll.length; i++) this.checkConditional(i);
    this.drain();
  }

  /** The unknown parts of the pending linear rows whose unknowns all lie in `within`. */
  rowsWithin(within: ReadonlySet<number>): Array<Map<number, bigint>> {
    const seen = new Set<number>();
    const out: Array<Map<number, bigint>> = [];
    for (const v of within) {
      for (const rid of this.col.get(v) ?? []) {
        if (seen.has(rid)) continue;
        seen.add(rid);
        const row = this.rows.get(rid)!;
        if ([...row.t.keys()].every((x) => within.has(x))) out.push(new Map(row.t));
      }
    }
    return out;
  }

  counts(): Record<keyof typeof Status, number> {
    const out = {
      Cases: 0,
      Unknown: 0,
      Input: 0,
      Linear: 0,
      Bits: 0,
      Solver: 0,
      FreeWitness: 0,
      Conditional: 0,
    };
    const names = Object.keys(Status) as (keyof typeof Status)[];
    for (let w = 1; w < this.nWires; w++) out[names[this.status[w]]]++;
    return out;
  }

  // --- internals ---

  private mark(v: number, why: StatusCode): void {
    if (this.known[v]) return;
    this.known[v] = 1;
    if (v < this.nWires)
      this.status[v] = this.phase === Status.Conditional ? Status.Conditional : why;
    this.queue.push(v);
  }

  private addLc(row: Row, lc: LinearCombination, f: bigint): void {
    for (const [w, c] of lc) this.addTerm(row, w, f * c);
  }

  private addTerm(row: Row, v: number, c: bigint): void {
    const m = v < 0 || this.known[v] ? row.k : row.t;
    const x = ((((m.get(v) ?? 0n) + c) % this.p) + this.p) % this.p;
    if (x === 0n) m.delete(v);
    else m.set(v, x);
  }

  /** For X * (X - c) = 0 in disguise: the terms of -X / c (wire 0 for the constant). */
  private bitRow(i: number): Array<[number, bigint]> | undefined {
    const [a, b, c] = this.r1cs.constraints[i];
    if (c.some(([, k]) => k % this.p !== 0n)) return undefined;
    const p = this.p;
    const split = (lc: LinearCombination) => {
      let k0 = 0n;
      const terms = new Map<number, bigint>();
      for (const [w, k] of lc) {
        if (w === 0) k0 = (k0 + k) % p;
        else terms.set(w, ((terms.get(w) ?? 0n) + k) % p);
      }
      for (const [w, k] of terms) if (k === 0n) terms.delete(w);
      return { k0, terms };
    };
    const A = split(a);
    const B = split(b);
    if (A.terms.size === 0 || A.terms.size !== B.terms.size) return undefined;
    // A = f * Lb + a0 with B = Lb + b0
    const [w0, bw0] = B.terms.entries().next().value!;
    const aw0 = A.terms.get(w0);
    if (aw0 === undefined) return undefined;
    const f = (aw0 * invMod(bw0, p)) % p;
    for (const [w, k] of B.terms) if (A.terms.get(w) !== (f * k) % p) return undefined;
    // roots: Lb = -b0 (B = 0) or Lb = -a0 / f (A = 0); X = (Lb + b0) / (b0 - a0 / f)
    const span = (((B.k0 - A.k0 * invMod(f, p)) % p) + p) % p;
    if (span === 0n) return undefined;
    const s = (p - invMod(span, p)) % p;
    // B is 0 or span, A is 0 or -f * span: both are two-valued forms
    const [bKey, bScale] = normalKey(b, p);
    this.twoValued.set(bKey, (span * bScale) % p);
    const [aKey, aScale] = normalKey(a, p);
    this.twoValued.set(aKey, ((((p - f) * span) % p) * aScale) % p);
    const row: Array<[number, bigint]> = [[0, (B.k0 * s) % p]];
    for (const [w, k] of B.terms) row.push([w, (k * s) % p]);
    return row;
  }

  private checkConstraint(i: number): void {
    if (this.used[i] || this.cntA[i] !== 0 || this.cntB[i] !== 0) return;
    this.used[i] = 1;
    const row = newRow();
    this.addLc(row, this.r1cs.constraints[i][2], 1n);
    this.addTerm(row, -1 - i, this.p - 1n);
    this.insertRow(row);
  }

  private checkConditional(i: number): void {
    if (this.phase !== Status.Conditional || this.cntAll[i] !== 1) return;
    const k = this.cons[i];
    const u = [...k.a, ...k.b, ...k.c].find((w) => !this.known[w]);
    if (u === undefined || this.known[u]) return;
    if (k.a.includes(u) && k.b.includes(u)) return; // quadratic in u
    this.condition.set(u, i);
    this.mark(u, Status.Conditional);
  }

  private drain(): void {
    while (this.queue.length) {
      const v = this.queue.pop()!;
      const holders = this.col.get(v);
      if (holders) {
        this.col.delete(v);
        for (const rid of holders) {
          const row = this.rows.get(rid);
          if (!row) continue;
          const c = row.t.get(v);
          if (c === undefined) continue;
          row.t.delete(v);
          row.k.set(v, c);
          if (this.rowPivot.get(rid) === v) {
            this.detach(rid);
            this.insertRow(row);
          } else this.checkRow(rid);
        }
      }
      if (v >= this.nWires) continue;
      const o = this.occ[v];
      for (let j = 0; j < o.length; j += 2) {
        const i = o[j];
        const m = o[j + 1];
        if (m & 1) this.cntA[i]--;
        if (m & 2) this.cntB[i]--;
        this.cntAll[i]--;
        this.checkConstraint(i);
        this.checkConditional(i);
      }
    }
  }

  private detach(rid: number): void {
    const row = this.rows.get(rid)!;
    this.rows.delete(rid);
    const pv = this.rowPivot.get(rid)!;
    this.rowPivot.delete(rid);
    this.pivotRow.delete(pv);
    for (const v of row.t.keys()) this.col.get(v)?.delete(rid);
  }

  private insertRow(row: Row): void {
    const p = this.p;
    for (const [v, c] of [...row.t]) {
      if (this.known[v]) {
        row.t.delete(v);
        row.k.set(v, ((row.k.get(v) ?? 0n) + c) % p);
      }
    }
    // reduce by the pivot rows (a pivot occurs in its own row only, so one pass does)
    for (const v of [...row.t.keys()]) {
      const rid = this.pivotRow.get(v);
      const f = row.t.get(v);
      if (rid === undefined || f === undefined) continue;
      const pr = this.rows.get(rid)!;
      for (const [w, c] of pr.t) this.addTerm(row, w, -f * c);
      for (const [w, c] of pr.k) this.addTerm(row, w, -f * c);
    }
    if (row.t.size === 0) return;
    if (row.t.size === 1) {
      this.mark(row.t.keys().next().value!, Status.Linear);
      return;
    }
    let pivot = -1;
    for (const v of row.t.keys()) {
      if (v < this.nWires) {
        pivot = v;
        break;
      }
    }
    if (pivot < 0) pivot = row.t.keys().next().value!;
    const inv = invMod(row.t.get(pivot)!, p);
    for (const [w, c] of row.t) row.t.set(w, (c * inv) % p);
    for (const [w, c] of row.k) row.k.set(w, (c * inv) % p);
    // eliminate the pivot from every other row
    const holders = this.col.get(pivot);
    const touched: number[] = [];
    if (holders) {
      for (const rid of [...holders]) {
        const other = this.rows.get(rid)!;
        const f = other.t.get(pivot)!;
        for (const [w, c] of row.t) {
          const x = ((((other.t.get(w) ?? 0n) - f * c) % p) + p) % p;
          if (x === 0n) {
            other.t.delete(w);
            this.col.get(w)?.delete(rid);
          } else {
            if (!other.t.has(w)) this.colOf(w).add(rid);
            other.t.set(w, x);
          }
        }
        for (const [w, c] of row.k) this.addTerm(other, w, -f * c);
        touched.push(rid);
      }
    }
    const rid = this.nextRow++;
    this.rows.set(rid, row);
    this.rowPivot.set(rid, pivot);
    this.pivotRow.set(pivot, rid);
    for (const v of row.t.keys()) this.colOf(v).add(rid);
    for (const t of touched) this.checkRow(t);
    this.checkRow(rid);
  }

  private colOf(v: number): Set<number> {
    let s = this.col.get(v);
    if (!s) this.col.set(v, (s = new Set()));
    return s;
  }

  private checkRow(rid: number): void {
    const row = this.rows.get(rid);
    if (!row) return;
    if (row.t.size === 0) {
      this.detach(rid);
      return;
    }
    if (row.t.size === 1) {
      const v = row.t.keys().next().value!;
      this.detach(rid);
      this.mark(v, Status.Linear);
      return;
    }
    if (this.rowPivot.get(rid)! >= this.nWires && superincreasing([...row.t.values()], this.p)) {
      for (const v of row.t.keys()) this.mark(v, Status.Bits);
    }
  }
}

/**
 * A linear combination scaled so that its first (lowest-wire) coefficient is 1, as a
 * string key, and the factor it was scaled by: lc * factor has that key.
 */
export function normalKey(lc: LinearCombination, p: bigint): [string, bigint] {
  const terms = new Map<number, bigint>();
  for (const [w, c] of lc) terms.set(w, ((terms.get(w) ?? 0n) + c) % p);
  const sorted = [...terms].filter(([, c]) => c !== 0n).sort((x, y) => x[0] - y[0]);
  if (sorted.length === 0) return ["0", 1n];
  const f = invMod(sorted[0][1], p);
  return [sorted.map(([w, c]) => `${w}:${(c * f) % p}`).join(","), f];
}

/** The inverse of x modulo the prime p (extended Euclid: far faster than Fermat here). */
export function invMod(x: bigint, p: bigint): bigint {
  let [r0, r1] = [((x % p) + p) % p, p];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % p) + p) % p;
}

/**
 * True iff some nonzero multiple of the coefficients, read as integers in (-p/2, p/2),
 * has absolute values that are superincreasing (each above the sum of the smaller ones)
 * with a total below p.
 */
export function superincreasing(coeffs: bigint[], p: bigint): boolean {
  const half = p >> 1n;
  // try each coefficient as the unit, dropping a scale as soon as the sum reaches p
  for (const scaleBy of coeffs) {
    const s = invMod(scaleBy, p);
    const abs: bigint[] = [];
    let total = 0n;
    for (const c of coeffs) {
      let e = (c * s) % p;
      if (e > half) e = p - e;
      total += e;
      if (total >= p) break;
      abs.push(e);
    }
    if (total >= p) continue;
    abs.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    let sum = 0n;
    let ok = true;
    for (const e of abs) {
      if (e <= sum) {
        ok = false;
        break;
      }
      sum += e;
    }
    if (ok) return true;
  }
  return false;
}
