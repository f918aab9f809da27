import fs from "node:fs";
import path from "node:path";
import type { ParamSet } from "../domain/params.ts";
import { buildCircuit, buildForAnalysis } from "../proving/build.ts";
import { CIRCUITS, instanceName, type CircuitId } from "../domain/circuits.ts";
import { CIRCUIT_SOURCES, circuitFiles } from "../proving/paths.ts";
import { readR1cs } from "../proving/r1cs.ts";
import {
  inputSignals,
  mainInputWires,
  readWireNames,
  wireGroup,
  wireName,
} from "./circuit-info.ts";
import {
  analyseDeterminism,
  type DeterminismOptions,
  type DeterminismResult,
} from "./determinism.ts";
import { Status } from "./propagation.ts";
import { assumedWires } from "./explained.ts";
import type { LocalSolver } from "./smt.ts";

/**
 * The determinism check of one production circuit instance: builds it (or reuses the
 * build), takes main's inputs from the .sym file, runs analyseDeterminism, and names what
 * is left by signal group. Every circuit of the project's circuit table is checked the
 * same way: nothing here is specific to one circuit.
 */
export interface GroupCount {
  readonly group: string;
  readonly wires: number;
  /** One wire of the group, by its full name. */
  readonly example: string;
}

export interface CircuitDeterminism {
  readonly circuit: string;
  readonly instance: string;
  readonly constraints: number;
  readonly seconds: number;
  readonly result: DeterminismResult;
  readonly undecided: GroupCount[];
  readonly conditional: GroupCount[];
  readonly freeWitness: GroupCount[];
}

/** The ids of every circuit in the project's circuit table. */
export const circuitIds = (): CircuitId[] => Object.keys(CIRCUITS) as CircuitId[];

function groups(names: ReturnType<typeof readWireNames>, wires: Iterable<number>): GroupCount[] {
  const by = new Map<string, { wires: number; example: string }>();
  for (const w of wires) {
    const g = wireGroup(names, w);
    const e = by.get(g);
    if (e) e.wires++;
    else by.set(g, { wires: 1, example: wireName(names, w) });
  }
  return [...by]
    .map(([group, e]) => ({ group, ...e }))
    .sort((a, b) => b.wires - a.wires || a.group.localeCompare(b.group));
}

export async function circuitDeterminism(
  id: CircuitId,
  p: ParamSet,
  solver: LocalSolver | undefined,
  opts: DeterminismOptions & {
    /** Compile the r1cs and .sym alone when no full build is up to date (a mutant's check). */
    readonly analysisOnly?: boolean;
  } = {},
): Promise<CircuitDeterminism> {
  if (opts.analysisOnly) await buildForAnalysis(id, p, { log: opts.log });
  else await buildCircuit(id, p, { log: opts.log });
  const files = circuitFiles(id, p);
  const spec = CIRCUITS[id];
  const r1cs = readR1cs(files.r1cs);
  const names = readWireNames(files.sym);
  const source = fs.readFileSync(path.join(CIRCUIT_SOURCES, spec.source), "utf8");
  // main's inputs but the public ones that are outputs in all but name (everything public
  // but the anchors: a new root, a commitment, a payout must follow from the rest), and
  // the template outputs whose uniqueness is proven by hand (ASSUMED)
  const given = inputSignals(source, spec.template).filter(
    (n) => !spec.publicInputs.includes(n) || spec.anchors.includes(n),
  );
  const inputs = [...mainInputWires(names, given), ...assumedWires(names)];
  const t0 = performance.now();
  const result = await analyseDeterminism(r1cs, inputs, solver, opts);
  const conditional: number[] = [];
  result.status.forEach((s, w) => {
    if (s === Status.Conditional) conditional.push(w);
  });
  return {
    circuit: id,
    instance: instanceName(id, p),
    constraints: r1cs.constraints.length,
    seconds: (performance.now() - t0) / 1000,
    result,
    undecided: groups(names, result.undecided),
    conditional: groups(names, conditional),
    freeWitness: groups(names, result.freeWitness),
  };
}
