import { ZkClearError, type CodeOf } from "./errors.ts";
import {
  ACCOUNT_BITS,
  BPS_BITS,
  FIRST_USER_ACCOUNT,
  NONCE_BITS,
  OFFER_ACCOUNT_SHIFT,
  OFFER_DISCOUNT_SHIFT,
  OFFER_NONCE_SHIFT,
  OFFER_TAG,
  SIZE_BITS,
} from "./constants.ts";
import { checkUnsigned } from "./amounts.ts";
import { sign, verify, type EdDSASignature } from "./keys.ts";
import { poseidon } from "./hash.ts";
import type { PublicKey } from "./account.ts";

/**
 * What a liquidator offers for one market: to take over a liquidated position of at most
 * `maxSize` lots (either side) and to be paid `discountBps` of its value at the mark out of
 * the liquidation penalty. A term with maxSize 0 offers nothing for that market. The
 * circuit refuses a term whose discount is above the market's liquidation penalty for any
 * position it is used on.
 */
export interface OfferTerm {
  readonly maxSize: bigint;
  readonly discountBps: bigint;
}

/**
 * A liquidator's standing offer, one term per market, signed by its account key. It stays
 * usable until the liquidator replaces it (a higher nonce) or withdraws it with the
 * operator; as with a resting order, a withdrawn offer's signature stays valid, so the
 * liquidator bounds what a dishonest operator could hand it by maxSize and by its own
 * margin (the circuit checks the liquidator's margin after every position it takes).
 */
export interface Offer {
  readonly account: bigint;
  /** Per liquidator, strictly increasing: a higher nonce replaces the offer with the operator. */
  readonly nonce: bigint;
  readonly terms: readonly OfferTerm[];
}

export interface SignedOffer {
  readonly offer: Offer;
  readonly signature: EdDSASignature;
}

export class OfferError extends ZkClearError<CodeOf<"offer">> {}

/**
 * Range-checks an offer against the protocol widths and the exchange's market count. An
 * offer of all-zero terms is valid: it withdraws (isWithdrawal).
 */
export function validateOffer(o: Offer, markets: number): Offer {
  checkUnsigned(o.account, ACCOUNT_BITS, "offer account");
  if (o.account < FIRST_USER_ACCOUNT) {
    throw new OfferError(
      "OFFER_SYSTEM_ACCOUNT",
      `account ${o.account} is a system account and cannot be a liquidator`,
    );
  }
  return checkOfferWidths(o, markets);
}

/**
 * The offer's nonce and terms in their widths, one term per market: what the circuit's
 * inputs need (validateOffer adds the account rules; the engine checks no more than this
 * for the forged witnesses of adversarial tests).
 */
export function checkOfferWidths(o: Offer, markets: number): Offer {
  checkUnsigned(o.nonce, NONCE_BITS, "offer nonce");
  if (o.terms.length !== markets) {
    throw new OfferError(
      "OFFER_TERM_COUNT",
      `an offer has one term per market: ${markets} expected, ${o.terms.length} given`,
    );
  }
  o.terms.forEach((t, j) => {
    checkUnsigned(t.maxSize, SIZE_BITS, `offer maxSize (market ${j})`);
    checkUnsigned(t.discountBps, BPS_BITS, `offer discountBps (market ${j})`);
  });
  return o;
}

/**
 * An offer whose every term is maxSize 0 covers nothing: signed with a higher nonce, it
 * withdraws the liquidator's standing offer with the operator.
 */
export function isWithdrawal(o: Offer): boolean {
  return o.terms.every((t) => t.maxSize === 0n);
}

/** One market's term as the circuit reads it: maxSize | discountBps << 64 (80 bits). */
export function offerTermWord(t: OfferTerm): bigint {
  return t.maxSize | (t.discountBps << BigInt(OFFER_DISCOUNT_SHIFT));
}

/**
 * What the liquidator's key signs, the twin of the circuit's OfferMessage:
 * Poseidon(OFFER_TAG | account << 4 | nonce << 36, domain, term[0], ..., term[M-1]).
 */
export function offerMessage(o: Offer, domain: bigint): bigint {
  const head =
    OFFER_TAG | (o.account << BigInt(OFFER_ACCOUNT_SHIFT)) | (o.nonce << BigInt(OFFER_NONCE_SHIFT));
  return poseidon([head, domain, ...o.terms.map(offerTermWord)]);
}

export function signOffer(
  o: Offer,
  privateKey: Uint8Array,
  markets: number,
  domain: bigint,
): SignedOffer {
  validateOffer(o, markets);
  return { offer: o, signature: sign(privateKey, offerMessage(o, domain)) };
}

export function verifyOffer(so: SignedOffer, pubKey: PublicKey, domain: bigint): boolean {
  return verify(pubKey, offerMessage(so.offer, domain), so.signature);
}

/**
 * Whether the offer covers a position of `size` lots in market `market`: the term offers
 * that market and its maxSize is at least |size|.
 */
export function offerCovers(o: Offer, market: number, size: bigint): boolean {
  const t = o.terms[market];
  if (t === undefined || t.maxSize === 0n || size === 0n) return false;
  return (size < 0n ? -size : size) <= t.maxSize;
}
