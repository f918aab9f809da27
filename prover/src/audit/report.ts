import type { BatchKind } from "../domain/batch.ts";
import { BATCH_KIND_NAMES } from "../domain/batch-kinds.ts";
import type { PublishedConfig } from "../engine/batch-file.ts";
import type { ExchangeState } from "../engine/state.ts";
import { CHECKS, type Finding } from "./findings.ts";
import { books, negativeEquity } from "./invariants.ts";
import type { BatchPoint, Progress, RoundPoint } from "./progress.ts";
import { escapeReport, type EscapeReport } from "./report-escape.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { formatPublicKey } from "../domain/owners.ts";
import { currentOwners, pendingRotations } from "./owner-checks.ts";
import { fundingReport, type FundingReport } from "./report-funding.ts";
import { breakersReport, type BreakersReport } from "./report-breakers.ts";
import { marginsReport, type MarginsReport } from "./report-margins.ts";
import { compartmentsReport, type CompartmentsReport } from "./report-compartments.ts";

export interface AuditReport {
  readonly format: "zkclear-audit-report/1";
  readonly ok: boolean;
  readonly chainId: string;
  readonly settlement: string;
  readonly paramSet: string;
  readonly markets: readonly string[];
  readonly files: string | null;
  readonly head: { readonly block: number; readonly root: string; readonly batches: number };
  readonly checks: readonly {
    name: string;
    /** partial: passed up to where replay stopped (see notes). */
    status: "pass" | "fail" | "skipped" | "partial";
    findings: number;
  }[];
  readonly findings: readonly Finding[];
  readonly notes: readonly string[];
  /**
   * The system accounts' owner keys now ("x,y"), and the rotations proven deposit batches
   * applied (account, new key, the batch, its queue position), in order.
   */
  readonly owners: {
    readonly fee: string;
    readonly fund: string;
    readonly rotations: readonly {
      account: string;
      key: string;
      batch: number;
      queueIndex: number;
    }[];
  };
  readonly counts: {
    readonly batches: number;
    readonly byKind: Record<BatchKind, number>;
    readonly proofsVerified: number;
    readonly filesChecked: number;
    readonly replayed: number;
  };
  readonly final: {
    readonly accounts: number;
    readonly owedToAccounts: string;
    readonly insuranceFund: string;
    readonly feeAccount: string;
    readonly openInterest: readonly { long: string; short: string }[];
    readonly vaultBalance: string;
    readonly pendingWithdrawals: string;
    readonly queuedDeposits: string;
  } | null;
  readonly timing: {
    readonly batchesThisRun: number;
    readonly runMs: number;
    readonly msPerBatch: number | null;
    readonly phasesMs: Record<string, number>;
    readonly resumedFrom: number | null;
  };
  readonly batches: readonly BatchPoint[];
  readonly rounds: readonly RoundPoint[];
  /** Forced requests, the freeze and the exits (./report-escape.ts). */
  readonly escape: EscapeReport;
  /** The funding ledger and ticks (./report-funding.ts). */
  readonly funding: FundingReport;
  /** The circuit breakers' rule and trips (./report-breakers.ts). */
  readonly breakers: BreakersReport;
  /** The volatility margin rule and its changes (./report-margins.ts). */
  readonly margins: MarginsReport;
  /** The insurance fund's compartments and every change to them (./report-compartments.ts). */
  readonly compartments: CompartmentsReport;
}

/** What the report is assembled from: the audit's progress and this run's figures. */
export interface AuditRun {
  readonly p: Progress;
  readonly state: ExchangeState;
  readonly config: PublishedConfig;
  readonly chainId: bigint;
  readonly settlement: string;
  /** Where the batch files came from, if any. */
  readonly files: string | null;
  readonly head: { readonly block: number; readonly root: bigint; readonly batches: number };
  /** The head block's time (seconds): where forced deadlines are judged. */
  readonly headTime: number;
  readonly forcedDeadline: bigint | null;
  readonly headFindings: readonly Finding[];
  /** Notes about the head (recomputed each catch-up). */
  readonly notes: readonly string[];
  readonly vaultBooks: { balance: bigint; pendingWithdrawals: bigint; queuedDeposits: bigint };
  readonly phases: Readonly<Record<string, number>>;
  readonly startedAt: number;
  readonly batchesThisRun: number;
  readonly resumedFrom: number | null;
}

/** The audit's report: checks, findings, notes, final books, timing, batches and rounds. */
export function buildReport(r: AuditRun): AuditReport {
  const p = r.p;
  const findings = [...p.findings, ...r.headFindings];
  const byKind = Object.fromEntries(BATCH_KIND_NAMES.map((k) => [k, 0])) as Record<
    BatchKind,
    number
  >;
  for (const b of p.batches) byKind[b.kind]++;
  const checks = CHECKS.map((c) => {
    const n = findings.filter((f) => c.codes.includes(f.code)).length;
    // replay-dependent checks stop with the replay: passed as far as it went
    const status = n
      ? "fail"
      : c.replay && p.replay === "off"
        ? "skipped"
        : c.replay && p.replay === "stopped"
          ? "partial"
          : "pass";
    return { name: c.name, status, findings: n } as const;
  });
  const notes = [...p.notes, ...r.notes];
  const rotations = p.ownerRotations ?? [];
  const owners = currentOwners(r.config.owners, rotations);
  for (const x of rotations)
    notes.push(
      `owner key rotation: account ${x.account} (${x.account === FEE_ACCOUNT ? "fees" : "insurance fund"}) to ${formatPublicKey(x.key)} by deposit batch ${x.batch} (queue position ${x.queueIndex})`,
    );
  for (const x of pendingRotations(p.pending))
    notes.push(
      `owner key rotation pending: account ${x.account} (${x.account === FEE_ACCOUNT ? "fees" : "insurance fund"}) to ${formatPublicKey(x.key)} queued at position ${x.queueIndex}, not credited yet (uncredited past the forced deadline it makes a freeze due; after a freeze this key signs the account's exit)`,
    );
  if (p.replayNote) notes.push(p.replayNote);
  const latest = Object.entries(p.rounds).sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? 1 : -1))[0];
  const underwater = p.replay === "on" && latest ? negativeEquity(r.state, latest[1].prices) : 0n;
  if (underwater < 0n)
    notes.push(
      `at oracle round ${latest![0]}'s prices some accounts are under water by ${-underwater} in total ` +
        `(losses their collateral does not cover; the insurance fund stands behind them until they are liquidated)`,
    );
  if (p.surplus > 0n)
    notes.push(
      `the Vault holds up to ${p.surplus} more than the accounts are owed (tokens sent to it directly)`,
    );
  let final: AuditReport["final"] = null;
  if (p.replay === "on") {
    const b = books(r.state);
    const vault = r.vaultBooks;
    final = {
      accounts: b.accounts,
      owedToAccounts: b.owedToAccounts.toString(),
      insuranceFund: b.insuranceFund.toString(),
      feeAccount: b.feeAccount.toString(),
      openInterest: b.openInterest.map((x) => ({
        long: x.long.toString(),
        short: x.short.toString(),
      })),
      vaultBalance: p.vaultBalance.toString(),
      pendingWithdrawals: vault.pendingWithdrawals.toString(),
      queuedDeposits: vault.queuedDeposits.toString(),
    };
  }
  const runMs = performance.now() - r.startedAt;
  const perBatch = r.batchesThisRun
    ? Object.entries(r.phases).reduce((s, [k, v]) => s + (k === "verifierCode" ? 0 : v), 0) /
      r.batchesThisRun
    : null;
  return {
    format: "zkclear-audit-report/1",
    ok: findings.length === 0,
    chainId: r.chainId.toString(),
    settlement: r.settlement,
    paramSet: r.config.paramSet.name,
    markets: r.config.markets.map((m) => m.symbol),
    files: r.files ?? null,
    head: { block: r.head.block, root: r.head.root.toString(), batches: r.head.batches },
    checks,
    findings,
    notes,
    owners: {
      fee: formatPublicKey(owners.fee),
      fund: formatPublicKey(owners.fund),
      rotations: rotations.map((x) => ({
        account: x.account.toString(),
        key: formatPublicKey(x.key),
        batch: x.batch,
        queueIndex: x.queueIndex,
      })),
    },
    counts: {
      batches: p.batches.length,
      byKind,
      proofsVerified: p.proofsVerified,
      filesChecked: p.filesChecked,
      replayed: p.replayed,
    },
    final,
    timing: {
      batchesThisRun: r.batchesThisRun,
      runMs: Math.round(runMs),
      msPerBatch: perBatch === null ? null : Math.round(perBatch * 10) / 10,
      phasesMs: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, Math.round(v)])),
      resumedFrom: r.resumedFrom,
    },
    batches: p.batches,
    rounds: Object.entries(p.rounds)
      .map(([roundId, round]) => ({
        roundId,
        time: Number(round.timestamp),
        prices: round.prices.map(String),
      }))
      .sort((a, b) => (BigInt(a.roundId) < BigInt(b.roundId) ? -1 : 1)),
    escape: escapeReport(p, r.forcedDeadline, r.headTime),
    funding: fundingReport(p),
    breakers: breakersReport(p),
    margins: marginsReport(p),
    compartments: compartmentsReport(
      p,
      p.replay === "on" ? r.state.getAccount(INSURANCE_ACCOUNT) : null,
      latest ? { roundId: latest[0], prices: latest[1].prices } : null,
    ),
  };
}
