import { FEE_ACCOUNT } from "../domain/constants.ts";
import { isRotation, type Deposit } from "../domain/transfers.ts";
import type { OperatorContext } from "./context.ts";
import type { Sequencer } from "./sequencer.ts";

/**
 * Owner key rotations at the operator: the governance's Vault.queueOwnerKey entries among
 * the deposits a batch credits replace the fee account's or the fund's key, and what the old
 * key signed can no longer be proven after that batch (the batcher cuts the account's
 * pending matches before it, then calls endOldKey in the batch's transaction).
 */

/** The accounts whose owner key `deposits` rotate, once each. */
export function rotatedAccounts(deposits: readonly Deposit[]): bigint[] {
  return [...new Set(deposits.filter(isRotation).map((d) => d.account))];
}

/**
 * Cancels `account`'s resting orders and refuses its pending withdrawal requests, all signed
 * by its previous owner key (intake checked them against the leaf's key before deposit
 * batch `batch` replaced it), saying why.
 */
export function endOldKey(
  ctx: OperatorContext,
  seq: Sequencer,
  account: bigint,
  batch: number,
): void {
  const role = account === FEE_ACCOUNT ? "fee" : "fund";
  const why = `the ${role} owner's key of account ${account} was rotated by deposit batch ${batch}: what the previous key signed can no longer settle; sign again with the new key`;
  seq.cancelAccount(account, why);
  const { withdrawals } = ctx.store;
  const refused = withdrawals.pendingOf(account);
  for (const x of refused) withdrawals.refuse(x.id, why);
  ctx.log(
    `batch ${batch}: ${role} owner key rotated; ${refused.length} pending withdrawal(s) of account ${account} refused, its resting orders cancelled`,
  );
}
