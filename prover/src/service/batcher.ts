import type { Account } from "../domain/account.ts";
import type { BatchData, BatchKind, BatchRequest } from "../domain/batch.ts";
import type { StoredBatch } from "../store/store.ts";
import type { StateJournal } from "../engine/state.ts";
import { batchOperations } from "../domain/batch-kinds.ts";
import { isRotation, type Deposit } from "../domain/transfers.ts";
import { endOldKey, rotatedAccounts, type QueuedDeposit } from "./owner-rotation.ts";
import type { ForcedRequest } from "../domain/forced.ts";
import { applyBatch } from "../engine/kinds.ts";
import { isLiquidatable, LiquidatorError } from "../engine/liquidations.ts";
import { deleverageable } from "../engine/deleverage.ts";
import { compartmentValues } from "../domain/compartments.ts";
import type { LiquidationTakerRequest } from "../domain/batch.ts";
import { chooseTakers, handoverCount } from "./liquidators.ts";
import { settleFunding, settleFundingByMarket } from "../domain/funding.ts";
import { TransferBatchError } from "../engine/transfers.ts";
import { TradeError } from "../engine/trades.ts";
import { OperatorError, type BatchBody, type OperatorContext } from "./context.ts";
import type { Sequencer } from "./sequencer.ts";
import type { OfferBook } from "./offer-book.ts";
import { accountsOf, deleveragedOf, takersOf } from "./batch-accounts.ts";
import { dropDeleveragedMatches } from "./deleveraged.ts";
import { scaledMarkets } from "../domain/volatility.ts";
import { INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { CompartmentMoveError } from "../domain/compartment-moves.ts";
import type { StoredWithdrawal } from "../store/withdrawals.ts";
import {
  compartmentMoveId,
  debitsOnly,
  nextQueuedMove,
  type NonceSpend,
  type QueuedMove,
} from "./compartment-moves.ts";

/**
 * Cuts batches: applies each to the engine's state (every rule its circuit enforces) and
 * stores it with its circuit input, in one transaction with the bookkeeping it implies,
 * before anything proves or publishes it. Deposits in queue order, liquidations ahead of
 * trades, trades at the prices they were matched at, withdrawals at the current round.
 */
/** How many batches a state snapshot is taken after. */
export const SNAPSHOT_EVERY = 20;

/** What a snapshot holds: the accounts and where the deposit queue stands. */
interface Snapshot {
  readonly accounts: [bigint, Account][];
  readonly depositsSeen: number;
  readonly queueHash: bigint;
  /** Forced requests answered and the forced queue hash (absent in older snapshots: 0). */
  readonly forcedSeen?: number;
  readonly forcedHash?: bigint;
}

export class Batcher {
  /** Accounts with an open position: the only ones a price move can make liquidatable. */
  private readonly withPositions = new Set<bigint>();
  /**
   * The liquidation batch in flight, with what its writes replaced: nothing is cut after a
   * liquidation until it settles, so that if its oracle round is superseded before it
   * lands (Settlement takes liquidations only at the latest round) it can be undone.
   */
  openLiquidation: { readonly id: number; readonly journal: StateJournal } | undefined;
  /** Deposits seen on-chain, not yet in a batch. */
  readonly pendingDeposits: Deposit[] = [];
  private queueHash = 0n;
  private depositsSeen = 0;
  /** Forced requests seen on Settlement's queue, not yet in a batch. */
  readonly pendingForced: ForcedRequest[] = [];
  private forcedHash = 0n;
  private forcedSeen = 0;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly seq: Sequencer,
    private readonly offers: OfferBook,
    private readonly snapshotEvery = SNAPSHOT_EVERY,
  ) {}

  /** Where the next look at the Vault's queue starts. */
  get nextDeposit(): number {
    return this.depositsSeen + this.pendingDeposits.length;
  }

  /** The deposits not yet in a batch, with their queue positions. */
  get queued(): QueuedDeposit[] {
    return this.pendingDeposits.map((deposit, i) => ({ at: this.depositsSeen + i, deposit }));
  }

  /** Where the next look at Settlement's forced queue starts. */
  get nextForced(): number {
    return this.forcedSeen + this.pendingForced.length;
  }

  /**
   * Applies a stored batch again (the restart's replay); throws if the root differs. A
   * liquidation batch not yet settled (always the last, see openLiquidation) is journaled.
   */
  replay(b: StoredBatch<BatchBody>): void {
    const body = b.body;
    const before = this.ctx.state.root;
    const inFlight = b.kind === "liquidations" && b.status !== "settled";
    if (inFlight && body.kind === "liquidations") {
      this.ctx.state.startJournal();
      this.handover.set(b.id, this.handoverOf(body.accounts, body.takers));
    }
    // its own batches, checked when cut: the roots are checked, the signatures not again
    let r: ReturnType<typeof applyBatch>;
    try {
      r = applyBatch(this.ctx.state, body, this.ctx.p, { trustSignatures: true });
    } catch (e) {
      if (inFlight) this.ctx.state.stopJournal();
      throw e;
    }
    if (inFlight) this.openLiquidation = { id: b.id, journal: this.ctx.state.stopJournal() };
    this.lastBatch = b.id;
    if (r.data.newRoot !== body.newRoot || before !== body.oldRoot) {
      throw new OperatorError(
        "REPLAY_MISMATCH",
        `replaying stored ${body.kind} batch gave another root than stored`,
      );
    }
    this.afterApply(r.data, b.id);
  }

  /** The operator's indexes follow every applied batch (batch `id`). */
  private afterApply(d: BatchData, id: number): void {
    if (d.kind === "deposits") {
      this.queueHash = d.queueTo;
      this.depositsSeen += d.deposits.length;
    }
    if (d.kind === "trades")
      this.trackPositions(d.trades.flatMap((t) => [t.buy.order.account, t.sell.order.account]));
    if (d.kind === "liquidations")
      this.trackPositions([...d.accounts, ...takersOf(d), ...deleveragedOf(d)]);
    if (d.kind === "forced") {
      this.ctx.forcedAnswered?.(id, this.forcedSeen, d.requests.length, d.outcomes);
      this.forcedHash = d.queueTo;
      this.forcedSeen += d.requests.length;
    }
  }

  /** Applies and stores one batch; `extra(id)` runs in the same store transaction. */
  private cut(kind: BatchKind, req: BatchRequest, extra: (id: number) => void = () => {}): number {
    const r = applyBatch(this.ctx.state, req, this.ctx.p);
    const body: BatchBody = { ...r.data, circuitInput: r.signals };
    const id = this.ctx.store.transaction(() => {
      const id = this.ctx.store.insertBatch(kind, body, body.oldRoot, body.newRoot);
      extra(id);
      return id;
    });
    this.afterApply(r.data, id);
    if (r.data.kind === "liquidations") dropDeleveragedMatches(this.ctx, this.seq, r.data, id);
    this.lastBatch = id;
    this.ctx.log(`batch ${id}: ${batchOperations(r.data)} ${kind}`);
    // the offers of the accounts it changed are backed as before, or no longer, or again
    this.offers.recheck(accountsOf(r.data));
    return id;
  }

  /**
   * Cuts the oldest queued deposits (at most K) into one deposit batch. An owner key rotation
   * among them (the governance's Vault.queueOwnerKey) ends what the old key signed: the
   * account's matches still pending are cut into trade batches first (they were signed with
   * the key then in the leaf), and in the batch's own transaction its resting orders are
   * cancelled and its pending withdrawal requests refused, each with the reason (the circuits
   * would refuse the old key's signatures after the rotation). While the committee holds
   * trade batches back (`tradesAllowed` false) those matches cannot be cut: the batch stops
   * short of the first such rotation, so that the deposits ahead of it are still credited.
   * Returns false, cutting nothing, when the next entry is such a rotation or the operator
   * halted.
   */
  cutDeposit(tradesAllowed = true): boolean {
    let ds = this.pendingDeposits.slice(0, this.ctx.p.deposits);
    if (!tradesAllowed) {
      const stop = ds.findIndex((d) => isRotation(d) && this.seq.hasPending(d.account));
      if (stop === 0) return false;
      if (stop > 0) ds = ds.slice(0, stop);
    }
    const rotated = rotatedAccounts(ds);
    for (const a of rotated) {
      while (this.seq.hasPending(a)) {
        const before = this.seq.pending.length;
        if (!tradesAllowed) return false;
        this.cutTrades();
        if (this.ctx.halted() || this.seq.pending.length === before) return false;
      }
    }
    this.cut("deposits", { kind: "deposits", deposits: ds, queueFrom: this.queueHash }, (id) => {
      for (const a of rotated) endOldKey(this.ctx, this.seq, a, id);
    });
    this.pendingDeposits.splice(0, ds.length);
    return true;
  }

  /**
   * Answers the oldest forced requests (at most F = W) in one batch at the current round:
   * each is paid or refused with its proven reason (engine/forced.ts); a forced request is
   * never dropped, so the batch always cuts.
   */
  cutForced(): void {
    const round = this.ctx.round()!;
    const requests = this.pendingForced.slice(0, this.ctx.p.withdrawals);
    this.cut("forced", {
      kind: "forced",
      requests,
      queueFrom: this.forcedHash,
      marks: round.prices,
      round: round.roundId,
      fundingIndices: round.fundingIndices,
      margins: round.margins,
    });
    this.pendingForced.splice(0, requests.length);
  }

  // ---------------------------------------------------------------- snapshots

  /** The last batch applied (cut or replayed). */
  private lastBatch = 0;

  /**
   * Saves the state after the last batch, every `snapshotEvery` batches, when nothing after
   * it can be undone (no liquidation in flight): a restart then replays only what follows.
   */
  snapshotIfDue(): void {
    const last = this.ctx.store.snapshots.latestBatch() ?? 0;
    if (this.openLiquidation || this.lastBatch - last < this.snapshotEvery) return;
    const state: Snapshot = {
      accounts: [...this.ctx.state.entries()],
      depositsSeen: this.depositsSeen,
      queueHash: this.queueHash,
      forcedSeen: this.forcedSeen,
      forcedHash: this.forcedHash,
    };
    this.ctx.store.snapshots.save(this.lastBatch, this.ctx.state.root, state);
  }

  /**
   * Loads the latest snapshot if its batch is still part of the history and its accounts
   * hash to that batch's root; returns the batch to replay after (0: from genesis).
   */
  restoreSnapshot(): number {
    const { store, state } = this.ctx;
    // the latest that holds; one that does not is deleted, never trusted
    for (let s = store.snapshots.latest<Snapshot>(); s; s = store.snapshots.latest<Snapshot>()) {
      const b = store.getBatch(s.batch);
      if (b && b.status === "settled" && b.newRoot === s.root) {
        state.startJournal();
        for (const [index, a] of s.state.accounts) state.setAccount(index, a, false);
        const journal = state.stopJournal();
        if (state.root === s.root) {
          this.depositsSeen = s.state.depositsSeen;
          this.queueHash = s.state.queueHash;
          this.forcedSeen = s.state.forcedSeen ?? 0;
          this.forcedHash = s.state.forcedHash ?? 0n;
          this.lastBatch = s.batch;
          this.trackPositions(s.state.accounts.map(([i]) => i));
          return s.batch;
        }
        state.rollback(journal);
      }
      this.ctx.log(`snapshot at batch ${s.batch} does not match its batch: deleted`);
      store.snapshots.delete(s.batch);
    }
    return 0;
  }

  /**
   * Cuts the oldest pending matches (of one round: they were checked at its prices) into one
   * trade batch, and marks them batched in the same transaction.
   */
  cutTrades(): void {
    const round = this.ctx.round()!;
    const taken = this.seq.take(this.ctx.p.batch);
    if (!taken) return;
    if (taken.round !== round.roundId)
      throw new OperatorError(
        "REPLAY_MISMATCH",
        `matches of round ${taken.round} are pending at round ${round.roundId}`,
      );
    const { trades, seqs } = taken;
    try {
      this.cut(
        "trades",
        {
          kind: "trades",
          trades,
          marks: round.prices,
          round: round.roundId,
          fundingIndices: round.fundingIndices,
          margins: round.margins,
          reduceOnly: round.reduceOnly ?? 0n,
        },
        (id) => this.ctx.store.matches.markBatched(seqs, id),
      );
    } catch (e) {
      // matches are checked when made; only fills cut again at a later round (a late
      // batch) can fail here: reported fills cannot be taken back, so stop and say so
      if (!(e instanceof TradeError)) throw e;
      this.ctx.fail(
        `reported fills (matches ${seqs.join(", ")}) cannot settle at oracle round ${round.roundId}: ${e.message}`,
      );
      return;
    }
    this.seq.settleProjections();
  }

  /** Accounts that now have (or no longer have) an open position. */
  private trackPositions(accounts: readonly bigint[]): void {
    for (const a of accounts) {
      if (this.ctx.state.getAccount(a).positions.some((p) => p.size !== 0n))
        this.withPositions.add(a);
      else this.withPositions.delete(a);
    }
  }

  /**
   * Positions each in-flight liquidation batch hands to liquidators and to the fund, counted
   * when it is cut (or replayed unsettled) and reported once it settles.
   */
  private readonly handover = new Map<number, { liquidator: number; fund: number }>();

  private handoverOf(
    accounts: readonly bigint[],
    takers?: readonly (LiquidationTakerRequest | null)[],
  ) {
    return handoverCount(accounts, takers, (a) => this.ctx.state.getAccount(a));
  }

  /**
   * Liquidates every account the current prices put below maintenance (from the index),
   * handing each one's positions to a liquidator by the watcher's rule (./liquidators.ts)
   * and the rest to the fund.
   */
  cutLiquidations(): void {
    const { state, p, liquidating } = this.ctx;
    const round = this.ctx.round()!;
    const due = [...this.withPositions].filter(
      (a) =>
        !liquidating.has(a) &&
        isLiquidatable(
          settleFunding(state.getAccount(a), round.fundingIndices).account,
          round.prices,
          scaledMarkets(state.markets, round.margins, "liquidation"),
        ),
    );
    // the fund owner's compartment move, once its turn has come: applied before the slots
    const move = nextQueuedMove(this.ctx);
    // one batch at a time (the rest after it settles): it must stay the last batch cut.
    // A compartment left under water with lots to close deleverages further on its own.
    if (due.length === 0 && !move && !this.deleverageDue()) return;
    this.tryLiquidations(due.slice(0, p.liquidations), move);
  }

  /**
   * Whether a compartment is under water where deleveraging would close a lot (what an
   * earlier batch's entries left, or a ranked position that can now afford one): the engine
   * deleverages it further in the next liquidation batch, even one without liquidations.
   */
  private deleverageDue(): boolean {
    const { state } = this.ctx;
    const round = this.ctx.round()!;
    const fund = settleFundingByMarket(
      state.getAccount(INSURANCE_ACCOUNT),
      round.fundingIndices,
    ).account;
    const liquidatable = scaledMarkets(state.markets, round.margins, "liquidation");
    return compartmentValues(fund, round.prices).some((c, j) =>
      deleverageable(state, fund, j, -c, round.prices, round.fundingIndices, liquidatable),
    );
  }

  /**
   * Cuts one liquidation batch of `accounts` (handed to liquidators by the watcher's rule)
   * carrying `move`. The engine deleverages what the compartments cannot pay.
   */
  private tryLiquidations(
    accounts: readonly bigint[],
    move: StoredWithdrawal<QueuedMove> | undefined,
  ): void {
    const { state, liquidating } = this.ctx;
    const round = this.ctx.round()!;
    const { takers: chosen, failed } = chooseTakers({
      accounts,
      offers: this.offers.ranked(),
      // an account with matches waiting for a trade batch is margined on projections
      // that would not include the take: it takes nothing this time
      busy: (i) => this.seq.hasPending(i),
      account: (i) => (state.hasAccount(i) ? state.getAccount(i) : undefined),
      marks: round.prices,
      indices: round.fundingIndices,
      // the round's requirements (a liquidator must meet its initial margin)
      markets: scaledMarkets(state.markets, round.margins),
      liquidation: scaledMarkets(state.markets, round.margins, "liquidation"),
    });
    // returns the accounts the batch cut liquidates (undefined: nothing was cut)
    const cut = (
      takers: readonly (LiquidationTakerRequest | null)[] | undefined,
      carried = move,
      list: readonly bigint[] = accounts,
    ): readonly bigint[] | undefined => {
      const handover = this.handoverOf(list, takers);
      state.startJournal();
      try {
        const id = this.cut(
          "liquidations",
          {
            kind: "liquidations",
            accounts: list,
            ...(takers ? { takers } : {}),
            ...(carried ? { compartmentMove: carried.body.compartmentMove } : {}),
            marks: round.prices,
            round: round.roundId,
            fundingIndices: round.fundingIndices,
            margins: round.margins,
          },
          () => carried && this.ctx.store.withdrawals.markBatched([carried.id]),
        );
        this.openLiquidation = { id, journal: state.stopJournal() };
        this.handover.set(id, handover);
        for (const t of takers ?? []) if (t) this.ctx.taking.add(t.offer.offer.account);
        return list;
      } catch (e) {
        state.stopJournal();
        if (carried && e instanceof CompartmentMoveError) {
          // the move no longer holds at this round: refused for good, with the fund's
          // requests behind it (their nonces follow it); the liquidations go on without it
          this.refuseMove(carried, e);
          return cut(takers, undefined, list);
        }
        if (takers && e instanceof LiquidatorError) {
          // a market the batch deleverages takes no liquidator (its share would be paid by
          // the deleveraged traders); any other refusal means the watcher's rule and the
          // engine's checks differ, a bug: either way the fund takes every position
          this.ctx.log(
            `a liquidator was refused by the engine (${e.code}: ${e.message}); the fund takes every position`,
          );
          return cut(undefined, carried, list);
        }
        this.ctx.log(`liquidation refused by the engine: ${String(e)}`);
        return undefined;
      }
    };
    const done = cut(chosen.some((t) => t) ? chosen : undefined);
    // offers the rule found wanting are suspended if their accounts no longer back them
    this.offers.recheck(failed);
    for (const a of done ?? []) {
      liquidating.add(a);
      this.seq.cancelAccount(a, "account liquidated");
    }
  }

  /**
   * Undoes the in-flight liquidation batch: its oracle round was superseded before it
   * landed, so Settlement would refuse it. The accounts return to their state before it,
   * the batch is marked dropped, and the watcher looks again at the new round.
   */
  dropLiquidation(b: StoredBatch<BatchBody>, why: string): void {
    const open = this.openLiquidation;
    if (!open || open.id !== b.id || b.body.kind !== "liquidations") return;
    this.ctx.state.rollback(open.journal);
    if (this.ctx.state.root !== b.oldRoot)
      throw new OperatorError("REPLAY_MISMATCH", `undoing batch ${b.id} gave another root`);
    this.ctx.store.setBatchStatus(b.id, "dropped", { error: why });
    for (const a of b.body.accounts) this.ctx.liquidating.delete(a);
    for (const t of takersOf(b.body)) this.ctx.taking.delete(t);
    if (b.body.compartmentMove)
      this.ctx.store.withdrawals.unbatch([compartmentMoveId(b.body.compartmentMove)]);
    this.handover.delete(b.id);
    this.trackPositions([...b.body.accounts, ...takersOf(b.body)]);
    this.offers.recheck([...b.body.accounts, ...takersOf(b.body)]);
    this.openLiquidation = undefined;
    this.ctx.log(`batch ${b.id}: liquidation dropped (${why}); looking again`);
  }

  /**
   * A liquidation batch settled: its takers trade again, its positions are counted, and
   * batches may be cut after it again.
   */
  liquidationSettled(b: StoredBatch<BatchBody>): void {
    if (b.body.kind !== "liquidations") return;
    for (const t of takersOf(b.body)) this.ctx.taking.delete(t);
    const h = this.handover.get(b.id);
    if (h) {
      this.ctx.metrics.liquidatedPositions.liquidator += h.liquidator;
      this.ctx.metrics.liquidatedPositions.fund += h.fund;
      this.handover.delete(b.id);
    }
    if (this.openLiquidation?.id === b.id) this.openLiquidation = undefined;
  }

  /** Refuses a queued move for good, and the fund's queued requests behind it. */
  private refuseMove(m: StoredWithdrawal<QueuedMove>, e: CompartmentMoveError): void {
    const { store } = this.ctx;
    const behind = store.withdrawals.pendingOf(INSURANCE_ACCOUNT).filter((x) => x.nonce > m.nonce);
    store.transaction(() => {
      store.withdrawals.refuse(m.id, `${e.code}: ${e.message}`);
      for (const x of behind)
        store.withdrawals.refuse(
          x.id,
          `it follows compartment move ${m.id}, which was refused (${e.code})`,
        );
    });
    this.ctx.log(`compartment move ${m.id} refused: ${e.message}`);
  }

  /**
   * Cuts the oldest withdrawal requests into one withdrawal batch at the current round. A
   * request the engine refuses (it can no longer be paid) is refused alone, with its
   * reason, together with the same account's later requests (their nonces follow it); the
   * others go on in the batch.
   */
  cutWithdrawals(): void {
    const { store } = this.ctx;
    const round = this.ctx.round()!;
    // the fund's compartment moves wait for a liquidation batch, its later requests behind them
    let reqs = debitsOnly(store.withdrawals.pending<NonceSpend>()).slice(0, this.ctx.p.withdrawals);
    while (reqs.length > 0) {
      const withdrawals = reqs.map((x) => x.body);
      const ids = reqs.map((x) => x.id);
      try {
        this.cut(
          "withdrawals",
          {
            kind: "withdrawals",
            withdrawals,
            marks: round.prices,
            round: round.roundId,
            fundingIndices: round.fundingIndices,
            margins: round.margins,
          },
          () => store.withdrawals.markBatched(ids),
        );
        return;
      } catch (e) {
        if (!(e instanceof TransferBatchError)) throw e;
        const bad = reqs[e.slot];
        // every queued request of the account from that nonce on: its withdrawals, and a
        // fund's compartment moves, which the batch's list leaves out
        const gone = store.withdrawals
          .pendingOf(bad.account)
          .filter((x) => x.nonce >= bad.nonce) as StoredWithdrawal<NonceSpend>[];
        store.transaction(() => {
          for (const x of gone)
            store.withdrawals.refuse(
              x.id,
              x.id === bad.id
                ? e.message
                : `it follows request ${bad.id}, which was refused (${e.code})`,
            );
        });
        this.ctx.log(`withdrawal ${bad.id} refused: ${e.message}`);
        reqs = reqs.filter((x) => !gone.some((g) => g.id === x.id));
      }
    }
  }
}
