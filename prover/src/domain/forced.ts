import { poseidon } from "./hash.ts";
import {
  ACCOUNT_BITS,
  ADDRESS_BITS,
  FIRST_USER_ACCOUNT,
  FORCED_TAG,
  NONCE_BITS,
  TRANSFER_BITS,
  WITHDRAW_ACCOUNT_SHIFT,
  WITHDRAW_AMOUNT_SHIFT,
  WITHDRAW_NONCE_SHIFT,
} from "./constants.ts";
import { checkUnsigned } from "./amounts.ts";
import { sign, verify, type EdDSASignature } from "./keys.ts";
import type { PublicKey } from "./account.ts";
import { TransferError } from "./transfers.ts";

/**
 * A forced withdrawal request, as Settlement.forceWithdraw records it: `amount` collateral
 * units from `account` to `recipient`, with the signature of the account's key over
 * forcedRequestMessage at the account's withdrawal nonce when the request is answered.
 * Anyone may put one on-chain; only a signature by the account's key makes it pay.
 */
export interface ForcedRequest {
  readonly account: bigint;
  readonly amount: bigint;
  /** The recipient's 20-byte address as an integer. */
  readonly recipient: bigint;
  readonly signature: EdDSASignature;
}

export function validateForcedRequest(r: ForcedRequest): ForcedRequest {
  checkUnsigned(r.account, ACCOUNT_BITS, "forced request account");
  checkUnsigned(r.amount, TRANSFER_BITS, "forced request amount");
  checkUnsigned(r.recipient, ADDRESS_BITS, "forced request recipient");
  if (r.account < FIRST_USER_ACCOUNT)
    throw new TransferError(
      "DEPOSIT_BAD_ACCOUNT",
      `account ${r.account} is a system account: forced requests are for trader accounts (>= ${FIRST_USER_ACCOUNT})`,
    );
  if (r.amount === 0n) throw new TransferError("WITHDRAW_ZERO", "forced amount must be positive");
  if (r.recipient === 0n)
    throw new TransferError(
      "WITHDRAW_NO_RECIPIENT",
      "a forced withdrawal to the zero address could never be claimed: name a recipient",
    );
  return r;
}

/**
 * What the account key signs for a forced withdrawal at withdrawal nonce `nonce`: the
 * withdrawal's layout under FORCED_TAG, Poseidon(tag | account << 4 | nonce << 36 |
 * amount << 68, recipient, domain). Twin of ForcedMessage (circuits/src/answer-forced.circom).
 */
export function forcedRequestMessage(
  r: Pick<ForcedRequest, "account" | "amount" | "recipient">,
  nonce: bigint,
  domain: bigint,
): bigint {
  checkUnsigned(nonce, NONCE_BITS, "withdrawal nonce");
  return poseidon([
    FORCED_TAG |
      (r.account << BigInt(WITHDRAW_ACCOUNT_SHIFT)) |
      (nonce << BigInt(WITHDRAW_NONCE_SHIFT)) |
      (r.amount << BigInt(WITHDRAW_AMOUNT_SHIFT)),
    r.recipient,
    domain,
  ]);
}

/** Signs a forced request for the account's current withdrawal nonce. */
export function signForcedRequest(
  r: Pick<ForcedRequest, "account" | "amount" | "recipient">,
  nonce: bigint,
  privateKey: Uint8Array,
  domain: bigint,
): ForcedRequest {
  const signature = sign(privateKey, forcedRequestMessage(r, nonce, domain));
  return validateForcedRequest({ ...r, signature });
}

/** Whether the request is signed by `pubKey` at withdrawal nonce `nonce`. */
export function verifyForcedRequest(
  r: ForcedRequest,
  nonce: bigint,
  pubKey: PublicKey,
  domain: bigint,
): boolean {
  return verify(pubKey, forcedRequestMessage(r, nonce, domain), r.signature);
}

/**
 * The forced queue's hash after `r` (Settlement.forceWithdraw):
 * Poseidon(prev, account, recipient | amount << 160, Poseidon(R8x, R8y, S)).
 */
export function forcedQueueHash(prev: bigint, r: ForcedRequest): bigint {
  const sig = poseidon([r.signature.r8x, r.signature.r8y, r.signature.s]);
  return poseidon([prev, r.account, r.recipient | (r.amount << BigInt(ADDRESS_BITS)), sig]);
}

/** The recipient as a 0x-prefixed 20-byte address (lower case). */
export function recipientAddress(recipient: bigint): string {
  return `0x${recipient.toString(16).padStart(40, "0")}`;
}

/** The arguments of Settlement.forceWithdraw for `r`. */
export function forceWithdrawArgs(r: ForcedRequest): readonly (bigint | string)[] {
  return [
    r.account,
    r.amount,
    recipientAddress(r.recipient),
    r.signature.r8x,
    r.signature.r8y,
    r.signature.s,
  ];
}
