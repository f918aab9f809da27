import { createHash } from "node:crypto";
import { INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { toJson } from "../domain/json.ts";
import type { Account } from "../domain/account.ts";
import { settleFundingByMarket } from "../domain/funding.ts";
import { scaledMarkets } from "../domain/volatility.ts";
import { debitOf, type Debit } from "../domain/sub-accounts.ts";
import {
  applyCompartmentMove,
  CompartmentMoveError,
  validateCompartmentMove,
  verifyCompartmentMove,
  type SignedCompartmentMove,
} from "../domain/compartment-moves.ts";
import type { StoredWithdrawal } from "../store/withdrawals.ts";
import { OperatorError, type OperatorContext } from "./context.ts";
import { rotatingReason } from "./owner-rotation.ts";

/**
 * The fund owner's compartment moves in the operator (docs/isolation.md, section 4). A move
 * spends the fund's withdrawal nonce, so it waits in the fund's withdrawal queue (the
 * withdrawals table, one live request per account and nonce) with the fund's withdrawals:
 * a withdrawal batch leaves it, and the fund's later requests, for the next liquidation
 * batch, which carries the queue's first move once its nonce is the fund's next (the
 * fund's earlier withdrawals applied). A move is stored before it is acknowledged, like a
 * withdrawal.
 */

/** A compartment move waiting in the fund's withdrawal queue. */
export interface QueuedMove {
  readonly compartmentMove: SignedCompartmentMove;
}

/** What the withdrawal queue holds: debits (withdrawals, transfers) and the fund's moves. */
export type NonceSpend = Debit | QueuedMove;

export const isQueuedMove = (b: NonceSpend): b is QueuedMove =>
  typeof b === "object" && b !== null && "compartmentMove" in b;

/** A move's request id: a hash of the signed move. */
export function compartmentMoveId(sm: SignedCompartmentMove): string {
  return `m-${createHash("sha256").update(toJson(sm)).digest("hex").slice(0, 24)}`;
}

/**
 * The fund as its queued requests leave it at the round's marks (its funding settled by
 * market): each withdrawal paid from the reserve, each move applied. Throws a queued move's
 * refusal if the queue itself no longer holds.
 */
function fundAfterQueue(
  ctx: OperatorContext,
  queued: readonly StoredWithdrawal<NonceSpend>[],
): { fund: Account; marks: readonly bigint[]; required: ReturnType<typeof scaledMarkets> } {
  const round = ctx.round()!;
  const required = scaledMarkets(ctx.state.markets, round.margins);
  let fund = settleFundingByMarket(
    ctx.state.getAccount(INSURANCE_ACCOUNT),
    round.fundingIndices,
  ).account;
  for (const q of queued)
    fund = isQueuedMove(q.body)
      ? applyCompartmentMove(fund, q.body.compartmentMove.move, round.prices, required)
      : {
          ...fund,
          collateral: fund.collateral - debitOf(q.body).amount,
          withdrawNonce: fund.withdrawNonce + 1n,
        };
  return { fund, marks: round.prices, required };
}

/**
 * Accepts the fund owner's signed move (stored before it is acknowledged), or refuses it at
 * once: out of range, not signed by the fund's key for this deployment
 * (COMPARTMENT_BAD_SIGNATURE), out of turn (COMPARTMENT_MOVE_NONCE: the fund's next nonce
 * after its queued requests), or, at the current round, one the reserve cannot pay or that
 * would leave its compartment below its requirement. `open` refuses it while the operator
 * takes nothing (halted, frozen).
 */
export function requestCompartmentMove(
  ctx: OperatorContext,
  sm: SignedCompartmentMove,
  open: (what: string) => void,
): string {
  const { state, store } = ctx;
  open("compartment moves");
  validateCompartmentMove(sm.move, state.marketCount);
  const rotation = ctx.rotating?.(INSURANCE_ACCOUNT);
  if (rotation)
    throw new OperatorError(
      "ACCOUNT_KEY_ROTATING",
      rotatingReason(INSURANCE_ACCOUNT, rotation, "compartment moves"),
    );
  const fund = state.getAccount(INSURANCE_ACCOUNT);
  if (!verifyCompartmentMove(sm, fund.pubKey, state.domain))
    throw new CompartmentMoveError(
      "COMPARTMENT_BAD_SIGNATURE",
      "the compartment move is not signed by the insurance fund's key for this deployment",
    );
  const queued = store.withdrawals.pendingOf(INSURANCE_ACCOUNT) as StoredWithdrawal<NonceSpend>[];
  const next = fund.withdrawNonce + BigInt(queued.length);
  if (sm.move.nonce !== next)
    throw new CompartmentMoveError(
      "COMPARTMENT_MOVE_NONCE",
      `the move names nonce ${sm.move.nonce}; the fund's next withdrawal nonce (after its ${queued.length} queued requests) is ${next}`,
    );
  if (ctx.round()) {
    const after = fundAfterQueue(ctx, queued);
    applyCompartmentMove(after.fund, sm.move, after.marks, after.required);
  }
  const id = compartmentMoveId(sm);
  const body: QueuedMove = { compartmentMove: sm };
  store.withdrawals.insert(id, INSURANCE_ACCOUNT, sm.move.nonce, body);
  return id;
}

/**
 * The move the next liquidation batch carries: the fund's first queued request, if it is a
 * move whose nonce is the fund's next.
 */
export function nextQueuedMove(ctx: OperatorContext): StoredWithdrawal<QueuedMove> | undefined {
  const first = ctx.store.withdrawals.pendingOf(INSURANCE_ACCOUNT)[0] as
    | StoredWithdrawal<NonceSpend>
    | undefined;
  if (!first || !isQueuedMove(first.body)) return undefined;
  const fund = ctx.state.getAccount(INSURANCE_ACCOUNT);
  return first.nonce === fund.withdrawNonce ? (first as StoredWithdrawal<QueuedMove>) : undefined;
}

/**
 * The queued requests a withdrawal batch may take, in arrival order: no move, and none of
 * the fund's requests behind its first queued move (their nonces follow it).
 */
export function debitsOnly(
  reqs: readonly StoredWithdrawal<NonceSpend>[],
): StoredWithdrawal<Debit>[] {
  const moves = reqs.filter((r) => isQueuedMove(r.body)).map((r) => r.nonce);
  const first = moves.length > 0 ? moves.reduce((a, b) => (b < a ? b : a)) : undefined;
  return reqs.filter(
    (r): r is StoredWithdrawal<Debit> =>
      !isQueuedMove(r.body) &&
      !(r.account === INSURANCE_ACCOUNT && first !== undefined && r.nonce > first),
  );
}

/** What a queued request takes from its account's reserve (a move out of it: nothing). */
export function reserveDebit(body: NonceSpend): bigint {
  if (!isQueuedMove(body)) return debitOf(body).amount;
  const m = body.compartmentMove.move;
  return m.toReserve ? 0n : m.amount;
}
