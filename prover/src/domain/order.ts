import { ZkClearError, type CodeOf } from "./errors.ts";
import {
  ACCOUNT_BITS,
  AMOUNT_BITS,
  BPS_BITS,
  FEE_ACCOUNT,
  NONCE_BITS,
  ORDER_ACCOUNT_SHIFT,
  ORDER_AMOUNT_SHIFT,
  ORDER_LIMIT_SHIFT,
  ORDER_MARKET_SHIFT,
  ORDER_MAXFEE_SHIFT,
  ORDER_NONCE_SHIFT,
  ORDER_SIDE_SHIFT,
  ORDER_TAG,
  PRICE_BITS,
} from "./constants.ts";
import { checkUnsigned } from "./amounts.ts";
import { sign, verify, type EdDSASignature } from "./keys.ts";
import { poseidon } from "./hash.ts";
import type { PublicKey } from "./account.ts";

export type Side = "buy" | "sell";

/**
 * A limit order as its owner signs it. Orders are private: only the operator sees them;
 * the chain sees a commitment.
 * - nonce: per (account, market), strictly increasing across a trader's orders. The
 *   account leaf remembers the working order's nonce and filled amount, so an order
 *   fills at most `amount` in total, a newer nonce retires the older order for good,
 *   and an older nonce can never fill again.
 * - maxFeeBps: the highest fee rate the trader accepts.
 */
export interface Order {
  readonly account: bigint;
  readonly market: number;
  readonly side: Side;
  readonly nonce: bigint;
  readonly maxFeeBps: bigint;
  readonly amount: bigint;
  readonly limitPrice: bigint;
}

export interface SignedOrder {
  readonly order: Order;
  readonly signature: EdDSASignature;
}

export class OrderError extends ZkClearError<CodeOf<"order">> {}

/** Range-checks an order's fields against the protocol widths. */
export function validateOrder(o: Order, markets: number): Order {
  checkUnsigned(o.account, ACCOUNT_BITS, "order account");
  // traders and the insurance fund (its owner's orders) trade; the empty leaf and the
  // fee account never do (TradeSide's NotFeeAccount)
  if (o.account <= FEE_ACCOUNT) {
    throw new OrderError(
      "ORDER_SYSTEM_ACCOUNT",
      o.account === FEE_ACCOUNT
        ? "account 1 is the fee account: it collects fees and never trades"
        : "account 0 is the empty leaf and cannot trade",
    );
  }
  if (!Number.isInteger(o.market) || o.market < 0 || o.market >= markets) {
    throw new OrderError(
      "ORDER_BAD_MARKET",
      `market ${o.market} does not exist (0..${markets - 1})`,
    );
  }
  if (o.side !== "buy" && o.side !== "sell") {
    throw new OrderError("ORDER_BAD_SIDE", `side must be "buy" or "sell"`);
  }
  checkUnsigned(o.nonce, NONCE_BITS, "order nonce");
  checkUnsigned(o.maxFeeBps, BPS_BITS, "order maxFeeBps");
  checkUnsigned(o.amount, AMOUNT_BITS, "order amount");
  checkUnsigned(o.limitPrice, PRICE_BITS, "order limit price");
  if (o.amount === 0n) throw new OrderError("ORDER_ZERO_AMOUNT", "order amount must be positive");
  if (o.limitPrice === 0n)
    throw new OrderError("ORDER_ZERO_PRICE", "order limit price must be positive");
  return o;
}

/** The one field element the owner signs: the twin of OrderMessage() (221 bits). */
export function orderMessage(o: Order): bigint {
  return (
    ORDER_TAG |
    (o.account << BigInt(ORDER_ACCOUNT_SHIFT)) |
    (BigInt(o.market) << BigInt(ORDER_MARKET_SHIFT)) |
    ((o.side === "sell" ? 1n : 0n) << BigInt(ORDER_SIDE_SHIFT)) |
    (o.nonce << BigInt(ORDER_NONCE_SHIFT)) |
    (o.maxFeeBps << BigInt(ORDER_MAXFEE_SHIFT)) |
    (o.amount << BigInt(ORDER_AMOUNT_SHIFT)) |
    (o.limitPrice << BigInt(ORDER_LIMIT_SHIFT))
  );
}

/**
 * What the owner's key signs: Poseidon(domain, orderMessage), the twin of TradeSide's
 * signed message. `domain` is the deployment's (messages.ts, deploymentDomain), so an order
 * signed for one deployment is worth nothing on another.
 */
export function signedOrderMessage(o: Order, domain: bigint): bigint {
  return poseidon([domain, orderMessage(o)]);
}

export function signOrder(
  o: Order,
  privateKey: Uint8Array,
  markets: number,
  domain: bigint,
): SignedOrder {
  validateOrder(o, markets);
  return { order: o, signature: sign(privateKey, signedOrderMessage(o, domain)) };
}

// Verifying an EdDSA signature costs milliseconds in BigInt arithmetic; the same signed
// order object is checked at acceptance, at matching and when its batch is cut. The service's
// intake checks signatures in batches before it sequences them (service/intake.ts) and
// records each verdict here, so the sequencer's check reads it instead of computing it again.
const verdicts = new WeakMap<SignedOrder, { key: string; ok: boolean }>();

const verdictKey = (pubKey: PublicKey, domain: bigint) => `${pubKey.x}:${pubKey.y}:${domain}`;

/**
 * Records whether `so`'s signature is valid for `pubKey` under `domain`, as a verifier
 * equivalent to {@link verify} found (the native verifier: test/proving checks it against this).
 */
export function recordOrderVerdict(
  so: SignedOrder,
  pubKey: PublicKey,
  domain: bigint,
  ok: boolean,
): void {
  verdicts.set(so, { key: verdictKey(pubKey, domain), ok });
}

export function verifyOrder(so: SignedOrder, pubKey: PublicKey, domain: bigint): boolean {
  const key = verdictKey(pubKey, domain);
  const known = verdicts.get(so);
  if (known?.key === key) return known.ok;
  const ok = verify(pubKey, signedOrderMessage(so.order, domain), so.signature);
  if (ok) verdicts.set(so, { key, ok });
  return ok;
}
