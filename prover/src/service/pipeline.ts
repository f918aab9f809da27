import type { BatchData } from "../domain/batch.ts";
import { BATCH_KINDS } from "../domain/batch-kinds.ts";
import type { SignalValue } from "../domain/inputs.ts";
import { ZkClearError } from "../domain/errors.ts";
import type {
  ChainPort,
  InputCheck,
  ProofResult,
  ProofVerifier,
  ProverPort,
  ProvingPool,
  SignedTx,
} from "../domain/ports.ts";
import { REFUSED_BY_PROVER } from "../proving/refusals.ts";
import type { StoredBatch } from "../store/store.ts";
import type { BatchBody, OperatorContext } from "./context.ts";
import { ProofCollector } from "./proof-collector.ts";

/**
 * The operator pipeline's two steps after the engine has cut a batch (./batcher.ts), shared
 * by the service, the demo, the benchmarks and the tests: prove the batch's circuit input
 * with its kind's circuit, then submit it with its kind's Settlement function.
 */
export function proveBatch(
  prover: ProverPort,
  d: BatchData,
  signals: Record<string, SignalValue>,
): Promise<ProofResult> {
  return prover.prove(BATCH_KINDS[d.kind].circuit, signals);
}

/** Prepares, sends and waits for a proven batch (no store: the demo, benchmarks, tests). */
export function submitProven(
  chain: ChainPort,
  d: BatchData,
  proof: ProofResult,
): Promise<{ txHash: string; gasUsed: bigint }> {
  return chain.submit(d, proof.proof);
}

/** The circuit input stripped from a stored body: the batch's data. */
export function dataOf(body: BatchBody): BatchData {
  const { circuitInput: _omit, ...data } = body;
  void _omit;
  return data as BatchData;
}

/** Refusals that pass: the batch is sent at a later tick. */
const RETRY_LATER = new Set<string>([
  "SETTLEMENT_PAUSED",
  "BATCH_UNATTESTED",
  "COMMITTEE_SHORT",
  "COMMITTEE_UNREACHED",
]);

/** What the pipeline tells the batcher: a batch settled, or a liquidation went stale. */
export interface PipelineHooks {
  settled(b: StoredBatch<BatchBody>): void;
  /** The liquidation's oracle round was superseded before it landed: undo it. */
  staleLiquidation(b: StoredBatch<BatchBody>, why: string): void;
  /** Settlement refused the batch as late for its oracle round: cut it again. */
  late(b: StoredBatch<BatchBody>, why: string): void;
  /** The data committee has not attested the batch for the committee wait: drop it. */
  unattested(b: StoredBatch<BatchBody>, why: string): void;
}

/** The committee has not (yet) attested a batch: wait, then give way (hooks.unattested). */
const UNATTESTED = new Set<string>(["BATCH_UNATTESTED", "COMMITTEE_SHORT", "COMMITTEE_UNREACHED"]);

/**
 * Proves and submits stored batches strictly in store order, and resumes where it stopped
 * after a restart. With a single prover it proves one batch at a time; with a pool
 * (./proof-collector.ts) every batch cut is handed over at once, proofs come back in any
 * order and are verified, and the batches are still submitted strictly in order. A batch the
 * chain refuses halts the pipeline (and is reported); a batch that already landed is
 * recognised from the chain's root and never sent twice.
 */
export class Pipeline {
  halted: string | undefined;
  /** With a pool: hands jobs over and collects verified proofs. */
  readonly collector: ProofCollector | undefined;

  /** When each batch was first found unattested (ms): it gives way after the wait. */
  private readonly unattestedSince = new Map<number, number>();

  constructor(
    private readonly ctx: OperatorContext,
    private readonly prover: ProverPort,
    private readonly chain: ChainPort,
    private readonly hooks: PipelineHooks,
    private readonly committeeWaitMs = Infinity,
    pool?: {
      readonly jobs: ProvingPool;
      readonly verifier: ProofVerifier;
      readonly inputCheck: InputCheck;
    },
  ) {
    this.collector =
      pool &&
      new ProofCollector(ctx, pool.jobs, pool.verifier, pool.inputCheck, (b, why) =>
        this.halt(b, why),
      );
  }

  /** Reports a batch refused in an earlier run (the halt survives restarts). */
  restore(): void {
    for (const b of this.ctx.store.batches<BatchBody>(["refused"])) {
      this.halted = `batch ${b.id} (${b.kind}) was refused by the chain: ${b.error}`;
    }
  }

  /** Proves and submits every stored batch not yet settled, in order. */
  async run(): Promise<void> {
    if (this.collector) return this.runPipelined(this.collector);
    for (const b of this.ctx.store.batches<BatchBody>(["built", "proved", "submitted"])) {
      // Settlement takes a liquidation only at the latest round: one cut at a round since
      // superseded is undone instead of being proved and refused
      if (b.status !== "submitted" && (await this.superseded(b))) return;
      if (b.status === "built" && !(await this.prove(b))) return;
      await this.submit(this.ctx.store.getBatch<BatchBody>(b.id)!);
      // strictly in order: the next batch waits until this one settled
      if (this.halted || this.ctx.store.getBatch(b.id)?.status !== "settled") return;
    }
  }

  /**
   * Hands every built batch to the pool and collects the proofs back, then submits the
   * proved ones strictly in order: it stops at the first batch whose proof is not back yet.
   */
  private async runPipelined(collector: ProofCollector): Promise<void> {
    const open = this.ctx.store.batches<BatchBody>(["built", "proved", "submitted"]);
    // the first batch may be a liquidation at a superseded round: dropped, not proved
    if (open[0] && open[0].status !== "submitted" && (await this.superseded(open[0]))) return;
    await collector.collect(open.filter((b) => b.status === "built"));
    for (const b of this.ctx.store.batches<BatchBody>(["built", "proved", "submitted"])) {
      if (this.halted || b.status === "built") return;
      if (b.status !== "submitted" && (await this.superseded(b))) return;
      await this.submit(b);
      if (this.halted || this.ctx.store.getBatch(b.id)?.status !== "settled") return;
    }
  }

  /** Drops the first unsettled batch if it is a liquidation at a superseded round. */
  async dropSuperseded(): Promise<void> {
    const [first] = this.ctx.store.batches<BatchBody>(["built", "proved"]);
    if (first) await this.superseded(first);
  }

  /** Whether `b` is a liquidation at a round the oracle has moved past (it was dropped). */
  private async superseded(b: StoredBatch<BatchBody>): Promise<boolean> {
    if (b.body.kind !== "liquidations") return false;
    const latest = await this.chain.latestRound();
    if (!latest || latest.roundId === b.body.round) return false;
    this.hooks.staleLiquidation(
      b,
      `oracle round ${b.body.round} was superseded by round ${latest.roundId} before it landed`,
    );
    return true;
  }

  /** Proves a batch; a circuit or key that refuses it (for good) halts the pipeline. */
  private async prove(b: StoredBatch<BatchBody>): Promise<boolean> {
    let proof;
    try {
      proof = await proveBatch(this.prover, b.body, b.body.circuitInput);
    } catch (e) {
      if (e instanceof ZkClearError && REFUSED_BY_PROVER.has(e.code)) {
        this.halt(b, `the prover refuses it: ${e.message}`);
        return false;
      }
      throw e; // the proving process, not the batch: retry later
    }
    this.ctx.metrics.proveMs += proof.proveMs;
    this.ctx.timings.proved(b.kind, proof.witnessMs + proof.proveMs);
    this.ctx.store.setBatchStatus(b.id, "proved", { proof });
    this.ctx.log(`batch ${b.id}: proved in ${(proof.proveMs / 1000).toFixed(1)} s`);
    return true;
  }

  private settled(b: StoredBatch<BatchBody>, txHash?: string): void {
    this.ctx.store.setBatchStatus(b.id, "settled", txHash ? { txHash } : {});
    if (b.body.kind === "liquidations")
      for (const a of b.body.accounts) this.ctx.liquidating.delete(a);
    this.ctx.metrics.batchesSettled[b.kind]++;
    this.hooks.settled(b);
  }

  /**
   * Sends a proven batch, or finds what became of the transaction sent for it before a
   * restart. The signed transaction is stored (status submitted) before it is sent, so a
   * batch is never sent twice: after a crash its own transaction is looked for, sent again
   * if the node lost it, and a new one is made only when that one can never land (its
   * nonce was used). A chain already at the batch's new root (or later) means it settled.
   * Transient node errors propagate: the operator retries at a later tick.
   */
  private async submit(b: StoredBatch<BatchBody>): Promise<void> {
    if (b.status === "submitted" && b.tx) return this.await(b, b.tx);
    // never submit twice: if the chain already moved past this batch, it landed
    const root = await this.chain.stateRoot();
    if (root !== b.oldRoot) {
      if (this.isLaterRoot(root, b)) {
        this.settled(b);
        this.ctx.log(`batch ${b.id}: already on-chain`);
        return;
      }
      this.halt(b, `the chain's root ${root} is neither this batch's old root nor a later one`);
      return;
    }
    let tx;
    try {
      tx = await this.chain.prepare(dataOf(b.body), (b.proof as ProofResult).proof);
    } catch (e) {
      // a data committee that has not (yet) attested the batch (a replica behind or down,
      // members replaced): retry later, and after the wait give way to what needs none
      if (e instanceof ZkClearError && UNATTESTED.has(e.code)) {
        const since = this.unattestedSince.get(b.id) ?? Date.now();
        this.unattestedSince.set(b.id, since);
        if (Date.now() - since < this.committeeWaitMs) throw e;
        this.unattestedSince.delete(b.id);
        this.hooks.unattested(b, e.message);
        return;
      }
      // the node, not the contract, or a pause: retry later
      if (!(e instanceof ZkClearError) || RETRY_LATER.has(e.code)) throw e;
      // frozen for good: nothing lands again (the operator stops at its next step)
      if (e.code === "SETTLEMENT_FROZEN") {
        this.ctx.log(`batch ${b.id}: not sent: ${e.message}`);
        return;
      }
      // a liquidation refused because a round came between our check and now
      if (await this.superseded(b)) return;
      // a trade or withdrawal batch that missed its round's window: redo it at the latest
      if (e.code === "BATCH_LATE") {
        this.hooks.late(b, e.message);
        return;
      }
      if (await this.reproveInvalid(b, e)) return;
      this.halt(b, e.message);
      return;
    }
    this.ctx.store.setBatchStatus(b.id, "submitted", { tx });
    await this.await(b, tx);
  }

  /** Waits for a stored transaction (sending it again if the node lost it). */
  private async await(b: StoredBatch<BatchBody>, tx: SignedTx): Promise<void> {
    const t0 = performance.now();
    const sent = await this.chain.send(tx);
    if (sent.status === "mined") {
      this.ctx.timings.submitted(b.kind, performance.now() - t0);
      this.settled(b, sent.txHash);
      this.ctx.log(`batch ${b.id}: settled in ${sent.txHash} (${sent.gasUsed} gas)`);
      return;
    }
    if (sent.status === "pending") {
      this.ctx.log(`batch ${b.id}: transaction ${tx.hash} not mined yet; looking again later`);
      return;
    }
    const root = await this.chain.stateRoot();
    if (this.isLaterRoot(root, b)) {
      this.settled(b);
      this.ctx.log(`batch ${b.id}: on-chain (another transaction of ours landed it)`);
      return;
    }
    if (sent.status === "dead" && root === b.oldRoot) {
      // its nonce went to another transaction: it can never land; make a new one
      this.ctx.store.setBatchStatus(b.id, "proved", { tx: null });
      this.ctx.log(`batch ${b.id}: transaction ${tx.hash} can never land; sending a new one`);
      return this.submit(this.ctx.store.getBatch<BatchBody>(b.id)!);
    }
    if (await this.superseded(b)) return;
    if (sent.status === "reverted") {
      // why? Settlement is asked again, as it stands now
      try {
        await this.chain.check(dataOf(b.body), (b.proof as ProofResult).proof);
      } catch (e) {
        if (!(e instanceof ZkClearError)) throw e;
        if (e.code === "BATCH_LATE") {
          this.hooks.late(b, `its transaction ${tx.hash} reverted: ${e.message}`);
          return;
        }
        if (e.code === "SETTLEMENT_FROZEN") {
          this.ctx.store.setBatchStatus(b.id, "proved", { tx: null });
          this.ctx.log(`batch ${b.id}: its transaction ${tx.hash} reverted: ${e.message}`);
          return;
        }
        if (await this.reproveInvalid(b, e)) return;
        if (!RETRY_LATER.has(e.code)) {
          this.halt(b, `its transaction ${tx.hash} reverted: ${e.message}`);
          return;
        }
      }
      // paused or unattested when it was mined, or nothing refuses it now: a new one, later
      this.ctx.store.setBatchStatus(b.id, "proved", { tx: null });
      this.ctx.log(`batch ${b.id}: transaction ${tx.hash} reverted; sending a new one later`);
      return;
    }
    this.halt(b, `its transaction ${tx.hash} was replaced`);
  }

  /** Whether the chain's root is this batch's new root or a later batch's (it landed). */
  private isLaterRoot(root: bigint, b: StoredBatch<BatchBody>): boolean {
    return this.ctx.store.batchReaching(root, b.id) !== undefined;
  }

  /**
   * Settlement refused a pool's proof as invalid (InvalidProof): the proof, made by a worker,
   * not the batch, is at fault, so the batch is proved again (a fresh attempt) instead of
   * halting. With the single prover (its own proof) it halts as any other refusal.
   */
  private async reproveInvalid(b: StoredBatch<BatchBody>, e: ZkClearError): Promise<boolean> {
    if (!this.collector || e.code !== "BATCH_REFUSED" || !/\bInvalidProof\b/.test(e.message))
      return false;
    this.ctx.store.setBatchStatus(b.id, "built", { tx: null });
    this.ctx.log(`batch ${b.id}: Settlement refuses its proof (${e.message}); proving it again`);
    await this.collector.proveAgain(b);
    return true;
  }

  private halt(b: StoredBatch<BatchBody>, why: string): void {
    this.ctx.store.setBatchStatus(b.id, "refused", { error: why });
    this.ctx.metrics.batchesRefused++;
    this.halted = `batch ${b.id} (${b.kind}) was refused: ${why}`;
    this.ctx.log(`HALTED: ${this.halted}`);
  }
}
