import type { AuditorOptions } from "./options.ts";
import type { ExchangeState } from "../engine/state.ts";
import {
  exitInfoAt,
  settlementAt,
  strandedRotationsAt,
  tokenBalance,
  type SettlementInfo,
} from "./chain.ts";
import { escapeHeadFindings, type EscapeContext } from "./escape.ts";
import type { Finding } from "./findings.ts";
import { books, checkInvariants, type VaultBooks } from "./invariants.ts";
import { currentOwners, ownerFindings, pendingRotations } from "./owner-checks.ts";
import { formatPublicKey } from "../domain/owners.ts";

/** What the head's checks read of the auditor. */
export interface HeadContext extends EscapeContext {
  readonly o: AuditorOptions;
  readonly info: SettlementInfo;
  readonly state: ExchangeState;
  readonly chainId: bigint;
  vaultBooks(): VaultBooks;
  round(roundId: bigint): Promise<{ prices: bigint[]; fundingIndices: bigint[] }>;
}

/**
 * The audited head: the contract's root and count against the events, solvency now
 * (tokens can leave after the last batch) or, once frozen, the exits against the pool held
 * at the freeze, and forced requests overdue. Returns the head, its block time, its
 * findings, and `notes` with the head's notes replaced.
 */
export async function checkHead(
  ctx: HeadContext,
  block: number,
  previousNotes: readonly string[],
): Promise<{
  head: { block: number; root: bigint; batches: number };
  time: number;
  notes: string[];
  findings: Finding[];
}> {
  const { o, info, p } = ctx;
  const found: Finding[] = [];
  const s = await settlementAt(o.provider, info.address, block);
  if (s.stateRoot !== p.lastRoot || s.batchCount !== p.nextBatch)
    found.push({
      code: "HEAD_MISMATCH",
      message:
        `at block ${block}: Settlement has root ${s.stateRoot} after ${s.batchCount} batches, ` +
        `its events lead to ${p.lastRoot} after ${p.nextBatch}`,
    });
  const balance = await tokenBalance(o.provider, info.token, info.vault, block);
  const notes = previousNotes.filter(
    (n) =>
      !n.startsWith("the Vault's token balance") &&
      !n.startsWith("frozen at block") &&
      !n.startsWith("owner key rotation stranded"),
  );
  if (balance !== p.vaultBalance)
    notes.push(
      `the Vault's token balance is ${balance} but its Transfer events add up to ` +
        `${p.vaultBalance}: the token does not report every movement`,
    );
  // after the freeze the accounts leave by exits, which the tree does not record: the
  // solvency of the books becomes the exits' (within the pool held at the freeze)
  const frozen = p.freeze;
  if (frozen)
    notes.push(
      `frozen at block ${frozen.block}: solvency is checked as the exits against the pool of ${frozen.backing} held for the accounts then`,
    );
  if (p.replay === "on" && !frozen) {
    const held = balance < p.vaultBalance ? balance : p.vaultBalance;
    const { breaches } = checkInvariants(
      books(ctx.state),
      { ...ctx.vaultBooks(), balance: held },
      o.config.markets.map((m) => m.symbol),
    );
    for (const b of breaches)
      found.push({ code: b.code, message: `at block ${block}: ${b.message}` });
  }
  const frozenState =
    frozen && p.replay === "on"
      ? await ctx.round(frozen.roundId).then((r) => ({
          state: ctx.state,
          marks: r.prices,
          fundingIndices: r.fundingIndices,
        }))
      : undefined;
  const exits = frozen ? await exitInfoAt(o.provider, info.address, block) : undefined;
  // the owners' keys now (after the rotations credited so far), and those pending
  const rotations = p.ownerRotations ?? [];
  const stranded = await strandedRotationsAt(o.provider, info.vault, block);
  for (const x of stranded)
    notes.push(
      `owner key rotation stranded: account ${x.account} to ${formatPublicKey(x.key)}, recorded at ${x.time} behind the closed deposit queue (no batch can credit it: a freeze is due forcedDeadline after it, and the key signs the account's exit)`,
    );
  found.push(
    ...ownerFindings(ctx.chainId, currentOwners(o.config.owners, rotations), rotations, [
      ...pendingRotations(p.pending),
      ...stranded.map((x) => ({ ...x, queueIndex: null })),
    ]),
  );
  const time = await ctx.blockTime(block);
  found.push(...escapeHeadFindings(ctx, time, frozenState, exits));
  return {
    head: { block, root: s.stateRoot, batches: s.batchCount },
    time,
    notes,
    findings: found,
  };
}
