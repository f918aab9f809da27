import { createHash } from "node:crypto";
import { ZkClearError } from "../domain/errors.ts";
import type { Account } from "../domain/account.ts";
import type { MarketParams } from "../domain/market.ts";
import type { ParamSet } from "../domain/params.ts";
import { orderMessage, validateOrder, verifyOrder, type SignedOrder } from "../domain/order.ts";
import { verify, type EdDSASignature } from "../domain/keys.ts";
import { poseidon } from "../domain/hash.ts";
import {
  validateWithdrawal,
  verifyWithdrawal,
  type Deposit,
  type SignedWithdrawal,
} from "../domain/transfers.ts";
import { ExchangeState } from "../engine/state.ts";
import { applyTradeSide, settleTrades, TradeError, type Trade } from "../engine/trades.ts";
import { applyDeposits, processWithdrawals } from "../engine/transfers.ts";
import { isLiquidatable, liquidate } from "../engine/liquidations.ts";
import {
  toApplyDepositsSignals,
  toLiquidateBatchSignals,
  toProcessWithdrawalsSignals,
  toSettleTradesSignals,
  type SignalValue,
} from "../engine/inputs.ts";
import type { CircuitId } from "../proving/circuits.ts";
import type { ProofResult } from "../proving/prover.ts";
import type { BatchKind, Store, StoredBatch } from "../store/store.ts";
import { fromJson, toJson } from "../store/json.ts";
import type { BatchData } from "../engine/batch-file.ts";
import { OrderBook, tradeOfMatch, type BookOrder, type Match } from "./orderbook.ts";

export class OperatorError extends ZkClearError {}

/** What the operator needs from the chain; the real one is chain/client.ts. */
export interface ChainPort {
  /** The oracle's latest round, if any. */
  latestRound(): Promise<{ roundId: bigint; prices: bigint[] } | undefined>;
  /** Vault deposits with queue index >= `from`, in order. */
  depositsFrom(from: number): Promise<Deposit[]>;
  /** The Settlement contract's current root. */
  stateRoot(): Promise<bigint>;
  /** Sends a proven batch and waits for its receipt. */
  submit(batch: BatchBody, proof: ProofResult): Promise<{ txHash: string; gasUsed: bigint }>;
}

/** Proves a circuit input (in worker threads in the service). */
export interface ProverPort {
  prove(circuit: CircuitId, signals: Record<string, SignalValue>): Promise<ProofResult>;
}

/**
 * A stored batch: its engine-level data (what is published for auditors) and the circuit
 * input computed when it was cut.
 */
export type BatchBody = BatchData & { circuitInput: Record<string, SignalValue> };

export interface OrderAck {
  readonly id: string;
  readonly status: "open" | "filled" | "cancelled";
  readonly remaining: bigint;
  readonly reason?: string;
}

export interface OperatorOptions {
  readonly params: ParamSet;
  readonly markets: readonly MarketParams[];
  readonly store: Store;
  readonly chain: ChainPort;
  readonly prover: ProverPort;
  readonly log?: (s: string) => void;
}

export interface OperatorMetrics {
  ordersAccepted: number;
  ordersRefused: number;
  tradesMatched: number;
  batchesSettled: Record<BatchKind, number>;
  batchesRefused: number;
  proveMs: number;
}

/** The cancel message an account signs: Poseidon(3, orderMessage). */
export function cancelMessage(so: SignedOrder): bigint {
  return poseidon([3n, orderMessage(so.order)]);
}

/** The message a key holder signs to read its account: Poseidon(4, account, time). */
export function accountQueryMessage(account: bigint, timestamp: bigint): bigint {
  return poseidon([4n, account, timestamp]);
}

function orderId(so: SignedOrder): string {
  return createHash("sha256").update(orderMessage(so.order).toString()).digest("hex").slice(0, 32);
}

/**
 * The operator: sequences orders into per-market books, cuts batches, applies them in
 * the engine, stores them before anything else sees them, proves and submits them in
 * order, and recovers from a restart by replaying the store.
 *
 * Durability: an order is acknowledged only after it is in the store; a batch is stored
 * (with the order updates it implies, in one transaction) before it is proved. Matches
 * not yet in a batch are not stored: after a restart the open orders are replayed into
 * the books in arrival order, which re-derives them.
 */
export class Operator {
  readonly p: ParamSet;
  readonly state: ExchangeState;
  private readonly store: Store;
  private readonly chain: ChainPort;
  private readonly prover: ProverPort;
  private readonly log: (s: string) => void;
  private readonly books: OrderBook[];
  private readonly orders = new Map<string, BookOrder>();
  /** Matched, not yet batched. */
  private pending: Match[] = [];
  /** Accounts as the pending matches leave them (for the margin veto). */
  private projected = new Map<bigint, Account>();
  private seq = 0;
  private round: { roundId: bigint; prices: bigint[] } | undefined;
  /** Accounts with an open position: the only ones a price move can make liquidatable. */
  private readonly withPositions = new Set<bigint>();
  /** Accounts in liquidation batches not yet settled: their orders are refused. */
  private readonly liquidating = new Set<bigint>();
  private pendingLiquidationCheck = false;
  private queueHash = 0n;
  private depositsSeen = 0;
  private pendingDeposits: Deposit[] = [];
  private busy: Promise<void> = Promise.resolve();
  halted: string | undefined;
  readonly metrics: OperatorMetrics = {
    ordersAccepted: 0,
    ordersRefused: 0,
    tradesMatched: 0,
    batchesSettled: { trades: 0, deposits: 0, withdrawals: 0, liquidations: 0 },
    batchesRefused: 0,
    proveMs: 0,
  };

  private constructor(o: OperatorOptions) {
    this.p = o.params;
    this.store = o.store;
    this.chain = o.chain;
    this.prover = o.prover;
    this.log = o.log ?? (() => {});
    this.state = ExchangeState.genesis(o.params.depth, o.markets);
    this.books = o.markets.map((_, j) => new OrderBook(j));
  }

  /** Opens the operator over a store: replays every stored batch, then the open orders. */
  static open(o: OperatorOptions): Operator {
    const op = new Operator(o);
    for (const b of o.store.batches<BatchBody>(["built", "proved", "submitted", "settled"]))
      op.replay(b.body);
    for (const b of o.store.batches<BatchBody>(["refused"])) {
      op.halted = `batch ${b.id} (${b.kind}) was refused by the chain: ${b.error}`;
    }
    for (const b of o.store.batches<BatchBody>(["built", "proved", "submitted"])) {
      if (b.body.kind === "liquidations") for (const a of b.body.accounts) op.liquidating.add(a);
    }
    const round = o.store.getMeta("round");
    if (round) op.round = fromJson(round);
    for (const so of o.store.openOrders()) {
      op.seq = Math.max(op.seq, so.seq);
      op.book({ id: so.id, seq: so.seq, signed: so.signed, remaining: so.remaining });
    }
    return op;
  }

  private replay(body: BatchBody): void {
    if (body.kind === "trades") {
      settleTrades(this.state, body.trades, body.marks, this.p.batch);
      this.trackPositions(body.trades.flatMap((t) => [t.buy.order.account, t.sell.order.account]));
    } else if (body.kind === "liquidations") {
      liquidate(this.state, body.accounts, body.marks, this.p.liquidations);
      this.trackPositions(body.accounts);
    } else if (body.kind === "deposits") {
      applyDeposits(this.state, body.deposits, body.queueFrom, this.p.deposits);
      this.queueHash = body.queueTo;
      this.depositsSeen += body.deposits.length;
    } else processWithdrawals(this.state, body.withdrawals, body.marks, this.p.withdrawals);
    if (this.state.root !== body.newRoot) {
      throw new OperatorError(
        "REPLAY_MISMATCH",
        `replaying a ${body.kind} batch gave another root than stored`,
      );
    }
  }

  private account(index: bigint): Account {
    return this.projected.get(index) ?? this.state.getAccount(index);
  }

  /** Refuses a bad order with a clear reason; accepts, stores, then matches a good one. */
  submitOrder(so: SignedOrder): OrderAck {
    const refuse = (code: string, msg: string): never => {
      this.metrics.ordersRefused++;
      throw new OperatorError(code, msg);
    };
    validateOrder(so.order, this.state.marketCount);
    const o = so.order;
    if (!this.round)
      refuse("NO_PRICES", "no oracle round yet: orders are accepted once prices are posted");
    if (this.liquidating.has(o.account)) {
      refuse(
        "ACCOUNT_IN_LIQUIDATION",
        `account ${o.account} is being liquidated: its orders are refused until the liquidation settles`,
      );
    }
    if (!this.state.hasAccount(o.account))
      refuse("ACCOUNT_NOT_FOUND", `account ${o.account} does not exist (deposit first)`);
    const acct = this.account(o.account);
    if (!verifyOrder(so, acct.pubKey))
      refuse("ORDER_BAD_SIGNATURE", "the signature does not match the account key");
    const last = this.store.lastNonce(o.account, o.market);
    const working = acct.positions[o.market].nonce;
    if (o.nonce <= working || (last !== undefined && o.nonce <= last)) {
      refuse(
        "ORDER_NONCE_USED",
        `nonce ${o.nonce} is not above the last one used on market ${o.market} (${last ?? working}); sign a new order with a higher nonce`,
      );
    }
    const id = orderId(so);
    this.store.insertOrder(id, so, Date.now());
    this.metrics.ordersAccepted++;
    // one working order per account and market: a newer nonce retires the older one
    for (const old of this.books[o.market].ordersOf(o.account)) {
      this.books[o.market].cancel(old.id);
      this.orders.delete(old.id);
      this.store.updateOrder(old.id, "cancelled", old.remaining, "replaced by a newer order");
    }
    const entry: BookOrder = { id, seq: ++this.seq, signed: so, remaining: o.amount };
    return this.book(entry);
  }

  private book(entry: BookOrder): OrderAck {
    const result = this.books[entry.signed.order.market].add(entry, (m) => this.veto(m));
    for (const c of result.cancelled) {
      this.orders.delete(c.order.id);
      this.store.updateOrder(c.order.id, "cancelled", c.order.remaining, c.reason);
    }
    for (const m of result.matches) this.accept(m);
    if (result.rested) this.orders.set(entry.id, entry);
    const cancelled = result.cancelled.find((c) => c.order.id === entry.id);
    if (cancelled)
      return {
        id: entry.id,
        status: "cancelled",
        remaining: entry.remaining,
        reason: cancelled.reason,
      };
    return {
      id: entry.id,
      status: entry.remaining === 0n ? "filled" : "open",
      remaining: entry.remaining,
    };
  }

  private tradeOf(m: Match): Trade {
    return tradeOfMatch(m);
  }

  /** Both sides of a match applied to the projected accounts (throws the rule broken). */
  private applyMatch(m: Match): [Account, Account] {
    const t = this.tradeOf(m);
    const mk = this.state.markets[t.buy.order.market];
    const rates = t.takerIsBuyer
      ? [mk.takerFeeBps, mk.makerFeeBps]
      : [mk.makerFeeBps, mk.takerFeeBps];
    const sides = [t.buy, t.sell].map((so, i) => {
      try {
        const acct = this.account(so.order.account);
        return applyTradeSide(
          0,
          acct,
          so,
          t.qty,
          t.price,
          rates[i],
          this.state.markets,
          this.round!.prices,
        ).account;
      } catch (e) {
        throw Object.assign(e instanceof Error ? e : new Error(String(e)), {
          blame: so === m.maker.signed ? "maker" : "taker",
        });
      }
    });
    return [sides[0], sides[1]];
  }

  /** Refuses a match the circuit would refuse, blaming the side that breaks the rule. */
  private veto(m: Match): { side: "maker" | "taker"; reason: string } | undefined {
    if (!this.round)
      return { side: "taker", reason: "no oracle prices yet: trading starts with the first round" };
    try {
      this.applyMatch(m);
      return undefined;
    } catch (e) {
      const err = e as Error & { blame: "maker" | "taker" };
      return {
        side: err.blame,
        reason: e instanceof TradeError ? e.message.replace(/^trade 0: /, "") : err.message,
      };
    }
  }

  private accept(m: Match): void {
    const [buyer, seller] = this.applyMatch(m);
    const t = this.tradeOf(m);
    this.projected.set(t.buy.order.account, buyer);
    this.projected.set(t.sell.order.account, seller);
    if (m.maker.remaining === 0n) this.orders.delete(m.maker.id);
    this.pending.push(m);
    this.metrics.tradesMatched++;
  }

  /** Cancels a resting order; the request is signed by the order's account key. */
  cancelOrder(id: string, signature: EdDSASignature): OrderAck {
    const stored = this.store.getOrder(id);
    if (!stored) throw new OperatorError("ORDER_NOT_FOUND", `no order ${id}`);
    const acct = this.state.getAccount(stored.signed.order.account);
    if (!verify(acct.pubKey, cancelMessage(stored.signed), signature)) {
      throw new OperatorError(
        "CANCEL_BAD_SIGNATURE",
        "the cancel request is not signed by the order's account key",
      );
    }
    const resting = this.books[stored.signed.order.market].cancel(id);
    if (!resting)
      throw new OperatorError(
        "ORDER_NOT_OPEN",
        `order ${id} is ${stored.status}, not resting in the book`,
      );
    this.orders.delete(id);
    this.store.updateOrder(id, "cancelled", resting.remaining, "cancelled by its owner");
    return { id, status: "cancelled", remaining: resting.remaining };
  }

  /** Accepts a signed withdrawal request (stored before it is acknowledged). */
  requestWithdrawal(sw: SignedWithdrawal): string {
    const w = validateWithdrawal(sw.withdrawal);
    if (!this.state.hasAccount(w.account))
      throw new OperatorError("ACCOUNT_NOT_FOUND", `account ${w.account} does not exist`);
    const acct = this.state.getAccount(w.account);
    if (!verifyWithdrawal(sw, acct.pubKey))
      throw new OperatorError(
        "WITHDRAW_BAD_SIGNATURE",
        "the signature does not match the account key",
      );
    const queued = this.store
      .pendingWithdrawals<SignedWithdrawal>()
      .filter((x) => x.body.withdrawal.account === w.account).length;
    if (w.nonce !== acct.withdrawNonce + BigInt(queued)) {
      throw new OperatorError(
        "WITHDRAW_BAD_NONCE",
        `withdrawal nonce ${w.nonce}; the next one for account ${w.account} is ${acct.withdrawNonce + BigInt(queued)}`,
      );
    }
    const id = `w-${w.account}-${w.nonce}`;
    this.store.insertWithdrawal(id, w.account, w.nonce, sw);
    return id;
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
      matches: this.pending.length,
      withdrawals: this.store.pendingWithdrawals().length,
      deposits: this.pendingDeposits.length,
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
    const r = await this.chain.latestRound();
    if (r && (!this.round || r.roundId !== this.round.roundId)) {
      // matches were checked at the old prices: batch them at those prices first
      while (this.pending.length > 0) this.cutTrades();
      this.round = r;
      this.pendingLiquidationCheck = true;
      this.store.setMeta("round", toJson(r));
      this.log(`oracle round ${r.roundId}: ${r.prices.join(", ")}`);
    }
    const fresh = await this.chain.depositsFrom(this.depositsSeen + this.pendingDeposits.length);
    this.pendingDeposits.push(...fresh);
    while (this.pendingDeposits.length > 0) this.cutDeposits();
    // liquidations go ahead of trades
    if (this.pendingLiquidationCheck) {
      this.pendingLiquidationCheck = false;
      this.cutLiquidations();
    }
    while (this.pending.length >= this.p.batch || (opts.flushTrades && this.pending.length > 0))
      this.cutTrades();
    if (this.round && this.store.pendingWithdrawals().length > 0) this.cutWithdrawals();
    await this.pipeline();
  }

  private stored(kind: BatchKind, body: BatchBody, extra: () => void = () => {}): number {
    return this.store.transaction(() => {
      extra();
      return this.store.insertBatch(kind, body, body.oldRoot, body.newRoot);
    });
  }

  private cutDeposits(): void {
    const ds = this.pendingDeposits.splice(0, this.p.deposits);
    const r = applyDeposits(this.state, ds, this.queueHash, this.p.deposits);
    this.queueHash = r.queueTo;
    this.depositsSeen += ds.length;
    const id = this.stored("deposits", {
      kind: "deposits",
      deposits: ds,
      queueFrom: r.queueFrom,
      queueTo: r.queueTo,
      oldRoot: r.oldRoot,
      newRoot: r.newRoot,
      circuitInput: toApplyDepositsSignals(r.input),
    });
    this.log(`batch ${id}: ${ds.length} deposits`);
  }

  private cutTrades(): void {
    const ms = this.pending.splice(0, this.p.batch);
    const trades = ms.map((m) => this.tradeOf(m));
    const round = this.round!;
    const r = settleTrades(this.state, trades, round.prices, this.p.batch);
    const touched = new Map<string, BookOrder>();
    for (const m of ms) for (const o of [m.maker, m.taker]) touched.set(o.id, o);
    const id = this.stored(
      "trades",
      {
        kind: "trades",
        trades,
        marks: round.prices,
        round: round.roundId,
        oldRoot: r.oldRoot,
        newRoot: r.newRoot,
        dataCommitment: r.dataCommitment,
        circuitInput: toSettleTradesSignals(r.input),
      },
      () => {
        for (const o of touched.values()) {
          // fills of matches still pending stay counted as open quantity until batched
          const later = this.pending
            .filter((m) => m.maker.id === o.id || m.taker.id === o.id)
            .reduce((a, m) => a + m.qty, 0n);
          const remaining = o.remaining + later;
          const current = this.store.getOrder(o.id);
          if (current?.status === "cancelled") continue;
          this.store.updateOrder(o.id, remaining === 0n ? "filled" : "open", remaining);
        }
      },
    );
    this.trackPositions(trades.flatMap((t) => [t.buy.order.account, t.sell.order.account]));
    if (this.pending.length === 0) this.projected.clear();
    this.log(`batch ${id}: ${trades.length} trades`);
  }

  /** Accounts that now have (or no longer have) an open position. */
  private trackPositions(accounts: readonly bigint[]): void {
    for (const a of accounts) {
      if (this.state.getAccount(a).positions.some((p) => p.size !== 0n)) this.withPositions.add(a);
      else this.withPositions.delete(a);
    }
  }

  /** Liquidates every account the new prices put below maintenance (from the index). */
  private cutLiquidations(): void {
    const round = this.round!;
    const due = [...this.withPositions].filter(
      (a) =>
        !this.liquidating.has(a) &&
        isLiquidatable(this.state.getAccount(a), round.prices, this.state.markets),
    );
    for (let i = 0; i < due.length; i += this.p.liquidations) {
      const accounts = due.slice(i, i + this.p.liquidations);
      let r;
      try {
        r = liquidate(this.state, accounts, round.prices, this.p.liquidations);
      } catch (e) {
        this.log(`liquidation refused by the engine: ${String(e)}`);
        continue;
      }
      this.trackPositions(accounts);
      for (const a of accounts) {
        this.liquidating.add(a);
        this.projected.delete(a);
        for (const book of this.books) {
          for (const o of book.ordersOf(a)) {
            book.cancel(o.id);
            this.orders.delete(o.id);
            this.store.updateOrder(o.id, "cancelled", o.remaining, "account liquidated");
          }
        }
      }
      const id = this.stored("liquidations", {
        kind: "liquidations",
        accounts,
        marks: round.prices,
        round: round.roundId,
        oldRoot: r.oldRoot,
        newRoot: r.newRoot,
        dataCommitment: r.dataCommitment,
        circuitInput: toLiquidateBatchSignals(r.input),
      });
      this.log(`batch ${id}: ${accounts.length} liquidations (accounts ${accounts.join(", ")})`);
    }
  }

  private cutWithdrawals(): void {
    const reqs = this.store.pendingWithdrawals<SignedWithdrawal>().slice(0, this.p.withdrawals);
    const round = this.round!;
    const ws = reqs.map((x) => x.body);
    let r;
    try {
      r = processWithdrawals(this.state, ws, round.prices, this.p.withdrawals);
    } catch (e) {
      this.log(`withdrawals refused by the engine: ${String(e)}`);
      this.store.markWithdrawalsBatched(reqs.map((x) => x.id));
      return;
    }
    const id = this.stored(
      "withdrawals",
      {
        kind: "withdrawals",
        withdrawals: ws,
        marks: round.prices,
        round: round.roundId,
        oldRoot: r.oldRoot,
        newRoot: r.newRoot,
        payouts: r.payouts,
        circuitInput: toProcessWithdrawalsSignals(r.input),
      },
      () => this.store.markWithdrawalsBatched(reqs.map((x) => x.id)),
    );
    this.log(`batch ${id}: ${ws.length} withdrawals`);
  }

  /** Proves and submits stored batches in order; a restart resumes here. */
  private async pipeline(): Promise<void> {
    for (const b of this.store.batches<BatchBody>(["built", "proved", "submitted"])) {
      if (b.status === "built") await this.proveBatch(b);
      const cur = this.store.getBatch<BatchBody>(b.id)!;
      await this.submitBatch(cur);
      if (this.halted) return;
    }
  }

  private async proveBatch(b: StoredBatch<BatchBody>): Promise<void> {
    const signals = this.signalsOf(b.body);
    const proof = await this.prover.prove(signals.circuit, signals.signals);
    this.metrics.proveMs += proof.proveMs;
    this.store.setBatchStatus(b.id, "proved", { proof });
    this.log(`batch ${b.id}: proved in ${(proof.proveMs / 1000).toFixed(1)} s`);
  }

  private signalsOf(body: BatchBody): { circuit: CircuitId; signals: Record<string, SignalValue> } {
    const circuits: Record<BatchKind, CircuitId> = {
      trades: "settle_trades",
      deposits: "apply_deposits",
      withdrawals: "process_withdrawals",
      liquidations: "liquidate_batch",
    };
    const circuit = circuits[body.kind];
    return { circuit, signals: body.circuitInput };
  }

  private async submitBatch(b: StoredBatch<BatchBody>): Promise<void> {
    // never submit twice: if the chain already moved past this batch, it landed
    const root = await this.chain.stateRoot();
    if (root !== b.oldRoot) {
      if (this.isLaterRoot(root, b)) {
        this.store.setBatchStatus(b.id, "settled");
        this.metrics.batchesSettled[b.kind]++;
        this.log(`batch ${b.id}: already on-chain`);
        return;
      }
      this.halt(b, `the chain's root ${root} is neither this batch's old root nor a later one`);
      return;
    }
    this.store.setBatchStatus(b.id, "submitted");
    try {
      const r = await this.chain.submit(b.body, b.proof as ProofResult);
      this.store.setBatchStatus(b.id, "settled", { txHash: r.txHash });
      if (b.body.kind === "liquidations")
        for (const a of b.body.accounts) this.liquidating.delete(a);
      this.metrics.batchesSettled[b.kind]++;
      this.log(`batch ${b.id}: settled in ${r.txHash} (${r.gasUsed} gas)`);
    } catch (e) {
      // a refusal that left the root unchanged is reported and stops the pipeline
      if ((await this.chain.stateRoot()) === b.newRoot) {
        this.store.setBatchStatus(b.id, "settled");
        return;
      }
      this.halt(b, e instanceof Error ? e.message : String(e));
    }
  }

  private isLaterRoot(root: bigint, b: StoredBatch<BatchBody>): boolean {
    return this.store.batches<BatchBody>().some((x) => x.id >= b.id && x.newRoot === root);
  }

  private halt(b: StoredBatch<BatchBody>, why: string): void {
    this.store.setBatchStatus(b.id, "refused", { error: why });
    this.metrics.batchesRefused++;
    this.halted = `batch ${b.id} (${b.kind}) was refused: ${why}`;
    this.log(`HALTED: ${this.halted}`);
  }
}
