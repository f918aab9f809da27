import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { buildCircuit } from "../../prover/src/proving/build.ts";
import type { CircuitId } from "../../prover/src/domain/circuits.ts";
import { circuitFiles, type CircuitFiles } from "../../prover/src/proving/paths.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";
import {
  toAnswerForcedSignals,
  toApplyDepositsSignals,
  toExitAccountSignals,
  toLiquidateBatchSignals,
  toProcessWithdrawalsSignals,
  toSettleTradesSignals,
  type AnswerForcedInput,
  type ApplyDepositsInput,
  type ExitAccountInput,
  type LiquidateBatchInput,
  type ProcessWithdrawalsInput,
  type SettleTradesInput,
  type SignalValue,
} from "../../prover/src/domain/inputs.ts";

export const TEST_PARAMS = PARAM_SETS.test;

/** Builds (or reuses) the `test` instance of a circuit. */
export async function testCircuit(id: CircuitId): Promise<CircuitFiles> {
  await buildCircuit(id, TEST_PARAMS);
  return circuitFiles(id, TEST_PARAMS);
}

export const settleTradesCircuit = () => testCircuit("settle_trades");

type AnyInput =
  | { kind: "settle_trades"; input: SettleTradesInput }
  | { kind: "apply_deposits"; input: ApplyDepositsInput }
  | { kind: "process_withdrawals"; input: ProcessWithdrawalsInput }
  | { kind: "liquidate_batch"; input: LiquidateBatchInput }
  | { kind: "answer_forced"; input: AnswerForcedInput }
  | { kind: "exit_account"; input: ExitAccountInput };

function signals(x: AnyInput): Record<string, SignalValue> {
  switch (x.kind) {
    case "settle_trades":
      return toSettleTradesSignals(x.input);
    case "apply_deposits":
      return toApplyDepositsSignals(x.input);
    case "process_withdrawals":
      return toProcessWithdrawalsSignals(x.input);
    case "liquidate_batch":
      return toLiquidateBatchSignals(x.input);
    case "answer_forced":
      return toAnswerForcedSignals(x.input);
    case "exit_account":
      return toExitAccountSignals(x.input);
  }
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
    const main = [
      "SettleTrades",
      "ApplyDeposits",
      "ProcessWithdrawals",
      "LiquidateBatch",
      "AnswerForced",
      "ExitAccount",
    ].includes(template);
    const ok = main ? own?.startsWith(template) : e.templates.some((t) => t.startsWith(template));
    assert.ok(ok, `expected a failure in ${template}, got: ${e.templates.join(" < ")}`);
    return true;
  });
}

export const assertRefusedBy = (input: SettleTradesInput, template: string) =>
  assertRefused({ kind: "settle_trades", input }, template);
