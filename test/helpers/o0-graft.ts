import assert from "node:assert/strict";
import path from "node:path";
import type { SignalValue } from "../../prover/src/domain/inputs.ts";
import { CIRCUIT_SOURCES } from "../../prover/src/proving/paths.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import {
  readR1cs,
  readSymbols,
  unsatisfiedConstraints,
  type R1cs,
} from "../../prover/src/proving/r1cs.ts";
import { statementLine } from "./circuit.ts";
import { compileProbeO0 } from "./probe-o0.ts";

// R1CS grafts for the `<==` links --O2 substitutes away. With such a link made `<--` the
// freed wire is pinned only through hashes (or not at all), so the determinism stage cannot
// decide the mutant, and the witness calculator computes the honest value, so no test that
// feeds inputs tells it apart. A graft does: an --O0 probe of the sources under test (every
// signal keeps its name) whose link line also reads a carrier, a free input, computes every
// wire after the link for another value; its witness, copied by name onto the --O2 circuit,
// is a forged witness that breaks only the link. The harness first checks that with the
// carrier at its honest value the grafted probe is the honest witness wire for wire, so a
// refusal can only come from the link.

/**
 * A rewrite for compileProbeO0: `file` of the sources under test (a mutant's, when the
 * tests run against one) with the line of `statement` replaced by `to`, padded to the
 * line's length (anonymous components' names carry a file offset). The line is found where
 * the repository's own file has it, as the statement or as the mutant that makes it `<--`.
 */
export function rewriteLine(
  file: string,
  statement: string,
  to: string,
): (f: string, text: string) => string {
  return (f, text) => {
    if (f !== file) return text;
    const n = statementLine(file, statement) - 1;
    const lines = text.split("\n");
    const line = lines[n];
    assert.ok(
      [statement, statement.replace("<==", "<--")].includes(line.trim()),
      `line ${n + 1} of ${path.join(CIRCUIT_SOURCES, file)} is the link: ${line}`,
    );
    assert.ok(to.length <= line.length, `${to} fits the line`);
    lines[n] = to.padStart(line.length);
    return lines.join("\n");
  };
}

/**
 * An --O0 probe's witness on the wires of an --O2 build (`names`: wire -> its names, from
 * readWireNames): each wire gets its first name's value in the probe (`sym`: name -> wire).
 */
export function graftByName(
  names: ReadonlyMap<number, readonly string[]>,
  nWires: number,
  o0: { sym: ReadonlyMap<string, number>; witness: readonly bigint[] },
): bigint[] {
  const w = Array<bigint>(nWires).fill(0n);
  w[0] = 1n;
  for (const [i, ns] of names) {
    const at = o0.sym.get(ns[0]);
    assert.ok(at !== undefined && at > 0, `the --O0 probe has ${ns[0]}`);
    w[i] = o0.witness[at];
  }
  assert.equal(names.size, nWires - 1, "every wire but the constant one is named");
  return w;
}

/** The --O2 circuit a graft lands on: its R1CS and each wire's names (readWireNames). */
export interface GraftTarget {
  readonly r1cs: R1cs;
  readonly names: ReadonlyMap<number, readonly string[]>;
}

/** The one wire of `target` that has the name `name` (e.g. main.rootOut). */
export function wireNamed(target: GraftTarget, name: string): number {
  const ws = [...target.names].filter(([, ns]) => ns.includes(name)).map(([w]) => w);
  assert.equal(ws.length, 1, `${name} is one wire`);
  return ws[0];
}

/** A link of `file` and its line in the probe: the same `<==`, reading a carrier as well. */
export interface LinkRewrite {
  readonly file: string;
  readonly statement: string;
  /** At most the line's length. */
  readonly to: string;
}

type Signals = Record<string, SignalValue>;

export interface LinkProbe {
  /** The probe's signal names -> its wires. */
  readonly sym: ReadonlyMap<string, number>;
  /**
   * The harness: `expected`, the honest --O2 witness of `signals` (whose carrier holds the
   * link's own value), satisfies the target, and the probe's witness of `signals`, grafted,
   * is `expected` wire for wire.
   */
  reproduces(signals: Signals, expected: readonly bigint[]): Promise<void>;
  /**
   * The probe's witness of `signals`, which the probe's R1CS (the circuit with the link's
   * wire free) must accept, and the same grafted onto the target: the forged witness.
   */
  forge(signals: Signals): Promise<{ probe: bigint[]; grafted: bigint[] }>;
}

/**
 * The --O0 probe `name` of `expr` (from `source`, with `link` rewritten), whose witnesses
 * are grafted onto `target`. Cached under the builds' probes/`name`, compiled again when the
 * sources or the rewrite change.
 */
export async function linkProbe(
  target: GraftTarget,
  probe: { readonly name: string; readonly source: string; readonly expr: string },
  link: LinkRewrite,
): Promise<LinkProbe> {
  const o0 = await compileProbeO0(probe.name, probe.source, probe.expr, {
    rewrite: rewriteLine(link.file, link.statement, link.to),
  });
  const sym = readSymbols(o0.sym);
  const r1cs = readR1cs(o0.r1cs);
  const graft = (witness: readonly bigint[]) =>
    graftByName(target.names, target.r1cs.nWires, { sym, witness });
  return {
    sym,
    async reproduces(signals, expected) {
      assert.deepEqual(unsatisfiedConstraints(target.r1cs, expected), [], "the honest witness");
      const same = graft(await calculateWitness(o0.wasm, signals));
      assert.deepEqual(same, expected, "the rewritten probe reproduces the honest witness");
    },
    async forge(signals) {
      const w = await calculateWitness(o0.wasm, signals);
      assert.deepEqual(unsatisfiedConstraints(r1cs, w), [], "the rewritten probe accepts it");
      return { probe: w, grafted: graft(w) };
    },
  };
}
