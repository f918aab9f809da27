import { storeDroppedMatches } from "./dropped-matches.ts";
import { FEE_ACCOUNT } from "../domain/constants.ts";
import type { OwnerRotationView } from "../domain/ports.ts";
import { isRotation, type Deposit } from "../domain/transfers.ts";
import type { OperatorContext, Rotating } from "./context.ts";
import type { PendingMatch, Sequencer } from "./sequencer.ts";

/**
 * Owner key rotations at the operator: the governance's Vault.queueOwnerKey entries among
 * the deposits a batch credits replace the fee account's or the fund's key, and what the old
 * key signed can no longer be proven after that batch (the batcher cuts the account's
 * pending matches before it, then calls endOldKey in the batch's transaction).
 *
 * From the moment the entry is seen on-chain (noticeRotations) the account's resting orders
 * are cancelled and its new orders refused (they would be signed by the old key). While the
 * data committee holds trade batches back, the deposits ahead of the entry are credited
 * without it; the entry waits for the account's pending matches at most `rotationWaitMs`
 * from when it was seen, then those matches are dropped (dropOverdueMatches) and it is
 * credited.
 *
 * The operator also reads the Vault's record of each owned account's latest rotation
 * (Vault.ownerRotation) at startup and every step. One recorded behind a closed deposit queue
 * (stranded: OwnerKeyStranded) is never credited: from when the operator reads it, the
 * account's resting orders are cancelled, its pending withdrawals refused, and its new
 * orders and withdrawals refused (noticeStranded), until the freeze it makes due.
 */

/** Default of OperatorOptions.rotationWaitMs: 1 hour (well under depositDeadline / 2). */
export const ROTATION_WAIT_MS = 60 * 60_000;

/** A deposit queue entry not yet credited, with its position in the Vault's queue. */
export interface QueuedDeposit {
  readonly at: number;
  readonly deposit: Deposit;
}

/** The accounts whose owner key `deposits` rotate, once each. */
export function rotatedAccounts(deposits: readonly Deposit[]): bigint[] {
  return [...new Set(deposits.filter(isRotation).map((d) => d.account))];
}

const roleOf = (account: bigint) => (account === FEE_ACCOUNT ? "fee" : "fund");

/** Why what `account`'s previous owner key signed is cancelled: rotated by `by`. */
export function rotatedReason(account: bigint, by: string): string {
  return `the ${roleOf(account)} owner's key of account ${account} was rotated by ${by}: what the previous key signed can no longer settle; sign again with the new key`;
}

const when = (secs: number) => new Date(secs * 1000).toISOString();

/** Why `account`'s `what` are refused while rotation `r` of its owner key is not credited. */
export function rotatingReason(account: bigint, r: Rotating, what: string): string {
  if (r.at === null)
    return `the ${roleOf(account)} owner's key of account ${account} was rotated by the governance${r.time === undefined ? "" : ` at ${when(r.time)}`} behind the closed deposit queue (stranded: OwnerKeyStranded, no deposit batch can credit it): its ${what} signed by the old key are refused; a freeze is due forcedDeadline after the rotation, then the new key signs the account's exit`;
  return `account ${account}'s owner key is being rotated (deposit queue entry ${r.at}, not yet credited): its ${what} are refused until a deposit batch credits the new key; then sign with the new key`;
}

/** Where a stranded rotation's handling is recorded (done once, survives restarts). */
const strandedKey = (r: OwnerRotationView) => `rotation-stranded:${r.account}:${r.time}`;

/**
 * The stranded rotations among `views` read for the first time: each account's resting
 * orders are cancelled and its pending withdrawal requests refused (the old key signed them
 * and the new one can never be credited), saying why. Returns how many were new.
 */
export function noticeStranded(
  ctx: OperatorContext,
  seq: Sequencer,
  views: readonly OwnerRotationView[],
): number {
  let n = 0;
  for (const r of views) {
    if (r.position !== null || ctx.store.getMeta(strandedKey(r)) !== undefined) continue;
    const a = r.account;
    const { withdrawals } = ctx.store;
    const refused = withdrawals.pendingOf(a);
    ctx.store.transaction(() => {
      ctx.store.setMeta(strandedKey(r), String(Date.now()));
      const why = rotatingReason(a, { at: null, time: r.time }, "orders and withdrawals");
      seq.cancelAccount(a, why);
      for (const x of refused) withdrawals.refuse(x.id, why);
    });
    ctx.log(
      `the ${roleOf(a)} owner's key of account ${a} was rotated at ${when(r.time)} behind the closed deposit queue (stranded): its resting orders are cancelled, ${refused.length} pending withdrawal(s) refused, and its new orders and withdrawals refused`,
    );
    n++;
  }
  return n;
}

/** Where the time an entry was first seen is kept (survives restarts and redone batches). */
const seenKey = (at: number) => `rotation-seen:${at}`;

/** When the operator first saw the rotation at queue position `at` (ms), if it did. */
export function rotationSeenAt(ctx: OperatorContext, at: number): number | undefined {
  const v = ctx.store.getMeta(seenKey(at));
  return v === undefined ? undefined : Number(v);
}

/**
 * The rotation entries among `queued` seen for the first time: their time is stored and
 * their accounts' resting orders (signed by the old key) are cancelled, saying why.
 */
export function noticeRotations(
  ctx: OperatorContext,
  seq: Sequencer,
  queued: readonly QueuedDeposit[],
  now = Date.now(),
): void {
  for (const q of queued) {
    if (!isRotation(q.deposit) || rotationSeenAt(ctx, q.at) !== undefined) continue;
    const a = q.deposit.account;
    ctx.store.transaction(() => {
      ctx.store.setMeta(seenKey(q.at), String(now));
      seq.cancelAccount(a, rotatedReason(a, `deposit queue entry ${q.at} (not yet credited)`));
    });
    ctx.log(
      `deposit queue entry ${q.at}: the ${roleOf(a)} owner's key of account ${a} is rotated; its resting orders are cancelled and its new orders refused until a deposit batch credits it`,
    );
  }
}

/**
 * The first rotation entry among `queued` whose account `a` still has matches pending and
 * whose wait is over: those matches (and any checked against them that no longer pass)
 * are dropped, both orders of each cancelled with the reason, so that the entry can be
 * credited. Called while the committee holds trade batches back (they cannot settle).
 * Returns how many matches were dropped.
 */
export function dropOverdueMatches(
  ctx: OperatorContext,
  seq: Sequencer,
  queued: readonly QueuedDeposit[],
  waitMs: number,
  now = Date.now(),
): number {
  const due = queued.find(
    (q) =>
      isRotation(q.deposit) &&
      seq.hasPending(q.deposit.account) &&
      now - (rotationSeenAt(ctx, q.at) ?? now) >= waitMs,
  );
  if (!due) return 0;
  const a = due.deposit.account;
  const ofAccount = (p: PendingMatch) =>
    [p.match.maker, p.match.taker].some((o) => o.signed.order.account === a);
  const dropped = seq.dropPending(ofAccount);
  const secs = Math.round(waitMs / 1000);
  const why = (p: PendingMatch) =>
    ofAccount(p)
      ? `its fill of ${p.match.qty} at ${p.match.price} (match ${p.seq}) was dropped: the ${roleOf(a)} owner's key of account ${a} was rotated by deposit queue entry ${due.at}, and the data committee held the trade back for longer than the rotation wait (${secs} s); the order is cancelled: sign again (account ${a} with the new key)`
      : `its fill of ${p.match.qty} at ${p.match.price} (match ${p.seq}) was dropped: it was checked against a fill dropped when account ${a}'s owner key was rotated (deposit queue entry ${due.at}); the order is cancelled: sign again`;
  storeDroppedMatches(ctx, dropped, why, "the old key's matches");
  ctx.log(
    `deposit queue entry ${due.at}: ${dropped.length} pending match(es) of account ${a} dropped (the committee held them back past the rotation wait of ${secs} s); the rotation is credited`,
  );
  return dropped.length;
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
  const why = rotatedReason(account, `deposit batch ${batch}`);
  seq.cancelAccount(account, why);
  const { withdrawals } = ctx.store;
  const refused = withdrawals.pendingOf(account);
  for (const x of refused) withdrawals.refuse(x.id, why);
  ctx.log(
    `batch ${batch}: ${roleOf(account)} owner key rotated; ${refused.length} pending withdrawal(s) of account ${account} refused, its resting orders cancelled`,
  );
}
