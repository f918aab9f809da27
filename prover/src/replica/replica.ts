import { Contract, getAddress, type Provider, type Wallet } from "ethers";
import { followLoop } from "../audit/follow.ts";
import type { VerificationKey } from "snarkjs";
import type { BatchData } from "../domain/batch.ts";
import type { CircuitId } from "../domain/circuits.ts";
import {
  attestationDigest,
  attestationDomain,
  attestationMessage,
  ATTESTATION_TYPES,
  CommitteeError,
} from "../domain/committee.ts";
import { configHash } from "../domain/market.ts";
import { toJson } from "../domain/json.ts";
import { batchFileName, boundConfigOf, toBatchFile, toConfigFile } from "../engine/batch-file.ts";
import type { ExchangeState } from "../engine/state.ts";
import { Auditor, type BatchPoint, type Finding } from "../audit/auditor.ts";
import type { SettledEvent } from "../audit/batch-replay.ts";
import {
  fundingIndicesAt,
  oracleRound,
  roundMarginsWord,
  roundReduceOnly,
} from "../audit/chain.ts";
import { vkeysHash } from "../audit/checkpoint.ts";
import { loadAuditConfig, loadVerificationKeys } from "../audit/inputs.ts";
import type { Progress } from "../audit/progress.ts";
import type { BatchFileSource } from "../audit/sources.ts";
import { checkAttestRequest, precheckAttest } from "./attest.ts";
import { AuditError } from "../audit/findings.ts";
import { ReplicaDb, type HeldFile } from "./db.ts";
import { Lock } from "./lock.ts";
import { ReplicaFileSource } from "./source.ts";

export interface ReplicaOptions {
  readonly provider: Provider;
  readonly settlement: string;
  /** The replica's database file (created on first use). */
  readonly db: string;
  /** Where files not yet held come from: the operator's or another replica's published files. */
  readonly upstream?: BatchFileSource;
  /** The member's key: it signs attestations. */
  readonly wallet: Wallet;
  /** A parameter set when no config.json is published (development). */
  readonly params?: string;
  /** Verification keys (default: this checkout's development keys of the parameter set). */
  readonly vkeys?: Record<CircuitId, VerificationKey>;
  /** Or the directory of <circuit>.vkey.json files to load them from. */
  readonly vkeysDir?: string;
  /** First block to scan on a fresh database (the deployment's). */
  readonly fromBlock?: number;
  /** How long to wait for a batch file not yet published, ms (default 2000). */
  readonly fileWaitMs?: number;
  readonly log?: (line: string) => void;
}

/** What GET /v1/replica answers. */
export interface ReplicaStatus {
  readonly member: string;
  readonly chainId: bigint;
  readonly settlement: string;
  /** Batches replayed (the next batch's number). */
  readonly batches: number;
  readonly root: bigint;
  readonly halted: string | null;
  /** A batch file the replica waits for (not held, not published upstream yet), or null. */
  readonly waiting: string | null;
  readonly attestations: number;
}

/** What the explorer page reads of a replica. */
export interface ReplicaView {
  readonly state: ExchangeState;
  readonly progress: Progress;
}

/**
 * A data committee member: follows the chain like `zkclear audit --follow` (every proof,
 * every file's commitment, replay, solvency), keeps every file it accepts and the state it
 * replays in its own database, serves them, and attests new batches only after checking
 * them (./attest.ts). Follow steps and attestations take one lock, so they never interleave
 * on the state. A finding halts attesting: every later request answers ATTEST_HALTED with
 * the reason.
 */
export class Replica {
  private auditor!: Auditor;
  private readonly lock = new Lock();
  /** Files replayed since the last checkpoint: committed with it. */
  private readonly pending: HeldFile[] = [];
  private waiting: string | null = null;

  private constructor(
    private readonly o: ReplicaOptions,
    readonly db: ReplicaDb,
    private readonly files: ReplicaFileSource,
    readonly chainId: bigint,
    readonly settlement: string,
    private readonly vkeys: Record<CircuitId, VerificationKey>,
    readonly configText: string,
  ) {}

  static async open(o: ReplicaOptions): Promise<Replica> {
    const chainId = (await o.provider.getNetwork()).chainId;
    const settlement = getAddress(o.settlement);
    const db = new ReplicaDb(o.db, { chainId, settlement });
    try {
      const files = new ReplicaFileSource(db, o.upstream, { chainId, settlement });
      const config = await loadAuditConfig({ files, params: o.params, chainId, settlement });
      const vkeys = o.vkeys ?? loadVerificationKeys(config.paramSet, o.vkeysDir);
      const configText = JSON.stringify(toConfigFile(config), null, 2) + "\n";
      // the configuration must be Settlement's before it is bound to the database for good
      const hash = configHash(boundConfigOf(config));
      const onChain = BigInt(
        await new Contract(settlement, ["function configHash() view returns (uint256)"], o.provider)
          .getFunction("configHash")()
          .catch(() => 0n),
      );
      if (hash !== onChain)
        throw new AuditError(
          "CONFIG_INVALID",
          `the configuration from ${files.describe} hashes to ${hash}; Settlement's configHash is ${onChain}` +
            (db.config() !== undefined ? ` (the database ${o.db} holds it: delete it)` : ""),
        );
      db.bind({
        config: configText,
        configHash: hash,
        vkeys: vkeysHash(vkeys),
      });
      const r = new Replica(o, db, files, chainId, settlement, vkeys, configText);
      await r.reopen();
      return r;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** The auditor, from the database's checkpoint (or genesis): files not committed are dropped. */
  private async reopen(): Promise<void> {
    this.pending.length = 0;
    this.files.answered.clear();
    const config = await loadAuditConfig({
      files: this.files,
      chainId: this.chainId,
      settlement: this.settlement,
    });
    this.auditor = await Auditor.open({
      provider: this.o.provider,
      settlement: this.settlement,
      config,
      vkeys: this.vkeys,
      files: this.files,
      fromBlock: this.o.fromBlock,
      checkpoint: this.db.checkpointTarget(this.pending),
      fileWaitMs: this.o.fileWaitMs ?? 2000,
      onBatch: (b, f) => this.logBatch(b, f),
      onReplayed: (ev, data) => this.replayed(ev, data),
    });
  }

  get member(): string {
    return this.o.wallet.address;
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  /** Batches logged so far: a step that starts again from the checkpoint logs only new ones. */
  private logged = 0;
  private lastWaiting: string | null = null;

  private logBatch(b: BatchPoint, all: readonly Finding[]): void {
    // a missing file is said once by the step ("waiting: ..."), not at every retry
    const found = all.filter((f) => f.code !== "FILE_MISSING");
    if (found.length)
      this.log(
        `batch ${b.batch} (${b.kind}): ${found.map((f) => `${f.code}: ${f.message}`).join("; ")}`,
      );
    else if (b.batch >= this.logged && all.length === 0)
      this.log(
        `batch ${b.batch} (${b.kind}): ${this.auditor.p.replay === "on" ? "replayed" : "checked on-chain only (not replayed: an earlier batch's file is missing)"}`,
      );
    if (all.length === 0 && this.auditor.p.replay === "on")
      this.logged = Math.max(this.logged, b.batch + 1);
  }

  /** A batch the replay accepted: its file goes to the database with the next checkpoint. */
  private replayed(ev: SettledEvent, data: BatchData): void {
    const name = batchFileName(ev.batch);
    const text =
      this.files.answered.get(name) ??
      JSON.stringify(
        toBatchFile(data, { chainId: this.chainId, settlement: this.settlement, batch: ev.batch }),
        null,
        2,
      ) + "\n";
    this.files.answered.delete(name);
    this.pending.push({
      batch: ev.batch,
      name,
      kind: data.kind,
      text,
      commitment: ev.commitment,
      newRoot: ev.newRoot,
      txHash: ev.txHash,
    });
  }

  /**
   * One follow step: replays every batch settled up to the chain's head. A file not held
   * and not published yet (or an upstream out of reach) is waited for: the next step starts
   * again from the last checkpoint. Any other finding halts attesting.
   */
  catchUp(): Promise<void> {
    return this.lock.run(() => this.step());
  }

  private async step(): Promise<void> {
    if (this.waiting !== null || this.auditor.p.findings.some((f) => f.code === "FILE_MISSING"))
      await this.reopen();
    this.waiting = null;
    try {
      await this.auditor.catchUp();
    } catch (e) {
      // the auditor's progress may be part-way through a batch: start again from the database
      this.waiting = `the chain could not be followed: ${(e as Error).message}`;
      this.log(`follow: ${this.waiting}`);
      return;
    }
    const missing = this.auditor.p.findings.find((f) => f.code === "FILE_MISSING");
    if (missing) {
      this.waiting = `${missing.message}${this.files.upstreamError ? ` (${this.files.upstreamError})` : ""}`;
      if (this.waiting !== this.lastWaiting) this.log(`waiting: ${this.waiting}`);
    }
    if (this.waiting !== this.lastWaiting) {
      if (this.waiting === null) this.log("caught up");
      this.lastWaiting = this.waiting;
    }
  }

  /** Follows the chain until `signal` aborts, one step every `intervalMs`. */
  async follow(signal: AbortSignal, intervalMs = 1000): Promise<void> {
    return followLoop(signal, intervalMs, () => this.catchUp());
  }

  /** Why the replica does not attest (a finding of its audit), or null. */
  get halted(): string | null {
    const p = this.auditor.p;
    const found = p.findings.filter((f) => f.code !== "FILE_MISSING");
    if (found.length)
      return found
        .map((f) => `${f.batch === undefined ? "" : `batch ${f.batch}: `}${f.code}: ${f.message}`)
        .join("; ");
    if (p.replay !== "on" && this.waiting === null) return p.replayNote ?? "replay stopped";
    return null;
  }

  status(): ReplicaStatus {
    return {
      member: this.member,
      chainId: this.chainId,
      settlement: this.settlement,
      batches: this.auditor.p.nextBatch,
      root: this.auditor.state.root,
      halted: this.halted,
      waiting: this.waiting,
      attestations: this.db.countAttestations(),
    };
  }

  /** The replica's state and the audit's progress (batches, rounds, forced, freeze). */
  view(): ReplicaView {
    return { state: this.auditor.state, progress: this.auditor.p };
  }

  /** Runs `fn` on the replayed state between follow steps (under the lock). */
  withState<T>(fn: (v: ReplicaView) => Promise<T> | T): Promise<T> {
    return this.lock.run(async () => fn(this.view()));
  }

  /** The Settlement's oracle (for exit data and the explorer). */
  get oracle(): string {
    return this.auditor.info.oracle;
  }

  /** The Settlement's Funding contract (for exit data). */
  get funding(): string {
    return this.auditor.info.funding;
  }

  get provider(): Provider {
    return this.o.provider;
  }

  /**
   * POST /v1/attest: catches up with the chain, checks the batch (./attest.ts), stores the
   * file, the proof and the signature, then answers the EIP-712 signature.
   */
  attest(file: unknown, proof: unknown): Promise<{ member: string; signature: string }> {
    // what needs no state is refused before the lock: a stranger's garbage never makes the
    // replica step (the step and the checks below hold the lock the follow loop needs)
    const pre = precheckAttest(file, this.chainId, this.settlement);
    return this.lock.run(async () => {
      if (pre.batch < this.auditor.p.nextBatch)
        throw new CommitteeError(
          "ATTEST_NOT_NEXT",
          `the file is batch ${pre.batch}; the chain already has ${this.auditor.p.nextBatch} batches`,
        );
      await this.step();
      const halted = this.halted;
      if (halted) throw new CommitteeError("ATTEST_HALTED", `this replica halted: ${halted}`);
      if (this.waiting)
        throw new CommitteeError(
          "ATTEST_HALTED",
          `this replica is behind the chain: ${this.waiting}`,
        );
      const fileText = JSON.stringify(file, null, 2) + "\n";
      const a = this.auditor;
      const checked = await checkAttestRequest(
        {
          chainId: this.chainId,
          settlement: this.settlement,
          config: a.config,
          state: a.state,
          vkeys: this.vkeys,
          nextBatch: a.p.nextBatch,
          vaultBooks: () => a.vaultBooks(),
          roundPrices: async (id) => (await oracleRound(this.o.provider, a.info.oracle, id)).prices,
          roundIndices: (id) => fundingIndicesAt(this.o.provider, a.info.funding, id),
          roundReduceOnly: async (id) => roundReduceOnly(this.o.provider, a.info.oracle, id),
          roundMargins: async (id) => roundMarginsWord(this.o.provider, a.info.oracle, id),
        },
        fileText,
        proof,
      ).catch((e: unknown) => {
        const code = e instanceof CommitteeError ? e.code : "ERROR";
        this.log(`attest refused (${code}): ${(e as Error).message}`);
        throw e;
      });
      const at = checked.attestation;
      const domain = attestationDomain(this.chainId, this.settlement);
      const signature = await this.o.wallet.signTypedData(
        domain,
        ATTESTATION_TYPES,
        attestationMessage(at),
      );
      this.db.attest(
        {
          batch: at.batch,
          name: checked.name,
          kind: at.kind,
          text: fileText,
          commitment: at.dataCommitment,
          newRoot: at.newRoot,
          txHash: null,
        },
        {
          batch: at.batch,
          digest: attestationDigest(this.chainId, this.settlement, at),
          signature,
          fileText,
          proof: toJson(proof),
          time: Math.floor(Date.now() / 1000),
        },
      );
      this.log(`attested batch ${at.batch} (${at.kind}) at root ${at.newRoot}`);
      return { member: this.member, signature };
    });
  }

  close(): void {
    this.db.close();
  }
}
