import {
  depositsCommitment,
  liquidationCommitment,
  payoutsCommitment,
  tradeCommitment,
  type BatchData,
  type BatchDataOf,
  type BatchKind,
} from "./batch.ts";
import type { CircuitId } from "./circuits.ts";
import { deleverageCommitment } from "./deleveraging.ts";
import { tradeBinding } from "./breakers.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import type { ParamSet } from "./params.ts";

/**
 * What the chain records of a settled batch, from which anyone rebuilds its proof's public
 * inputs: the roots and the commitment of its BatchSettled event, the price binding of its
 * oracle round (priced kinds), the deposit queue hash it started from (deposits) and the
 * payouts of its call (withdrawals).
 */
export interface SettledView {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly commitment: bigint;
  readonly binding?: bigint;
  readonly queueFrom?: bigint;
  readonly payouts?: readonly bigint[];
  /** A forced batch's packed outcomes (its call's argument). */
  readonly outcomes?: bigint;
}

/** Everything that varies by batch kind, in one place. */
export interface BatchKindSpec<K extends BatchKind> {
  readonly kind: K;
  /** Settlement's kind number (BatchSettled.kind; Settlement.KIND_*, checked by a test). */
  readonly number: number;
  /** The circuit that proves it (./circuits.ts). */
  readonly circuit: CircuitId;
  /** Whether it is proven at an oracle round's prices. */
  readonly priced: boolean;
  /**
   * Whether Settlement takes it only with k of n data committee signatures (Committee.sol,
   * ./committee.ts): the kinds whose data is not on-chain (trades, withdrawals,
   * liquidations). Deposits and forced answers replay from the chain alone, so a committee
   * that stops signing can never block the escape hatch.
   */
  readonly attested: boolean;
  /**
   * Settlement's submit function; it takes the proof, then `submitArgs`, then (attested
   * kinds) the committee's packed signatures.
   */
  readonly method: string;
  /**
   * The submit function's ABI (human-readable, named arguments), so that an auditor reads
   * batch calls without the operator's artifacts; a test checks it against Settlement's.
   */
  readonly submitAbi: string;
  readonly submitArgs: (d: BatchDataOf<K>) => readonly unknown[];
  /** Slots per proof in a parameter set (B, K, W or L). */
  readonly slots: (p: ParamSet) => number;
  /** Operations the batch holds. */
  readonly operations: (d: BatchDataOf<K>) => number;
  /** BatchSettled's dataCommitment, computed from the batch's records alone. */
  readonly commitment: (d: BatchDataOf<K>) => bigint;
  /** The proof's public inputs, in the circuit's order, from what the chain records. */
  readonly publicSignals: (v: SettledView) => bigint[];
  /**
   * The binding its proof is checked against, from the round's price binding: trades also
   * bind the round's reduce-only markets (Settlement.roundTradeBinding); absent: the price
   * binding itself.
   */
  readonly bind?: (d: BatchDataOf<K>, priceBinding: bigint) => bigint;
  /** What the chain records beyond roots, commitment and binding (the call's arguments). */
  readonly callView?: (
    d: BatchDataOf<K>,
  ) => Pick<SettledView, "queueFrom" | "payouts" | "outcomes">;
}

export class BatchKindError extends ZkClearError<CodeOf<"batch">> {}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new BatchKindError("BATCH_VIEW_INCOMPLETE", `missing ${what}`);
  return v;
}

/** [oldRoot, newRoot, dataCommitment, priceConfigHash]: trades and liquidations. */
const committedAndPriced = (v: SettledView) => [
  v.oldRoot,
  v.newRoot,
  v.commitment,
  need(v.binding, "the price binding"),
];

export const BATCH_KINDS: { readonly [K in BatchKind]: BatchKindSpec<K> } = {
  trades: {
    kind: "trades",
    number: 1,
    circuit: "settle_trades",
    priced: true,
    attested: true,
    method: "submitTrades",
    submitAbi:
      "function submitTrades((uint256[2] a, uint256[2][2] b, uint256[2] c) proof, uint256 oldRoot, uint256 newRoot, uint256 dataCommitment, uint64 roundId, bytes attestations)",
    submitArgs: (d) => [d.oldRoot, d.newRoot, d.dataCommitment, d.round],
    slots: (p) => p.batch,
    operations: (d) => d.trades.length,
    commitment: (d) => tradeCommitment(d.trades),
    publicSignals: committedAndPriced,
    bind: (d, priceBinding) => tradeBinding(priceBinding, d.reduceOnly, d.marks.length),
  },
  deposits: {
    kind: "deposits",
    number: 2,
    circuit: "apply_deposits",
    priced: false,
    attested: false,
    method: "submitDeposits",
    submitAbi:
      "function submitDeposits((uint256[2] a, uint256[2][2] b, uint256[2] c) proof, uint256 oldRoot, uint256 newRoot, uint64 count)",
    submitArgs: (d) => [d.oldRoot, d.newRoot, d.deposits.length],
    slots: (p) => p.deposits,
    operations: (d) => d.deposits.length,
    commitment: (d) => depositsCommitment(d.queueFrom, d.deposits),
    publicSignals: (v) => [
      v.oldRoot,
      v.newRoot,
      need(v.queueFrom, "the queue start"),
      v.commitment,
    ],
    callView: (d) => ({ queueFrom: d.queueFrom }),
  },
  withdrawals: {
    kind: "withdrawals",
    number: 3,
    circuit: "process_withdrawals",
    priced: true,
    attested: true,
    method: "submitWithdrawals",
    submitAbi:
      "function submitWithdrawals((uint256[2] a, uint256[2][2] b, uint256[2] c) proof, uint256 oldRoot, uint256 newRoot, uint64 roundId, uint256[] payouts, bytes attestations)",
    submitArgs: (d) => [d.oldRoot, d.newRoot, d.round, [...d.payouts]],
    slots: (p) => p.withdrawals,
    operations: (d) => d.withdrawals.length,
    commitment: (d) => payoutsCommitment(d.payouts),
    publicSignals: (v) => [
      v.oldRoot,
      v.newRoot,
      need(v.binding, "the price binding"),
      ...need(v.payouts, "the payouts"),
    ],
    callView: (d) => ({ payouts: d.payouts }),
  },
  liquidations: {
    kind: "liquidations",
    number: 4,
    circuit: "liquidate_batch",
    priced: true,
    attested: true,
    method: "submitLiquidations",
    submitAbi:
      "function submitLiquidations((uint256[2] a, uint256[2][2] b, uint256[2] c) proof, uint256 oldRoot, uint256 newRoot, uint256 dataCommitment, uint64 roundId, bytes attestations)",
    submitArgs: (d) => [d.oldRoot, d.newRoot, d.dataCommitment, d.round],
    slots: (p) => p.liquidations,
    operations: (d) => d.accounts.length,
    commitment: (d) =>
      deleverageCommitment(
        liquidationCommitment(d.accounts, d.takers, d.compartmentMove),
        d.deleveraged,
      ),
    publicSignals: committedAndPriced,
  },
  forced: {
    kind: "forced",
    number: 5,
    circuit: "answer_forced",
    priced: true,
    attested: false,
    method: "submitForced",
    submitAbi:
      "function submitForced((uint256[2] a, uint256[2][2] b, uint256[2] c) proof, uint256 oldRoot, uint256 newRoot, uint64 roundId, uint64 count, uint256 outcomes, uint256[] payouts)",
    submitArgs: (d) => [
      d.oldRoot,
      d.newRoot,
      d.round,
      d.requests.length,
      d.outcomes,
      [...d.payouts],
    ],
    slots: (p) => p.withdrawals,
    operations: (d) => d.requests.length,
    // BatchSettled's dataCommitment: the forced queue hash reached
    commitment: (d) => d.queueTo,
    publicSignals: (v) => [
      v.oldRoot,
      v.newRoot,
      need(v.binding, "the price binding"),
      need(v.queueFrom, "the forced queue start"),
      v.commitment,
      need(v.outcomes, "the outcomes"),
      ...need(v.payouts, "the payouts"),
    ],
    callView: (d) => ({ queueFrom: d.queueFrom, payouts: d.payouts, outcomes: d.outcomes }),
  },
};

/** The batch kinds, in Settlement's kind-number order. */
export const BATCH_KIND_NAMES = (Object.keys(BATCH_KINDS) as BatchKind[]).sort(
  (a, b) => BATCH_KINDS[a].number - BATCH_KINDS[b].number,
);

/** The spec of a batch's kind, typed by the batch. */
export function kindSpec<K extends BatchKind>(kind: K): BatchKindSpec<K> {
  return BATCH_KINDS[kind] as BatchKindSpec<K>;
}

/** The kind Settlement numbers `n`, if zkclear has one. */
export function kindOfNumber(n: number): BatchKind | undefined {
  return BATCH_KIND_NAMES.find((k) => BATCH_KINDS[k].number === n);
}

/** Whether `s` names a batch kind. */
export function isBatchKind(s: string): s is BatchKind {
  return Object.hasOwn(BATCH_KINDS, s);
}

// The functions below dispatch on a batch's kind through the table; TypeScript cannot
// correlate a union value with its spec, hence the one cast each.

export function batchCommitment(d: BatchData): bigint {
  return (BATCH_KINDS[d.kind].commitment as (x: BatchData) => bigint)(d);
}

export function batchOperations(d: BatchData): number {
  return (BATCH_KINDS[d.kind].operations as (x: BatchData) => number)(d);
}

export function submitArgs(d: BatchData): readonly unknown[] {
  return (BATCH_KINDS[d.kind].submitArgs as (x: BatchData) => readonly unknown[])(d);
}

/** The binding a batch's proof names, from its round's price binding (BatchKindSpec.bind). */
export function kindBinding(d: BatchData, priceBinding: bigint): bigint {
  const bind = BATCH_KINDS[d.kind].bind as ((x: BatchData, b: bigint) => bigint) | undefined;
  return bind ? bind(d, priceBinding) : priceBinding;
}

/** The public inputs of a batch the engine applied, at the binding of its prices. */
export function batchPublicSignals(d: BatchData, binding?: bigint): bigint[] {
  const spec = BATCH_KINDS[d.kind];
  const call = spec.callView as ((x: BatchData) => Partial<SettledView>) | undefined;
  return spec.publicSignals({
    oldRoot: d.oldRoot,
    newRoot: d.newRoot,
    commitment: batchCommitment(d),
    binding,
    ...call?.(d),
  });
}
