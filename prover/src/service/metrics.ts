import { isReduceOnly, reduceOnlyMarkets } from "../domain/breakers.ts";
import { marginsText, ONE_X_BPS } from "../domain/volatility.ts";
import type { Round } from "../domain/ports.ts";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { BATCH_KIND_NAMES } from "../domain/batch-kinds.ts";
import type { BatchKind } from "../domain/batch.ts";
import type { AnomalyView } from "./anomaly-watch.ts";
import type { OperatorMetrics } from "./context.ts";
import type { ForcedStats } from "./forced-book.ts";
import type { FundingView } from "./funding.ts";
import type { OfferCounts } from "./offer-book.ts";

/** What the operator reports as it works (the service's Prometheus metrics observe it). */
export interface Timings {
  proved(kind: BatchKind, ms: number): void;
  submitted(kind: BatchKind, ms: number): void;
}

export const NO_TIMINGS: Timings = { proved: () => {}, submitted: () => {} };

/** Latency buckets (seconds) for order intake: milliseconds to a second. */
const INTAKE_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];
/** Proving and submission take seconds to minutes. */
const SLOW_BUCKETS = [0.5, 1, 2, 5, 10, 20, 40, 60, 120, 300];

/**
 * The service's Prometheus metrics with prom-client, in a registry of its own: the process
 * metrics prom-client collects (CPU, memory, event-loop lag, ...), the operator's counters
 * (read at scrape time from the operator's own counts), and latency histograms of order
 * intake, proving and submission, so dashboards and alerts work as operators expect.
 */
/** The insurance fund: its reserve and its compartments at the current marks. */
export interface FundView {
  readonly reserve: bigint;
  readonly compartments: readonly bigint[];
}

export class ServiceMetrics implements Timings {
  readonly registry = new Registry();
  private readonly intake: Histogram;
  private readonly prove: Histogram<"kind">;
  private readonly submit: Histogram<"kind">;

  constructor(
    counts: OperatorMetrics,
    halted: () => boolean,
    pending: () => number,
    forced: () => ForcedStats,
    funding: () => FundingView | undefined = () => undefined,
    offers: () => OfferCounts = () => ({ active: 0, suspended: 0 }),
    fund: () => FundView | undefined = () => undefined,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "zkclear_" });
    new Counter({
      name: "zkclear_orders_accepted_total",
      help: "Orders accepted and stored.",
      registers,
      collect() {
        this.reset();
        this.inc(counts.ordersAccepted);
      },
    });
    new Counter({
      name: "zkclear_orders_refused_total",
      help: "Orders refused with a 4xx.",
      registers,
      collect() {
        this.reset();
        this.inc(counts.ordersRefused);
      },
    });
    new Counter({
      name: "zkclear_trades_matched_total",
      help: "Trades matched by the books.",
      registers,
      collect() {
        this.reset();
        this.inc(counts.tradesMatched);
      },
    });
    new Counter({
      name: "zkclear_batches_settled_total",
      help: "Batches accepted on-chain, by kind.",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        for (const k of BATCH_KIND_NAMES) this.inc({ kind: k }, counts.batchesSettled[k]);
      },
    });
    new Counter({
      name: "zkclear_liquidations_positions_total",
      help: "Positions of settled liquidation batches, by who took them over: a liquidator under its offer, or the insurance fund.",
      labelNames: ["taker"],
      registers,
      collect() {
        this.reset();
        this.inc({ taker: "liquidator" }, counts.liquidatedPositions.liquidator);
        this.inc({ taker: "fund" }, counts.liquidatedPositions.fund);
      },
    });
    new Counter({
      name: "zkclear_batches_refused_total",
      help: "Batches the chain refused.",
      registers,
      collect() {
        this.reset();
        this.inc(counts.batchesRefused);
      },
    });
    new Counter({
      name: "zkclear_proofs_rejected_total",
      help: "Proofs a prover returned that did not verify against the batch (PROOF_REJECTED).",
      registers,
      collect() {
        this.reset();
        this.inc(counts.proofsRejected);
      },
    });
    new Gauge({
      name: "zkclear_proof_attempts",
      help: "Failed proving attempts of each batch not yet proved (an ALERT is logged from 5).",
      labelNames: ["batch"],
      registers,
      collect() {
        this.reset();
        for (const [batch, n] of counts.proofAttempts) this.set({ batch: String(batch) }, n);
      },
    });
    new Gauge({
      name: "zkclear_halted",
      help: "Whether the pipeline stopped on a refused batch.",
      registers,
      collect() {
        this.set(halted() ? 1 : 0);
      },
    });
    new Gauge({
      name: "zkclear_batches_pending",
      help: "Batches cut and not yet settled on-chain.",
      registers,
      collect() {
        this.set(pending());
      },
    });
    // the escape hatch: forced requests waiting, how close the oldest is to its deadline
    // (after it anyone may freeze the exchange), and the freeze
    const gauge = (name: string, help: string, value: (s: ForcedStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value(forced()));
        },
      });
    gauge(
      "zkclear_forced_requests_seen",
      "Forced withdrawal requests seen on Settlement's queue.",
      (s) => s.seen,
    );
    gauge(
      "zkclear_forced_pending",
      "Forced requests not yet answered by a settled batch.",
      (s) => s.pending,
    );
    gauge(
      "zkclear_forced_overdue",
      "Forced requests pending past their deadline: anyone may freeze the exchange.",
      (s) => s.overdue,
    );
    gauge(
      "zkclear_forced_oldest_pending_age_seconds",
      "Chain-time age of the oldest pending forced request (0: none pending).",
      (s) => s.oldestPendingAge,
    );
    gauge(
      "zkclear_forced_deadline_seconds",
      "Settlement's forcedDeadline: the time the operator has to answer a forced request.",
      (s) => s.deadline,
    );
    gauge("zkclear_frozen", "Whether Settlement is frozen (final: no batch lands again).", (s) =>
      s.frozen ? 1 : 0,
    );
    // funding (./funding.ts): per market the last tick's rate and the index in effect for
    // new rounds, and when the next tick may come (absent until the chain was read)
    const lastRates = (f: FundingView) =>
      f.ticks.at(-1)?.ratesPpm ?? f.current.indices.map(() => 0n);
    new Gauge({
      name: "zkclear_liquidator_offers",
      help: "Liquidators' standing offers by status: active (backed when last checked, ranked by the watcher's rule) or suspended (their account no longer backed them).",
      labelNames: ["status"],
      registers,
      collect() {
        this.reset();
        const c = offers();
        this.set({ status: "active" }, c.active);
        this.set({ status: "suspended" }, c.suspended);
      },
    });
    new Gauge({
      name: "zkclear_insurance_reserve",
      help: "The insurance fund's reserve (its collateral, collateral units): no liquidation draws on it; its owner's moves fund the compartments from it.",
      registers,
      collect() {
        this.reset();
        const f = fund();
        if (f) this.set(Number(f.reserve));
      },
    });
    new Gauge({
      name: "zkclear_insurance_compartment",
      help: "The insurance fund's compartment per market at the current round's marks (collateral units): it pays that market's liquidation losses, and only those.",
      labelNames: ["market"],
      registers,
      collect() {
        this.reset();
        const f = fund();
        if (f) f.compartments.forEach((c, j) => this.set({ market: String(j) }, Number(c)));
      },
    });
    new Gauge({
      name: "zkclear_funding_rate_ppm",
      help: "The last funding tick's rate per market, ppm of the oracle price per interval (longs pay when positive).",
      labelNames: ["market"],
      registers,
      collect() {
        this.reset();
        const f = funding();
        if (f) lastRates(f).forEach((r, j) => this.set({ market: String(j) }, Number(r)));
      },
    });
    new Gauge({
      name: "zkclear_funding_index",
      help: "The funding index per market in effect for new oracle rounds, 2^-20 quote units per lot.",
      labelNames: ["market"],
      registers,
      collect() {
        this.reset();
        const f = funding();
        if (f) f.current.indices.forEach((x, j) => this.set({ market: String(j) }, Number(x)));
      },
    });
    new Gauge({
      name: "zkclear_funding_ticks",
      help: "Funding ticks made since the deployment (tick 0, the deployment's, not counted).",
      registers,
      collect() {
        this.reset();
        const f = funding();
        if (f) this.set(f.current.tick);
      },
    });
    new Gauge({
      name: "zkclear_funding_next_tick_time_seconds",
      help: "When (unix seconds) the next funding tick may come.",
      registers,
      collect() {
        this.reset();
        const f = funding();
        if (f) this.set(Number(f.nextTickTime));
      },
    });
    this.intake = new Histogram({
      name: "zkclear_order_intake_seconds",
      help: "Time to check, match and store an order durably (its group commit included), from request to acknowledgement.",
      buckets: INTAKE_BUCKETS,
      registers,
    });
    this.prove = new Histogram({
      name: "zkclear_prove_seconds",
      help: "Proving time of a batch, by kind.",
      labelNames: ["kind"],
      buckets: SLOW_BUCKETS,
      registers,
    });
    this.submit = new Histogram({
      name: "zkclear_submit_seconds",
      help: "Time from sending a batch to its receipt, by kind.",
      labelNames: ["kind"],
      buckets: SLOW_BUCKETS,
      registers,
    });
  }

  orderIntake(ms: number): void {
    this.intake.observe(ms / 1000);
  }

  proved(kind: BatchKind, ms: number): void {
    this.prove.observe({ kind }, ms / 1000);
  }

  submitted(kind: BatchKind, ms: number): void {
    this.submit.observe({ kind }, ms / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The anomaly watch's metrics (./anomaly-watch.ts) in `registry`: anomalies started since
 * the service started, and which are active now, by kind and market ("all" for the
 * exchange-wide kinds); every kind and market is present, 0 until it fires.
 */
export function registerAnomalyMetrics(registry: Registry, view: () => AnomalyView): void {
  new Counter({
    name: "zkclear_anomalies_total",
    help: "Anomalies started (price jumps, oracle signers' spread, the fund's fall, outflows), by kind and market.",
    labelNames: ["kind", "market"],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of view().labels) this.inc({ kind: l.kind, market: l.market }, l.started);
    },
  });
  new Gauge({
    name: "zkclear_anomaly_active",
    help: "Whether an anomaly of this kind and market is active now (1) or not (0).",
    labelNames: ["kind", "market"],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of view().labels) this.set({ kind: l.kind, market: l.market }, l.active ? 1 : 0);
    },
  });
}

/**
 * The oracle round's circuit breakers (PriceOracle.roundReduceOnly) in `registry`: per market,
 * whether the operator's current round makes it reduce-only (1) or not (0).
 */
export function registerBreakerMetrics(
  registry: Registry,
  markets: number,
  round: () => Round | undefined,
): void {
  new Gauge({
    name: "zkclear_market_reduce_only",
    help: "Whether the current oracle round makes this market reduce-only (its circuit breaker tripped on a large move): 1, or 0.",
    labelNames: ["market"],
    registers: [registry],
    collect() {
      this.reset();
      const mask = round()?.reduceOnly ?? 0n;
      for (let j = 0; j < markets; j++)
        this.set({ market: String(j) }, isReduceOnly(mask, j) ? 1 : 0);
    },
  });
}

/**
 * The oracle round's margin multipliers (PriceOracle's volatility rule) in `registry`: per
 * market, the multiplier of the margin rates for new exposure (`use="requirement"`) and for
 * liquidation (`use="liquidation"`), basis points (10,000 = 1x).
 */
export function registerMarginMetrics(
  registry: Registry,
  markets: number,
  round: () => Round | undefined,
): void {
  new Gauge({
    name: "zkclear_margin_multiplier_bps",
    help: "The current oracle round's multiplier of a market's margin rates by its realised volatility, basis points (10000 = 1x): for new exposure (requirement) and for liquidation (which a rise reaches after the grace period).",
    labelNames: ["market", "use"],
    registers: [registry],
    collect() {
      this.reset();
      const m = round()?.margins;
      for (let j = 0; j < markets; j++) {
        this.set({ market: String(j), use: "requirement" }, Number(m?.mult[j] ?? ONE_X_BPS));
        this.set({ market: String(j), use: "liquidation" }, Number(m?.liqMult[j] ?? ONE_X_BPS));
      }
    },
  });
}

/** What the operator's log says of a new round's margin multipliers ("" when all are 1x). */
export function marginsNote(r: Round): string {
  const m = r.margins;
  if (!m || [...m.mult, ...m.liqMult].every((x) => x === ONE_X_BPS)) return "";
  return `; margins (requirement/liquidation) ${marginsText(m)}`;
}

/** What the operator's log says of a new round's circuit breakers ("" when none is on). */
export function reduceOnlyNote(r: Round): string {
  const tripped = reduceOnlyMarkets(r.reduceOnly ?? 0n, r.prices.length);
  return tripped.length
    ? `; reduce-only (circuit breaker): market ${tripped.join(", market ")}`
    : "";
}
