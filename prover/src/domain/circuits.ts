import {
  ANSWER_FORCED_PUBLIC,
  APPLY_DEPOSITS_PUBLIC,
  EXIT_ACCOUNT_PUBLIC,
  LIQUIDATE_BATCH_PUBLIC,
  PROCESS_WITHDRAWALS_PUBLIC,
  SETTLE_TRADES_PUBLIC,
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
} from "./inputs.ts";
import {
  SKIPPED_DELEVERAGE_PUBLIC,
  toSkippedDeleverageSignals,
  type SkippedDeleverageInput,
} from "./skip-inputs.ts";
import type { ParamSet } from "./params.ts";

/**
 * The circuits zkclear proves (one per batch kind, see ./batch-kinds.ts): which template,
 * from which file, with which parameters, the names of its public inputs in order, how its
 * input is serialised into signals, and the name of its generated Solidity verifier.
 */
export interface CircuitSpec<Input = never> {
  readonly id: string;
  readonly template: string;
  readonly source: string;
  readonly args: (p: ParamSet) => number[];
  /** The template's parameter names, in the order of `args`. */
  readonly argNames: readonly string[];
  readonly publicInputs: readonly string[];
  /**
   * The public inputs the circuit takes as given: the state it starts from and the
   * subject of its claim. Every other public input is an output in all but name (a new
   * root, a commitment, a payout, the price binding), which the circuit must compute from
   * these and its private inputs; the determinism check holds it to that
   * (prover/src/verify/circuit-determinism.ts).
   */
  readonly anchors: readonly string[];
  /** How many public signals the instance has (an array input counts each element). */
  readonly publicCount: (p: ParamSet) => number;
  /** The input in the template's signal names (./inputs.ts). */
  readonly toSignals: (input: Input) => Record<string, SignalValue>;
  /** Contract name of the verifier generated from the circuit's key. */
  readonly verifier: string;
  /**
   * Settlement's getter of this circuit's verifier address, and the field of its
   * constructor's Config that sets it (the deployment and the auditor read both by it).
   */
  readonly verifierGetter: string;
}

/** Each circuit's input shape (./inputs.ts), by circuit id. */
export interface CircuitInputs {
  settle_trades: SettleTradesInput;
  apply_deposits: ApplyDepositsInput;
  process_withdrawals: ProcessWithdrawalsInput;
  liquidate_batch: LiquidateBatchInput;
  answer_forced: AnswerForcedInput;
  exit_account: ExitAccountInput;
  skipped_deleverage: SkippedDeleverageInput;
}

export type CircuitId = keyof CircuitInputs;

export const CIRCUITS: { readonly [K in CircuitId]: CircuitSpec<CircuitInputs[K]> } = {
  settle_trades: {
    id: "settle_trades",
    template: "SettleTrades",
    source: "settle-trades.circom",
    args: (p: ParamSet) => [p.batch, p.depth, p.markets],
    argNames: ["B", "D", "M"],
    publicInputs: SETTLE_TRADES_PUBLIC,
    anchors: ["oldRoot"],
    publicCount: () => SETTLE_TRADES_PUBLIC.length,
    toSignals: toSettleTradesSignals,
    verifier: "SettleTradesVerifier",
    verifierGetter: "tradeVerifier",
  },
  apply_deposits: {
    id: "apply_deposits",
    template: "ApplyDeposits",
    source: "apply-deposits.circom",
    args: (p: ParamSet) => [p.deposits, p.depth, p.markets],
    argNames: ["K", "D", "M"],
    publicInputs: APPLY_DEPOSITS_PUBLIC,
    anchors: ["oldRoot", "queueFrom"],
    publicCount: () => APPLY_DEPOSITS_PUBLIC.length,
    toSignals: toApplyDepositsSignals,
    verifier: "ApplyDepositsVerifier",
    verifierGetter: "depositVerifier",
  },
  process_withdrawals: {
    id: "process_withdrawals",
    template: "ProcessWithdrawals",
    source: "process-withdrawals.circom",
    args: (p: ParamSet) => [p.withdrawals, p.depth, p.markets],
    argNames: ["W", "D", "M"],
    publicInputs: PROCESS_WITHDRAWALS_PUBLIC,
    anchors: ["oldRoot"],
    publicCount: (p: ParamSet) => PROCESS_WITHDRAWALS_PUBLIC.length - 1 + p.withdrawals,
    toSignals: toProcessWithdrawalsSignals,
    verifier: "ProcessWithdrawalsVerifier",
    verifierGetter: "withdrawalVerifier",
  },
  liquidate_batch: {
    id: "liquidate_batch",
    template: "LiquidateBatch",
    source: "liquidate-batch.circom",
    args: (p: ParamSet) => [p.liquidations, p.deleverages, p.depth, p.markets],
    argNames: ["L", "A", "D", "M"],
    publicInputs: LIQUIDATE_BATCH_PUBLIC,
    anchors: ["oldRoot"],
    publicCount: () => LIQUIDATE_BATCH_PUBLIC.length,
    toSignals: toLiquidateBatchSignals,
    verifier: "LiquidateBatchVerifier",
    verifierGetter: "liquidationVerifier",
  },
  answer_forced: {
    id: "answer_forced",
    template: "AnswerForced",
    source: "answer-forced.circom",
    // F, the forced requests a proof answers, is the parameter set's W
    args: (p: ParamSet) => [p.withdrawals, p.depth, p.markets],
    argNames: ["F", "D", "M"],
    publicInputs: ANSWER_FORCED_PUBLIC,
    anchors: ["oldRoot", "queueFrom"],
    publicCount: (p: ParamSet) => ANSWER_FORCED_PUBLIC.length - 1 + p.withdrawals,
    toSignals: toAnswerForcedSignals,
    verifier: "AnswerForcedVerifier",
    verifierGetter: "forcedVerifier",
  },
  // not a batch kind: the exit after a freeze, proven by the user (domain/exit.ts)
  exit_account: {
    id: "exit_account",
    template: "ExitAccount",
    source: "exit-account.circom",
    args: (p: ParamSet) => [p.depth, p.markets],
    argNames: ["D", "M"],
    publicInputs: EXIT_ACCOUNT_PUBLIC,
    anchors: ["root", "account", "recipient", "signer"],
    publicCount: () => EXIT_ACCOUNT_PUBLIC.length,
    toSignals: toExitAccountSignals,
    verifier: "ExitAccountVerifier",
    verifierGetter: "exitVerifier",
  },
  // not a batch kind: anyone's proof that a liquidation batch's deleveraging left out an
  // account its ranking had to list (engine/skip-proof.ts); Settlement then freezes
  skipped_deleverage: {
    id: "skipped_deleverage",
    template: "SkippedDeleverage",
    source: "skip-deleverage.circom",
    args: (p: ParamSet) => [p.deleverages, p.depth, p.markets],
    argNames: ["A", "D", "M"],
    publicInputs: SKIPPED_DELEVERAGE_PUBLIC,
    anchors: ["account", "market"],
    publicCount: () => SKIPPED_DELEVERAGE_PUBLIC.length,
    toSignals: toSkippedDeleverageSignals,
    verifier: "SkippedDeleverageVerifier",
    verifierGetter: "skipVerifier",
  },
};

/** The circuit ids, in the table's order. */
export const CIRCUIT_IDS = Object.keys(CIRCUITS) as CircuitId[];

/**
 * A circuit instance's name: the circuit and its parameters, e.g. `settle_trades/B16-D24-M4`.
 * Builds and keys are kept per instance, so parameter sets that share an instance (the
 * benchmark's `bench-b<B>` sets share bench's deposit, withdrawal and liquidation
 * circuits) share its build and keys.
 */
export function instanceName(circuit: CircuitId, p: ParamSet): string {
  const spec: CircuitSpec<never> = CIRCUITS[circuit];
  const args = spec.args(p);
  return `${circuit}/${args.map((a, i) => `${spec.argNames[i]}${a}`).join("-")}`;
}
