import type { Round } from "../domain/ports.ts";
import { toJson } from "../domain/json.ts";
import type { Store, StoredBatch } from "../store/store.ts";
import type { BatchBody } from "./context.ts";
import { compartmentMoveId } from "./compartment-moves.ts";
import { withdrawalId } from "./sequencer.ts";

/** Default of OperatorOptions.committeeWaitMs: 10 minutes. */
export const COMMITTEE_WAIT_MS = 10 * 60_000;

/** What the redo needs of the operator (./operator.ts). */
export interface RedoHost {
  /** The latest oracle round read from the chain. */
  readonly latestSeen: Round | undefined;
  readonly committeeWaitMs: number;
  /**
   * Drops `b` and the batches after it, then rebuilds the in-memory operator from the store;
   * false (nothing dropped, the operator halted) when the fills cannot be cut again.
   */
  restartFrom(b: StoredBatch<BatchBody>, why: string, what: string, round?: Round): boolean;
  log(line: string): void;
}

/**
 * Drops `b` and every batch cut after it (their fills and withdrawal requests pending
 * again), at `round`'s prices if given (a late batch), else at their own, in one
 * transaction.
 */
export function dropBatchesFrom(
  store: Store,
  b: StoredBatch<BatchBody>,
  why: string,
  what: string,
  round?: Round,
): void {
  store.transaction(() => {
    for (const x of store.batches<BatchBody>(["built", "proved", "submitted"], b.id - 1)) {
      store.setBatchStatus(x.id, "dropped", {
        error: x.id === b.id ? why : `cut after batch ${b.id}, which was ${what}`,
      });
      const r = round?.roundId ?? ("round" in x.body ? x.body.round : 0n);
      if (x.body.kind === "trades") store.matches.unbatch(x.id, r);
      if (x.body.kind === "withdrawals")
        store.withdrawals.unbatch(x.body.withdrawals.map(withdrawalId));
      // the fund owner's move a dropped liquidation batch carried waits for the next one
      if (x.body.kind === "liquidations" && x.body.compartmentMove)
        store.withdrawals.unbatch([compartmentMoveId(x.body.compartmentMove)]);
    }
    if (round) {
      store.matches.reprice(round.roundId);
      store.setMeta("round", toJson(round));
    }
  });
}

/** The operator's two ways of cutting batches again: late for their round, or unattested. */
export class Redo {
  /** Until when only deposits and forced answers are cut (the committee did not attest). */
  holdAttestedUntil = 0;

  constructor(private readonly host: RedoHost) {}

  /**
   * Settlement refused batch `b` as late (its oracle round superseded for longer than the
   * grace, or too old): it and every batch cut after it are dropped and cut again at the
   * latest round, as they were: the same fills (reported fills stand), withdrawal requests
   * and deposits, at the new prices. A fill the new prices no longer allow halts the
   * operator, saying so (cutTrades).
   */
  late(b: StoredBatch<BatchBody>, why: string): void {
    const latest = this.host.latestSeen;
    const round = "round" in b.body ? b.body.round : undefined;
    // cut again only at a newer round; until one is posted the batch waits (asked again)
    if (!latest || (round !== undefined && latest.roundId <= round)) {
      this.host.log(`batch ${b.id}: late (${why}); waiting for a newer oracle round`);
      return;
    }
    if (!this.host.restartFrom(b, why, "late", latest)) return;
    this.host.log(
      `batch ${b.id}: late (${why}); it and the batches after it are cut again at round ${latest.roundId}`,
    );
  }

  /**
   * The data committee has not attested `b` for `committeeWaitMs`: it and the batches after
   * it are dropped (fills and withdrawal requests pending again), and for the next
   * `committeeWaitMs` only deposits and forced answers are cut, against the settled state,
   * so that the committee withholding signatures never holds up the way out. Then trading
   * is tried again.
   */
  unattested(b: StoredBatch<BatchBody>, why: string): void {
    if (!this.host.restartFrom(b, why, "not attested")) return;
    this.holdAttestedUntil = Date.now() + this.host.committeeWaitMs;
    this.host.log(
      `batch ${b.id}: the data committee has not attested it (${why}); it and the batches after it are dropped, deposits and forced answers go first`,
    );
  }
}
