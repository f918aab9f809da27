import type { MarketParams } from "../domain/market.ts";
import type { ParamSet } from "../domain/params.ts";
import type { SignedOrder } from "../domain/order.ts";
import type { EdDSASignature } from "../domain/keys.ts";
import type { ChainPort, ProverPort, Round } from "../domain/ports.ts";
import type { SignedWithdrawal } from "../domain/transfers.ts";
import { fromJson, toJson } from "../domain/json.ts";
import { ExchangeState } from "../engine/state.ts";
import type { Store } from "../store/store.ts";
import { Batcher } from "./batcher.ts";
import type { BatchBody, OperatorContext, OperatorMetrics, OrderAck } from "./context.ts";
import { ServiceMetrics } from "./metrics.ts";
import { Pipeline } from "./pipeline.ts";
import { Sequencer } from "./sequencer.ts";

export { OperatorError, type BatchBody, type OrderAck, type OperatorMetrics } from "./context.ts";

export interface OperatorOptions {
  readonly params: ParamSet;
  readonly markets: readonly MarketParams[];
  /** The deployment's domain (domain/messages.ts): what every signed message names. */
  readonly domain: bigint;
  readonly store: Store;
  readonly chain: ChainPort;
  readonly prover: ProverPort;
  readonly log?: (s: string) => void;
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
  readonly state: ExchangeState;
  readonly metrics: OperatorMetrics = {
    ordersAccepted: 0,
    ordersRefused: 0,
    tradesMatched: 0,
    batchesSettled: { trades: 0, deposits: 0, withdrawals: 0, liquidations: 0 },
    batchesRefused: 0,
    proveMs: 0,
  };
  private readonly store: Store;
  private readonly chain: ChainPort;
  private readonly ctx: OperatorContext;
  private readonly sequencer: Sequencer;
  private readonly batcher: Batcher;
  private readonly pipeline: Pipeline;
  private round: Round | undefined;
  private pendingLiquidationCheck = false;
  private busy: Promise<void> = Promise.resolve();
  /** The service's Prometheus metrics (GET /metrics). */
  readonly prometheus: ServiceMetrics;

  private constructor(o: OperatorOptions) {
    this.p = o.params;
    this.store = o.store;
    this.chain = o.chain;
    this.state = ExchangeState.genesis(o.params.depth, o.markets, o.domain);
    this.prometheus = new ServiceMetrics(
      this.metrics,
      () => this.halted !== undefined,
      () =>
        this.store.countBatches("built") +
        this.store.countBatches("proved") +
        this.store.countBatches("submitted"),
    );
    this.ctx = {
      p: o.params,
      state: this.state,
      store: o.store,
      log: o.log ?? (() => {}),
      metrics: this.metrics,
      liquidating: new Set(),
      round: () => this.round,
      timings: this.prometheus,
    };
    this.sequencer = new Sequencer(this.ctx);
    this.batcher = new Batcher(this.ctx, this.sequencer);
    this.pipeline = new Pipeline(this.ctx, o.prover, o.chain);
  }

  /** Opens the operator over a store: replays every stored batch, then the open orders. */
  static open(o: OperatorOptions): Operator {
    const op = new Operator(o);
    for (const b of o.store.batches<BatchBody>(["built", "proved", "submitted", "settled"]))
      op.batcher.replay(b.body);
    op.pipeline.restore();
    for (const b of o.store.batches<BatchBody>(["built", "proved", "submitted"])) {
      if (b.body.kind === "liquidations")
        for (const a of b.body.accounts) op.ctx.liquidating.add(a);
    }
    const round = o.store.getMeta("round");
    if (round) op.round = fromJson(round);
    op.sequencer.restore();
    return op;
  }

  /** Why the pipeline stopped (a batch the chain refused), if it did. */
  get halted(): string | undefined {
    return this.pipeline.halted;
  }

  submitOrder(so: SignedOrder): OrderAck {
    return this.sequencer.submitOrder(so);
  }

  cancelOrder(id: string, signature: EdDSASignature): OrderAck {
    return this.sequencer.cancelOrder(id, signature);
  }

  requestWithdrawal(sw: SignedWithdrawal): string {
    return this.sequencer.requestWithdrawal(sw);
  }

  getOrder(id: string) {
    return this.store.getOrder(id);
  }

  batches() {
    return this.store.batches<BatchBody>();
  }

  /** Work not yet settled on-chain: matched trades, withdrawal requests, batches. */
  pendingWork(): { matches: number; withdrawals: number; deposits: number; batches: number } {
    return {
      matches: this.sequencer.pending.length,
      withdrawals: this.store.pendingWithdrawals().length,
      deposits: this.batcher.pendingDeposits.length,
      batches: this.store.batches(["built", "proved", "submitted"]).length,
    };
  }

  /** Resolves when the step in progress (if any) is done. */
  idle(): Promise<void> {
    return this.busy;
  }

  /** Prices, deposits, batch cutting and the proving pipeline: one step. */
  tick(opts: { flushTrades?: boolean } = {}): Promise<void> {
    this.busy = this.busy.then(() => this.step(opts));
    return this.busy;
  }

  private async step(opts: { flushTrades?: boolean }): Promise<void> {
    if (this.halted) return;
    const seq = this.sequencer;
    const r = await this.chain.latestRound();
    if (r && (!this.round || r.roundId !== this.round.roundId)) {
      // matches were checked at the old prices: batch them at those prices first
      while (seq.pending.length > 0) this.batcher.cutTrades();
      this.round = r;
      this.pendingLiquidationCheck = true;
      this.store.setMeta("round", toJson(r));
      this.ctx.log(`oracle round ${r.roundId}: ${r.prices.join(", ")}`);
    }
    const fresh = await this.chain.depositsFrom(this.batcher.nextDeposit);
    this.batcher.pendingDeposits.push(...fresh);
    this.batcher.cutDeposits();
    // liquidations go ahead of trades
    if (this.pendingLiquidationCheck) {
      this.pendingLiquidationCheck = false;
      this.batcher.cutLiquidations();
    }
    while (seq.pending.length >= this.p.batch || (opts.flushTrades && seq.pending.length > 0))
      this.batcher.cutTrades();
    if (this.round && this.store.pendingWithdrawals().length > 0) this.batcher.cutWithdrawals();
    await this.pipeline.run();
  }
}
