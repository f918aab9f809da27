import type { LinearCombination } from "../proving/r1cs.ts";
import { invMod, normalKey, Status, type UniquenessPropagation } from "./propagation.ts";

/**
 * Case splits: a constraint A * B = C whose A (say) is known but not constant is linear
 * in its unknowns with a coefficient that depends on A's value. Split on A: when A = 0
 * the constraint says C = 0; when A is a known two-valued form (a bit, say) at its
 * nonzero value a, it says a * B = C; when A is merely nonzero and C is known, B = C / A
 * fixes B's unknown part. Around one unknown wire, with at most `maxSplits` distinct
 * factors (2^maxSplits cases), the rows of every case and the pending linear rows over
 * the same unknowns are solved; a wire fixed in every case is fixed. This is IsZero
 * (in * out = 0 and in * inv = 1 - out: out = 1 when in = 0, out = 0 otherwise) and
 * PathPosition after --O2 (products of path bits, one of them a coefficient).
 */
interface Parametric {
  readonly ci: number;
  /** normalKey of the known factor, and factor = scale * normalised form. */
  readonly key: string;
  readonly scale: bigint;
  /** The side with the unknowns and C. */
  readonly other: LinearCombination;
  readonly c: LinearCombination;
}

export function splitCases(
  prop: UniquenessPropagation,
  opts: { maxUnknowns?: number; maxSplits?: number } = {},
): number {
  const maxUnknowns = opts.maxUnknowns ?? 10;
  const maxSplits = opts.maxSplits ?? 3;
  const p = prop.p;
  const known = (w: number) => prop.isKnown(w);
  const parametric = (ci: number): Parametric | undefined => {
    const k = prop.cons[ci];
    const aU = k.a.some((w) => !known(w));
    const bU = k.b.some((w) => !known(w));
    if (aU === bU) return undefined;
    const [a, b, c] = prop.r1cs.constraints[ci];
    const [fac, other] = aU ? [b, a] : [a, b];
    if (!fac.some(([w, x]) => w !== 0 && x % p !== 0n)) return undefined;
    const [key, f] = normalKey(fac, p);
    return { ci, key, scale: invMod(f, p), other, c };
  };
  let fixedTotal = 0;
  const tried = new Set<string>();
  for (const seed of prop.frontier(maxUnknowns)) {
    if (known(seed)) continue;
    // the parametric constraints around the seed
    const around = prop
      .constraintsOf(seed)
      .map(parametric)
      .filter((x): x is Parametric => !!x);
    const uses = new Map<string, number>();
    const fewest = new Map<string, number>();
    for (const g of around) {
      uses.set(g.key, (uses.get(g.key) ?? 0) + 1);
      const n = prop.wiresOf(g.ci).filter((w) => !known(w)).length;
      fewest.set(g.key, Math.min(fewest.get(g.key) ?? n, n));
    }
    const bit = (k: string) => Number(prop.twoValued.has(k));
    // two orders of the factors to split on: bits first (path bits, signs), or those
    // whose constraints have the fewest other unknowns first (zero tests); then those most
    // constraints share. As many as the limits allow; the other factors' constraints are
    // left out.
    const orders = [
      (x: string, y: string) =>
        bit(y) - bit(x) || uses.get(y)! - uses.get(x)! || x.localeCompare(y),
      (x: string, y: string) =>
        fewest.get(x)! - fewest.get(y)! ||
        bit(y) - bit(x) ||
        uses.get(y)! - uses.get(x)! ||
        x.localeCompare(y),
    ];
    for (const order of orders) {
      const ranked = [...uses.keys()].sort(order);
      const keys: string[] = [];
      let group: Parametric[] = [];
      const unknowns = new Set<number>();
      for (const key of ranked) {
        if (keys.length >= maxSplits) break;
        const more = around.filter((g) => g.key === key);
        const fresh = new Set(unknowns);
        for (const g of more) for (const w of prop.wiresOf(g.ci)) if (!known(w)) fresh.add(w);
        if (fresh.size > maxUnknowns) continue;
        keys.push(key);
        group = [...group, ...more];
        for (const w of fresh) unknowns.add(w);
      }
      if (group.length === 0) continue;
      const sig = `${[...unknowns].sort().join(",")}|${keys.join(";")}`;
      if (tried.has(sig)) continue;
      tried.add(sig);
      const pending = prop.rowsWithin(unknowns);
      let common: Set<number> | undefined;
      for (let world = 0; world < 1 << keys.length; world++) {
        const fixed = solveCase(group, keys, world, pending, unknowns, prop, p);
        common = common ? new Set([...common].filter((w) => fixed.has(w))) : fixed;
        if (common.size === 0) break;
      }
      let any = false;
      for (const w of common ?? []) {
        if (!known(w)) {
          prop.fix(w, Status.Cases);
          fixedTotal++;
          any = true;
        }
      }
      if (any) break;
    }
  }
  return fixedTotal;
}

/** The unknowns fixed in one case (bit j of `world` set: factor j is nonzero). */
function solveCase(
  group: readonly Parametric[],
  keys: readonly string[],
  world: number,
  pending: ReadonlyArray<Map<number, bigint>>,
  unknowns: ReadonlySet<number>,
  prop: UniquenessPropagation,
  p: bigint,
): Set<number> {
  const fixed = new Set<number>();
  const isUnknown = (w: number) => unknowns.has(w) && !fixed.has(w);
  for (let progress = true; progress; ) {
    progress = false;
    const rows: Array<Map<number, bigint>> = pending.map((r) => new Map(r));
    for (const g of group) {
      const j = keys.indexOf(g.key);
      const row = new Map<number, bigint>();
      const add = (lc: LinearCombination, f: bigint) => {
        for (const [w, c] of lc) {
          if (!isUnknown(w)) continue;
          const x = ((((row.get(w) ?? 0n) + f * c) % p) + p) % p;
          if (x === 0n) row.delete(w);
          else row.set(w, x);
        }
      };
      if (!(world & (1 << j)))
        add(g.c, 1n); // factor = 0: C = 0
      else {
        const value = prop.twoValued.get(g.key);
        if (value !== undefined) {
          // factor = scale * value: scale * value * other - C = 0
          add(g.other, (g.scale * value) % p);
          add(g.c, p - 1n);
        } else if (!g.c.some(([w]) => isUnknown(w)))
          add(g.other, 1n); // other = C / factor
        else continue;
      }
      rows.push(row);
    }
    for (const w of fixed) for (const r of rows) r.delete(w);
    for (const w of singles(rows, p)) {
      if (!fixed.has(w)) {
        fixed.add(w);
        progress = true;
      }
    }
  }
  return fixed;
}

/** Gauss-Jordan over small rows: the variables the rows fix. */
function singles(rows: Array<Map<number, bigint>>, p: bigint): number[] {
  const done: Array<Map<number, bigint>> = [];
  for (const r of rows) {
    for (const d of done) {
      const pv = d.keys().next().value!;
      const f = r.get(pv);
      if (f === undefined) continue;
      for (const [w, c] of d) {
        const x = ((((r.get(w) ?? 0n) - f * c) % p) + p) % p;
        if (x === 0n) r.delete(w);
        else r.set(w, x);
      }
    }
    if (r.size === 0) continue;
    const pv = r.keys().next().value!;
    const inv = invMod(r.get(pv)!, p);
    for (const [w, c] of r) r.set(w, (c * inv) % p);
    // keep `done` reduced: eliminate the new pivot from the others
    for (const d of done) {
      const f = d.get(pv);
      if (f === undefined) continue;
      for (const [w, c] of r) {
        const x = ((((d.get(w) ?? 0n) - f * c) % p) + p) % p;
        if (x === 0n) d.delete(w);
        else d.set(w, x);
      }
    }
    // the pivot must be the first key for the reduction above
    const ordered = new Map([[pv, r.get(pv)!], ...[...r].filter(([w]) => w !== pv)]);
    done.push(ordered);
  }
  return done.filter((d) => d.size === 1).map((d) => d.keys().next().value!);
}
