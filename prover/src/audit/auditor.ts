import { createHash } from "node:crypto";
import fs from "node:fs";
import { getAddress, id, toBeHex, type Provider } from "ethers";
import type { VerificationKey } from "snarkjs";
import { ZkClearError } from "../domain/errors.ts";
import { priceConfigHash, configHash, type MarketParams } from "../domain/market.ts";
import type { ParamSet } from "../domain/params.ts";
import type { Account } from "../domain/account.ts";
import { depositQueueHash, type Deposit } from "../domain/transfers.ts";
import { ExchangeState } from "../engine/state.ts";
import { settleTrades } from "../engine/trades.ts";
import { applyDeposits, processWithdrawals } from "../engine/transfers.ts";
import { liquidate } from "../engine/liquidations.ts";
import {
  batchCommitment,
  batchFileName,
  parseBatchFile,
  payoutsCommitment,
  type BatchData,
  type BatchDataKind,
  type PublishedConfig,
} from "../engine/batch-file.ts";
import type { CircuitId } from "../proving/circuits.ts";
import { verify } from "../proving/prover.ts";
import { fromJson, toJson } from "../store/json.ts";
import {
  fetchEvents,
  oracleRound,
  readBatchCall,
  readSettlement,
  roundBinding,
  settlementAt,
  tokenBalance,
  type ChainEvent,
  type SettlementInfo,
} from "./chain.ts";
import { matchVerifier } from "./verifier-code.ts";
import { books, checkInvariants, negativeEquity } from "./invariants.ts";
import type { BatchFileSource } from "./sources.ts";

/** What the audit can find; each comes with the batch and a sentence. */
export type FindingCode =
  | "CONFIG_MISMATCH"
  | "VERIFIER_MISMATCH"
  | "GENESIS_MISMATCH"
  | "BATCH_GAP"
  | "ROOT_GAP"
  | "HEAD_MISMATCH"
  | "PROOF_UNREADABLE"
  | "PROOF_INVALID"
  | "BINDING_MISMATCH"
  | "PRICE_MISMATCH"
  | "DEPOSIT_QUEUE_MISMATCH"
  | "PAYOUTS_MISMATCH"
  | "FILE_MISSING"
  | "FILE_INVALID"
  | "FILE_TAMPERED"
  | "FILE_MISMATCH"
  | "REPLAY_REFUSED"
  | "ROOT_NOT_CHAINED"
  | "SOLVENCY"
  | "OPEN_INTEREST";

export interface Finding {
  readonly code: FindingCode;
  readonly batch?: number;
  readonly message: string;
}

/** The report's checklist: each check and the findings that fail it. */
export const CHECKS: readonly { name: string; codes: readonly FindingCode[]; replay?: true }[] = [
  { name: "configuration hash equals the published markets", codes: ["CONFIG_MISMATCH"] },
  { name: "on-chain verifiers equal the local verification keys", codes: ["VERIFIER_MISMATCH"] },
  {
    name: "roots chain from genesis without a gap",
    codes: ["GENESIS_MISMATCH", "BATCH_GAP", "ROOT_GAP", "HEAD_MISMATCH"],
  },
  { name: "every proof verifies locally", codes: ["PROOF_UNREADABLE", "PROOF_INVALID"] },
  {
    name: "price bindings match the oracle rounds and the configuration",
    codes: ["BINDING_MISMATCH", "PRICE_MISMATCH"],
  },
  { name: "deposit batches credit the Vault's queue", codes: ["DEPOSIT_QUEUE_MISMATCH"] },
  {
    name: "batch files match their on-chain commitments",
    codes: ["FILE_MISSING", "FILE_INVALID", "FILE_TAMPERED", "FILE_MISMATCH", "PAYOUTS_MISMATCH"],
    replay: true,
  },
  {
    name: "replay from genesis gives every root",
    codes: ["REPLAY_REFUSED", "ROOT_NOT_CHAINED"],
    replay: true,
  },
  { name: "solvency: accounts = Vault balance − pending", codes: ["SOLVENCY"], replay: true },
  { name: "open interest: long = short per market", codes: ["OPEN_INTEREST"], replay: true },
];

const KIND_OF: Record<number, BatchDataKind> = {
  1: "trades",
  2: "deposits",
  3: "withdrawals",
  4: "liquidations",
};
const CIRCUIT_OF: Record<BatchDataKind, CircuitId> = {
  trades: "settle_trades",
  deposits: "apply_deposits",
  withdrawals: "process_withdrawals",
  liquidations: "liquidate_batch",
};

/** One audited batch, for the report's charts and tables. */
export interface BatchPoint {
  readonly batch: number;
  readonly kind: BatchDataKind;
  readonly block: number;
  readonly time: number;
  readonly ops: number | null;
  readonly roundId: string | null;
  readonly ms: number;
  readonly findings: number;
  /** After the batch, when replayed. */
  readonly insuranceFund: string | null;
  readonly owedToAccounts: string | null;
  readonly vaultBalance: string;
  readonly openInterest: string[] | null;
}

export interface RoundPoint {
  readonly roundId: string;
  readonly time: number;
  readonly prices: string[];
}

interface PendingDeposit {
  readonly index: number;
  readonly deposit: Deposit;
  readonly queueHash: bigint;
}

/** Everything the audit carries from batch to batch: what a checkpoint saves. */
interface Progress {
  nextBatch: number;
  lastRoot: bigint;
  lastBatchBlock: number;
  scannedTo: number;
  /** The hash of block scannedTo: a resumed audit checks the chain still has it. */
  scannedHash: string | null;
  /** Notes that belong to the history (carried by checkpoints). */
  notes: string[];
  /** on: replaying; off: no batch files; stopped: the state is unknown after a finding. */
  replay: "on" | "off" | "stopped";
  replayNote: string | null;
  queueProcessed: number;
  queueHash: bigint;
  pending: PendingDeposit[];
  vaultBalance: bigint;
  /** Credited by proven withdrawals and not yet claimed, per recipient. */
  owed: Record<string, bigint>;
  surplus: bigint;
  rounds: Record<string, { prices: bigint[]; timestamp: bigint }>;
  batches: BatchPoint[];
  findings: Finding[];
  proofsVerified: number;
  filesChecked: number;
  replayed: number;
}

export const CHECKPOINT_FORMAT = "zkclear-audit-checkpoint/1";

export interface AuditorOptions {
  readonly provider: Provider;
  readonly settlement: string;
  readonly config: PublishedConfig;
  /** The local verification keys the proofs must verify under. */
  readonly vkeys: Record<CircuitId, VerificationKey>;
  /** Published batch files; without them the audit checks chain and proofs only. */
  readonly files?: BatchFileSource;
  /** First block to scan (the deployment block) when not resuming. */
  readonly fromBlock?: number;
  /** Resume from this checkpoint file if it exists, and keep it up to date. */
  readonly checkpoint?: string;
  /** Audit only blocks this many below the latest (reorganisation safety); default 0. */
  readonly confirmations?: number;
  /** Blocks per getLogs call. */
  readonly logChunk?: number;
  /** How long to wait for a batch file not yet published (follow mode), ms. */
  readonly fileWaitMs?: number;
  readonly onBatch?: (b: BatchPoint, findings: readonly Finding[]) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

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
  readonly counts: {
    readonly batches: number;
    readonly byKind: Record<BatchDataKind, number>;
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
}

export class AuditError extends ZkClearError {}

/**
 * The auditor: checks a zkclear deployment's whole settlement history from the chain
 * and the published batch files, trusting neither the operator nor its service. It
 * reuses the engine (replay) and snarkjs verification; it reads the chain through any
 * JSON-RPC provider. See docs/audit.md for each check.
 */
export class Auditor {
  private state: ExchangeState;
  private readonly blockTimes = new Map<number, number>();
  private readonly bindings = new Map<string, bigint>();
  private readonly phases: Record<string, number> = {
    chain: 0,
    verify: 0,
    replay: 0,
    invariants: 0,
  };
  private readonly startedAt = performance.now();
  private batchesThisRun = 0;
  private readonly resumedFrom: number | null;
  private head = { block: 0, root: 0n, batches: 0 };
  private notes: string[] = [];

  private constructor(
    private readonly o: AuditorOptions,
    private readonly info: SettlementInfo,
    private readonly chainId: bigint,
    private p: Progress,
    state: ExchangeState,
    resumed: boolean,
  ) {
    this.state = state;
    this.resumedFrom = resumed ? p.nextBatch : null;
  }

  static async open(o: AuditorOptions): Promise<Auditor> {
    const info = await readSettlement(o.provider, o.settlement);
    const chainId = (await o.provider.getNetwork()).chainId;
    const ps = o.config.paramSet;
    const markets = o.config.markets;
    let resumed: { p: Progress; state: ExchangeState } | undefined;
    if (o.checkpoint && fs.existsSync(o.checkpoint))
      resumed = await Auditor.loadCheckpoint(o, info, chainId);
    const genesis = ExchangeState.genesis(ps.depth, markets);
    const p: Progress = resumed?.p ?? {
      nextBatch: 0,
      lastRoot: genesis.root,
      lastBatchBlock: 0,
      scannedTo: (o.fromBlock ?? 0) - 1,
      scannedHash: null,
      notes: [],
      replay: o.files ? "on" : "off",
      replayNote: o.files ? null : "no batch files given: chain and proofs checked, no replay",
      queueProcessed: 0,
      queueHash: 0n,
      pending: [],
      vaultBalance: 0n,
      owed: {},
      surplus: 0n,
      rounds: {},
      batches: [],
      findings: [],
      proofsVerified: 0,
      filesChecked: 0,
      replayed: 0,
    };
    const a = new Auditor(o, info, chainId, p, resumed?.state ?? genesis, Boolean(resumed));
    if (!resumed) {
      if (o.config.chainId !== chainId || getAddress(o.config.settlement) !== info.address)
        a.p.notes.push(
          `the published configuration names chain ${o.config.chainId} / ${o.config.settlement}, ` +
            `the audit is of chain ${chainId} / ${info.address}`,
        );
      a.checkConfig(ps, markets);
      await a.checkVerifiers();
    }
    return a;
  }

  private find(f: Finding): void {
    this.p.findings.push(f);
    this.current?.push(f);
  }

  private current: Finding[] | undefined;

  private checkConfig(ps: ParamSet, markets: readonly MarketParams[]): void {
    if (this.info.vaultSettlement !== this.info.address)
      this.find({
        code: "CONFIG_MISMATCH",
        message: `the Vault ${this.info.vault} takes credits from ${this.info.vaultSettlement}, not from this Settlement`,
      });
    const local = configHash(markets);
    if (local !== this.info.configHash)
      this.find({
        code: "CONFIG_MISMATCH",
        message: `Settlement's configHash is ${this.info.configHash}, the published markets hash to ${local}`,
      });
    if (this.info.marketCount !== markets.length || this.info.withdrawalSlots !== ps.withdrawals)
      this.find({
        code: "CONFIG_MISMATCH",
        message:
          `Settlement has ${this.info.marketCount} markets and ${this.info.withdrawalSlots} withdrawal slots, ` +
          `parameter set "${ps.name}" has ${markets.length} and ${ps.withdrawals}`,
      });
  }

  private async checkVerifiers(): Promise<void> {
    const t0 = performance.now();
    for (const [circuit, address] of Object.entries(this.info.verifiers) as [CircuitId, string][]) {
      const code = await this.o.provider.getCode(address);
      const m = matchVerifier(code, this.o.vkeys[circuit]);
      if (!m.match)
        this.find({
          code: "VERIFIER_MISMATCH",
          message: `the ${circuit} verifier at ${address} is not the local key's verifier: ${m.detail}`,
        });
    }
    this.phases.verifierCode = performance.now() - t0;
  }

  /** Audits every batch settled up to the chain's head. */
  async catchUp(): Promise<void> {
    // getBlock, not getBlockNumber: ethers caches the block number for a moment
    const latest = await this.o.provider.getBlock("latest");
    if (!latest) throw new AuditError("RPC_FAILED", "the node returned no latest block");
    // only blocks with enough confirmations: a reorganisation behind the scan would
    // otherwise lose events for good
    const head = latest.number - (this.o.confirmations ?? 0);
    if (head < this.p.scannedTo) return; // a node lagging behind what was already audited
    const chunk = this.o.logChunk ?? 5000;
    const total = (await settlementAt(this.o.provider, this.info.address, head)).batchCount;
    this.o.onProgress?.(this.p.nextBatch, total);
    for (let from = this.p.scannedTo + 1; from <= head; from += chunk) {
      const to = Math.min(head, from + chunk - 1);
      const t0 = performance.now();
      const events = await fetchEvents(this.o.provider, this.info, from, to, chunk);
      this.phases.chain += performance.now() - t0;
      // one transaction at a time: a batch is judged on the state at the end of its
      // transaction (a withdrawal batch's credits come after its BatchSettled event)
      for (let i = 0; i < events.length; ) {
        let j = i;
        while (j < events.length && events[j].txHash === events[i].txHash) j++;
        await this.transaction(events.slice(i, j));
        this.o.onProgress?.(this.p.nextBatch, total);
        i = j;
      }
      this.p.scannedTo = to;
      this.p.scannedHash = (await this.o.provider.getBlock(to))?.hash ?? null;
      this.saveCheckpoint();
    }
    await this.checkHead(head);
  }

  /** Audits new batches as they settle until `signal` aborts. */
  async follow(signal: AbortSignal, intervalMs = 1000): Promise<void> {
    while (!signal.aborted) {
      await this.catchUp();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
      });
    }
  }

  /**
   * The head: the contract's root and count against the events, and solvency now (tokens
   * can leave after the last batch). Recomputed on every catch-up, so they replace the
   * previous run's head findings rather than pile up in --follow.
   */
  private async checkHead(block: number): Promise<void> {
    const found: Finding[] = [];
    const s = await settlementAt(this.o.provider, this.info.address, block);
    this.head = { block, root: s.stateRoot, batches: s.batchCount };
    if (s.stateRoot !== this.p.lastRoot || s.batchCount !== this.p.nextBatch)
      found.push({
        code: "HEAD_MISMATCH",
        message:
          `at block ${block}: Settlement has root ${s.stateRoot} after ${s.batchCount} batches, ` +
          `its events lead to ${this.p.lastRoot} after ${this.p.nextBatch}`,
      });
    const balance = await tokenBalance(this.o.provider, this.info.token, this.info.vault, block);
    this.notes = this.notes.filter((n) => !n.startsWith("the Vault's token balance"));
    if (balance !== this.p.vaultBalance)
      this.notes.push(
        `the Vault's token balance is ${balance} but its Transfer events add up to ` +
          `${this.p.vaultBalance}: the token does not report every movement`,
      );
    if (this.p.replay === "on") {
      const held = balance < this.p.vaultBalance ? balance : this.p.vaultBalance;
      const { breaches } = checkInvariants(
        books(this.state),
        { ...this.vaultBooks(), balance: held },
        this.o.config.markets.map((m) => m.symbol),
      );
      for (const b of breaches)
        found.push({ code: b.code, message: `at block ${block}: ${b.message}` });
    }
    this.headFindings = found;
  }

  private headFindings: Finding[] = [];

  private vaultBooks() {
    return {
      balance: this.p.vaultBalance,
      pendingWithdrawals: Object.values(this.p.owed).reduce((a, b) => a + b, 0n),
      queuedDeposits: this.p.pending.reduce((a, d) => a + d.deposit.amount, 0n),
    };
  }

  private async transaction(events: ChainEvent[]): Promise<void> {
    const batches: Extract<ChainEvent, { name: "BatchSettled" }>[] = [];
    const liquidations = new Map<number, Extract<ChainEvent, { name: "LiquidationsSettled" }>>();
    for (const e of events) {
      switch (e.name) {
        case "VaultTransfer":
          this.p.vaultBalance += e.delta;
          break;
        case "Credited":
          this.p.owed[e.recipient] = (this.p.owed[e.recipient] ?? 0n) + e.amount;
          break;
        case "Claimed": {
          const owed = this.p.owed[e.recipient] ?? 0n;
          if (e.amount > owed)
            this.find({
              code: "SOLVENCY",
              message: `the Vault paid ${e.recipient} ${e.amount} but proven withdrawals owed it ${owed}`,
            });
          this.p.owed[e.recipient] = owed > e.amount ? owed - e.amount : 0n;
          break;
        }
        case "RoundFinalized":
          this.p.rounds[e.roundId.toString()] = { prices: e.prices, timestamp: e.timestamp };
          break;
        case "Deposited":
          this.deposited(e);
          break;
        case "BatchSettled":
          batches.push(e);
          break;
        case "LiquidationsSettled":
          liquidations.set(e.batch, e);
          break;
      }
    }
    // a batch is judged on the state at the end of its transaction
    for (const b of batches) await this.batch(b, liquidations.get(b.batch));
  }

  private deposited(e: Extract<ChainEvent, { name: "Deposited" }>): void {
    const deposit: Deposit = {
      account: e.account,
      amount: e.amount,
      pubKey: { x: e.pkX, y: e.pkY },
    };
    // the queue hash before this entry: the last one seen, or the last one credited
    const previous = this.p.pending.at(-1)?.queueHash ?? this.p.queueHash;
    const expected = depositQueueHash(previous, deposit);
    if (expected !== e.queueHash)
      this.find({
        code: "DEPOSIT_QUEUE_MISMATCH",
        message: `Vault deposit ${e.index}: queue hash ${e.queueHash} is not Poseidon(previous, entry) = ${expected}`,
      });
    this.p.pending.push({ index: e.index, deposit, queueHash: e.queueHash });
  }

  private async blockTime(block: number): Promise<number> {
    let t = this.blockTimes.get(block);
    if (t === undefined) {
      t = (await this.o.provider.getBlock(block))?.timestamp ?? 0;
      this.blockTimes.set(block, t);
    }
    return t;
  }

  private async round(roundId: bigint): Promise<{ prices: bigint[]; timestamp: bigint }> {
    const key = roundId.toString();
    this.p.rounds[key] ??= await oracleRound(this.o.provider, this.info.oracle, roundId);
    return this.p.rounds[key];
  }

  private stopReplay(n: number, why: string): void {
    if (this.p.replay !== "on") return;
    this.p.replay = "stopped";
    this.p.replayNote = `replay stopped at batch ${n}: ${why}; later batches were checked on-chain only`;
  }

  private async batch(
    ev: Extract<ChainEvent, { name: "BatchSettled" }>,
    liq: Extract<ChainEvent, { name: "LiquidationsSettled" }> | undefined,
  ): Promise<void> {
    const t0 = performance.now();
    const found: Finding[] = [];
    this.current = found;
    const n = ev.batch;
    const kind = KIND_OF[ev.kind] ?? "trades";
    const markets = this.o.config.markets;
    const queueFrom = this.p.queueHash;
    if (!KIND_OF[ev.kind]) {
      this.find({
        code: "PROOF_UNREADABLE",
        batch: n,
        message: `BatchSettled names kind ${ev.kind}, which zkclear does not have`,
      });
      this.stopReplay(n, "its kind is unknown");
    }

    // 1. the chain of roots
    if (n !== this.p.nextBatch)
      this.find({
        code: "BATCH_GAP",
        batch: n,
        message: `expected batch ${this.p.nextBatch}, the chain emitted batch ${n}`,
      });
    if (ev.oldRoot !== this.p.lastRoot) {
      if (n === 0)
        this.find({
          code: "GENESIS_MISMATCH",
          batch: n,
          message: `the first batch starts from root ${ev.oldRoot}, not the genesis root ${this.p.lastRoot} of the published configuration`,
        });
      else
        this.find({
          code: "ROOT_GAP",
          batch: n,
          message: `starts from root ${ev.oldRoot}, batch ${n - 1} ended at ${this.p.lastRoot}`,
        });
      this.stopReplay(n, "the batch does not start from the replayed state");
    }

    // 2. what the chain says the batch consumed (deposits by queue hash, prices by round),
    // then the proof from the calldata, with public inputs rebuilt from the chain
    const tc = performance.now();
    let prices: bigint[] | undefined;
    let binding: bigint | undefined;
    let signals: bigint[] | undefined;
    let depositSlice: PendingDeposit[] = [];
    let proof;
    if (kind === "deposits") {
      const k = this.p.pending.findIndex((d) => d.queueHash === ev.commitment);
      if (k >= 0) depositSlice = this.p.pending.slice(0, k + 1);
      else if (ev.commitment !== queueFrom)
        this.find({
          code: "DEPOSIT_QUEUE_MISMATCH",
          batch: n,
          message: `credits the deposit queue up to hash ${ev.commitment}, which the Vault's queue after position ${this.p.queueProcessed} never reaches`,
        });
      signals = [ev.oldRoot, ev.newRoot, queueFrom, ev.commitment];
    } else {
      const key = ev.roundId.toString();
      try {
        prices = (await this.round(ev.roundId)).prices;
        binding = priceConfigHash(markets, prices);
      } catch (e) {
        this.find({
          code: "BINDING_MISMATCH",
          batch: n,
          message: `oracle round ${key} cannot be bound to the configuration: ${(e as Error).message}`,
        });
      }
      if (prices && binding !== undefined && !this.bindings.has(key)) {
        const onChain = await roundBinding(this.o.provider, this.info.address, ev.roundId);
        this.bindings.set(key, onChain);
        if (onChain !== binding)
          this.find({
            code: "BINDING_MISMATCH",
            batch: n,
            message: `Settlement bound round ${key} to ${onChain}; Poseidon(published configuration, oracle prices [${prices.join(", ")}]) is ${binding}`,
          });
      }
      if (kind === "liquidations" && prices) {
        if (!liq)
          this.find({
            code: "PRICE_MISMATCH",
            batch: n,
            message: "a liquidation batch without its LiquidationsSettled event (prices)",
          });
        else if (!sameList(liq.prices, prices))
          this.find({
            code: "PRICE_MISMATCH",
            batch: n,
            message: `LiquidationsSettled carries prices [${liq.prices.join(", ")}], oracle round ${key} has [${prices.join(", ")}]`,
          });
      }
      if (kind !== "withdrawals" && binding !== undefined)
        signals = [ev.oldRoot, ev.newRoot, ev.commitment, binding];
    }
    try {
      const call = await readBatchCall(this.o.provider, ev.txHash, this.info.address);
      proof = call.proof;
      if (kind === "deposits" && Number(call.count) !== depositSlice.length)
        this.find({
          code: "DEPOSIT_QUEUE_MISMATCH",
          batch: n,
          message: `the call credits ${call.count} deposits, the queue hashes say ${depositSlice.length}`,
        });
      if (kind === "withdrawals") {
        const payouts = call.payouts ?? [];
        const h = payoutsCommitment(payouts);
        if (h !== ev.commitment)
          this.find({
            code: "PAYOUTS_MISMATCH",
            batch: n,
            message: `the event's commitment ${ev.commitment} is not the hash of the paid payouts ${h}`,
          });
        if (binding !== undefined) signals = [ev.oldRoot, ev.newRoot, binding, ...payouts];
      }
    } catch (e) {
      this.find({ code: "PROOF_UNREADABLE", batch: n, message: (e as Error).message });
    }
    const time = await this.blockTime(ev.block);
    this.phases.chain += performance.now() - tc;
    const tv = performance.now();
    if (proof && signals) {
      const ok = await verify(this.o.vkeys[CIRCUIT_OF[kind]], signals, proof);
      if (ok) this.p.proofsVerified++;
      else
        this.find({
          code: "PROOF_INVALID",
          batch: n,
          message: `the ${kind} proof does not verify under the local ${CIRCUIT_OF[kind]} key with public inputs rebuilt from the chain${prices ? ` and oracle round ${ev.roundId}` : ""}`,
        });
    }
    this.phases.verify += performance.now() - tv;

    // 3. the batch file: commitment, then replay from the state before it
    let ops: number | null = kind === "deposits" ? depositSlice.length : null;
    if (kind === "deposits") {
      this.p.pending.splice(0, depositSlice.length);
      if (depositSlice.length) this.p.queueHash = depositSlice[depositSlice.length - 1].queueHash;
      this.p.queueProcessed += depositSlice.length;
    }
    const tr = performance.now();
    if (this.p.replay === "on") {
      const data = await this.batchData(ev, kind, prices, depositSlice, queueFrom);
      if (data) {
        ops = operations(data);
        this.replay(n, data, prices ?? [], ev.newRoot);
      }
    }
    this.phases.replay += performance.now() - tr;

    // 4. invariants on the replayed state
    const ti = performance.now();
    let after: ReturnType<typeof books> | undefined;
    if (this.p.replay === "on") {
      after = books(this.state);
      const { breaches, surplus } = checkInvariants(
        after,
        this.vaultBooks(),
        markets.map((m) => m.symbol),
      );
      for (const b of breaches) this.find({ ...b, batch: n });
      if (surplus > this.p.surplus) this.p.surplus = surplus;
    }
    this.phases.invariants += performance.now() - ti;

    this.p.lastRoot = ev.newRoot;
    this.p.lastBatchBlock = ev.block;
    this.p.nextBatch = n + 1;
    this.batchesThisRun++;
    const point: BatchPoint = {
      batch: n,
      kind,
      block: ev.block,
      time,
      ops,
      roundId: kind === "deposits" ? null : ev.roundId.toString(),
      ms: Math.round((performance.now() - t0) * 10) / 10,
      findings: found.length,
      insuranceFund: after ? after.insuranceFund.toString() : null,
      owedToAccounts: after ? after.owedToAccounts.toString() : null,
      vaultBalance: this.p.vaultBalance.toString(),
      openInterest: after ? after.openInterest.map((x) => x.long.toString()) : null,
    };
    this.p.batches.push(point);
    this.current = undefined;
    this.o.onBatch?.(point, found);
  }

  /** The batch's data: deposits from the chain, the rest from its published file. */
  private async batchData(
    ev: Extract<ChainEvent, { name: "BatchSettled" }>,
    kind: BatchDataKind,
    prices: bigint[] | undefined,
    deposits: PendingDeposit[],
    queueFrom: bigint,
  ): Promise<BatchData | undefined> {
    const n = ev.batch;
    const name = batchFileName(n);
    let text = await this.o.files!.read(name);
    const waitUntil = Date.now() + (this.o.fileWaitMs ?? 0);
    while (text === undefined && Date.now() < waitUntil) {
      await new Promise((r) => setTimeout(r, 250));
      text = await this.o.files!.read(name);
    }
    if (kind === "deposits") {
      // deposits are public: replay from the Vault's events; a file, if any, must agree
      if (text !== undefined) {
        const f = this.checkFile(ev, kind, text, prices);
        if (f?.kind === "deposits" && toJson(f.deposits) !== toJson(deposits.map((d) => d.deposit)))
          this.find({
            code: "FILE_MISMATCH",
            batch: n,
            message: `${name} lists other deposits than the Vault's queue`,
          });
      }
      return {
        kind,
        deposits: deposits.map((d) => d.deposit),
        queueFrom,
        queueTo: ev.commitment,
        oldRoot: ev.oldRoot,
        newRoot: ev.newRoot,
      };
    }
    if (text === undefined) {
      this.find({
        code: "FILE_MISSING",
        batch: n,
        message: `${name} is not published at ${this.o.files!.describe}`,
      });
      this.stopReplay(n, `its batch file is missing`);
      this.frozen = true;
      return undefined;
    }
    const parsed = this.checkFile(ev, kind, text, prices);
    if (!parsed) this.stopReplay(n, "its batch file does not match the chain");
    return parsed;
  }

  /** Checks a published file against the chain; returns its data if replay can use it. */
  private checkFile(
    ev: Extract<ChainEvent, { name: "BatchSettled" }>,
    kind: BatchDataKind,
    text: string,
    prices: bigint[] | undefined,
  ): BatchData | undefined {
    const n = ev.batch;
    const name = batchFileName(n);
    this.p.filesChecked++;
    let f;
    try {
      f = parseBatchFile(text, name);
    } catch (e) {
      this.find({ code: "FILE_INVALID", batch: n, message: (e as Error).message });
      return undefined;
    }
    const d = f.data;
    const wrong: string[] = [];
    if (f.meta.chainId !== this.chainId) wrong.push(`chain ${f.meta.chainId}`);
    if (getAddress(f.meta.settlement) !== this.info.address)
      wrong.push(`Settlement ${f.meta.settlement}`);
    if (f.meta.batch !== n) wrong.push(`batch number ${f.meta.batch}`);
    if (d.kind !== kind) wrong.push(`kind ${d.kind}`);
    if (d.oldRoot !== ev.oldRoot) wrong.push(`old root ${d.oldRoot}`);
    if (d.newRoot !== ev.newRoot) wrong.push(`new root ${d.newRoot}`);
    if (d.kind !== "deposits" && d.round !== ev.roundId) wrong.push(`round ${d.round}`);
    if (wrong.length) {
      this.find({
        code: "FILE_MISMATCH",
        batch: n,
        message: `${name} is not this batch: it states ${wrong.join(", ")}`,
      });
      return undefined;
    }
    const recomputed = batchCommitment(d);
    if (recomputed !== ev.commitment) {
      this.find({
        code: "FILE_TAMPERED",
        batch: n,
        message: `${name}'s records hash to ${recomputed}, the chain recorded commitment ${ev.commitment}`,
      });
      return undefined;
    }
    if (d.kind !== "deposits" && prices && !sameList(d.marks, prices)) {
      this.find({
        code: "PRICE_MISMATCH",
        batch: n,
        message: `${name} was settled at prices [${d.marks.join(", ")}], oracle round ${ev.roundId} published [${prices.join(", ")}]`,
      });
    }
    return d;
  }

  /** Replays one batch in the engine at the oracle's prices and compares the root. */
  private replay(n: number, d: BatchData, prices: bigint[], chainRoot: bigint): void {
    const p = this.o.config.paramSet;
    try {
      if (d.kind === "trades") settleTrades(this.state, d.trades, prices, p.batch);
      else if (d.kind === "liquidations") liquidate(this.state, d.accounts, prices, p.liquidations);
      else if (d.kind === "withdrawals")
        processWithdrawals(this.state, d.withdrawals, prices, p.withdrawals);
      else applyDeposits(this.state, d.deposits, d.queueFrom, p.deposits);
    } catch (e) {
      const code = e instanceof ZkClearError ? ` (${e.code})` : "";
      this.find({
        code: "REPLAY_REFUSED",
        batch: n,
        message: `the engine refuses the ${d.kind} batch at the oracle's prices: ${(e as Error).message}${code}`,
      });
      this.stopReplay(n, "the engine refuses it");
      return;
    }
    this.p.replayed++;
    if (this.state.root !== chainRoot) {
      this.find({
        code: "ROOT_NOT_CHAINED",
        batch: n,
        message: `the chain's new root ${chainRoot} does not follow from the old root with the batch's data: replay gives ${this.state.root}`,
      });
      this.stopReplay(n, "its new root is not the replayed one");
    }
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * A missing file may only be not published yet: the checkpoint stays before it, so the
   * next run looks again instead of inheriting a stopped replay.
   */
  private frozen = false;

  private saveCheckpoint(): void {
    const file = this.o.checkpoint;
    if (!file || this.frozen) return;
    const body = {
      format: CHECKPOINT_FORMAT,
      chainId: this.chainId,
      settlement: this.info.address,
      paramSet: this.o.config.paramSet.name,
      configHash: configHash(this.o.config.markets),
      vkeys: vkeysHash(this.o.vkeys),
      progress: this.p,
      accounts: this.p.replay === "on" ? [...this.state.entries()] : [],
    };
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, toJson(body));
    fs.renameSync(tmp, file);
  }

  private static async loadCheckpoint(
    o: AuditorOptions,
    info: SettlementInfo,
    chainId: bigint,
  ): Promise<{ p: Progress; state: ExchangeState }> {
    const fail = (why: string): never => {
      throw new AuditError(
        "CHECKPOINT_INVALID",
        `checkpoint ${o.checkpoint}: ${why}; delete it to audit from genesis`,
      );
    };
    let c: {
      format: string;
      chainId: bigint;
      settlement: string;
      paramSet: string;
      configHash: bigint;
      vkeys: string;
      progress: Progress;
      accounts: [bigint, Account][];
    };
    try {
      c = fromJson(fs.readFileSync(o.checkpoint!, "utf8"));
    } catch (e) {
      return fail(`unreadable (${(e as Error).message})`);
    }
    if (c.format !== CHECKPOINT_FORMAT) fail(`format ${c.format}, expected ${CHECKPOINT_FORMAT}`);
    if (c.chainId !== chainId || c.settlement !== info.address)
      fail(`it is of chain ${c.chainId} / ${c.settlement}, not ${chainId} / ${info.address}`);
    if (c.paramSet !== o.config.paramSet.name || c.configHash !== configHash(o.config.markets))
      fail("it was made with another configuration");
    if (c.vkeys !== vkeysHash(o.vkeys)) fail("it was made with other verification keys");
    if (Boolean(o.files) !== (c.progress.replay !== "off"))
      fail(
        o.files ? "it was made without batch files" : "it was made with batch files; give --files",
      );
    const state = ExchangeState.genesis(o.config.paramSet.depth, o.config.markets);
    for (const [i, a] of c.accounts) state.setAccount(i, a);
    const p = c.progress;
    if (p.replay === "on" && state.root !== p.lastRoot)
      fail("its accounts do not hash to its root");
    if (p.scannedHash && (await o.provider.getBlock(p.scannedTo))?.hash !== p.scannedHash)
      fail(`the chain no longer has block ${p.scannedTo} as it was scanned (a reorganisation)`);
    if (p.nextBatch > 0) {
      // the checkpoint must be on this chain's history: its last batch, as the chain has it
      const logs = await o.provider.getLogs({
        address: info.address,
        fromBlock: p.lastBatchBlock,
        toBlock: p.lastBatchBlock,
        topics: [
          id("BatchSettled(uint64,uint8,uint256,uint256,uint256,uint64)"),
          toBeHex(p.nextBatch - 1, 32),
        ],
      });
      const root = logs.length ? BigInt("0x" + logs[0].data.slice(2 + 64, 2 + 128)) : undefined;
      if (root !== p.lastRoot)
        fail(`the chain's batch ${p.nextBatch - 1} does not end at its root`);
    }
    return { p, state };
  }

  // ---------------------------------------------------------------- the report

  report(): AuditReport {
    const p = this.p;
    const findings = [...p.findings, ...this.headFindings];
    const byKind = { trades: 0, deposits: 0, withdrawals: 0, liquidations: 0 };
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
    const notes = [...p.notes, ...this.notes];
    if (p.replayNote) notes.push(p.replayNote);
    const latest = Object.entries(p.rounds).sort((a, b) =>
      BigInt(a[0]) < BigInt(b[0]) ? 1 : -1,
    )[0];
    const underwater =
      p.replay === "on" && latest ? negativeEquity(this.state, latest[1].prices) : 0n;
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
      const b = books(this.state);
      const vault = this.vaultBooks();
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
    const runMs = performance.now() - this.startedAt;
    const perBatch = this.batchesThisRun
      ? Object.entries(this.phases).reduce((s, [k, v]) => s + (k === "verifierCode" ? 0 : v), 0) /
        this.batchesThisRun
      : null;
    return {
      format: "zkclear-audit-report/1",
      ok: findings.length === 0,
      chainId: this.chainId.toString(),
      settlement: this.info.address,
      paramSet: this.o.config.paramSet.name,
      markets: this.o.config.markets.map((m) => m.symbol),
      files: this.o.files?.describe ?? null,
      head: { block: this.head.block, root: this.head.root.toString(), batches: this.head.batches },
      checks,
      findings,
      notes,
      counts: {
        batches: p.batches.length,
        byKind,
        proofsVerified: p.proofsVerified,
        filesChecked: p.filesChecked,
        replayed: p.replayed,
      },
      final,
      timing: {
        batchesThisRun: this.batchesThisRun,
        runMs: Math.round(runMs),
        msPerBatch: perBatch === null ? null : Math.round(perBatch * 10) / 10,
        phasesMs: Object.fromEntries(
          Object.entries(this.phases).map(([k, v]) => [k, Math.round(v)]),
        ),
        resumedFrom: this.resumedFrom,
      },
      batches: p.batches,
      rounds: Object.entries(p.rounds)
        .map(([roundId, r]) => ({
          roundId,
          time: Number(r.timestamp),
          prices: r.prices.map(String),
        }))
        .sort((a, b) => (BigInt(a.roundId) < BigInt(b.roundId) ? -1 : 1)),
    };
  }
}

function operations(d: BatchData): number {
  switch (d.kind) {
    case "trades":
      return d.trades.length;
    case "liquidations":
      return d.accounts.length;
    case "withdrawals":
      return d.withdrawals.length;
    case "deposits":
      return d.deposits.length;
  }
}

function vkeysHash(vkeys: Record<CircuitId, VerificationKey>): string {
  return createHash("sha256").update(JSON.stringify(vkeys)).digest("hex");
}

function sameList(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
