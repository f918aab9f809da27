import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { buildCircuit } from "../../prover/src/proving/build.ts";
import { circuitFiles, type CircuitFiles } from "../../prover/src/proving/paths.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";
import { toSettleTradesSignals, type SettleTradesInput } from "../../prover/src/engine/inputs.ts";

export const TEST_PARAMS = PARAM_SETS.test;

/** Builds (or reuses) the `test` instance of SettleTrades. */
export async function settleTradesCircuit(): Promise<CircuitFiles> {
  await buildCircuit("settle_trades", TEST_PARAMS);
  return circuitFiles(TEST_PARAMS.name, "settle_trades");
}

export async function witnessOf(input: SettleTradesInput): Promise<bigint[]> {
  const files = await settleTradesCircuit();
  return calculateWitness(files.wasm, toSettleTradesSignals(input));
}

/**
 * Asserts that the circuit refuses the input in a template whose name starts with
 * `template` (the reason), not somewhere else.
 */
export async function assertRefusedBy(input: SettleTradesInput, template: string): Promise<void> {
  const files = await settleTradesCircuit();
  await assert.rejects(calculateWitness(files.wasm, toSettleTradesSignals(input)), (e: unknown) => {
    assert.ok(e instanceof WitnessError, `expected a WitnessError, got ${String(e)}`);
    assert.ok(
      e.templates.some((t) => t.startsWith(template)),
      `expected a failure in ${template}, got: ${e.templates.join(" < ")}`,
    );
    return true;
  });
}
