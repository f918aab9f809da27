import { exitPayout } from "../domain/exit.ts";
import { forcedQueueHash, type ForcedRequest } from "../domain/forced.ts";
import type { BatchDataOf } from "../domain/batch.ts";
import type { ExchangeState } from "../engine/state.ts";
import { FORCED_OUTCOMES, type ForcedOutcome } from "../engine/forced.ts";
import type { SettledEvent } from "./batch-replay.ts";
import type { BatchCall } from "./chain.ts";
import type { ChainEvent } from "./chain-events.ts";
import { bookExit, checkExits } from "./exit-checks.ts";
import type { Finding } from "./findings.ts";
import type { ForcedRecord, Progress } from "./progress.ts";

/**
 * The escape hatch as the auditor sees it: every forced request (ForcedRequested, its
 * queue hash recomputed) and the forced batch that answered it (ForcedAnswered) within
 * forcedDeadline; each forced batch's call and event against the replay (outcomes and
 * payouts); the freeze (Frozen: its root is the last batch's, no batch after it); and the
 * exits (./exit-checks.ts).
 */
export interface EscapeContext {
  readonly p: Progress;
  /** Settlement's forcedDeadline, seconds (null: a deployment without the hatch). */
  readonly forcedDeadline: bigint | null;
  find(f: Finding): void;
  blockTime(block: number): Promise<number>;
  /** Vault balance − pending withdrawals − queued deposits now (the exit pool at a freeze). */
  backing(): bigint;
}

export type AnsweredEvent = Extract<ChainEvent, { name: "ForcedAnswered" }>;

type Outcome = ForcedOutcome | null;

const BY_CODE = new Map(
  (Object.entries(FORCED_OUTCOMES) as [ForcedOutcome, bigint][]).map(([k, v]) => [v, k]),
);

/** The outcome of slot `i` in a packed outcomes word (null: no outcome has that code). */
export function outcomeAt(word: bigint, i: number): Outcome {
  return BY_CODE.get((word >> BigInt(3 * i)) & 7n) ?? null;
}

/** The request as Settlement queued it (its hash's preimage). */
export function requestOf(r: ForcedRecord): ForcedRequest {
  return {
    account: r.account,
    amount: r.amount,
    recipient: BigInt(r.recipient),
    signature: r.signature,
  };
}

const answeredCount = (p: Progress) => (p.forced ?? []).filter((r) => r.answer).length;

/**
 * Books one transaction's escape events (before its batches are judged); returns its
 * ForcedAnswered events by batch.
 */
export async function bookEscape(
  ctx: EscapeContext,
  events: readonly ChainEvent[],
): Promise<Map<number, AnsweredEvent>> {
  const p = ctx.p;
  const answered = new Map<number, AnsweredEvent>();
  for (const e of events) {
    switch (e.name) {
      case "ForcedRequested": {
        const forced = (p.forced ??= []);
        const rec: ForcedRecord = {
          index: e.index,
          account: e.account,
          amount: e.amount,
          recipient: e.recipient,
          requester: e.requester,
          signature: { r8x: e.sigR8x, r8y: e.sigR8y, s: e.sigS },
          queueHash: e.queueHash,
          block: e.block,
          time: await ctx.blockTime(e.block),
        };
        const expected = forcedQueueHash(forced.at(-1)?.queueHash ?? 0n, requestOf(rec));
        if (e.index !== forced.length || expected !== e.queueHash)
          ctx.find({
            code: "FORCED_QUEUE_MISMATCH",
            message: `forced request ${e.index}: queue hash ${e.queueHash} is not Poseidon(previous, entry) = ${expected} after ${forced.length} requests`,
          });
        forced.push(rec);
        break;
      }
      case "ForcedAnswered":
        answered.set(e.batch, e);
        await answer(ctx, e);
        break;
      case "Frozen": {
        const time = await ctx.blockTime(e.block);
        p.freeze = { ...e, time, backing: ctx.backing() };
        if (e.root !== p.lastRoot || e.batches !== p.nextBatch)
          ctx.find({
            code: "FREEZE_MISMATCH",
            message: `Settlement froze at root ${e.root} after ${e.batches} batches; the audited history ends at ${p.lastRoot} after ${p.nextBatch}`,
          });
        break;
      }
      case "ExitClaimed":
      case "ExitPaid":
        for (const f of bookExit((p.exits ??= []), e, p.freeze !== undefined)) ctx.find(f);
        break;
    }
  }
  return answered;
}

/** Marks the requests a ForcedAnswered event answered; a late answer is a finding. */
async function answer(ctx: EscapeContext, e: AnsweredEvent): Promise<void> {
  const forced = ctx.p.forced ?? [];
  const done = answeredCount(ctx.p);
  if (e.from !== done || e.from + e.count > forced.length) {
    ctx.find({
      code: "FORCED_QUEUE_MISMATCH",
      batch: e.batch,
      message: `answers forced requests ${e.from}..${e.from + e.count - 1}; ${done} of ${forced.length} were answered before it`,
    });
    return;
  }
  const time = await ctx.blockTime(e.block);
  for (let i = 0; i < e.count; i++) {
    const r = forced[e.from + i];
    r.answer = { batch: e.batch, block: e.block, time, outcome: outcomeAt(e.outcomes, i) };
    const due = ctx.forcedDeadline === null ? undefined : r.time + Number(ctx.forcedDeadline);
    if (due !== undefined && time > due)
      ctx.find({
        code: "FORCED_LATE",
        batch: e.batch,
        message: `forced request ${r.index} (account ${r.account}, ${r.amount}) was made at ${r.time} and due at ${due}; it was answered at ${time}, ${time - due} s late`,
      });
  }
}

const names = (word: bigint, n: number) =>
  Array.from({ length: n }, (_, i) => outcomeAt(word, i) ?? "?").join(", ");

/**
 * A forced batch: its call names the same count and outcomes as its ForcedAnswered event,
 * its file lists the requests Settlement queued, and the replay (`replayed`, the engine's
 * answer) gives the outcomes and payouts the call announced.
 */
export function checkForcedBatch(
  ctx: EscapeContext,
  ev: SettledEvent,
  call: BatchCall | undefined,
  answered: AnsweredEvent | undefined,
  file: BatchDataOf<"forced"> | undefined,
  replayed: BatchDataOf<"forced"> | undefined,
): void {
  const n = ev.batch;
  const mismatch = (message: string) =>
    ctx.find({ code: "FORCED_ANSWER_MISMATCH", batch: n, message });
  if (!answered) {
    mismatch("a forced batch without its ForcedAnswered event");
    return;
  }
  const outcomes = call?.args.outcomes as bigint | undefined;
  if (call && (Number(call.args.count) !== answered.count || outcomes !== answered.outcomes))
    mismatch(
      `the call answers ${call.args.count} request(s) with outcomes [${names(outcomes ?? 0n, Number(call.args.count))}], ForcedAnswered says ${answered.count} with [${names(answered.outcomes, answered.count)}]`,
    );
  const queued = (ctx.p.forced ?? []).slice(answered.from, answered.from + answered.count);
  if (file) {
    const same = (a: ForcedRequest, b: ForcedRequest) =>
      a.account === b.account &&
      a.amount === b.amount &&
      a.recipient === b.recipient &&
      a.signature.r8x === b.signature.r8x &&
      a.signature.r8y === b.signature.r8y &&
      a.signature.s === b.signature.s;
    if (
      file.requests.length !== queued.length ||
      file.requests.some((r, i) => !same(r, requestOf(queued[i])))
    )
      ctx.find({
        code: "FILE_MISMATCH",
        batch: n,
        message: `the batch file answers other requests than Settlement's forced queue ${answered.from}..${answered.from + answered.count - 1}`,
      });
  }
  if (!replayed) return;
  if (replayed.outcomes !== answered.outcomes)
    mismatch(
      `Settlement announced outcomes [${names(answered.outcomes, answered.count)}]; the replay answers [${names(replayed.outcomes, answered.count)}]`,
    );
  const payouts = call?.args.payouts as readonly bigint[] | undefined;
  if (payouts) {
    const wrong = replayed.payouts.flatMap((x, i) => (payouts[i] === x ? [] : [i]));
    if (wrong.length || payouts.length !== replayed.payouts.length)
      mismatch(
        `the call pays [${payouts.map(payoutText).join(", ")}]; the replay pays [${replayed.payouts.map(payoutText).join(", ")}]`,
      );
  }
}

/** A payout word (recipient | amount << 160) as "amount→0xrecipient", or 0. */
function payoutText(w: bigint): string {
  if (w === 0n) return "0";
  return `${w >> 160n}→0x${(w & ((1n << 160n) - 1n)).toString(16).padStart(40, "0")}`;
}

/** A batch accepted after the freeze is a finding (Settlement must refuse every one). */
export function checkNotFrozen(ctx: EscapeContext, ev: SettledEvent): void {
  const f = ctx.p.freeze;
  if (f)
    ctx.find({
      code: "BATCH_AFTER_FREEZE",
      batch: ev.batch,
      message: `accepted at block ${ev.block}, after the freeze at block ${f.block}`,
    });
}

/**
 * At the audited head: a request unanswered past its deadline while the exchange is not
 * frozen (the freeze is due), and the exits against the frozen state.
 */
export function escapeHeadFindings(
  ctx: EscapeContext,
  headTime: number,
  frozenState:
    | {
        state: ExchangeState;
        marks: readonly bigint[];
        fundingIndices: readonly bigint[];
      }
    | undefined,
  exitInfo: { pool: bigint; claimed: bigint } | undefined,
): Finding[] {
  const p = ctx.p;
  const found: Finding[] = [];
  if (!p.freeze && ctx.forcedDeadline !== null)
    for (const r of p.forced ?? []) {
      const due = r.time + Number(ctx.forcedDeadline);
      if (!r.answer && headTime >= due)
        found.push({
          code: "FORCED_OVERDUE",
          message: `forced request ${r.index} (account ${r.account}, ${r.amount}) made at ${r.time} was due at ${due} and is unanswered at ${headTime}: anyone may freeze the exchange`,
        });
    }
  if (p.freeze && (p.exits ?? []).length) {
    const s = frozenState;
    found.push(
      ...checkExits(p.exits ?? [], {
        payoutOf: s
          ? (a) => {
              const i = BigInt(a);
              return s.state.hasAccount(i)
                ? exitPayout(s.state.getAccount(i), s.marks, s.fundingIndices)
                : undefined;
            }
          : undefined,
        pool: exitInfo?.pool,
        claimed: exitInfo?.claimed,
        backing: p.freeze.backing,
      }),
    );
  }
  return found;
}
