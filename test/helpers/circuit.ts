import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { mod } from "../../prover/src/domain/field.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { buildCircuit } from "../../prover/src/proving/build.ts";
import {
  CIRCUIT_IDS,
  CIRCUITS,
  type CircuitId,
  type CircuitInputs,
} from "../../prover/src/domain/circuits.ts";
import { circuitFiles, ROOT, type CircuitFiles } from "../../prover/src/proving/paths.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";
import type { SettleTradesInput, SignalValue } from "../../prover/src/domain/inputs.ts";

export const TEST_PARAMS = PARAM_SETS.test;

/** Builds (or reuses) the `test` instance of a circuit. */
export async function testCircuit(id: CircuitId): Promise<CircuitFiles> {
  await buildCircuit(id, TEST_PARAMS);
  return circuitFiles(id, TEST_PARAMS);
}

export const settleTradesCircuit = () => testCircuit("settle_trades");

/** Any circuit's input, tagged with its circuit (derived from the circuit table). */
type AnyInput = { [K in CircuitId]: { kind: K; input: CircuitInputs[K] } }[CircuitId];

function signals(x: AnyInput): Record<string, SignalValue> {
  const spec = CIRCUITS[x.kind] as {
    toSignals: (input: AnyInput["input"]) => Record<string, SignalValue>;
  };
  return spec.toSignals(x.input);
}

export async function witnessFor(x: AnyInput): Promise<bigint[]> {
  const files = await testCircuit(x.kind);
  return calculateWitness(files.wasm, signals(x));
}

export const witnessOf = (input: SettleTradesInput) => witnessFor({ kind: "settle_trades", input });

/**
 * Asserts that the circuit refuses the input in a template whose name starts with
 * `template` (the reason), not somewhere else.
 */
/** circomlib's and zkclear's generic checks, which a failure passes through on its way out. */
export const GENERIC_TEMPLATE =
  /^(Num2Bits|RangeCheck|SignedRangeCheck|IsZero|IsEqual|AssertBit|LessThan)_/;

export async function assertRefused(x: AnyInput, template: string): Promise<void> {
  const files = await testCircuit(x.kind);
  await assert.rejects(calculateWitness(files.wasm, signals(x)), (e: unknown) => {
    assert.ok(e instanceof WitnessError, `expected a WitnessError, got ${String(e)}`);
    // every stack ends in the main template, so naming it means "failed in its own body"
    // (directly, or in a generic range check or comparator it calls)
    const own = e.templates.find((t) => !GENERIC_TEMPLATE.test(t));
    const main = CIRCUIT_IDS.some((id) => CIRCUITS[id].template === template);
    const ok = main ? own?.startsWith(template) : e.templates.some((t) => t.startsWith(template));
    assert.ok(ok, `expected a failure in ${template}, got: ${e.templates.join(" < ")}`);
    return true;
  });
}

export const assertRefusedBy = (input: SettleTradesInput, template: string) =>
  assertRefused({ kind: "settle_trades", input }, template);

/**
 * The line of the one statement of circuits/src/`file` that reads `statement` (trimmed).
 * Read from the repository's own sources, not a mutant's: a mutant keeps every line where
 * it was, so a test that names a check by its line still judges the mutant's behaviour.
 */
export function statementLine(file: string, statement: string): number {
  const lines = fs.readFileSync(path.join(ROOT, "circuits", "src", file), "utf8").split("\n");
  const hits = lines.flatMap((l, i) => (l.trim() === statement ? [i + 1] : []));
  assert.equal(hits.length, 1, `one line of ${file} reads ${statement}`);
  return hits[0];
}

/**
 * Asserts that `witness` is refused by `statement` of circuits/src/`file`, in `template`'s
 * own body (circom's "Error in template <template>_<n> line: <line>"), not by anything
 * before or after it: a circuit without that check must then accept the witness, or refuse
 * it elsewhere, and either fails this assertion.
 */
export async function assertRefusedAt(
  witness: Promise<unknown>,
  file: string,
  template: string,
  statement: string,
): Promise<void> {
  const line = statementLine(file, statement);
  await assert.rejects(witness, (e: unknown) => {
    assert.ok(e instanceof WitnessError, `expected a refusal, got ${String(e)}`);
    assert.match(e.message, new RegExp(`Error in template ${template}_\\d+ line: ${line}\\b`));
    return true;
  });
}

/** A witness edit by signal name: add to the wire, set it, or flip a bit that holds `value`. */
export type WireEdit = readonly [name: string, op: "add" | "set" | "flip", value: bigint];

/**
 * `honest` with `edits` applied, for a forged witness checked against the R1CS alone (the
 * witness calculator computes a `<--` signal's honest value, so only an edit after it ran
 * shows the signal is constrained). An edit of a signal --O2 substituted away is skipped:
 * the wires it was written through carry the change.
 */
export function editWitness(
  honest: readonly bigint[],
  sym: ReadonlyMap<string, number>,
  edits: readonly WireEdit[],
): bigint[] {
  const w = [...honest];
  for (const [name, op, v] of edits) {
    const i = sym.get(name);
    if (i === undefined || i <= 0) continue;
    if (op === "flip") {
      assert.equal(w[i], v, `${name} is ${v} in the honest witness`);
      w[i] = 1n - v;
    } else w[i] = mod(op === "add" ? w[i] + v : v);
  }
  return w;
}
