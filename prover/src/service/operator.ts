import { TradeError } from "../engine/trades.ts";
import type { MarketParams } from "../domain/market.ts";
import type { Owners } from "../domain/owners.ts";
import type { ParamSet } from "../domain/params.ts";
import type { SignedOrder } from "../domain/order.ts";
import type { EdDSASignature } from "../domain/keys.ts";
import type {
  ChainPort,
  FundingPort,
  InputCheck,
  ProofVerifier,
  ProverPort,
  OwnerRotationView,
  ProvingPool,
  Round,
} from "../domain/ports.ts";
import type { Debit } from "../domain/sub-accounts.ts";
import type { SignedCompartmentMove } from "../domain/compartment-moves.ts";
import { nextQueuedMove, requestCompartmentMove } from "./compartment-moves.ts";
import { compartmentValues } from "../domain/compartments.ts";
import { INSURANCE_ACCOUNT } from "../domain/constants.ts";
import type { FundView } from "./metrics.ts";
import { fromJson, toJson } from "../domain/json.ts";
import { ExchangeState } from "../engine/state.ts";
import type { Store } from "../store/store.ts";
import { Batcher } from "./batcher.ts";
import { takersOf } from "./batch-accounts.ts";
import type { BatchBody, OperatorContext, OperatorMetrics, OrderAck } from "./context.ts";
import {
  reduceOnlyNote,
  registerAnomalyMetrics,
  registerBreakerMetrics,
  registerMarginMetrics,
  marginsNote,
  ServiceMetrics,
} from "./metrics.ts";
import { AnomalyWatch } from "./anomaly-watch.ts";
import type { AnomalyThresholds } from "../domain/anomalies.ts";
import { ForcedBook } from "./forced-book.ts";
import { OfferBook } from "./offer-book.ts";
import { FundingTicker } from "./funding.ts";
import { Pipeline } from "./pipeline.ts";
import { Sequencer } from "./sequencer.ts";
import { COMMITTEE_WAIT_MS, dropBatchesFrom, Redo } from "./redo.ts";
import {
  dropOverdueMatches,
  noticeRotations,
  noticeStranded,
  ROTATION_WAIT_MS,
} from "./owner-rotation.ts";
import { isOwnedAccount, isRotation } from "../domain/transfers.ts";
import type { StoredBatch } from "../store/store.ts";

export { OperatorError, type BatchBody, type OrderAck, type OperatorMetrics } from "./context.ts";

export interface OperatorOptions {
  readonly params: ParamSet;
  readonly markets: readonly MarketParams[];
  /** The deployment's domain (domain/messages.ts): what every signed message names. */
  readonly domain: bigint;
  /** The system accounts' owners (their genesis leaves' keys) and the fund floor. */
  readonly owners: Owners;
  readonly fundFloor?: bigint;
  readonly store: Store;
  readonly chain: ChainPort;
  readonly prover: ProverPort;
  /**
   * Pipelined proving: a pool of provers (local processes or workers on a job queue) and
   * the verifier every proof it returns is checked with; without it `prover` proves one
   * batch at a time.
   */
  readonly pool?: {
    readonly jobs: ProvingPool;
    readonly verifier: ProofVerifier;
    readonly inputCheck: InputCheck;
  };
  readonly log?: (s: string) => void;
  /** A state snapshot is saved every this many batches (default SNAPSHOT_EVERY, 20). */
  readonly snapshotEvery?: number;
  /**
   * How long a trade, withdrawal or liquidation batch may wait for the data committee's
   * signatures before it and the batches after it are dropped, so that deposits and forced
   * answers (which need none) are cut and sent first; ms, default 10 minutes.
   */
  readonly committeeWaitMs?: number;
  /**
   * How long a queued owner key rotation waits, from when the operator first sees it, for
   * the account's pending matches while the committee holds trade batches back; then they
   * are dropped with their reason and the rotation is credited. ms, default 1 hour
   * (ROTATION_WAIT_MS); keep it well under half the deployment's depositDeadline.
   */
  readonly rotationWaitMs?: number;
  /**
   * The Funding contract: with it the operator ticks funding when due (./funding.ts); the
   * service always has one, test rigs only when they ask.
   */
  readonly funding?: FundingPort;
  /** The anomaly watch's thresholds, bps (default: domain/anomalies.ts ANOMALY_KINDS). */
  readonly anomalies?: Partial<AnomalyThresholds>;
}

/**
 * The operator: sequences orders into per-market books (./sequencer.ts), cuts batches and
 * applies them in the engine, storing each before anything else sees it (./batcher.ts),
 * proves and submits them in order (./pipeline.ts), and recovers from a restart by
 * replaying the store.
 *
 * Durability: an order is acknowledged only after it is in the store; a batch is stored
 * (with the order updates it implies, in one transaction) before it is proved. Matches
 * not yet in a batch are not stored: after a restart the open orders are replayed into
 * the books in arrival order, which re-derives them.
 */
export class Operator {
  readonly p: ParamSet;
  readonly metrics: OperatorMetrics = {
    ordersAccepted: 0,
    ordersRefused: 0,
    tradesMatched: 0,
    batchesSettled: { trades: 0, deposits: 0, withdrawals: 0, liquidations: 0, forced: 0 },
    batchesRefused: 0,
    proveMs: 0,
    proofsRejected: 0,
    proofAttempts: new Map(),
    liquidatedPositions: { liquidator: 0, fund: 0 },
  };
  private readonly store: Store;
  private readonly chain: ChainPort;
  // the in-memory operator, made again (as after a restart) when late batches are redone
  private ctx!: OperatorContext;
  private sequencer!: Sequencer;
  private batcher!: Batcher;
  private pipeline!: Pipeline;
  private round: Round | undefined;
  private pendingLiquidationCheck = false;
  private busy: Promise<void> = Promise.resolve();
  /** The service's Prometheus metrics (GET /metrics). */
  readonly prometheus: ServiceMetrics;
  /** Forced requests seen on Settlement, their deadlines and answers (GET /v1/forced). */
  readonly forced = new ForcedBook();
  /** Liquidators' standing offers (POST/GET /v1/liquidator-offers; the watcher's rule reads them). */
  readonly offers = new OfferBook(() => this.ctx);
  /** Price jumps, signers' spread, the fund's fall, outflows (./anomaly-watch.ts). */
  readonly anomalies: AnomalyWatch;
  /** Funding ticks, when the operator has the Funding contract. */
  private readonly fundingTicker: FundingTicker | undefined;
  /** Owner key rotations seen on the Vault's queue: position → account (kept across redos). */
  private readonly rotationsSeen = new Map<number, bigint>();
  /** The Vault's latest rotation of each owned account, as last read (readRotations). */
  private vaultRotations: readonly OwnerRotationView[] = [];
  /** Forced batches known to have settled (settled is final). */
  private readonly settledBatches = new Set<number>();

  private constructor(private readonly o: OperatorOptions) {
    this.p = o.params;
    this.store = o.store;
    this.chain = o.chain;
    this.prometheus = new ServiceMetrics(
      this.metrics,
      () => this.halted !== undefined,
      () =>
        this.store.countBatches("built") +
        this.store.countBatches("proved") +
        this.store.countBatches("submitted"),
      () => this.forced.stats((b) => this.isSettled(b)),
      () => this.fundingTicker?.view,
      () => this.offers.counts(),
      () => this.fundView(),
    );
    this.fundingTicker =
      o.funding && new FundingTicker(o.funding, o.store, o.markets.length, (s) => this.ctx.log(s));
    this.anomalies = new AnomalyWatch(
      o,
      () => this.ctx.state,
      (s) => this.ctx.log(s),
    );
    registerAnomalyMetrics(this.prometheus.registry, () => this.anomalies.view());
    registerBreakerMetrics(this.prometheus.registry, o.markets.length, () => this.round);
    registerMarginMetrics(this.prometheus.registry, o.markets.length, () => this.round);
    this.init();
  }

  /** The exchange state after every batch cut so far. */
  get state(): ExchangeState {
    return this.ctx.state;
  }

  /** The in-memory operator from nothing: state at genesis, empty books, no round. */
  private init(): void {
    const o = this.o;
    this.round = undefined;
    this.pendingLiquidationCheck = false;
    // the batches are replayed (load): their answers come back with them
    this.forced.resetAnswers();
    this.ctx = {
      p: o.params,
      state: ExchangeState.genesis(o.params.depth, o.markets, o.domain, o.owners, o.fundFloor),
      store: o.store,
      log: o.log ?? (() => {}),
      metrics: this.metrics,
      liquidating: new Set(),
      taking: new Set(),
      round: () => this.round,
      timings: this.prometheus,
      halted: () => this.halted,
      fail: (why) => {
        this.failed ??= why;
        this.ctx.log(`HALTED: ${why}`);
      },
      frozen: () => this.frozenWhy,
      forcedAnswered: (batch, from, count, outcomes) =>
        this.forced.answered(batch, from, count, outcomes),
      rotating: (a) => {
        if (!isOwnedAccount(a)) return undefined;
        // not yet in a batch (one dropped since puts it back, before the queue is read again)
        const credited = this.batcher.nextDeposit - this.batcher.pendingDeposits.length;
        for (const r of this.vaultRotations)
          if (r.account === a && (r.position === null || r.position >= credited))
            return { at: r.position, time: r.time };
        for (const [at, account] of this.rotationsSeen)
          if (account === a && at >= credited) return { at };
        return undefined;
      },
    };
    this.sequencer = new Sequencer(this.ctx);
    this.batcher = new Batcher(this.ctx, this.sequencer, this.offers, o.snapshotEvery);
    this.pipeline = new Pipeline(
      this.ctx,
      o.prover,
      o.chain,
      {
        settled: (b) => this.batcher.liquidationSettled(b),
        staleLiquidation: (b, why) => {
          this.batcher.dropLiquidation(b, why);
          this.pendingLiquidationCheck = true;
        },
        late: (b, why) => this.redo.late(b, why),
        unattested: (b, why) => this.redo.unattested(b, why),
      },
      this.committeeWaitMs,
      o.pool,
    );
  }

  /** With a pool: the proofs collected and refused since the operator (re)started. */
  get proofs() {
    return this.pipeline.collector;
  }

  /**
   * Opens the operator over a store: loads the latest state snapshot (if it still holds)
   * and replays the batches after it, then puts back the round, the open orders and the
   * pending matches.
   */
  static open(o: OperatorOptions): Operator {
    const op = new Operator(o);
    op.load();
    return op;
  }

  private load(): void {
    const store = this.store;
    const from = this.batcher.restoreSnapshot();
    for (const b of store.batches<BatchBody>(["built", "proved", "submitted", "settled"], from)) {
      this.batcher.replay(b);
      this.replayedOnOpen++;
    }
    this.pipeline.restore();
    for (const b of store.batches<BatchBody>(["built", "proved", "submitted"])) {
      if (b.body.kind === "liquidations") {
        for (const a of b.body.accounts) this.ctx.liquidating.add(a);
        for (const t of takersOf(b.body)) this.ctx.taking.add(t);
      }
    }
    const round = store.getMeta("round");
    if (round) this.round = fromJson(round);
    this.sequencer.restore();
  }

  /** Redoes late or unattested batches (./redo.ts). */
  private readonly redo = new Redo(this);

  /**
   * Drops the batches from `b` on, then starts the in-memory operator again from the store,
   * all or nothing: when the fills cannot be cut again at `round` (its prices leave an
   * account below margin, or its circuit breaker makes the market reduce-only), the store is
   * left as it was, the operator is rebuilt from it and halts, saying which fill and why:
   * reported fills are never taken back, and a person decides.
   */
  restartFrom(b: StoredBatch<BatchBody>, why: string, what: string, round?: Round): boolean {
    try {
      this.store.transaction(() => {
        dropBatchesFrom(this.store, b, why, what, round);
        this.init();
        this.load();
      });
    } catch (e) {
      if (!(e instanceof TradeError)) throw e;
      this.init();
      this.load();
      this.ctx.fail(
        `batch ${b.id} was ${what} (${why}) and its fills cannot be cut again${round ? ` at oracle round ${round.roundId}` : ""}: ${e.message}; reported fills are never taken back, so the operator stops with its store as it was`,
      );
      return false;
    }
    // a liquidation cut after the dropped batch was dropped with it: look again now
    this.pendingLiquidationCheck = true;
    return true;
  }

  /**
   * Reads the Vault's record of the owned accounts' latest owner key rotations: one not yet
   * credited (queued, or stranded behind a closed queue) refuses the account's orders and
   * withdrawals; a stranded one also cancels its resting orders and refuses its pending
   * withdrawals, once. Every step does it; the service also before its API serves, so that
   * nothing the old key signs is taken after a restart before the first step.
   */
  async readRotations(): Promise<void> {
    if (!this.chain.ownerRotations) return;
    this.vaultRotations = await this.chain.ownerRotations();
    noticeStranded(this.ctx, this.sequencer, this.vaultRotations);
  }

  log(line: string): void {
    this.ctx.log(line);
  }

  get committeeWaitMs(): number {
    return this.o.committeeWaitMs ?? COMMITTEE_WAIT_MS;
  }

  /** The latest oracle round the operator has read from the chain. */
  latestSeen: Round | undefined;

  /** How many batches `open` replayed (those after the snapshot it loaded, if any). */
  replayedOnOpen = 0;

  /** A failure only a restart recovers from (the store refused a write), if any. */
  private failed: string | undefined;

  /** Funding as last read from the chain (undefined without the Funding contract or before the first read). */
  get funding() {
    return this.fundingTicker?.view;
  }

  /** Whether batch `id` settled on-chain. */
  isSettled(id: number): boolean {
    if (this.settledBatches.has(id)) return true;
    if (this.store.getBatch(id)?.status !== "settled") return false;
    this.settledBatches.add(id);
    return true;
  }

  private frozenWhy: string | undefined;

  /**
   * Why the operator takes no more work, once it has seen Settlement frozen: the freeze is
   * final, no batch can land again, users leave by exits. Intake answers EXCHANGE_FROZEN.
   */
  get frozen(): string | undefined {
    return this.frozenWhy;
  }

  /** Stops for good once Settlement is frozen, saying so once. */
  private noticeFreeze(): void {
    const f = this.forced.escape?.frozen;
    if (!f || this.frozenWhy) return;
    const unsent = this.pendingWork().batches;
    this.frozenWhy =
      `Settlement was frozen at ${new Date(f.at * 1000).toISOString()} at root ${f.root} after ` +
      `${f.batches} batches (exit prices: oracle round ${f.roundId}); accounts leave by exits`;
    this.ctx.log(
      `FROZEN: ${this.frozenWhy}. The operator cuts and sends no more batches` +
        (unsent ? ` (${unsent} batch(es) cut and not settled will never land)` : ""),
    );
  }

  /** Why the operator stopped (a batch the chain refused, a store failure), if it did. */
  get halted(): string | undefined {
    return this.pipeline.halted ?? this.failed;
  }

  submitOrder(so: SignedOrder): OrderAck {
    return this.sequencer.submitOrder(so);
  }

  /** Sequences a group of orders, arrival order, under one durable commit (Sequencer). */
  submitOrders(orders: readonly SignedOrder[]): ReturnType<Sequencer["submitOrders"]> {
    return this.sequencer.submitOrders(orders);
  }

  cancelOrder(id: string, signature: EdDSASignature): OrderAck {
    return this.sequencer.cancelOrder(id, signature);
  }

  /** A signed withdrawal, or a transfer to another account of the same key (one queue). */
  requestWithdrawal(sw: Debit): string {
    return this.sequencer.requestWithdrawal(sw);
  }

  /**
   * The insurance fund in the state the operator has applied: its reserve, and its
   * compartments at the current round's marks (undefined before the first round).
   */
  fundView(): FundView | undefined {
    if (!this.round || !this.state.hasAccount(INSURANCE_ACCOUNT)) return undefined;
    const fund = this.state.getAccount(INSURANCE_ACCOUNT);
    return { reserve: fund.collateral, compartments: compartmentValues(fund, this.round.prices) };
  }

  /**
   * Queues the fund owner's signed compartment move (./compartment-moves.ts); the next
   * liquidation batch carries it, and the watcher looks again at once: liquidations its
   * compartment could not pay may now go ahead.
   */
  requestCompartmentMove(sm: SignedCompartmentMove): string {
    const id = requestCompartmentMove(this.ctx, sm, (what) => this.sequencer.open(what));
    this.pendingLiquidationCheck = true;
    return id;
  }

  getOrder(id: string) {
    return this.store.getOrder(id);
  }

  /** Every batch with its body (tools and tests; the API reads pages). */
  batches() {
    return this.store.batches<BatchBody>();
  }

  batch(id: number) {
    return this.store.getBatch<BatchBody>(id);
  }

  batchPage(after: number, limit: number) {
    return this.store.batchPage(after, limit);
  }

  /** The latest `limit` batches, newest first, and how many there are in all (the explorer). */
  latestBatches(limit: number) {
    return { batches: this.store.latestBatches<BatchBody>(limit), total: this.store.batchTotal() };
  }

  withdrawal(id: string) {
    return this.store.withdrawals.get(id);
  }

  /** Work not yet settled on-chain: matched trades, withdrawal requests, batches. */
  pendingWork(): { matches: number; withdrawals: number; deposits: number; batches: number } {
    return {
      matches: this.sequencer.pending.length,
      withdrawals: this.store.withdrawals.countPending(),
      deposits: this.batcher.pendingDeposits.length,
      batches:
        this.store.countBatches("built") +
        this.store.countBatches("proved") +
        this.store.countBatches("submitted"),
    };
  }

  /** Resolves when the step in progress (if any) is done. */
  idle(): Promise<void> {
    return this.busy;
  }

  /**
   * Prices, deposits, batch cutting and the proving pipeline: one step, after the one in
   * progress. The promise rejects if this step failed; the operator goes on regardless: a
   * failure (the node or the proving process not answering) is retried at a later tick,
   * after a backoff that doubles with each failure in a row (up to 30 s). A batch the chain
   * or the prover refuses is not a failure: it halts the pipeline with its reason.
   */
  tick(opts: { flushTrades?: boolean } = {}): Promise<void> {
    const step = this.busy.then(() => this.step(opts));
    this.busy = step.then(
      (ran) => {
        if (ran) this.failures = 0;
      },
      (e: unknown) => {
        this.failures++;
        this.retryAt = Date.now() + Math.min(30_000, 250 * 2 ** this.failures);
        this.lastFailure = e instanceof Error ? e.message : String(e);
        this.ctx.log(
          `step failed (${this.failures} in a row), retrying in ${this.retryAt - Date.now()} ms: ${this.lastFailure}`,
        );
      },
    );
    return step.then(() => {});
  }

  private failures = 0;
  private retryAt = 0;
  /** The last step's failure, while steps keep failing (reported by /health). */
  lastFailure: string | undefined;

  /**
   * Cuts what is due, one batch at a time, yielding to the event loop between batches so
   * that a burst of cutting never stalls the API.
   */
  private async cut(opts: { flushTrades?: boolean }): Promise<void> {
    const seq = this.sequencer;
    const yieldNow = () => new Promise((r) => setImmediate(r));
    // the committee did not attest: only what needs no attestation, from the settled state
    const hold = Date.now() < this.redo.holdAttestedUntil;
    // a rotation waits for the old key's pending matches, which wait out a hold, but only
    // for rotationWaitMs: then they are dropped (the deposits ahead of it go meanwhile)
    const wait = this.o.rotationWaitMs ?? ROTATION_WAIT_MS;
    while (hold && dropOverdueMatches(this.ctx, seq, this.batcher.queued, wait) > 0);
    while (this.batcher.pendingDeposits.length > 0 && this.batcher.cutDeposit(!hold)) {
      await yieldNow();
    }
    if (this.halted) return;
    // forced requests come first, each answered against the state after every pending
    // match (cut those first, unless the committee holds them up): their deadline can
    // freeze the exchange
    if (this.round && this.batcher.pendingForced.length > 0) {
      while (!hold && seq.pending.length > 0) this.batcher.cutTrades();
      while (this.batcher.pendingForced.length > 0) {
        this.batcher.cutForced();
        await yieldNow();
      }
    }
    if (hold) return;
    // liquidations go ahead of trades; while one is in flight nothing else is cut
    // a queued compartment move whose turn has come is carried at once (after a restart too)
    if ((this.pendingLiquidationCheck || nextQueuedMove(this.ctx)) && this.round) {
      this.pendingLiquidationCheck = false;
      this.batcher.cutLiquidations();
      // the watcher looks again once the batch settles: more may be due than fit one
      if (this.batcher.openLiquidation) {
        this.pendingLiquidationCheck = true;
        return;
      }
    }
    // withdrawals are checked against the state after every pending match: cut those first
    const withdrawals = this.round !== undefined && this.store.withdrawals.countPending() > 0;
    while (
      !this.halted &&
      (seq.pending.length >= this.p.batch ||
        ((opts.flushTrades || withdrawals) && seq.pending.length > 0))
    ) {
      this.batcher.cutTrades();
      await yieldNow();
    }
    if (withdrawals && !this.halted) this.batcher.cutWithdrawals();
  }

  /** One step; false when it did not run (halted, or waiting out a backoff). */
  private async step(opts: { flushTrades?: boolean }): Promise<boolean> {
    if (this.halted || Date.now() < this.retryAt) return false;
    // forced requests and the freeze first: a frozen exchange takes nothing more
    if (this.chain.escape) this.forced.setEscape(await this.chain.escape());
    if (this.chain.forcedFrom) this.forced.add(await this.chain.forcedFrom(this.forced.size));
    this.noticeFreeze();
    if (this.frozenWhy) return true;
    const seq = this.sequencer;
    const r = await this.chain.latestRound();
    this.latestSeen = r;
    await this.anomalies.step(r);
    if (r && (!this.round || r.roundId !== this.round.roundId)) {
      // a liquidation cut at the old round can no longer land: undo it first; one already
      // sent is resolved by the pipeline before the operator moves to the new round
      await this.pipeline.dropSuperseded();
      if (this.batcher.openLiquidation) {
        await this.pipeline.run();
        return true;
      }
      // matches were checked at the old prices: batch them at those prices first
      while (seq.pending.length > 0) this.batcher.cutTrades();
      this.round = r;
      this.pendingLiquidationCheck = true;
      this.store.setMeta("round", toJson(r));
      this.ctx.log(
        `oracle round ${r.roundId}: ${r.prices.join(", ")}${reduceOnlyNote(r)}${marginsNote(r)}`,
      );
    }
    const fresh = await this.chain.depositsFrom(this.batcher.nextDeposit);
    this.batcher.pendingDeposits.push(...fresh);
    const seen = this.batcher.queued.slice(this.batcher.pendingDeposits.length - fresh.length);
    for (const q of seen)
      if (isRotation(q.deposit)) this.rotationsSeen.set(q.at, q.deposit.account);
    noticeRotations(this.ctx, seq, seen);
    await this.readRotations();
    this.batcher.pendingForced.push(...this.forced.requestsFrom(this.batcher.nextForced));
    // nothing is cut after a liquidation in flight (it may have to be undone)
    if (!this.batcher.openLiquidation) await this.cut(opts);
    if (this.halted) return true;
    await this.pipeline.run();
    // funding ticks between batch transactions: the window it reads is the chain's order
    if (this.fundingTicker && !this.halted)
      await this.fundingTicker.step(
        () => this.chain.latestRound(),
        this.store.countBatches("submitted") > 0,
      );
    // a snapshot holds only settled state: taken when nothing is in flight
    if (this.pendingWork().batches === 0) this.batcher.snapshotIfDue();
    return true;
  }
}
