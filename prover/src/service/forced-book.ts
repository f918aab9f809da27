import type { ForcedOutcome } from "../engine/forced.ts";
import { unpackOutcomes } from "../engine/forced.ts";
import type { EscapeView, ForcedEntry } from "../domain/ports.ts";
import { recipientAddress } from "../domain/forced.ts";

/**
 * The forced withdrawal requests the service has seen on Settlement's queue, with their
 * deadlines and answers, for GET /v1/forced and the forced metrics. The requests and their
 * times come from the chain (every one since position 0, read again after a restart); the
 * answers from the forced batches the operator cut or replayed (a request is answered once
 * its batch settled).
 */
export interface ForcedRow {
  readonly index: number;
  readonly account: bigint;
  readonly amount: bigint;
  readonly recipient: string;
  readonly requester: string;
  readonly requestedAt: number;
  /** requestedAt + forcedDeadline: after it anyone may freeze the exchange. */
  readonly dueAt: number;
  readonly status: "pending" | "answered";
  /** Pending past its deadline. */
  readonly overdue: boolean;
  /** The forced batch that answers it (set while in flight, too). */
  readonly batch: number | null;
  /** The proven outcome, once its batch settled. */
  readonly outcome: ForcedOutcome | null;
}

export interface ForcedStats {
  readonly seen: number;
  readonly pending: number;
  readonly overdue: number;
  /** Seconds since the oldest pending request was made (0: none pending). */
  readonly oldestPendingAge: number;
  readonly deadline: number;
  readonly frozen: boolean;
}

export class ForcedBook {
  private readonly entries: ForcedEntry[] = [];
  private answers = new Map<number, { batch: number; outcome: ForcedOutcome }>();
  private view: EscapeView | undefined;
  /** When (wall clock, ms) the chain's time was read: the age counts on from there. */
  private viewAt = 0;

  /** How many requests have been read from the chain. */
  get size(): number {
    return this.entries.length;
  }

  /** The escape hatch as last read from the chain. */
  get escape(): EscapeView | undefined {
    return this.view;
  }

  add(entries: readonly ForcedEntry[]): void {
    for (const e of entries) if (e.index === this.entries.length) this.entries.push(e);
  }

  /** The requests from queue position `from` on, as the batcher answers them. */
  requestsFrom(from: number) {
    return this.entries.slice(from).map((e) => e.request);
  }

  setEscape(v: EscapeView): void {
    this.view = v;
    this.viewAt = Date.now();
  }

  /** Forgets the answers (the operator is made again and replays its batches). */
  resetAnswers(): void {
    this.answers = new Map();
  }

  /** Batch `batch` answers requests [from, from + count) with the packed `outcomes`. */
  answered(batch: number, from: number, count: number, outcomes: bigint): void {
    unpackOutcomes(outcomes, count).forEach((outcome, i) =>
      this.answers.set(from + i, { batch, outcome }),
    );
  }

  /** The chain's time now, as far as the service knows it. */
  private now(): number {
    if (!this.view) return Math.floor(Date.now() / 1000);
    return this.view.chainTime + Math.floor((Date.now() - this.viewAt) / 1000);
  }

  /** A page of requests from queue position `from`; `settled(batch)`: whether it landed. */
  page(from: number, limit: number, settled: (batch: number) => boolean): ForcedRow[] {
    const deadline = this.view?.forcedDeadline ?? 0;
    const now = this.now();
    return this.entries.slice(from, from + limit).map((e) => {
      const a = this.answers.get(e.index);
      const done = a !== undefined && settled(a.batch);
      const dueAt = e.requestedAt + deadline;
      return {
        index: e.index,
        account: e.request.account,
        amount: e.request.amount,
        recipient: recipientAddress(e.request.recipient),
        requester: e.requester,
        requestedAt: e.requestedAt,
        dueAt,
        status: done ? "answered" : "pending",
        overdue: !done && now >= dueAt,
        batch: a?.batch ?? null,
        outcome: done ? a.outcome : null,
      };
    });
  }

  stats(settled: (batch: number) => boolean): ForcedStats {
    const rows = this.page(0, this.entries.length, settled);
    const pending = rows.filter((r) => r.status === "pending");
    const oldest = pending[0];
    return {
      seen: rows.length,
      pending: pending.length,
      overdue: pending.filter((r) => r.overdue).length,
      oldestPendingAge: oldest ? Math.max(0, this.now() - oldest.requestedAt) : 0,
      deadline: this.view?.forcedDeadline ?? 0,
      frozen: Boolean(this.view?.frozen),
    };
  }
}
