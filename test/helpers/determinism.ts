import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { ProbeBuild } from "../../prover/src/proving/build.ts";
import { CIRCUIT_SOURCES } from "../../prover/src/proving/paths.ts";
import { readR1cs } from "../../prover/src/proving/r1cs.ts";
import {
  inputSignals,
  mainInputWires,
  readWireNames,
  wireName,
  type WireNames,
} from "../../prover/src/verify/circuit-info.ts";
import { analyseDeterminism } from "../../prover/src/verify/determinism.ts";
import { LocalSolver } from "../../prover/src/verify/smt.ts";

/**
 * Asserts that every wire of a probe of `template` (from circuits/src/`file`, its inputs
 * public so each keeps a wire) is fixed by its inputs, and by the wires `known` picks (the
 * `<--` signals a header proves unique by hand, which the check cannot): no wire left
 * undecided, and no free wire but those `free` matches (IsZero's inverse, say).
 */
export async function assertEveryWireFixed(
  probe: ProbeBuild,
  file: string,
  template: string,
  opts: { known?: (names: WireNames) => number[]; free?: RegExp } = {},
): Promise<void> {
  const source = fs.readFileSync(path.join(CIRCUIT_SOURCES, file), "utf8");
  const names = readWireNames(probe.sym!);
  const known = [
    ...mainInputWires(names, inputSignals(source, template)),
    ...(opts.known?.(names) ?? []),
  ];
  const solver = await LocalSolver.create();
  try {
    const res = await analyseDeterminism(readR1cs(probe.r1cs), known, solver, {
      wireQueries: false,
    });
    assert.deepEqual(
      res.undecided.map((w) => wireName(names, w)),
      [],
      `${template}: wires left undecided`,
    );
    for (const w of res.freeWitness)
      assert.ok(
        opts.free?.test(wireName(names, w)),
        `${template}: a free wire, ${wireName(names, w)}`,
      );
  } finally {
    solver.close();
  }
}

/** The wires whose names `re` matches. */
export const wiresNamed = (names: WireNames, re: RegExp): number[] =>
  [...names.names].filter(([, ns]) => ns.some((n) => re.test(n))).map(([w]) => w);
