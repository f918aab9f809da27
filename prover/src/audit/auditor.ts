import { breakerStart } from "../domain/breakers.ts";
import { marginStart, marginsText, marginsWord, type RoundMargins } from "../domain/volatility.ts";
import { getAddress, type Provider } from "ethers";
import { followLoop } from "./follow.ts";
import { BATCH_KINDS, batchOperations, kindOfNumber } from "../domain/batch-kinds.ts";

import { batchFileName, type PublishedConfig } from "../engine/batch-file.ts";
import { ExchangeState } from "../engine/state.ts";
import { deploymentDomain } from "../domain/messages.ts";
import {
  oracleLatestRound,
  fundingCapPpm,
  fundingIndicesAt,
  breakerRule,
  marginRule,
  roundMarginsWord,
  oracleRound,
  roundReduceOnly,
  readSettlement,
  roundPostedAt,
  settlementAt,
  type SettlementInfo,
  latestBlockNumber,
} from "./chain.ts";
import { fetchEvents, type ChainEvent } from "./chain-events.ts";
import {
  bookEscape,
  checkForcedBatch,
  checkNotFrozen,
  type AnsweredEvent,
  type EscapeContext,
} from "./escape.ts";
import type { BatchData, BatchDataOf } from "../domain/batch.ts";
import { batchData, replayBatch, type ReplayContext, type SettledEvent } from "./batch-replay.ts";
import {
  admissibleRound,
  batchCall,
  checkRoots,
  verifyBatchProof,
  depositSlice,
  pricedBinding,
  type ChainCheckContext,
  type LiquidationsEvent,
} from "./batch-checks.ts";
import {
  checkpointFile,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointScope,
} from "./checkpoint.ts";
import { AuditError, type Finding } from "./findings.ts";
import { books, checkInvariants, type VaultBooks } from "./invariants.ts";
import { checkHead } from "./head-checks.ts";
import { bookEvents } from "./events.ts";
import { batchPoint, newProgress, type Progress } from "./progress.ts";
import { buildReport, type AuditReport } from "./report.ts";
import type { BatchFileSource } from "./sources.ts";
import type { AuditorOptions } from "./options.ts";
import { deploymentFindings } from "./deployment-checks.ts";
import { recordRotations } from "./owner-checks.ts";
import type { RoundRuleParams, RoundStamp } from "./round-rule.ts";
import { checkFundingIndices, checkFundingLedger, checkFundingReplay } from "./funding-checks.ts";
import { checkCompartments, compartmentSnapshot } from "./compartment-checks.ts";
import { addTradeFlows, checkTick, type FundingTickedEvent } from "./funding-ticks.ts";

export { AuditError, type Finding, type FindingCode } from "./findings.ts";
export type { AuditReport } from "./report.ts";
export type { AuditorOptions } from "./options.ts";
export type { BatchPoint, RoundPoint } from "./progress.ts";

/**
 * The auditor: checks a zkclear deployment's whole settlement history from the chain
 * and the published batch files, trusting neither the operator nor its service. It
 * reuses the engine (replay) and snarkjs verification; it reads the chain through any
 * JSON-RPC provider. See docs/audit.md for each check.
 */
export class Auditor implements ReplayContext, ChainCheckContext, EscapeContext {
  state: ExchangeState;
  private readonly blockTimes = new Map<number, number>();
  /** The Funding contract's indices of the rounds asked so far, by round id. */
  private readonly fundingIndices = new Map<string, bigint[]>();
  readonly bindings = new Map<string, bigint>();
  readonly phases: Record<string, number> = {
    chain: 0,
    verify: 0,
    replay: 0,
    invariants: 0,
  };
  private readonly startedAt = performance.now();
  private batchesThisRun = 0;
  private readonly resumedFrom: number | null;
  private head = { block: 0, root: 0n, batches: 0 };
  private headTime = 0;
  private notes: string[] = [];

  private constructor(
    readonly o: AuditorOptions,
    readonly info: SettlementInfo,
    readonly chainId: bigint,
    readonly p: Progress,
    state: ExchangeState,
    resumed: boolean,
  ) {
    this.state = state;
    this.resumedFrom = resumed ? p.nextBatch : null;
  }

  /** The audited deployment's domain (the chain and Settlement audited, not as published). */
  get domain(): bigint {
    return this.state.domain;
  }

  get provider(): Provider {
    return this.o.provider;
  }

  get settlement(): string {
    return this.info.address;
  }

  get vkeys(): AuditorOptions["vkeys"] {
    return this.o.vkeys;
  }

  get config(): PublishedConfig {
    return this.o.config;
  }

  get files(): BatchFileSource {
    return this.o.files!;
  }

  get roundRule(): RoundRuleParams {
    return { maxPriceAge: this.info.maxPriceAge, roundGrace: this.info.roundGrace };
  }

  get forcedDeadline(): bigint | null {
    return this.info.forcedDeadline;
  }

  backing(): bigint {
    const v = this.vaultBooks();
    return v.balance - v.pendingWithdrawals - v.queuedDeposits;
  }

  get fileWaitMs(): number {
    return this.o.fileWaitMs ?? 0;
  }

  private scope(): CheckpointScope {
    return scopeOf(this.o, this.chainId, this.info);
  }

  static async open(o: AuditorOptions): Promise<Auditor> {
    const info = await readSettlement(o.provider, o.settlement);
    const chainId = (await o.provider.getNetwork()).chainId;
    const ps = o.config.paramSet;
    const markets = o.config.markets;
    let resumed: { p: Progress; state: ExchangeState } | undefined;
    const target = typeof o.checkpoint === "string" ? checkpointFile(o.checkpoint) : o.checkpoint;
    if (target?.read() !== undefined)
      resumed = await loadCheckpoint(target, scopeOf(o, chainId, info), o.provider);
    const genesis = ExchangeState.genesis(
      ps.depth,
      markets,
      deploymentDomain(chainId, info.address),
      o.config.owners,
      o.config.fundFloor,
    );
    const p = resumed?.p ?? newProgress(genesis.root, o.fromBlock ?? 0, Boolean(o.files));
    const a = new Auditor(o, info, chainId, p, resumed?.state ?? genesis, Boolean(resumed));
    if (!resumed) {
      if (o.config.chainId !== chainId || getAddress(o.config.settlement) !== info.address)
        a.p.notes.push(
          `the published configuration names chain ${o.config.chainId} / ${o.config.settlement}, ` +
            `the audit is of chain ${chainId} / ${info.address}`,
        );
      // the oracle's rounds before the scan: the latest one is where the price rule starts
      a.p.latestRound = await oracleLatestRound(o.provider, info.oracle, a.p.scannedTo);
      const t0 = performance.now();
      for (const f of await deploymentFindings(info, o.config, o.vkeys, o.provider)) a.find(f);
      a.phases.verifierCode = performance.now() - t0;
    }
    return a;
  }

  find(f: Finding): void {
    this.p.findings.push(f);
    this.current?.push(f);
  }

  private current: Finding[] | undefined;

  /** Audits every batch settled up to the chain's head. */
  async catchUp(): Promise<void> {
    const latest = await latestBlockNumber(this.o.provider);
    if (latest === undefined)
      throw new AuditError("RPC_FAILED", "the node returned no latest block");
    // only blocks with enough confirmations: a reorganisation behind the scan would
    // otherwise lose events for good
    const head = latest - (this.o.confirmations ?? 0);
    if (head < this.p.scannedTo) return; // a node lagging behind what was already audited
    const chunk = this.o.logChunk ?? 5000;
    // the circuit breaker rule's parameters, walked over the rounds from the first scan on
    this.p.breaker ??= {
      ...(await breakerRule(this.o.provider, this.info.oracle)),
      ...breakerStart(),
    };
    // and the volatility margin rule's
    this.p.margins ??= {
      ...(await marginRule(this.o.provider, this.info.oracle)),
      ...marginStart(),
    };
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
    return followLoop(signal, intervalMs, () => this.catchUp());
  }

  /**
   * The head (./head-checks.ts): recomputed on every catch-up, so its findings and notes
   * replace the previous run's rather than pile up in --follow.
   */
  private async checkHead(block: number): Promise<void> {
    const h = await checkHead(this, block, this.notes);
    this.head = h.head;
    this.headTime = h.time;
    this.notes = h.notes;
    this.headFindings = h.findings;
  }

  private headFindings: Finding[] = [];

  vaultBooks(): VaultBooks {
    return {
      balance: this.p.vaultBalance,
      pendingWithdrawals:
        Object.values(this.p.owed).reduce((a, b) => a + b, 0n) +
        Object.values(this.p.delayed ?? {}).reduce((a, d) => a + d.amount, 0n),
      queuedDeposits: this.p.pending.reduce(
        (a, d) => a + (d.reclaimed ? 0n : d.deposit.amount),
        0n,
      ),
    };
  }

  private async transaction(events: ChainEvent[]): Promise<void> {
    const { batches, liquidations, latestRound, ticks } = bookEvents(this.p, events, (f) =>
      this.find(f),
    );
    const answered = await bookEscape(this, events);
    // a batch is judged on the state at the end of its transaction; a funding tick takes
    // the trades of the batches logged before it (chain order)
    const inOrder = [...batches, ...ticks].sort((x, y) => x.logIndex - y.logIndex);
    for (const e of inOrder)
      if (e.name === "FundingTicked") await this.tick(e);
      else
        await this.batch(
          e,
          liquidations.get(e.batch),
          latestRound.get(e.batch) ?? null,
          answered.get(e.batch),
        );
  }

  /** The Funding contract's cap on |rate| (immutable: read once per run). */
  private capPpm: bigint | undefined;

  /** A funding tick: its rates against the rule, its indices against the previous ones. */
  private async tick(ev: FundingTickedEvent): Promise<void> {
    this.capPpm ??= await fundingCapPpm(this.o.provider, this.info.funding);
    const key = ev.priceRound.toString();
    this.p.rounds[key] ??= await oracleRound(this.o.provider, this.info.oracle, ev.priceRound);
    checkTick(
      { p: this.p, markets: this.o.config.markets.map((m) => m.symbol), find: (f) => this.find(f) },
      ev,
      this.p.rounds[key].prices,
      this.capPpm,
    );
  }

  async blockTime(block: number): Promise<number> {
    let t = this.blockTimes.get(block);
    if (t === undefined) {
      t = (await this.o.provider.getBlock(block))?.timestamp ?? 0;
      this.blockTimes.set(block, t);
    }
    return t;
  }

  /** PriceOracle.roundReduceOnly(roundId), read once per round. */
  async recordedReduceOnly(roundId: bigint): Promise<bigint> {
    const key = roundId.toString();
    let mask = this.recordedMasks.get(key);
    if (mask === undefined) {
      mask = await roundReduceOnly(this.o.provider, this.info.oracle, roundId);
      this.recordedMasks.set(key, mask);
    }
    return mask;
  }

  private readonly recordedMasks = new Map<string, bigint>();

  /** PriceOracle.roundMarginsWord(roundId), read once per round. */
  async recordedMargins(roundId: bigint): Promise<bigint> {
    const key = roundId.toString();
    let word = this.recordedWords.get(key);
    if (word === undefined) {
      word = await roundMarginsWord(this.o.provider, this.info.oracle, roundId);
      this.recordedWords.set(key, word);
    }
    return word;
  }

  private readonly recordedWords = new Map<string, bigint>();

  async round(roundId: bigint): Promise<{
    prices: bigint[];
    timestamp: bigint;
    fundingIndices: bigint[];
    reduceOnly?: bigint;
    margins?: RoundMargins;
  }> {
    const key = roundId.toString();
    // a round read from the oracle (not seen as an event) has no rule mask: the oracle's is
    // taken as recorded, unchecked
    this.p.rounds[key] ??= await oracleRound(this.o.provider, this.info.oracle, roundId);
    let indices = this.fundingIndices.get(key);
    if (!indices) {
      indices = await fundingIndicesAt(this.o.provider, this.info.funding, roundId);
      this.fundingIndices.set(key, indices);
    }
    return { ...this.p.rounds[key], fundingIndices: indices };
  }

  async postedAt(roundId: bigint): Promise<bigint | undefined> {
    const block = this.p.rounds[roundId.toString()]?.postedBlock;
    if (block !== undefined) return BigInt(await this.blockTime(block));
    return roundPostedAt(this.o.provider, this.o.settlement, roundId);
  }

  stopReplay(n: number, why: string): void {
    if (this.p.replay !== "on") return;
    this.p.replay = "stopped";
    this.p.replayNote = `replay stopped at batch ${n}: ${why}; later batches were checked on-chain only`;
  }

  private async batch(
    ev: SettledEvent,
    liq: LiquidationsEvent | undefined,
    latestRound: RoundStamp | null,
    answered: AnsweredEvent | undefined,
  ): Promise<void> {
    const t0 = performance.now();
    const found: Finding[] = [];
    this.current = found;
    const n = ev.batch;
    const known = kindOfNumber(ev.kind);
    const kind = known ?? "trades";
    const spec = BATCH_KINDS[kind];
    // a forced batch starts where the last one ended (its commitment is the hash reached)
    const queueFrom = kind === "forced" ? (this.p.forcedHash ?? 0n) : this.p.queueHash;
    if (!known) {
      this.find({
        code: "PROOF_UNREADABLE",
        batch: n,
        message: `BatchSettled names kind ${ev.kind}, which zkclear does not have`,
      });
      this.stopReplay(n, "its kind is unknown");
    }

    // 1. the chain of roots, never after the freeze
    checkRoots(this, ev);
    checkNotFrozen(this, ev);

    // 2. what the chain says the batch consumed (deposits by queue hash, prices by round),
    // then the proof from the calldata, with public inputs rebuilt from the chain
    const tc = performance.now();
    const deposits = kind === "deposits" ? depositSlice(this, ev, queueFrom) : [];
    const priced = spec.priced ? await pricedBinding(this, ev, kind, liq) : undefined;
    const call = await batchCall(this, ev, kind, deposits.length);
    const time = await this.blockTime(ev.block);
    if (spec.priced) await admissibleRound(this, ev, kind, latestRound, BigInt(time));
    this.phases.chain += performance.now() - tc;
    const tv = performance.now();
    if (call && (!spec.priced || priced?.binding !== undefined))
      await verifyBatchProof(this, ev, kind, call, priced?.binding, queueFrom);
    this.phases.verify += performance.now() - tv;

    // 3. the batch file: commitment, then replay from the state before it
    let ops: number | null = kind === "deposits" ? deposits.length : null;
    if (kind === "forced") this.p.forcedHash = ev.commitment;
    if (kind === "deposits") {
      recordRotations(this.p, n, deposits);
      this.p.pending.splice(0, deposits.length);
      if (deposits.length) this.p.queueHash = deposits[deposits.length - 1].queueHash;
      this.p.queueProcessed += deposits.length;
    }
    const tr = performance.now();
    let file: BatchData | undefined;
    let replayed: BatchData | undefined;
    if (this.p.replay === "on") {
      file = await batchData(this, ev, kind, priced?.prices, deposits, queueFrom);
      if (file) {
        ops = batchOperations(file);
        checkFundingIndices(this, n, batchFileName(n), file, priced?.fundingIndices);
        if (file.kind === "trades" && file.reduceOnly !== (priced?.reduceOnly ?? 0n))
          this.find({
            code: "BINDING_MISMATCH",
            batch: n,
            message: `${batchFileName(n)} states reduce-only markets ${file.reduceOnly}; oracle round ${ev.roundId} has ${priced?.reduceOnly ?? 0n}`,
          });
        if (
          "margins" in file &&
          priced?.margins &&
          marginsWord(file.margins) !== marginsWord(priced.margins)
        )
          this.find({
            code: "BINDING_MISMATCH",
            batch: n,
            message: `${batchFileName(n)} states margin multipliers ${marginsText(file.margins)}; oracle round ${ev.roundId} has ${marginsText(priced.margins)}`,
          });
        const snap = compartmentSnapshot(this.state, file);
        replayed = replayBatch(
          this,
          n,
          file,
          priced?.prices ?? [],
          priced?.fundingIndices ?? [],
          priced?.margins,
          ev.newRoot,
        );
        if (replayed) checkFundingReplay(this, n, file, replayed);
        if (replayed && this.state.root === ev.newRoot) {
          checkCompartments(this, n, replayed, snap, this.state);
          this.o.onReplayed?.(ev, file);
        }
      }
    }
    // the funding window's trades (unknown when the file was not read)
    if (kind === "trades") {
      this.capPpm ??= await fundingCapPpm(this.o.provider, this.info.funding);
      addTradeFlows(
        this.p,
        file?.kind === "trades" ? file.trades : undefined,
        file?.kind === "trades" ? file.marks : [],
        this.capPpm,
      );
    }
    if (kind === "forced") {
      const forced = (d: BatchData | undefined) =>
        d?.kind === "forced" ? (d as BatchDataOf<"forced">) : undefined;
      checkForcedBatch(this, ev, call, answered, forced(file), forced(replayed));
      ops ??= answered?.count ?? null;
    }
    this.phases.replay += performance.now() - tr;

    // 4. invariants on the replayed state
    const ti = performance.now();
    let after: ReturnType<typeof books> | undefined;
    if (this.p.replay === "on") {
      after = books(this.state);
      if (BATCH_KINDS[kind].priced) checkFundingLedger(this, n, after.fundingBasis);
      const { breaches, surplus } = checkInvariants(
        after,
        this.vaultBooks(),
        this.o.config.markets.map((m) => m.symbol),
      );
      for (const b of breaches) this.find({ ...b, batch: n });
      if (surplus > this.p.surplus) this.p.surplus = surplus;
    }
    this.phases.invariants += performance.now() - ti;

    this.p.lastRoot = ev.newRoot;
    this.p.lastBatchBlock = ev.block;
    this.p.nextBatch = n + 1;
    this.batchesThisRun++;
    const point = batchPoint(
      { batch: n, kind, block: ev.block, time, ops, findings: found.length },
      spec.priced ? ev.roundId : null,
      performance.now() - t0,
      after,
      this.p.vaultBalance,
    );
    this.p.batches.push(point);
    this.current = undefined;
    this.o.onBatch?.(point, found);
  }

  // ---------------------------------------------------------------- checkpoints

  /** Set when a file is missing: it may only be not published yet (see holdCheckpoint). */
  private held = false;

  holdCheckpoint(): void {
    this.held = true;
  }

  private saveCheckpoint(): void {
    if (this.o.checkpoint && !this.held)
      saveCheckpoint(this.o.checkpoint, this.scope(), this.p, this.state);
  }

  report(): AuditReport {
    return buildReport({
      p: this.p,
      state: this.state,
      config: this.o.config,
      chainId: this.chainId,
      settlement: this.info.address,
      files: this.o.files?.describe ?? null,
      head: this.head,
      headTime: this.headTime,
      forcedDeadline: this.info.forcedDeadline,
      headFindings: this.headFindings,
      notes: this.notes,
      vaultBooks: this.vaultBooks(),
      phases: this.phases,
      startedAt: this.startedAt,
      batchesThisRun: this.batchesThisRun,
      resumedFrom: this.resumedFrom,
    });
  }
}

function scopeOf(o: AuditorOptions, chainId: bigint, info: SettlementInfo): CheckpointScope {
  return {
    chainId,
    settlement: info.address,
    config: o.config,
    vkeys: o.vkeys,
    withFiles: Boolean(o.files),
  };
}
