import { getAddress } from "ethers";
import type { BatchData, BatchDataOf, BatchKind } from "../domain/batch.ts";
import { BATCH_KINDS, batchCommitment } from "../domain/batch-kinds.ts";
import { ZkClearError } from "../domain/errors.ts";
import { toJson } from "../domain/json.ts";
import { batchFileName, parseBatchFile } from "../engine/batch-file.ts";
import { applyBatch } from "../engine/kinds.ts";
import { skippedAccounts } from "../engine/skip-proof.ts";
import type { ParamSet } from "../domain/params.ts";
import type { ExchangeState } from "../engine/state.ts";
import type { ChainEvent } from "./chain-events.ts";
import type { Finding } from "./findings.ts";
import type { PendingDeposit, Progress } from "./progress.ts";
import type { PublishedConfig } from "../engine/batch-file.ts";
import type { BatchFileSource } from "./sources.ts";
import type { RoundMargins } from "../domain/volatility.ts";

/** A BatchSettled event, decoded. */
export type SettledEvent = Extract<ChainEvent, { name: "BatchSettled" }>;

/** What the batch-file checks and the replay need of the auditor. */
export interface ReplayContext {
  readonly p: Progress;
  readonly state: ExchangeState;
  readonly chainId: bigint;
  readonly settlement: string;
  readonly config: PublishedConfig;
  readonly files: BatchFileSource;
  /** How long to wait for a file not yet published (follow mode), ms. */
  readonly fileWaitMs: number;
  find(f: Finding): void;
  stopReplay(n: number, why: string): void;
  /** A missing file may only be not published yet: keep the checkpoint before it. */
  holdCheckpoint(): void;
}

function sameList(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The batch's data: deposits from the chain (they are public; a published file, if any,
 * must agree), every other kind from its published file, checked against the chain.
 * Returns undefined (after a finding) when replay cannot use it.
 */
export async function batchData(
  ctx: ReplayContext,
  ev: SettledEvent,
  kind: BatchKind,
  prices: bigint[] | undefined,
  deposits: PendingDeposit[],
  queueFrom: bigint,
): Promise<BatchData | undefined> {
  const n = ev.batch;
  const name = batchFileName(n);
  const hint = {
    commitment: ev.commitment,
    newRoot: ev.newRoot,
    oldRoot: ev.oldRoot,
    roundId: ev.roundId,
  };
  let text = await ctx.files.read(name, hint);
  const waitUntil = Date.now() + ctx.fileWaitMs;
  while (text === undefined && Date.now() < waitUntil) {
    await new Promise((r) => setTimeout(r, 250));
    text = await ctx.files.read(name, hint);
  }
  if (kind === "deposits") {
    if (text !== undefined) {
      const f = checkFile(ctx, ev, kind, text, prices);
      if (f?.kind === "deposits" && toJson(f.deposits) !== toJson(deposits.map((d) => d.deposit)))
        ctx.find({
          code: "FILE_MISMATCH",
          batch: n,
          message: `${name} lists other deposits than the Vault's queue`,
        });
    }
    return {
      kind,
      deposits: deposits.map((d) => d.deposit),
      queueFrom,
      queueTo: ev.commitment,
      oldRoot: ev.oldRoot,
      newRoot: ev.newRoot,
    };
  }
  if (text === undefined) {
    ctx.find({
      code: "FILE_MISSING",
      batch: n,
      message: `${name} is not published at ${ctx.files.describe}`,
    });
    ctx.stopReplay(n, `its batch file is missing`);
    ctx.holdCheckpoint();
    return undefined;
  }
  const parsed = checkFile(ctx, ev, kind, text, prices);
  if (!parsed) ctx.stopReplay(n, "its batch file does not match the chain");
  return parsed;
}

/** Checks a published file against the chain; returns its data if replay can use it. */
function checkFile(
  ctx: ReplayContext,
  ev: SettledEvent,
  kind: BatchKind,
  text: string,
  prices: bigint[] | undefined,
): BatchData | undefined {
  const n = ev.batch;
  const name = batchFileName(n);
  ctx.p.filesChecked++;
  let f;
  try {
    f = parseBatchFile(text, name);
  } catch (e) {
    ctx.find({ code: "FILE_INVALID", batch: n, message: (e as Error).message });
    return undefined;
  }
  const d = f.data;
  const wrong: string[] = [];
  if (f.meta.chainId !== ctx.chainId) wrong.push(`chain ${f.meta.chainId}`);
  if (getAddress(f.meta.settlement) !== ctx.settlement)
    wrong.push(`Settlement ${f.meta.settlement}`);
  if (f.meta.batch !== n) wrong.push(`batch number ${f.meta.batch}`);
  if (d.kind !== kind) wrong.push(`kind ${d.kind}`);
  if (d.oldRoot !== ev.oldRoot) wrong.push(`old root ${d.oldRoot}`);
  if (d.newRoot !== ev.newRoot) wrong.push(`new root ${d.newRoot}`);
  const priced = "round" in d && BATCH_KINDS[d.kind].priced;
  if (priced && d.round !== ev.roundId) wrong.push(`round ${d.round}`);
  if (wrong.length) {
    ctx.find({
      code: "FILE_MISMATCH",
      batch: n,
      message: `${name} is not this batch: it states ${wrong.join(", ")}`,
    });
    return undefined;
  }
  const recomputed = batchCommitment(d);
  if (recomputed !== ev.commitment) {
    ctx.find({
      code: "FILE_TAMPERED",
      batch: n,
      message: `${name}'s records hash to ${recomputed}, the chain recorded commitment ${ev.commitment}`,
    });
    return undefined;
  }
  if (priced && prices && !sameList(d.marks, prices)) {
    ctx.find({
      code: "PRICE_MISMATCH",
      batch: n,
      message: `${name} was settled at prices [${d.marks.join(", ")}], oracle round ${ev.roundId} published [${prices.join(", ")}]`,
    });
  }
  return d;
}

/**
 * Replays one batch in the engine (the operator's own entry, engine/kinds.ts) at the
 * oracle's prices and margin multipliers and the Funding contract's indices, and compares the
 * root with the chain's. Returns the engine's batch data
 * (for kinds whose outcomes the chain announces: forced batches), undefined if refused.
 */
export function replayBatch(
  ctx: ReplayContext,
  n: number,
  d: BatchData,
  prices: bigint[],
  fundingIndices: bigint[],
  margins: RoundMargins | undefined,
  chainRoot: bigint,
): BatchData | undefined {
  const p = ctx.config.paramSet;
  let applied: BatchData;
  let skipped: string[] = [];
  try {
    const req =
      "marks" in d ? { ...d, marks: prices, fundingIndices, margins: margins ?? d.margins } : d;
    // the accounts a published deleveraging left out, each a skip proof, found on the state
    // the batch was proven from (engine/skip-proof.ts replays it and puts the state back)
    if (req.kind === "liquidations" && (req.deleveraged ?? []).length > 0)
      skipped = leftOut(ctx.state, req, p);
    applied = applyBatch(ctx.state, req, p).data;
  } catch (e) {
    const code = e instanceof ZkClearError ? ` (${e.code})` : "";
    ctx.find({
      code: "REPLAY_REFUSED",
      batch: n,
      message: `the engine refuses the ${d.kind} batch at the oracle's prices: ${(e as Error).message}${code}`,
    });
    ctx.stopReplay(n, "the engine refuses it");
    return undefined;
  }
  ctx.p.replayed++;
  checkDeleveraging(ctx, n, d, applied, skipped);
  if (ctx.state.root !== chainRoot) {
    ctx.find({
      code: "ROOT_NOT_CHAINED",
      batch: n,
      message: `the chain's new root ${chainRoot} does not follow from the old root with the batch's data: replay gives ${ctx.state.root}`,
    });
    ctx.stopReplay(n, "its new root is not the replayed one");
  }
  return applied;
}

/** The accounts a published deleveraging left out (none when its own replay fails). */
function leftOut(state: ExchangeState, d: BatchDataOf<"liquidations">, p: ParamSet): string[] {
  try {
    return skippedAccounts(state, d, p).map((x) => `account ${x.account} in market ${x.market}`);
  } catch {
    return [];
  }
}

/**
 * A liquidation batch's deleveraging is derived from the state (engine/deleverage.ts): the
 * ranking's first entries, in order, each taking the greedy maximum. The circuit proves the
 * order, the eligibility and the lots of what is listed, not that nobody ranked higher was
 * left out: this check does, on replay.
 */
function checkDeleveraging(
  ctx: ReplayContext,
  n: number,
  d: BatchData,
  applied: BatchData,
  skipped: readonly string[],
) {
  if (d.kind !== "liquidations" || applied.kind !== "liquidations") return;
  const show = (list: BatchDataOf<"liquidations">["deleveraged"]) =>
    (list ?? [])
      .map(
        (m) =>
          `market ${m.market} at ${m.price}: ${m.entries.map((e) => `${e.account} x ${e.lots}`).join(", ") || "no entry"}`,
      )
      .join("; ") || "none";
  const published = show(d.deleveraged);
  const ranked = show(applied.deleveraged);
  if (published !== ranked)
    ctx.find({
      code: "ADL_RANKING_INCOMPLETE",
      batch: n,
      message: `the batch file deleverages ${published}; the ranking at the batch's state gives ${ranked}${skipped.length ? `; left out, each a skip proof that freezes the exchange (skipProofInput, Settlement.proveSkippedDeleverage): ${skipped.join(", ")}` : ""}`,
    });
}
