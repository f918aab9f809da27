import type { R1cs } from "../proving/r1cs.ts";
import { splitCases } from "./cases.ts";
import { Status, UniquenessPropagation } from "./propagation.ts";
import { bitBlockQuery, LocalSolver, neighbourhood, uniquenessQuery, type Verdict } from "./smt.ts";

/**
 * Is every wire of a circuit fixed by its inputs? Propagation first (propagation.ts), then
 * z3 on the neighbourhood of each wire that is the last unknown of some constraint (what
 * propagation cannot decide: zero tests, divisions with range-checked remainders), and
 * propagation again after every wire the solver fixes, until neither makes progress. Then
 * the wires left are sorted into free witnesses (harmless: see markFreeWitnesses),
 * wires fixed when some denominator is nonzero, and wires left undecided.
 */
export interface DeterminismOptions {
  /** Unknown wires at most in a wire's neighbourhood (default 6). */
  readonly maxUnknowns?: number;
  /** Constraints at most in a query (default 16). */
  readonly maxConstraints?: number;
  /** Per single-wire query (default 500 ms). */
  readonly timeoutMs?: number;
  /**
   * Per bit-block query (default 60 s). These are decided in well under a second on an
   * idle machine; the margin keeps a loaded machine (a mutation run) from turning a
   * slow answer into an undecided wire.
   */
  readonly bitBlockTimeoutMs?: number;
  /**
   * Ask the solver about single wires (default true). Without, only bit blocks go to the
   * solver: enough for zkclear's own templates and much faster (the test does this).
   */
  readonly wireQueries?: boolean;
  /** Queries at most over the whole run (default 5000). */
  readonly maxQueries?: number;
  /** Called after each solver round. */
  readonly log?: (s: string) => void;
  /** Called with each query and its verdict (to publish them); wire -1 for a bit block. */
  readonly onQuery?: (wire: number, query: string, verdict: Verdict) => void;
}

export interface DeterminismResult {
  readonly wires: number;
  readonly inputs: number;
  readonly propagation: number;
  readonly solver: number;
  readonly freeWitness: number[];
  /** Fixed if a denominator is nonzero: wire -> the constraint that divides by it. */
  readonly conditional: Map<number, number>;
  readonly undecided: number[];
  readonly queries: { unique: number; notUnique: number; unknown: number };
  readonly status: Uint8Array;
}

/** The main component's inputs: wire 0 (the constant 1) and then public outputs and inputs, private inputs. */
export function inputWires(r1cs: R1cs): number[] {
  return Array.from({ length: r1cs.nPubOut + r1cs.nPubIn + r1cs.nPrvIn }, (_, i) => 1 + i);
}

export async function analyseDeterminism(
  r1cs: R1cs,
  inputs: readonly number[],
  solver: LocalSolver | undefined,
  opts: DeterminismOptions = {},
): Promise<DeterminismResult> {
  const maxUnknowns = opts.maxUnknowns ?? 6;
  const maxConstraints = opts.maxConstraints ?? 16;
  const timeoutMs = opts.timeoutMs ?? 500;
  const maxQueries = opts.maxQueries ?? 5000;
  const prop = new UniquenessPropagation(r1cs, inputs);
  const queries = { unique: 0, notUnique: 0, unknown: 0 };
  const ask = async (wire: number, q: string, ms = timeoutMs): Promise<boolean> => {
    const v = await solver!.check(q, ms);
    opts.onQuery?.(wire, q, v);
    if (v === "unique") queries.unique++;
    else if (v === "not-unique") queries.notUnique++;
    else queries.unknown++;
    return v === "unique";
  };
  const budgetLeft = () => queries.unique + queries.notUnique + queries.unknown < maxQueries;
  const countKnown = () => {
    let n = 0;
    for (let w = 0; w < r1cs.nWires; w++) if (prop.isKnown(w)) n++;
    return n;
  };
  // a question the solver could not settle is asked again only once more is known
  const asked = new Map<string, number>();
  for (let round = 1; budgetLeft(); round++) {
    // case splits first: they are exact and cheap
    let fixed = splitCases(prop);
    if (fixed > 0) {
      opts.log?.(`  case splits: ${fixed} fixed, ${countKnown()} of ${r1cs.nWires} wires known`);
      continue;
    }
    if (!solver) break;
    const knownCount = countKnown();
    let n = 0;
    for (const block of prop.bitBlocks()) {
      const bits = [...new Set(block.flatMap((r) => r.bits.map(([b]) => b)))];
      const key = `bits:${bits.sort((x, y) => x - y).join(",")}`;
      if ((asked.get(key) ?? -1) >= knownCount || !budgetLeft()) continue;
      asked.set(key, knownCount);
      n++;
      if (await ask(-1, bitBlockQuery(r1cs.prime, block), opts.bitBlockTimeoutMs ?? 60_000)) {
        prop.fixBits(bits);
        fixed++;
      }
    }
    if (fixed > 0) {
      opts.log?.(`  solver on bit blocks: ${fixed} fixed, ${countKnown()} of ${r1cs.nWires} known`);
      continue;
    }
    for (const w of opts.wireQueries === false ? [] : prop.frontier()) {
      const key = `wire:${w}`;
      if (prop.isKnown(w) || (asked.get(key) ?? -1) >= knownCount || !budgetLeft()) continue;
      asked.set(key, knownCount);
      n++;
      // small neighbourhoods first: they are decided fastest
      let last = "";
      for (const size of [2, 4, maxUnknowns]) {
        const hood = neighbourhood(prop, w, Math.min(size, maxUnknowns), maxConstraints);
        const key = hood.sort((x, y) => x - y).join(",");
        if (key === last) continue;
        last = key;
        if (await ask(w, uniquenessQuery(prop, hood, w))) {
          prop.fix(w, Status.Solver);
          fixed++;
          break;
        }
      }
    }
    opts.log?.(
      `  solver round ${round}: ${n} asked, ${fixed} fixed, ${countKnown()} of ${r1cs.nWires} wires known`,
    );
    if (fixed === 0) break;
  }
  prop.markFreeWitnesses();
  prop.propagateConditional();
  const c = prop.counts();
  const undecided: number[] = [];
  const freeWitness: number[] = [];
  for (let w = 1; w < r1cs.nWires; w++) {
    if (prop.status[w] === Status.Unknown) undecided.push(w);
    if (prop.status[w] === Status.FreeWitness) freeWitness.push(w);
  }
  return {
    wires: r1cs.nWires - 1,
    inputs: c.Input,
    propagation: c.Linear + c.Bits + c.Cases,
    solver: c.Solver,
    freeWitness,
    conditional: prop.condition,
    undecided,
    queries,
    status: prop.status,
  };
}
