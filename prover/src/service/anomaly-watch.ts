import {
  ANOMALY_KIND_NAMES,
  ANOMALY_KINDS,
  ANOMALY_WINDOW_MS,
  anomalyKey,
  anomalyMarket,
  anomalyThresholds,
  detectAnomalies,
  type AnomalyKind,
  type AnomalyRecord,
  type AnomalyThresholds,
  type ObservedRound,
} from "../domain/anomalies.ts";
import { INSURANCE_ACCOUNT } from "../domain/constants.ts";
import type { ChainPort, Round } from "../domain/ports.ts";
import { isTransfer } from "../domain/sub-accounts.ts";
import { isQueuedMove, type NonceSpend } from "./compartment-moves.ts";
import { compartmentValues } from "../domain/compartments.ts";
import type { Account } from "../domain/account.ts";
import type { ExchangeState } from "../engine/state.ts";
import type { Store } from "../store/store.ts";

/** How often the watch looks without a new round, ms. */
export const ANOMALY_CHECK_MS = 5_000;
/** How many ended anomalies the watch remembers (the explorer lists them). */
const RECENT = 20;

/** Where the watch reads from (the operator's options). */
export interface AnomalySources {
  readonly anomalies?: Partial<AnomalyThresholds>;
  readonly markets: readonly unknown[];
  readonly chain: Pick<ChainPort, "oracleRound">;
  readonly store: Store;
}

/** What the watch shows (GET /explorer, /metrics). */
export interface AnomalyView {
  readonly thresholds: AnomalyThresholds;
  /** Active anomalies, in the order they started. */
  readonly active: readonly AnomalyRecord[];
  /** Ended anomalies, the latest first (at most RECENT). */
  readonly recent: readonly AnomalyRecord[];
  /**
   * For every kind and market label ("all" for exchange-wide kinds): how many anomalies
   * started since the service started, and whether one is active now.
   */
  readonly labels: readonly {
    kind: AnomalyKind;
    market: string;
    started: number;
    active: boolean;
  }[];
}

/**
 * The service's anomaly watch: at each operator step with a new oracle round, and every
 * ANOMALY_CHECK_MS otherwise, it gathers what domain/anomalies.ts judges (the latest round
 * and the one before with their signers' reports, the insurance fund's balance sampled over
 * the window, the withdrawals requested within it, the exchange's collateral) and runs the
 * detector. An anomaly is logged once when it starts and once when it ends; it stays active
 * while each observation still shows it (a price jump: until the next round). Detection
 * only: nothing is paused. In memory: after a restart the fund's samples start again.
 */
export class AnomalyWatch {
  readonly thresholds: AnomalyThresholds;
  private readonly active = new Map<string, AnomalyRecord>();
  private readonly ended: AnomalyRecord[] = [];
  private readonly starts = new Map<string, number>();
  private fund: { at: number; balance: bigint }[] = [];
  private previous: ObservedRound | null = null;
  private current: ObservedRound | null = null;
  private lastAt = -Infinity;
  private failing = false;

  private readonly markets: number;
  private readonly chain: Pick<ChainPort, "oracleRound">;
  private readonly store: Store;

  /**
   * `o.anomalies`: the thresholds (default: the kinds' table); `state`: the exchange state
   * now (the operator's, every batch cut so far).
   */
  constructor(
    o: AnomalySources,
    private readonly state: () => ExchangeState,
    private readonly log: (s: string) => void,
  ) {
    this.thresholds = anomalyThresholds(o.anomalies);
    this.markets = o.markets.length;
    this.chain = o.chain;
    this.store = o.store;
  }

  /** Observes when due: `latest` is a round the watch has not judged, or the period is over. */
  async step(latest: Round | undefined, now = Date.now()): Promise<void> {
    const fresh = latest !== undefined && latest.roundId !== this.current?.roundId;
    if (!fresh && now - this.lastAt < ANOMALY_CHECK_MS) return;
    try {
      if (fresh) await this.readRounds(latest);
      this.observe(now);
      this.lastAt = now;
      if (this.failing) this.log("anomaly watch: observing again");
      this.failing = false;
    } catch (e) {
      // the operator goes on: the watch tries again at the next step (said once)
      if (!this.failing)
        this.log(`anomaly watch: an observation failed, trying again at each step: ${String(e)}`);
      this.failing = true;
    }
  }

  /** The latest round and the one before, with their reports when the chain gives them. */
  private async readRounds(latest: Round): Promise<void> {
    const read = async (id: bigint): Promise<ObservedRound | null> => {
      if (this.current?.roundId === id) return this.current;
      if (this.chain.oracleRound) return (await this.chain.oracleRound(id)) ?? null;
      return id === latest.roundId ? { ...latest, reports: null } : null;
    };
    const [previous, current] = [
      latest.roundId > 1n ? await read(latest.roundId - 1n) : null,
      await read(latest.roundId),
    ];
    this.previous = previous;
    this.current = current;
  }

  private observe(now: number): void {
    const state = this.state();
    const since = now - ANOMALY_WINDOW_MS;
    // the fund's capital: its reserve and its compartments at the round's prices, so that its
    // owner's moves between them are not a fall
    const fund = state.hasAccount(INSURANCE_ACCOUNT)
      ? fundCapital(state.getAccount(INSURANCE_ACCOUNT), this.current?.prices)
      : 0n;
    this.fund = [...this.fund.filter((s) => s.at >= since), { at: now, balance: fund }];
    let collateral = 0n;
    for (const [, a] of state.entries()) collateral += a.collateral;
    // outflows leave the Vault: a transfer between a key's accounts does not, nor does a
    // move of the fund's capital between its reserve and a compartment
    const withdrawn = this.store.withdrawals
      .liveSince<NonceSpend>(since)
      .reduce(
        (sum, w) =>
          sum + (isQueuedMove(w.body) || isTransfer(w.body) ? 0n : w.body.withdrawal.amount),
        0n,
      );
    const found = detectAnomalies(
      {
        previousRound: this.previous,
        round: this.current,
        fund: this.fund.map((s) => s.balance),
        withdrawn,
        collateral,
      },
      this.thresholds,
    );
    const at = Math.floor(now / 1000);
    const seen = new Set<string>();
    for (const a of found) {
      const key = anomalyKey(a);
      seen.add(key);
      const was = this.active.get(key);
      if (was) {
        this.active.set(key, {
          ...a,
          since: was.since,
          until: null,
          peakBps: Math.max(was.peakBps, a.valueBps),
        });
        continue;
      }
      this.active.set(key, { ...a, since: at, until: null, peakBps: a.valueBps });
      this.starts.set(key, (this.starts.get(key) ?? 0) + 1);
      this.log(`ANOMALY ${a.kind} (market ${anomalyMarket(a)}) started: ${a.message}`);
    }
    for (const [key, r] of this.active) {
      if (seen.has(key)) continue;
      this.active.delete(key);
      this.ended.unshift({ ...r, until: at });
      this.ended.length = Math.min(this.ended.length, RECENT);
      this.log(
        `ANOMALY ${r.kind} (market ${anomalyMarket(r)}) ended after ${at - r.since} s, peak ${r.peakBps} bps (threshold ${r.thresholdBps} bps)`,
      );
    }
  }

  view(): AnomalyView {
    const markets = (k: AnomalyKind) =>
      ANOMALY_KINDS[k].perMarket ? Array.from({ length: this.markets }, (_, m) => m) : [null];
    return {
      thresholds: this.thresholds,
      active: [...this.active.values()],
      recent: [...this.ended],
      labels: ANOMALY_KIND_NAMES.flatMap((kind) =>
        markets(kind).map((market) => ({
          kind,
          market: anomalyMarket({ market }),
          started: this.starts.get(anomalyKey({ kind, market })) ?? 0,
          active: this.active.has(anomalyKey({ kind, market })),
        })),
      ),
    };
  }
}

/**
 * The insurance fund's capital: its reserve (collateral) and, at `prices`, its compartments
 * (domain/compartments.ts); the reserve alone before any round.
 */
function fundCapital(fund: Account, prices: readonly bigint[] | undefined): bigint {
  if (!prices) return fund.collateral;
  return compartmentValues(fund, prices).reduce((sum, c) => sum + c, fund.collateral);
}
