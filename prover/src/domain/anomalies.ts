import { ZkClearError, type CodeOf } from "./errors.ts";

/**
 * The anomalies the operator service watches for (service/anomaly-watch.ts), one row per
 * kind: what it means, the `zkclear serve` option of its threshold and the threshold's
 * default, in basis points. Detection only: nothing is paused by it (the guardian pauses by
 * hand). Every anomaly fires when its measure is strictly above the threshold.
 */
export const ANOMALY_KINDS = {
  price_jump: {
    meaning:
      "a market's price in the latest oracle round moved from the previous round's by more than the threshold (|new - old| / old)",
    option: "--anomaly-price-jump-bps",
    defaultBps: 1500,
    perMarket: true,
  },
  signer_spread: {
    meaning:
      "the oracle signers' reports of one round disagree: (highest - lowest) of a market's reported prices over the round's median",
    option: "--anomaly-signer-spread-bps",
    defaultBps: 200,
    perMarket: true,
  },
  fund_drop: {
    meaning:
      "the insurance fund's balance fell from its highest within the window to now by more than the threshold of that highest",
    option: "--anomaly-fund-drop-bps",
    defaultBps: 2000,
    perMarket: false,
  },
  outflow: {
    meaning:
      "withdrawals requested within the window (not refused) add up to more than the threshold of the exchange's total collateral",
    option: "--anomaly-outflow-bps",
    defaultBps: 1000,
    perMarket: false,
  },
} as const;

export type AnomalyKind = keyof typeof ANOMALY_KINDS;

export const ANOMALY_KIND_NAMES = Object.keys(ANOMALY_KINDS) as AnomalyKind[];

/** The window the fund's fall and the outflows are measured over, ms (one hour). */
export const ANOMALY_WINDOW_MS = 3_600_000;

/** A threshold per kind, basis points (1 bps = 0.01 %). */
export type AnomalyThresholds = Readonly<Record<AnomalyKind, number>>;

export const DEFAULT_ANOMALY_THRESHOLDS: AnomalyThresholds = Object.fromEntries(
  ANOMALY_KIND_NAMES.map((k) => [k, ANOMALY_KINDS[k].defaultBps]),
) as Record<AnomalyKind, number>;

export class AnomalyError extends ZkClearError<CodeOf<"operator">> {}

/** The defaults with `given` over them; each must be a whole number of bps, 1 or more. */
export function anomalyThresholds(given: Partial<AnomalyThresholds> = {}): AnomalyThresholds {
  const t = { ...DEFAULT_ANOMALY_THRESHOLDS, ...given };
  for (const k of ANOMALY_KIND_NAMES)
    if (!Number.isSafeInteger(t[k]) || t[k] < 1)
      throw new AnomalyError(
        "ANOMALY_THRESHOLD_INVALID",
        `${ANOMALY_KINDS[k].option} must be a whole number of basis points, 1 or more (got ${t[k]})`,
      );
  return t;
}

/** An oracle round as the detector sees it. */
export interface ObservedRound {
  readonly roundId: bigint;
  /** The round's price per market (the medians the oracle stored). */
  readonly prices: readonly bigint[];
  /**
   * Each signer's reported prices (one array per report, a price per market), or null when
   * they could not be read (then the signers' spread is not measured for this round).
   */
  readonly reports: readonly (readonly bigint[])[] | null;
}

/** Everything the detector judges, as the service sees it at one moment. */
export interface AnomalyInput {
  /** The round before `round` (null: none, or `round` is the first). */
  readonly previousRound: ObservedRound | null;
  /** The latest round (null: no round yet). */
  readonly round: ObservedRound | null;
  /** The insurance fund's balance at each sample within the window, oldest first; the last is now. */
  readonly fund: readonly bigint[];
  /** Withdrawals requested within the window and not refused, summed (quote units). */
  readonly withdrawn: bigint;
  /** The exchange's total collateral now: every account's, summed. */
  readonly collateral: bigint;
}

export interface Anomaly {
  readonly kind: AnomalyKind;
  /** The market it concerns; null for exchange-wide kinds. */
  readonly market: number | null;
  /** The measure, basis points (two decimals). */
  readonly valueBps: number;
  readonly thresholdBps: number;
  /** What happened, for people. */
  readonly message: string;
}

/** part / whole in basis points, to 0.01 bps (whole > 0). */
function bps(part: bigint, whole: bigint): number {
  return Number((part * 1_000_000n) / whole) / 100;
}

/** Whether part / whole > threshold bps, exactly (whole > 0). */
function above(part: bigint, whole: bigint, thresholdBps: number): boolean {
  return part * 10_000n > BigInt(thresholdBps) * whole;
}

const pct = (b: number) => `${(b / 100).toFixed(2)} %`;

function priceJumps(i: AnomalyInput, t: number): Anomaly[] {
  const prev = i.previousRound;
  const cur = i.round;
  if (!prev || !cur) return [];
  const out: Anomaly[] = [];
  cur.prices.forEach((p, m) => {
    const old = prev.prices[m];
    if (old === undefined || old <= 0n) return;
    const move = p > old ? p - old : old - p;
    if (!above(move, old, t)) return;
    const v = bps(move, old);
    out.push({
      kind: "price_jump",
      market: m,
      valueBps: v,
      thresholdBps: t,
      message: `market ${m}: oracle round ${cur.roundId} moved the price from ${old} to ${p} (${p > old ? "+" : "-"}${pct(v)}), more than ${pct(t)} from round ${prev.roundId}`,
    });
  });
  return out;
}

function signerSpreads(i: AnomalyInput, t: number): Anomaly[] {
  const cur = i.round;
  if (!cur?.reports || cur.reports.length < 2) return [];
  const out: Anomaly[] = [];
  cur.prices.forEach((median, m) => {
    const reported = cur.reports!.map((r) => r[m]).filter((x) => x !== undefined);
    if (reported.length < 2 || median <= 0n) return;
    const hi = reported.reduce((a, b) => (b > a ? b : a));
    const lo = reported.reduce((a, b) => (b < a ? b : a));
    if (!above(hi - lo, median, t)) return;
    const v = bps(hi - lo, median);
    out.push({
      kind: "signer_spread",
      market: m,
      valueBps: v,
      thresholdBps: t,
      message: `market ${m}: the ${reported.length} signers of oracle round ${cur.roundId} reported from ${lo} to ${hi}, a spread of ${pct(v)} of the median ${median}, more than ${pct(t)}`,
    });
  });
  return out;
}

function fundDrop(i: AnomalyInput, t: number): Anomaly[] {
  if (i.fund.length === 0) return [];
  const now = i.fund[i.fund.length - 1];
  const high = i.fund.reduce((a, b) => (b > a ? b : a));
  if (high <= 0n || !above(high - now, high, t)) return [];
  const v = bps(high - now, high);
  return [
    {
      kind: "fund_drop",
      market: null,
      valueBps: v,
      thresholdBps: t,
      message: `the insurance fund fell from ${high} to ${now} (-${pct(v)}) within ${ANOMALY_WINDOW_MS / 60_000} min, more than ${pct(t)}`,
    },
  ];
}

function outflow(i: AnomalyInput, t: number): Anomaly[] {
  // no collateral: nothing can be withdrawn, nothing to measure against
  if (i.collateral <= 0n || !above(i.withdrawn, i.collateral, t)) return [];
  const v = bps(i.withdrawn, i.collateral);
  return [
    {
      kind: "outflow",
      market: null,
      valueBps: v,
      thresholdBps: t,
      message: `withdrawals of ${i.withdrawn} were requested within ${ANOMALY_WINDOW_MS / 60_000} min, ${pct(v)} of the exchange's collateral ${i.collateral}, more than ${pct(t)}`,
    },
  ];
}

const DETECTORS: Record<AnomalyKind, (i: AnomalyInput, t: number) => Anomaly[]> = {
  price_jump: priceJumps,
  signer_spread: signerSpreads,
  fund_drop: fundDrop,
  outflow,
};

/**
 * The anomalies `input` shows under `thresholds`, in ANOMALY_KINDS order then market order.
 * Pure: the same input gives the same anomalies. An anomaly is the same one from one
 * observation to the next while its kind and market are (anomalyKey).
 */
export function detectAnomalies(
  input: AnomalyInput,
  thresholds: AnomalyThresholds = DEFAULT_ANOMALY_THRESHOLDS,
): Anomaly[] {
  return ANOMALY_KIND_NAMES.flatMap((k) => DETECTORS[k](input, thresholds[k]));
}

/** The label of an anomaly's market: its index, or "all" for exchange-wide kinds. */
export function anomalyMarket(a: Pick<Anomaly, "market">): string {
  return a.market === null ? "all" : String(a.market);
}

/** What identifies one anomaly across observations: its kind and market. */
export function anomalyKey(a: Pick<Anomaly, "kind" | "market">): string {
  return `${a.kind}/${anomalyMarket(a)}`;
}

/** One anomaly as the service recorded it: from its first observation to its last. */
export interface AnomalyRecord extends Anomaly {
  /** When it was first observed, unix seconds. */
  readonly since: number;
  /** When it was first no longer observed, unix seconds (null: still active). */
  readonly until: number | null;
  /** The highest measure observed while it lasted, bps. */
  readonly peakBps: number;
}
