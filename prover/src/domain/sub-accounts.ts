import { poseidon } from "./hash.ts";
import { checkUnsigned } from "./amounts.ts";
import {
  ACCOUNT_BITS,
  FIRST_USER_ACCOUNT,
  TRANSFER_BITS,
  TRANSFER_FLAG_SHIFT,
  TRANSFER_TAG,
  WITHDRAW_ACCOUNT_SHIFT,
  WITHDRAW_AMOUNT_SHIFT,
  WITHDRAW_NONCE_SHIFT,
} from "./constants.ts";
import { isolationFlag, type Account, type PublicKey } from "./account.ts";
import { sign, verify, type EdDSASignature } from "./keys.ts";
import { checkSpendNonce, TransferError, type SignedWithdrawal } from "./transfers.ts";

/**
 * A transfer of collateral between two leaves of one key (docs/isolation.md, section 4):
 * from a cross-margin account to a sub-account isolated to one market, back, or between
 * sub-accounts. `to` is an existing leaf of the same key whose margin mode is
 * `isolatedMarket` (absent: cross): a transfer never creates a leaf, the Vault assigns
 * every index (Vault.depositIsolated opens sub-accounts).
 * It spends the source's withdrawal nonce, as a withdrawal does, so one signature is
 * either a withdrawal or a transfer and is used once. Trader accounts only: the fee
 * account and the insurance fund move money by withdrawals (and, for the fund's
 * compartments, by their own signed moves).
 */
export interface Transfer {
  readonly from: bigint;
  readonly to: bigint;
  /** The source's withdrawal nonce. */
  readonly nonce: bigint;
  readonly amount: bigint;
  /** The destination's margin mode: the market it is isolated to; absent for cross. */
  readonly isolatedMarket?: number;
}

export interface SignedTransfer {
  readonly transfer: Transfer;
  readonly signature: EdDSASignature;
}

/** Range-checks a transfer and refuses what no batch could carry; `markets`: M. */
export function validateTransfer(t: Transfer, markets: number): Transfer {
  checkUnsigned(t.from, ACCOUNT_BITS, "transfer source account");
  checkUnsigned(t.to, ACCOUNT_BITS, "transfer destination account");
  checkSpendNonce(t.nonce, "transfer nonce");
  checkUnsigned(t.amount, TRANSFER_BITS, "transfer amount");
  if (t.amount === 0n) throw new TransferError("TRANSFER_ZERO", "transfer amount must be positive");
  for (const [side, a] of [
    ["source", t.from],
    ["destination", t.to],
  ] as const)
    if (a < FIRST_USER_ACCOUNT)
      throw new TransferError(
        "TRANSFER_SYSTEM_ACCOUNT",
        `the ${side}, account ${a}, is a system account: transfers are between trader accounts (>= ${FIRST_USER_ACCOUNT})`,
      );
  if (t.from === t.to)
    throw new TransferError("TRANSFER_SELF", `account ${t.from} cannot transfer to itself`);
  const m = t.isolatedMarket;
  if (m !== undefined && !(Number.isInteger(m) && m >= 0 && m < markets))
    throw new TransferError(
      "TRANSFER_BAD_MARKET",
      `the destination's isolated market ${String(m)} is not one of the ${markets} markets`,
    );
  return t;
}

/**
 * What the owner's key signs to transfer, for the deployment `domain`:
 * Poseidon(TRANSFER_TAG | from << 4 | nonce << 36 | amount << 68, to | flag << 32, domain),
 * flag the destination's (0 cross, 1 + market isolated). The withdrawal's layout under its
 * own tag (messages.ts), so neither signature passes as the other.
 */
export function transferMessage(t: Transfer, domain: bigint): bigint {
  return poseidon([
    TRANSFER_TAG |
      (t.from << BigInt(WITHDRAW_ACCOUNT_SHIFT)) |
      (t.nonce << BigInt(WITHDRAW_NONCE_SHIFT)) |
      (t.amount << BigInt(WITHDRAW_AMOUNT_SHIFT)),
    t.to | (isolationFlag(t) << BigInt(TRANSFER_FLAG_SHIFT)),
    domain,
  ]);
}

export function signTransfer(
  t: Transfer,
  markets: number,
  privateKey: Uint8Array,
  domain: bigint,
): SignedTransfer {
  validateTransfer(t, markets);
  return { transfer: t, signature: sign(privateKey, transferMessage(t, domain)) };
}

export function verifyTransfer(st: SignedTransfer, pubKey: PublicKey, domain: bigint): boolean {
  return verify(pubKey, transferMessage(st.transfer, domain), st.signature);
}

/**
 * A withdrawal batch's slot: a signed withdrawal to an address, or a signed transfer to
 * another account of the same key. Both spend the source's withdrawal nonce and queue
 * together; ProcessWithdrawals proves either (WithdrawalSlot, isTransfer).
 */
export type Debit = SignedWithdrawal | SignedTransfer;

export const isTransfer = (d: Debit): d is SignedTransfer => "transfer" in d;

/** What a debit takes from its source account, whichever kind it is. */
export function debitOf(d: Debit): { account: bigint; nonce: bigint; amount: bigint } {
  return isTransfer(d)
    ? { account: d.transfer.from, nonce: d.transfer.nonce, amount: d.transfer.amount }
    : d.withdrawal;
}

/**
 * Why account `to` (undefined: no such account) cannot take the transfer from `source`, or
 * undefined: it must exist, hold the source's key and be of the margin mode the transfer
 * names (WithdrawalSlot, section F). The engine checks it on the batch's state, intake on
 * the current one.
 */
export function destinationRefusal(
  t: Transfer,
  source: Pick<Account, "pubKey">,
  dest: Account | undefined,
): string | undefined {
  if (dest === undefined)
    return `account ${t.to} does not exist: a transfer goes to an existing account of the same key (open one with a deposit)`;
  if (dest.pubKey.x !== source.pubKey.x || dest.pubKey.y !== source.pubKey.y)
    return `account ${t.to} belongs to another key`;
  if (isolationFlag(dest) !== isolationFlag(t))
    return `account ${t.to} is ${mode(dest.isolatedMarket)}, not what the transfer names (${mode(t.isolatedMarket)})`;
  return undefined;
}

const mode = (m: number | undefined) =>
  m === undefined ? "a cross-margin account" : `isolated to market ${m}`;
