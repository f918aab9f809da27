import type { BatchData, BatchKind, BatchRequest } from "../domain/batch.ts";
import { batchOperations } from "../domain/batch-kinds.ts";
import type { Deposit, SignedWithdrawal } from "../domain/transfers.ts";
import { applyBatch } from "../engine/kinds.ts";
import { isLiquidatable } from "../engine/liquidations.ts";
import { OperatorError, type BatchBody, type OperatorContext } from "./context.ts";
import type { Sequencer } from "./sequencer.ts";

/**
 * Cuts batches: applies each to the engine's state (every rule its circuit enforces) and
 * stores it with its circuit input, in one transaction with the bookkeeping it implies,
 * before anything proves or publishes it. Deposits in queue order, liquidations ahead of
 * trades, trades at the prices they were matched at, withdrawals at the current round.
 */
export class Batcher {
  /** Accounts with an open position: the only ones a price move can make liquidatable. */
  private readonly withPositions = new Set<bigint>();
  /** Deposits seen on-chain, not yet in a batch. */
  readonly pendingDeposits: Deposit[] = [];
  private queueHash = 0n;
  private depositsSeen = 0;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly seq: Sequencer,
  ) {}

  /** Where the next look at the Vault's queue starts. */
  get nextDeposit(): number {
    return this.depositsSeen + this.pendingDeposits.length;
  }

  /** Applies a stored batch again (the restart's replay); throws if the root differs. */
  replay(body: BatchBody): void {
    const before = this.ctx.state.root;
    const r = applyBatch(this.ctx.state, body, this.ctx.p);
    if (r.data.newRoot !== body.newRoot || before !== body.oldRoot) {
      throw new OperatorError(
        "REPLAY_MISMATCH",
        `replaying stored ${body.kind} batch gave another root than stored`,
      );
    }
    this.afterApply(r.data);
  }

  /** The operator's indexes follow every applied batch. */
  private afterApply(d: BatchData): void {
    if (d.kind === "deposits") {
      this.queueHash = d.queueTo;
      this.depositsSeen += d.deposits.length;
    }
    if (d.kind === "trades")
      this.trackPositions(d.trades.flatMap((t) => [t.buy.order.account, t.sell.order.account]));
    if (d.kind === "liquidations") this.trackPositions(d.accounts);
  }

  /** Applies and stores one batch; `extra` runs in the same store transaction. */
  private cut(kind: BatchKind, req: BatchRequest, extra: () => void = () => {}): number {
    const r = applyBatch(this.ctx.state, req, this.ctx.p);
    const body: BatchBody = { ...r.data, circuitInput: r.signals };
    const id = this.ctx.store.transaction(() => {
      extra();
      return this.ctx.store.insertBatch(kind, body, body.oldRoot, body.newRoot);
    });
    this.afterApply(r.data);
    this.ctx.log(`batch ${id}: ${batchOperations(r.data)} ${kind}`);
    return id;
  }

  /** Cuts every queued deposit into deposit batches of K. */
  cutDeposits(): void {
    while (this.pendingDeposits.length > 0) {
      const ds = this.pendingDeposits.splice(0, this.ctx.p.deposits);
      this.cut("deposits", { kind: "deposits", deposits: ds, queueFrom: this.queueHash });
    }
  }

  /** Cuts the oldest pending matches into one trade batch at the current round. */
  cutTrades(): void {
    const round = this.ctx.round()!;
    const { trades, touched } = this.seq.take(this.ctx.p.batch);
    const { store } = this.ctx;
    this.cut(
      "trades",
      { kind: "trades", trades, marks: round.prices, round: round.roundId },
      () => {
        for (const o of touched) {
          // fills of matches still pending stay counted as open quantity until batched
          const remaining = o.remaining + this.seq.pendingFill(o.id);
          if (store.getOrder(o.id)?.status === "cancelled") continue;
          store.updateOrder(o.id, remaining === 0n ? "filled" : "open", remaining);
        }
      },
    );
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

  /** Liquidates every account the current prices put below maintenance (from the index). */
  cutLiquidations(): void {
    const { state, p, liquidating } = this.ctx;
    const round = this.ctx.round()!;
    const due = [...this.withPositions].filter(
      (a) =>
        !liquidating.has(a) && isLiquidatable(state.getAccount(a), round.prices, state.markets),
    );
    for (let i = 0; i < due.length; i += p.liquidations) {
      const accounts = due.slice(i, i + p.liquidations);
      try {
        this.cut("liquidations", {
          kind: "liquidations",
          accounts,
          marks: round.prices,
          round: round.roundId,
        });
      } catch (e) {
        this.ctx.log(`liquidation refused by the engine: ${String(e)}`);
        continue;
      }
      for (const a of accounts) {
        liquidating.add(a);
        this.seq.cancelAccount(a, "account liquidated");
      }
    }
  }

  /** Cuts the oldest withdrawal requests into one withdrawal batch at the current round. */
  cutWithdrawals(): void {
    const { store } = this.ctx;
    const round = this.ctx.round()!;
    const reqs = store.pendingWithdrawals<SignedWithdrawal>().slice(0, this.ctx.p.withdrawals);
    const withdrawals = reqs.map((x) => x.body);
    try {
      this.cut(
        "withdrawals",
        { kind: "withdrawals", withdrawals, marks: round.prices, round: round.roundId },
        () => store.markWithdrawalsBatched(reqs.map((x) => x.id)),
      );
    } catch (e) {
      this.ctx.log(`withdrawals refused by the engine: ${String(e)}`);
      store.markWithdrawalsBatched(reqs.map((x) => x.id));
    }
  }
}
