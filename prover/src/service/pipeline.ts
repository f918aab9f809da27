import type { BatchData } from "../domain/batch.ts";
import { BATCH_KINDS } from "../domain/batch-kinds.ts";
import type { SignalValue } from "../domain/inputs.ts";
import type { ChainPort, ProofResult, ProverPort } from "../domain/ports.ts";
import type { StoredBatch } from "../store/store.ts";
import type { BatchBody, OperatorContext } from "./context.ts";

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

/**
 * Proves and submits stored batches strictly in store order, one at a time, and resumes
 * where it stopped after a restart. A batch the chain refuses halts the pipeline (and is
 * reported); a batch that already landed is recognised from the chain's root and never
 * sent twice.
 */
export class Pipeline {
  halted: string | undefined;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly prover: ProverPort,
    private readonly chain: ChainPort,
  ) {}

  /** Reports a batch refused in an earlier run (the halt survives restarts). */
  restore(): void {
    for (const b of this.ctx.store.batches<BatchBody>(["refused"])) {
      this.halted = `batch ${b.id} (${b.kind}) was refused by the chain: ${b.error}`;
    }
  }

  /** Proves and submits every stored batch not yet settled, in order. */
  async run(): Promise<void> {
    for (const b of this.ctx.store.batches<BatchBody>(["built", "proved", "submitted"])) {
      if (b.status === "built") await this.prove(b);
      await this.submit(this.ctx.store.getBatch<BatchBody>(b.id)!);
      if (this.halted) return;
    }
  }

  private async prove(b: StoredBatch<BatchBody>): Promise<void> {
    const proof = await proveBatch(this.prover, b.body, b.body.circuitInput);
    this.ctx.metrics.proveMs += proof.proveMs;
    this.ctx.timings.proved(b.kind, proof.witnessMs + proof.proveMs);
    this.ctx.store.setBatchStatus(b.id, "proved", { proof });
    this.ctx.log(`batch ${b.id}: proved in ${(proof.proveMs / 1000).toFixed(1)} s`);
  }

  private settled(b: StoredBatch<BatchBody>, txHash?: string): void {
    this.ctx.store.setBatchStatus(b.id, "settled", txHash ? { txHash } : {});
    if (b.body.kind === "liquidations")
      for (const a of b.body.accounts) this.ctx.liquidating.delete(a);
    this.ctx.metrics.batchesSettled[b.kind]++;
  }

  private async submit(b: StoredBatch<BatchBody>): Promise<void> {
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
    this.ctx.store.setBatchStatus(b.id, "submitted");
    try {
      const t0 = performance.now();
      const r = await submitProven(this.chain, dataOf(b.body), b.proof as ProofResult);
      this.ctx.timings.submitted(b.kind, performance.now() - t0);
      this.settled(b, r.txHash);
      this.ctx.log(`batch ${b.id}: settled in ${r.txHash} (${r.gasUsed} gas)`);
    } catch (e) {
      // a refusal that left the root unchanged is reported and stops the pipeline
      if ((await this.chain.stateRoot()) === b.newRoot) {
        this.settled(b);
        return;
      }
      this.halt(b, e instanceof Error ? e.message : String(e));
    }
  }

  private isLaterRoot(root: bigint, b: StoredBatch<BatchBody>): boolean {
    return this.ctx.store.batches<BatchBody>().some((x) => x.id >= b.id && x.newRoot === root);
  }

  private halt(b: StoredBatch<BatchBody>, why: string): void {
    this.ctx.store.setBatchStatus(b.id, "refused", { error: why });
    this.ctx.metrics.batchesRefused++;
    this.halted = `batch ${b.id} (${b.kind}) was refused: ${why}`;
    this.ctx.log(`HALTED: ${this.halted}`);
  }
}
