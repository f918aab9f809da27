import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { buildCircuit } from "../../prover/src/proving/build.ts";
import {
  CIRCUIT_IDS,
  CIRCUITS,
  type CircuitId,
  type CircuitInputs,
} from "../../prover/src/domain/circuits.ts";
import { circuitFiles, type CircuitFiles } from "../../prover/src/proving/paths.ts";
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
