import type {
  BatchData,
  BatchDataOf,
  BatchKind,
  BatchRequest,
  BatchRequestOf,
} from "../domain/batch.ts";
import { BATCH_KINDS } from "../domain/batch-kinds.ts";
import { fundingPayments } from "../domain/batch.ts";
import { CIRCUITS, type CircuitId } from "../domain/circuits.ts";
import type { SignalValue } from "../domain/inputs.ts";
import type { ParamSet } from "../domain/params.ts";
import type { ExchangeState } from "./state.ts";
import { settleTrades } from "./trades.ts";
import { applyDeposits, processWithdrawals } from "./transfers.ts";
import { liquidate, liquidationRequests } from "./liquidations.ts";
import { answerForced } from "./forced.ts";

/**
 * The engine's twin of each batch kind: applies a batch request to the state (every rule
 * its circuit enforces, all or nothing) and returns the batch's data with its roots and
 * the circuit's input. The operator cuts batches with it, and the operator's restart and
 * the auditor replay batches with it. One entry per kind (../domain/batch-kinds.ts).
 */
export interface AppliedBatch {
  readonly data: BatchData;
  readonly circuit: CircuitId;
  /** The circuit's input in its signal names. */
  readonly signals: Record<string, SignalValue>;
}

/** trustSignatures: replaying batches this operator checked before (see SettleOptions). */
export interface ApplyOptions {
  readonly trustSignatures?: boolean;
}

type Apply<K extends BatchKind> = (
  state: ExchangeState,
  req: BatchRequestOf<K>,
  p: ParamSet,
  o: ApplyOptions,
) => { data: BatchDataOf<K>; signals: Record<string, SignalValue> };

const APPLY: { readonly [K in BatchKind]: Apply<K> } = {
  trades: (state, req, p, o) => {
    const r = settleTrades(
      state,
      req.trades,
      req.marks,
      p.batch,
      o,
      req.fundingIndices,
      req.reduceOnly,
      req.margins,
    );
    return {
      data: {
        ...req,
        oldRoot: r.oldRoot,
        newRoot: r.newRoot,
        dataCommitment: r.dataCommitment,
        funding: fundingPayments(r.funding),
      },
      signals: CIRCUITS.settle_trades.toSignals(r.input),
    };
  },
  deposits: (state, req, p) => {
    const r = applyDeposits(state, req.deposits, req.queueFrom, p.deposits);
    return {
      data: { ...req, oldRoot: r.oldRoot, newRoot: r.newRoot, queueTo: r.queueTo },
      signals: CIRCUITS.apply_deposits.toSignals(r.input),
    };
  },
  withdrawals: (state, req, p, o) => {
    const r = processWithdrawals(
      state,
      req.withdrawals,
      req.marks,
      p.withdrawals,
      o,
      req.fundingIndices,
      req.margins,
    );
    return {
      data: {
        ...req,
        oldRoot: r.oldRoot,
        newRoot: r.newRoot,
        payouts: r.payouts,
        funding: fundingPayments(r.funding),
      },
      signals: CIRCUITS.process_withdrawals.toSignals(r.input),
    };
  },
  liquidations: (state, req, p) => {
    const r = liquidate(
      state,
      liquidationRequests(req.accounts, req.takers),
      req.marks,
      p.liquidations,
      { move: req.compartmentMove, deleverages: p.deleverages },
      req.fundingIndices,
      req.margins,
    );
    return {
      data: {
        ...req,
        oldRoot: r.oldRoot,
        newRoot: r.newRoot,
        dataCommitment: r.dataCommitment,
        ...(r.deleveraged.length > 0 ? { deleveraged: r.deleveraged } : {}),
        funding: fundingPayments(r.funding),
      },
      signals: CIRCUITS.liquidate_batch.toSignals(r.input),
    };
  },
  forced: (state, req, p) => {
    const r = answerForced(
      state,
      req.requests,
      req.queueFrom,
      req.marks,
      p.withdrawals,
      req.fundingIndices,
      req.margins,
    );
    return {
      data: {
        ...req,
        oldRoot: r.oldRoot,
        newRoot: r.newRoot,
        queueTo: r.queueTo,
        outcomes: r.packedOutcomes,
        payouts: r.payouts,
        funding: fundingPayments(r.funding),
      },
      signals: CIRCUITS.answer_forced.toSignals(r.input),
    };
  },
};

/**
 * Applies a batch to the state: throws (leaving the state as it was) if any rule refuses
 * it, else moves the state and returns the batch's data and its circuit's input.
 */
export function applyBatch(
  state: ExchangeState,
  req: BatchRequest,
  p: ParamSet,
  o: ApplyOptions = {},
): AppliedBatch {
  const r = (APPLY[req.kind] as Apply<BatchKind>)(state, req as never, p, o);
  return { ...r, circuit: BATCH_KINDS[req.kind].circuit };
}
