import { poseidon } from "./hash.ts";
import { ORDER_TAG, WITHDRAW_TAG } from "./constants.ts";
import { orderMessage, type Order } from "./order.ts";

/**
 * Every message an account key signs, each with its own tag so that a signature for one
 * kind can never pass as another:
 * - order (ORDER_TAG, in the packed order word: domain/order.ts, circuit OrderMessage);
 * - withdrawal (WITHDRAW_TAG, in the packed withdrawal word: domain/transfers.ts, circuit
 *   WithdrawalMessage);
 * - cancel: Poseidon(CANCEL_TAG, orderMessage) — asks the operator to take an order off its
 *   book (off-chain; the circuits never see it);
 * - account query: Poseidon(QUERY_TAG, account, timestamp) — lets the key holder read its
 *   leaf and Merkle proof from the operator (off-chain).
 */
export const MESSAGE_TAGS = {
  order: ORDER_TAG,
  withdrawal: WITHDRAW_TAG,
  cancel: 3n,
  accountQuery: 4n,
} as const;

/** The cancel request an account signs for one of its orders. */
export function cancelMessage(o: Order): bigint {
  return poseidon([MESSAGE_TAGS.cancel, orderMessage(o)]);
}

/** The message a key holder signs to read its account at `timestamp` (unix seconds). */
export function accountQueryMessage(account: bigint, timestamp: bigint): bigint {
  return poseidon([MESSAGE_TAGS.accountQuery, account, timestamp]);
}
