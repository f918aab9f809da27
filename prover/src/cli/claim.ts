import type { Command } from "commander";
import { owedTo, type DelayedCredit } from "../chain/withdrawal-limit.ts";
import { bigintArg } from "./common.ts";
import type { Output } from "./common.ts";
import {
  address,
  chainOptions,
  connect,
  decodeRefusal,
  isoTime,
  refuse,
  report,
  type ChainOptions,
  type EscapeChain,
} from "./escape-common.ts";

/**
 * `zkclear claim`: what the Vault owes a recipient, paid. Proven withdrawals and exits are
 * owed at once (claimFor) within the Vault's per-window bound; a credit beyond it is a
 * delayed credit that anyone may pay to its recipient once it has matured (claimDelayed).
 * The exit commands pay through claimOwed too.
 */

/** What claimOwed paid, and the delayed credits still waiting. */
export interface Claimed {
  /** What was owed at once and paid (0: nothing was). */
  readonly owed: bigint;
  /** The matured delayed credits paid now. */
  readonly delayed: readonly DelayedCredit[];
  /** The delayed credits not mature yet. */
  readonly waiting: readonly DelayedCredit[];
  /** What was paid in all. */
  readonly total: bigint;
}

/**
 * Pays `recipient` what the Vault owes it at once, and every delayed credit of its that has
 * matured. Anyone may pay a recipient, so a payment someone else made first (the Vault
 * refuses ours with NothingOwed or DelayedCreditPaid) is skipped, not an error: the rest is
 * still paid, and what this call paid is reported.
 */
export async function claimOwed(c: EscapeChain, recipient: string): Promise<Claimed> {
  const v = c.vault;
  /** Sends `tx`; false when the Vault says someone else paid it first. */
  const pay = async (tx: () => Promise<{ wait(): Promise<unknown> }>) => {
    try {
      await (await tx()).wait();
      return true;
    } catch (e) {
      const r = decodeRefusal(e, v.interface);
      if (r?.name === "NothingOwed" || r?.name === "DelayedCreditPaid") return false;
      throw e;
    }
  };
  const o = await owedTo(v, recipient, c.deployment.block);
  const owed = o.owed > 0n && (await pay(() => v.getFunction("claimFor")(recipient))) ? o.owed : 0n;
  const now = await latestTime(c);
  const unpaid = o.delayed.filter((d) => !d.paid);
  const due: DelayedCredit[] = [];
  for (const d of unpaid.filter((x) => x.claimableAt <= now))
    if (await pay(() => v.getFunction("claimDelayed")(d.id))) due.push(d);
  return {
    owed,
    delayed: due,
    waiting: unpaid.filter((d) => d.claimableAt > now),
    total: due.reduce((a, d) => a + d.amount, owed),
  };
}

/** One line per delayed credit still waiting. */
export function waitingLines(waiting: readonly DelayedCredit[]): string {
  return waiting
    .map(
      (d) =>
        `\n  delayed credit ${d.id}: ${d.amount}, claimable from ${isoTime(d.claimableAt)} (later if Settlement is paused meanwhile)`,
    )
    .join("");
}

async function latestTime(c: EscapeChain): Promise<bigint> {
  const b = (await c.provider.send("eth_getBlockByNumber", ["latest", false])) as {
    timestamp: string;
  };
  return BigInt(b.timestamp);
}

const delayedJson = (d: DelayedCredit) => ({
  id: d.id,
  amount: d.amount,
  creditedAt: d.creditedAt,
  claimableAt: d.claimableAt,
  paid: d.paid,
});

interface ClaimOptions extends ChainOptions {
  to?: string;
  id?: string;
  list?: boolean;
}

export function register(program: Command, out: () => Output): void {
  chainOptions(
    program
      .command("claim")
      .description(
        "pay what the Vault owes a recipient: withdrawals and exits owed at once, and delayed credits (beyond the per-window bound) that have matured; anyone may send it, the tokens go to the recipient",
      )
      .option("--to <address>", "the recipient (default: the sender's address)")
      .option("--id <n>", "pay only this delayed credit (its recipient is paid)")
      .option("--list", "only show what is owed and when each delayed credit matures"),
  ).action(async (o: ClaimOptions) => {
    const c = await connect(o);
    try {
      if (o.id !== undefined) await claimOne(c, bigintArg("id", o.id), out());
      else await claimAll(c, o, out());
    } finally {
      c.close();
    }
  });
}

async function claimAll(c: EscapeChain, o: ClaimOptions, out: Output): Promise<void> {
  const recipient = o.to ? address("to", o.to) : await c.signer.getAddress();
  if (BigInt(recipient) === 0n)
    return refuse(out, "BAD_ARGUMENT", "--to: the zero address is never owed anything", {
      recipient,
    });
  if (o.list) {
    const s = await owedTo(c.vault, recipient, c.deployment.block);
    const unpaid = s.delayed.filter((d) => !d.paid);
    report(
      out,
      { recipient, owed: s.owed, delayed: s.delayed.map(delayedJson) },
      `the Vault owes ${recipient} ${s.owed} at once` +
        (unpaid.length ? `, and delayed credits:${waitingLines(unpaid)}` : ", no delayed credit"),
    );
    return;
  }
  const r = await claimOwed(c, recipient);
  if (r.total === 0n) {
    const next = r.waiting[0];
    if (next)
      refuse(
        out,
        "CLAIM_NOT_MATURE",
        `nothing is claimable for ${recipient} yet:${waitingLines(r.waiting)}`,
        { recipient, claimableAt: next.claimableAt, waiting: r.waiting.map(delayedJson) },
      );
    else refuse(out, "NOTHING_OWED", `the Vault owes ${recipient} nothing`, { recipient });
    return;
  }
  report(
    out,
    {
      recipient,
      paid: r.total,
      owed: r.owed,
      delayed: r.delayed.map(delayedJson),
      waiting: r.waiting.map(delayedJson),
    },
    `paid ${r.total} to ${recipient}` +
      (r.delayed.length ? ` (delayed credits ${r.delayed.map((d) => d.id).join(", ")})` : "") +
      (r.waiting.length ? `; still waiting:${waitingLines(r.waiting)}` : ""),
  );
}

async function claimOne(c: EscapeChain, id: bigint, out: Output): Promise<void> {
  const v = c.vault;
  try {
    await v.getFunction("claimDelayed").staticCall(id);
  } catch (e) {
    const r = decodeRefusal(e, v.interface);
    if (r?.name === "DelayNotOver") {
      const at = r.args[1] as bigint;
      refuse(
        out,
        "CLAIM_NOT_MATURE",
        `delayed credit ${id} matures at ${isoTime(at)} (Unix ${at}; later if Settlement is paused meanwhile)`,
        { id, claimableAt: at },
      );
    } else if (r?.name === "UnknownDelayedCredit")
      refuse(out, "CLAIM_UNKNOWN", `the Vault has no delayed credit ${id}`, { id });
    else if (r?.name === "DelayedCreditPaid")
      refuse(out, "CLAIM_PAID", `delayed credit ${id} was paid already`, { id });
    else throw e;
    return;
  }
  const receipt = await (await v.getFunction("claimDelayed")(id)).wait();
  const [recipient, amount] = (await v.getFunction("delayedCredit")(id)) as [string, bigint];
  report(
    out,
    { id, recipient, amount, tx: receipt.hash, gasUsed: receipt.gasUsed },
    `paid delayed credit ${id}: ${amount} to ${recipient}`,
  );
}
