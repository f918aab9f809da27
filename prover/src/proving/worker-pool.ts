import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ZkClearError } from "../domain/errors.ts";
import { isErrorCode } from "../domain/error-codes.ts";
import type { ParamSet } from "../domain/params.ts";
import type { KeySet } from "./key-sets.ts";
import type { SignalValue } from "../domain/inputs.ts";
import type { CircuitId } from "../domain/circuits.ts";
import type { ProveEngine } from "./prover.ts";
import { type ProofResult } from "../domain/ports.ts";

/** A refusal or failure of the proving process, with the code it reported. */
export class ProvingProcessError extends ZkClearError {}

/**
 * Proves in a separate process so the service's event loop stays responsive; each
 * prover then spreads a proof over every core (the native prover with its thread pool,
 * the WebAssembly ones with ffjavascript's worker threads). (A worker thread
 * does not work here: the web-worker package snarkjs uses mistakes any worker thread
 * for one of its own.) One proof at a time.
 */
export class WorkerProver {
  private child: ChildProcess;
  private nextId = 0;
  private dead: Error | undefined;
  private closed = false;
  private readonly args: string[];
  private readonly waiting = new Map<
    number,
    { resolve: (r: ProofResult) => void; reject: (e: Error) => void }
  >();

  /** `engine`: the prover the process uses unless a request names another (default: defaultEngine()). */
  constructor(p: ParamSet, keys: KeySet, engine?: ProveEngine) {
    this.args = [p.name, JSON.stringify(keys), ...(engine ? [engine] : [])];
    this.child = this.spawn();
  }

  /**
   * Starts the proving process. If it dies (killed, out of memory), the proofs it was making
   * fail with PROVER_EXITED and the next request starts a new one.
   */
  private spawn(): ChildProcess {
    const child = fork(fileURLToPath(new URL("./prove-worker.ts", import.meta.url)), this.args, {
      execArgv: ["--import", "tsx"],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.dead = undefined;
    child.on("message", (raw) => {
      const m = raw as {
        id: number;
        result?: ProofResult;
        error?: { code: string; message: string };
      };
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error)
        w.reject(
          new ProvingProcessError(
            isErrorCode(m.error.code) ? m.error.code : "PROVE_FAILED",
            m.error.message,
          ),
        );
      else w.resolve(m.result!);
    });
    const fail = (e: Error) => {
      if (child !== this.child) return;
      this.dead = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    child.on("error", (e) => fail(new ProvingProcessError("PROVER_EXITED", e.message)));
    child.on("exit", (code, signal) =>
      fail(
        new ProvingProcessError(
          "PROVER_EXITED",
          `the proving process exited (${signal ?? `code ${code}`})`,
        ),
      ),
    );
    return child;
  }

  /**
   * Proves in the child; `profile` times the proof's steps (ProofResult.phases), `warm`
   * times a cold and a warm witness (ProofResult.witnessColdMs, witnessMs).
   */
  prove(
    circuit: CircuitId,
    signals: Record<string, SignalValue>,
    opts: { profile?: boolean; warm?: boolean; engine?: ProveEngine } = {},
  ): Promise<ProofResult> {
    const id = this.nextId++;
    if (this.closed) return Promise.reject(new ProvingProcessError("PROVER_EXITED", "closed"));
    if (this.dead) this.child = this.spawn();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, circuit, signals, ...opts });
    });
  }

  /** The proving process's pid (a new one after it died and was replaced). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill();
    await exited;
  }
}
