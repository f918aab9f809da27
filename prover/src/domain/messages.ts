import { poseidon } from "./hash.ts";
import {
  COMPARTMENT_TAG,
  EXIT_TAG,
  FORCED_TAG,
  OFFER_TAG,
  ORDER_TAG,
  TRANSFER_TAG,
  WITHDRAW_TAG,
} from "./constants.ts";
import { orderMessage, type Order } from "./order.ts";

/**
 * Every message an account key signs, each with its own tag so that a signature for one
 * kind can never pass as another, and each naming the deployment (its domain, below) so
 * that a signature for one deployment is worth nothing on another or on a redeployment:
 * - order: Poseidon(domain, ORDER_TAG | packed order) (order.ts, signedOrderMessage;
 *   circuit TradeSide);
 * - withdrawal: Poseidon(WITHDRAW_TAG | packed withdrawal, recipient, domain)
 *   (transfers.ts, withdrawalMessage; circuit WithdrawalMessage);
 * - cancel: Poseidon(CANCEL_TAG, domain, packed order) — asks the operator to take an order
 *   off its book (off-chain; the circuits never see it);
 * - account query: Poseidon(QUERY_TAG, domain, account, timestamp) — lets the key holder
 *   read its leaf and Merkle proof from an operator or a replica (off-chain);
 * - forced withdrawal: Poseidon(FORCED_TAG | packed withdrawal, recipient, domain), the
 *   withdrawal's layout under its own tag (forced.ts, forcedRequestMessage); put on-chain
 *   (Settlement.forceWithdraw) and checked by the circuit that answers it;
 * - exit: Poseidon(EXIT_TAG | account << 4, recipient, domain), the address an exit after
 *   a freeze pays (exit.ts, exitMessage; circuit ExitMessage);
 * - liquidator offer: Poseidon(OFFER_TAG | account << 4 | nonce << 36, domain, terms)
 *   (offer.ts, offerMessage; circuit OfferMessage);
 * - transfer between two leaves of one key: Poseidon(TRANSFER_TAG | packed withdrawal,
 *   to | flag << 32, domain), the withdrawal's layout under its own tag, spending the
 *   source's withdrawal nonce (sub-accounts.ts, transferMessage);
 * - compartment move, by the fund owner: Poseidon(COMPARTMENT_TAG | market << 4 |
 *   nonce << 36 | amount << 68 | toReserve << 160, domain), spending the fund's withdrawal
 *   nonce (compartment-moves.ts, compartmentMoveMessage); its own tag, so a move can never
 *   be read as a withdrawal or a transfer.
 */
export const MESSAGE_TAGS = {
  order: ORDER_TAG,
  withdrawal: WITHDRAW_TAG,
  cancel: 3n,
  accountQuery: 4n,
  forcedWithdrawal: FORCED_TAG,
  exit: EXIT_TAG,
  offer: OFFER_TAG,
  transfer: TRANSFER_TAG,
  compartmentMove: COMPARTMENT_TAG,
} as const;

/**
 * A deployment's domain: Poseidon(chainId, Settlement address). Settlement computes the same
 * in its constructor and binds it into its configHash, which every batch proof takes
 * (MarketBinding), so the circuits check every signature against this one deployment.
 */
export function deploymentDomain(chainId: bigint, settlement: string | bigint): bigint {
  return poseidon([chainId, BigInt(settlement)]);
}

/** The cancel request an account signs for one of its orders. */
export function cancelMessage(o: Order, domain: bigint): bigint {
  return poseidon([MESSAGE_TAGS.cancel, domain, orderMessage(o)]);
}

/** The message a key holder signs to read its account at `timestamp` (unix seconds). */
export function accountQueryMessage(account: bigint, timestamp: bigint, domain: bigint): bigint {
  return poseidon([MESSAGE_TAGS.accountQuery, domain, account, timestamp]);
}
