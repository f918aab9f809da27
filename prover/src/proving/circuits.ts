import {
  APPLY_DEPOSITS_PUBLIC,
  LIQUIDATE_BATCH_PUBLIC,
  PROCESS_WITHDRAWALS_PUBLIC,
  SETTLE_TRADES_PUBLIC,
} from "../engine/inputs.ts";
import type { ParamSet } from "../domain/params.ts";

/**
 * The circuits zkclear proves, one per batch kind: which template, from which file, with
 * which parameters, and the names of its public inputs in order.
 */
export interface CircuitSpec {
  readonly id: string;
  readonly template: string;
  readonly source: string;
  readonly args: (p: ParamSet) => number[];
  /** The template's parameter names, in the order of `args`. */
  readonly argNames: readonly string[];
  readonly publicInputs: readonly string[];
}

export const CIRCUITS = {
  settle_trades: {
    id: "settle_trades",
    template: "SettleTrades",
    source: "settle-trades.circom",
    args: (p: ParamSet) => [p.batch, p.depth, p.markets],
    argNames: ["B", "D", "M"],
    publicInputs: SETTLE_TRADES_PUBLIC,
  },
  apply_deposits: {
    id: "apply_deposits",
    template: "ApplyDeposits",
    source: "apply-deposits.circom",
    args: (p: ParamSet) => [p.deposits, p.depth, p.markets],
    argNames: ["K", "D", "M"],
    publicInputs: APPLY_DEPOSITS_PUBLIC,
  },
  process_withdrawals: {
    id: "process_withdrawals",
    template: "ProcessWithdrawals",
    source: "process-withdrawals.circom",
    args: (p: ParamSet) => [p.withdrawals, p.depth, p.markets],
    argNames: ["W", "D", "M"],
    publicInputs: PROCESS_WITHDRAWALS_PUBLIC,
  },
  liquidate_batch: {
    id: "liquidate_batch",
    template: "LiquidateBatch",
    source: "liquidate-batch.circom",
    args: (p: ParamSet) => [p.liquidations, p.depth, p.markets],
    argNames: ["L", "D", "M"],
    publicInputs: LIQUIDATE_BATCH_PUBLIC,
  },
} as const satisfies Record<string, CircuitSpec>;

export type CircuitId = keyof typeof CIRCUITS;

/**
 * A circuit instance's name: the circuit and its parameters, e.g. `settle_trades/B16-D24-M4`.
 * Builds and keys are kept per instance, so parameter sets that share an instance (the
 * benchmark's `bench-b<B>` sets share bench's deposit, withdrawal and liquidation
 * circuits) share its build and keys.
 */
export function instanceName(circuit: CircuitId, p: ParamSet): string {
  const spec: CircuitSpec = CIRCUITS[circuit];
  const args = spec.args(p);
  return `${circuit}/${args.map((a, i) => `${spec.argNames[i]}${a}`).join("-")}`;
}
