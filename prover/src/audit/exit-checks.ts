import type { ChainEvent } from "./chain-events.ts";
import type { Finding } from "./findings.ts";
import type { ExitRecord } from "./progress.ts";

/**
 * The exits after a freeze, checked from Settlement's events alone (ExitClaimed: a claim in
 * the exit window; ExitPaid: paid at once after the window, or a claim settled) against the
 * auditor's replayed state at the frozen root. Pure: the auditor gives it the events, the
 * payout its state computes for an account (domain/exit.ts exitPayout at the marks of the
 * round recorded at the freeze) and Settlement's exit pool.
 */
export type ExitEvent = Extract<ChainEvent, { name: "ExitClaimed" | "ExitPaid" }>;

/** Books one exit event into `exits`; returns what is wrong with it. */
export function bookExit(exits: ExitRecord[], e: ExitEvent, frozen: boolean): Finding[] {
  const found: Finding[] = [];
  const who = `account ${e.account}`;
  if (!frozen)
    found.push({
      code: "EXIT_UNFROZEN",
      message: `${who} exited at block ${e.block} while the exchange was not frozen`,
    });
  const prior = exits.find((x) => x.account === e.account);
  if (e.name === "ExitClaimed") {
    if (prior)
      found.push({
        code: "EXIT_TWICE",
        message: `${who} claimed an exit at block ${e.block} after it had already exited (block ${prior.claimedBlock ?? prior.paidBlock})`,
      });
    else
      exits.push({
        account: e.account,
        recipient: e.recipient,
        payout: e.payout,
        claimedBlock: e.block,
      });
    return found;
  }
  if (!prior) {
    exits.push({
      account: e.account,
      recipient: e.recipient,
      payout: e.payout,
      paid: e.paid,
      paidBlock: e.block,
    });
    return found;
  }
  if (prior.paid !== undefined) {
    found.push({
      code: "EXIT_TWICE",
      message: `${who} was paid an exit again at block ${e.block} (first at block ${prior.paidBlock})`,
    });
    return found;
  }
  if (prior.recipient !== e.recipient || prior.payout !== e.payout)
    found.push({
      code: "EXIT_PAYOUT",
      message: `${who}'s exit was claimed for ${prior.payout} to ${prior.recipient} but settled for ${e.payout} to ${e.recipient}`,
    });
  prior.paid = e.paid;
  prior.paidBlock = e.block;
  return found;
}

export interface ExitCheckInput {
  /**
   * What the account's exit must pay: max(0, equity) of its leaf in the replayed frozen
   * state at the freeze round's marks; undefined if it has no leaf. Absent: no replayed
   * state (payouts not checked).
   */
  readonly payoutOf?: (account: number) => bigint | undefined;
  /** Settlement's exit pool (exitInfo().pool); absent where Settlement cannot say. */
  readonly pool?: bigint;
  /** Settlement's sum of payouts claimed in the window (exitInfo().claimed). */
  readonly claimed?: bigint;
  /** The auditor's own books at the freeze: Vault balance − pending − queued deposits. */
  readonly backing?: bigint;
}

/**
 * Every exit against the frozen state: its payout is what the state owes the account; a
 * claim settled after the window pays claim × min(1, pool / claimed), rounded down; an exit
 * paid at once pays at most its payout; the sum paid never exceeds the pool; and the pool
 * is what the auditor's books held for the tree at the freeze.
 */
export function checkExits(exits: readonly ExitRecord[], o: ExitCheckInput): Finding[] {
  const found: Finding[] = [];
  let paid = 0n;
  const claimedSum = exits.reduce((s, x) => s + (x.claimedBlock !== undefined ? x.payout : 0n), 0n);
  for (const x of exits) {
    const who = `account ${x.account}`;
    if (o.payoutOf) {
      const due = o.payoutOf(x.account);
      if (due === undefined)
        found.push({
          code: "EXIT_PAYOUT",
          message: `${who} exited for ${x.payout} but has no leaf in the frozen state`,
        });
      else if (due !== x.payout)
        found.push({
          code: "EXIT_PAYOUT",
          message: `${who} exited for ${x.payout}; its equity in the frozen state at the freeze round's marks is ${due}`,
        });
    }
    if (x.paid === undefined) continue;
    paid += x.paid;
    if (x.paid > x.payout)
      found.push({
        code: "EXIT_OVERPAID",
        message: `${who} was paid ${x.paid}, more than its payout ${x.payout}`,
      });
    else if (x.claimedBlock !== undefined && o.pool !== undefined) {
      const total = o.claimed ?? claimedSum;
      const share = total <= o.pool ? x.payout : (x.payout * o.pool) / total;
      if (x.paid !== share)
        found.push({
          code: x.paid > share ? "EXIT_OVERPAID" : "EXIT_PAYOUT",
          message: `${who}'s claim of ${x.payout} was settled for ${x.paid}; claim × min(1, pool ${o.pool} / claimed ${total}) is ${share}`,
        });
    }
  }
  if (o.claimed !== undefined && o.claimed !== claimedSum)
    found.push({
      code: "EXIT_PAYOUT",
      message: `Settlement counts ${o.claimed} claimed in the exit window; its ExitClaimed events add up to ${claimedSum}`,
    });
  if (o.pool !== undefined && paid > o.pool)
    found.push({
      code: "EXIT_OVERPAID",
      message: `exits were paid ${paid} in total, more than the exit pool of ${o.pool}`,
    });
  if (o.pool !== undefined && o.backing !== undefined && o.pool !== o.backing)
    found.push({
      code: "EXIT_POOL",
      message: `Settlement's exit pool is ${o.pool}; the Vault held ${o.backing} for the accounts at the freeze (balance − pending withdrawals − queued deposits)`,
    });
  return found;
}
