// Mutants that no test of the circuit alone can kill, each with the argument why
// (docs/verification.md gives it in full), and those that hold only under a precondition
// the circuit's callers enforce. The mutation score (mutation-score.ts) counts a survivor
// with an "equivalent" or "redundant" argument here as explained, and an "assumed" one
// apart, while the argument holds as written: the mutant's text is the one argued, and the
// files its premises are in (ARGUED_AGAINST) are the versions it was made against. An edit
// to any of them voids the file's arguments until someone checks them again and records
// the new hash (`npm run mutate:circuits -- --summary` lists what is void, and why).
// Each circuit file's arguments and premises are a module of their own under arguments/;
// this file joins them.

import { answerForced } from "./arguments/answer-forced.ts";
import { applyDeposits } from "./arguments/apply-deposits.ts";
import { autoDeleverage } from "./arguments/auto-deleverage.ts";
import { compartmentMove } from "./arguments/compartment-move.ts";
import { compartments } from "./arguments/compartments.ts";
import { deleveraging } from "./arguments/deleveraging.ts";
import { exitAccount } from "./arguments/exit-account.ts";
import { funding } from "./arguments/funding.ts";
import { liquidateBatch } from "./arguments/liquidate-batch.ts";
import { margin } from "./arguments/margin.ts";
import { marketBinding } from "./arguments/market-binding.ts";
import { order } from "./arguments/order.ts";
import { processWithdrawals } from "./arguments/process-withdrawals.ts";
import { settleTrades } from "./arguments/settle-trades.ts";
import { skipDeleverage } from "./arguments/skip-deleverage.ts";
import { trade } from "./arguments/trade.ts";

export type ArgumentKind =
  /** The mutant accepts exactly the witnesses the original does, at every shipped parameter set. */
  | "equivalent"
  /** The statement is implied by other constraints: removing it admits no new witness. */
  | "redundant"
  /**
   * The mutant accepts witnesses the original refuses, but only ones the circuit's callers
   * never present (a contract never queues them): a test feeding the circuit directly could
   * kill it. An accepted assumption, not an explanation.
   */
  | "assumed";

export interface MutantArgument {
  /** The mutant's id (file:line:kind[:n]), as `--list` prints it. */
  readonly id: string;
  /** The statement before and after the change, whitespace collapsed, as `--list` prints them. */
  readonly before: string;
  readonly after: string;
  readonly kind: ArgumentKind;
  /** Why no test can kill it, in a sentence: the bound, or the constraint that implies it. */
  readonly why: string;
  /** The heading of docs/verification.md under which the argument is made. */
  readonly doc: string;
}

/** A circuit file's arguments and the premises they were checked against. */
export interface FileArguments {
  /**
   * The files its arguments' premises are in (the file, constants.circom, and where an
   * argument reads another template's or a contract's rule, that file).
   */
  readonly premises: readonly string[];
  /** Their hash (mutation-report.ts's inputsHash) when the arguments were last checked. */
  readonly hash: string;
  readonly arguments: readonly MutantArgument[];
}

/** Per circuit file with arguments: its module under arguments/. */
export const ARGUMENTS_BY_FILE: Readonly<Record<string, FileArguments>> = {
  "answer-forced.circom": answerForced,
  "apply-deposits.circom": applyDeposits,
  "auto-deleverage.circom": autoDeleverage,
  "compartment-move.circom": compartmentMove,
  "compartments.circom": compartments,
  "deleveraging.circom": deleveraging,
  "exit-account.circom": exitAccount,
  "funding.circom": funding,
  "liquidate-batch.circom": liquidateBatch,
  "margin.circom": margin,
  "market-binding.circom": marketBinding,
  "order.circom": order,
  "process-withdrawals.circom": processWithdrawals,
  "settle-trades.circom": settleTrades,
  "skip-deleverage.circom": skipDeleverage,
  "trade.circom": trade,
};

/** Per circuit file with arguments: the files its premises are in and their hash. */
export const ARGUED_AGAINST: Readonly<Record<string, Pick<FileArguments, "premises" | "hash">>> =
  Object.fromEntries(
    Object.entries(ARGUMENTS_BY_FILE).map(([f, a]) => [f, { premises: a.premises, hash: a.hash }]),
  );

export const MUTANT_ARGUMENTS: readonly MutantArgument[] = Object.values(ARGUMENTS_BY_FILE).flatMap(
  (a) => a.arguments,
);
