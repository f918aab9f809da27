import { poseidon } from "./hash.ts";
import {
  ACCOUNT_BITS,
  ADDRESS_BITS,
  EXIT_TAG,
  FEE_ACCOUNT,
  FIRST_USER_ACCOUNT,
  INSURANCE_ACCOUNT,
  WITHDRAW_ACCOUNT_SHIFT,
} from "./constants.ts";
import { ZkClearError } from "./errors.ts";
import { checkUnsigned } from "./amounts.ts";
import { equity } from "./margin.ts";
import { settleFunding } from "./funding.ts";
import { sign, verify, type EdDSASignature } from "./keys.ts";
import type { Account, PublicKey } from "./account.ts";

/**
 * The exit after a freeze: an account's key names the address its exit pays, and the payout
 * is max(0, equity) at the marks of the round recorded at the freeze (positions settle at
 * those marks), after the account's accrued funding at that round's indices. Twin of ExitAccount (circuits/src/exit-account.circom).
 */

/** Poseidon(EXIT_TAG | account << 4, recipient, domain): what the key signs to exit. */
export function exitMessage(account: bigint, recipient: bigint, domain: bigint): bigint {
  checkUnsigned(account, ACCOUNT_BITS, "exit account");
  checkUnsigned(recipient, ADDRESS_BITS, "exit recipient");
  return poseidon([EXIT_TAG | (account << BigInt(WITHDRAW_ACCOUNT_SHIFT)), recipient, domain]);
}

export function signExit(
  account: bigint,
  recipient: bigint,
  privateKey: Uint8Array,
  domain: bigint,
): EdDSASignature {
  return sign(privateKey, exitMessage(account, recipient, domain));
}

export function verifyExit(
  account: bigint,
  recipient: bigint,
  sig: EdDSASignature,
  pubKey: PublicKey,
  domain: bigint,
): boolean {
  return verify(pubKey, exitMessage(account, recipient, domain), sig);
}

/**
 * The signature every exit needs (ExitAccount's verifier is always enabled): a trader's
 * key's, and for the fee account and the insurance fund their owners' (domain/owners.ts).
 * A missing one is EXIT_UNSIGNED.
 */
export function requireExitSignature(account: bigint, sig: EdDSASignature | null): EdDSASignature {
  if (sig !== null) return sig;
  const whose =
    account < FIRST_USER_ACCOUNT
      ? `its owner's key (the ${account === FEE_ACCOUNT ? "fee" : "fund"} owner's)`
      : "its key";
  throw new ZkClearError(
    "EXIT_UNSIGNED",
    `account ${account}'s exit needs the signature of ${whose}: no exit is unsigned`,
  );
}

/**
 * ExitAccount's `signer` for an exit signed by `key` instead of the leaf's key: Poseidon(x, y)
 * (Vault.exitSigner names the pending governed owner key so; 0 when the leaf's key signs).
 */
export function exitSignerHash(key: PublicKey): bigint {
  return poseidon([key.x, key.y]);
}

/**
 * The signer fields of ExitAccount's input: the leaf's key (`pending` null: signer 0) or a
 * system account's pending governed owner key; a trader has none (EXIT_SIGNER_NOT_SYSTEM).
 */
export function exitSignerFields(
  account: bigint,
  pending: PublicKey | null,
): { signer: bigint; signerX: bigint; signerY: bigint } {
  if (pending === null) return { signer: 0n, signerX: 0n, signerY: 0n };
  if (account !== FEE_ACCOUNT && account !== INSURANCE_ACCOUNT)
    throw new ZkClearError(
      "EXIT_SIGNER_NOT_SYSTEM",
      `account ${account} is a trader: only the fee account (1) and the insurance fund (2) exit with a key other than their leaf's (a pending owner key)`,
    );
  return { signer: exitSignerHash(pending), signerX: pending.x, signerY: pending.y };
}

/**
 * An exit at oracle round 0 (a freeze before any round: Settlement binds it at zero marks)
 * is of a leaf no trade has touched: one holding a position is not a freeze's (MARK_ZERO).
 */
export function checkRoundZeroExit(account: bigint, a: Account): void {
  const open = a.positions.findIndex((p) => p.size !== 0n);
  if (open >= 0)
    throw new ZkClearError(
      "MARK_ZERO",
      `zero marks are round 0's, before any trade, but account ${account} holds a position in market ${open}: the exit data is not a freeze's`,
    );
}

/** What an exit pays: max(0, equity at `marks` after funding accrued to `indices`). */
export function exitPayout(
  a: Account,
  marks: readonly bigint[],
  indices: readonly bigint[],
): bigint {
  const e = equity(settleFunding(a, indices).account, marks);
  return e > 0n ? e : 0n;
}

/**
 * How Settlement shares the exit pool (contracts/EscapeHatch.sol, exit and settleExit):
 * the window's claims are paid payout * min(1, pool / claimed), rounded down; exits after
 * the window (the fee account's, then the insurance fund's, and late traders', in the order
 * given) are paid at once, each up to what is left. What the exits are paid never adds up
 * to more than the pool.
 */
export function shareExitPool(
  pool: bigint,
  windowClaims: readonly bigint[],
  lateExits: readonly bigint[],
): { window: bigint[]; late: bigint[]; left: bigint } {
  const claimed = windowClaims.reduce((a, b) => a + b, 0n);
  const window = windowClaims.map((p) => (claimed <= pool ? p : (p * pool) / claimed));
  let left = pool - (claimed < pool ? claimed : pool);
  const late = lateExits.map((p) => {
    const paid = p < left ? p : left;
    left -= paid;
    return paid;
  });
  return { window, late, left };
}
