import { poseidon } from "./hash.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import {
  ACCOUNT_BITS,
  ADDRESS_BITS,
  DEPOSIT_AMOUNT_SHIFT,
  DEPOSIT_FLAG_SHIFT,
  FEE_ACCOUNT,
  INSURANCE_ACCOUNT,
  MAX_MARKETS,
  NONCE_BITS,
  TRANSFER_BITS,
  WITHDRAW_ACCOUNT_SHIFT,
  WITHDRAW_AMOUNT_SHIFT,
  WITHDRAW_NONCE_SHIFT,
  WITHDRAW_TAG,
} from "./constants.ts";
import { checkUnsigned, pow2, ValueRangeError } from "./amounts.ts";
import { sign, verify, type EdDSASignature } from "./keys.ts";
import { isolationFlag, type PublicKey } from "./account.ts";
import { isUsablePublicKey } from "./babyjub.ts";

export class TransferError extends ZkClearError<CodeOf<"transfer">> {}

/**
 * An entry of the Vault's deposit queue. `account` is the index the Vault assigned (a new
 * account on its first deposit) and `pubKey` the key a new account is created with; a
 * top-up of an existing account (the insurance fund's too) names none, (0, 0). The
 * governance's owner key entries (Vault.queueOwnerKey) name the new owner key of the fee
 * account or the insurance fund, with amount 0: a rotation (see isRotation).
 */
export interface Deposit {
  readonly account: bigint;
  readonly amount: bigint;
  readonly pubKey: PublicKey;
  /**
   * A new account opened by Vault.depositIsolated: the market it is isolated to. Absent
   * for a cross-margin account, a top-up and an owner key.
   */
  readonly isolatedMarket?: number;
}

/**
 * The deposit a Vault queue entry describes, from its Deposited event's fields: `flag` 0
 * (cross, a top-up or an owner key) or 1 + the market a new sub-account is isolated to.
 */
export function depositOfEntry(e: {
  readonly account: bigint;
  readonly amount: bigint;
  readonly pkX: bigint;
  readonly pkY: bigint;
  readonly flag: bigint;
}): Deposit {
  return {
    account: e.account,
    amount: e.amount,
    pubKey: { x: e.pkX, y: e.pkY },
    ...(e.flag === 0n ? {} : { isolatedMarket: Number(e.flag - 1n) }),
  };
}

/**
 * The queue hash after `d`: Poseidon(prev, account | amount << 32 | flag << 124, pkX, pkY),
 * flag 0 or 1 + the isolated market (Vault._deposit, ApplyDeposits).
 */
export function depositQueueHash(prev: bigint, d: Deposit): bigint {
  return poseidon([
    prev,
    d.account |
      (d.amount << BigInt(DEPOSIT_AMOUNT_SHIFT)) |
      (isolationFlag(d) << BigInt(DEPOSIT_FLAG_SHIFT)),
    d.pubKey.x,
    d.pubKey.y,
  ]);
}

/**
 * A Baby Jubjub point an account can be created with: on the curve, x ≠ 0 and not of small
 * order (babyjub.ts), the Vault's rule, so the engine credits every deposit the Vault queues.
 */
export function isUsableKey(k: PublicKey): boolean {
  return isUsablePublicKey(k);
}

/** Whether the entry names a key ((0, 0) names none). */
export function namesKey(d: Deposit): boolean {
  return d.pubKey.x !== 0n || d.pubKey.y !== 0n;
}

/** The system accounts whose owner key the governance may rotate: the fee account, the fund. */
export function isOwnedAccount(account: bigint): boolean {
  return account === FEE_ACCOUNT || account === INSURANCE_ACCOUNT;
}

/**
 * Whether the entry is an owner key rotation: it names a key for the fee account or the
 * insurance fund (which exist from genesis on). The twin of DepositSlot's rotate (for an
 * existing leaf).
 */
export function isRotation(d: Deposit): boolean {
  return isOwnedAccount(d.account) && namesKey(d);
}

export function validateDeposit(d: Deposit): Deposit {
  checkUnsigned(d.account, ACCOUNT_BITS, "deposit account");
  checkUnsigned(d.amount, TRANSFER_BITS, "deposit amount");
  if (d.account === 0n)
    throw new TransferError("DEPOSIT_BAD_ACCOUNT", "account 0 is the empty leaf");
  const m = d.isolatedMarket;
  if (m !== undefined && (!(Number.isInteger(m) && m >= 0 && m < MAX_MARKETS) || !namesKey(d)))
    throw new TransferError(
      "DEPOSIT_BAD_ISOLATION",
      `only a new account (one that names its key) may be isolated, to a market index: got market ${String(m)}`,
    );
  return d;
}

/**
 * A withdrawal as its owner signs it: `amount` collateral units from `account` to the
 * Ethereum address `recipient`, with the account's current withdrawal nonce.
 */
export interface Withdrawal {
  readonly account: bigint;
  readonly nonce: bigint;
  readonly amount: bigint;
  /** The recipient's 20-byte address as an integer. */
  readonly recipient: bigint;
}

export interface SignedWithdrawal {
  readonly withdrawal: Withdrawal;
  readonly signature: EdDSASignature;
}

/**
 * A withdrawal's or a transfer's nonce: NONCE_BITS wide, and below the last value, 2^32 - 1,
 * whose successor the account's leaf could not hold (WithdrawalSlot refuses it: it would
 * spill into the leaf's flag). An account's last withdrawal or transfer carries 2^32 - 2.
 */
export function checkSpendNonce(nonce: bigint, what: string): void {
  checkUnsigned(nonce, NONCE_BITS, what);
  if (nonce === pow2(NONCE_BITS) - 1n)
    throw new ValueRangeError(
      "VALUE_OUT_OF_RANGE",
      `${what} = ${nonce} is outside [0, 2^${NONCE_BITS} - 1): the nonce after it would not fit the account's leaf, so no withdrawal or transfer may carry it`,
    );
}

export function validateWithdrawal(w: Withdrawal): Withdrawal {
  checkUnsigned(w.account, ACCOUNT_BITS, "withdrawal account");
  checkSpendNonce(w.nonce, "withdrawal nonce");
  checkUnsigned(w.amount, TRANSFER_BITS, "withdrawal amount");
  checkUnsigned(w.recipient, ADDRESS_BITS, "withdrawal recipient");
  if (w.amount === 0n)
    throw new TransferError("WITHDRAW_ZERO", "withdrawal amount must be positive");
  if (w.recipient === 0n)
    throw new TransferError(
      "WITHDRAW_NO_RECIPIENT",
      "a withdrawal to the zero address could never be claimed: name a recipient",
    );
  return w;
}

/**
 * What the owner's key signs to withdraw, for the deployment `domain`: the twin of
 * WithdrawalMessage, Poseidon(tag | account | nonce | amount, recipient, domain).
 */
export function withdrawalMessage(w: Withdrawal, domain: bigint): bigint {
  return poseidon([
    WITHDRAW_TAG |
      (w.account << BigInt(WITHDRAW_ACCOUNT_SHIFT)) |
      (w.nonce << BigInt(WITHDRAW_NONCE_SHIFT)) |
      (w.amount << BigInt(WITHDRAW_AMOUNT_SHIFT)),
    w.recipient,
    domain,
  ]);
}

/** recipient | amount << 160: the public payout word the Vault pays. */
export function payoutWord(w: Pick<Withdrawal, "recipient" | "amount">): bigint {
  return w.recipient | (w.amount << BigInt(ADDRESS_BITS));
}

export function signWithdrawal(
  w: Withdrawal,
  privateKey: Uint8Array,
  domain: bigint,
): SignedWithdrawal {
  validateWithdrawal(w);
  return { withdrawal: w, signature: sign(privateKey, withdrawalMessage(w, domain)) };
}

export function verifyWithdrawal(sw: SignedWithdrawal, pubKey: PublicKey, domain: bigint): boolean {
  return verify(pubKey, withdrawalMessage(sw.withdrawal, domain), sw.signature);
}
