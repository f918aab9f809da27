import type { CircuitId } from "../domain/circuits.ts";
import type { SignalValue } from "../domain/inputs.ts";
import type { ParamSet } from "../domain/params.ts";
import type { ProofResult, ProverPort } from "../domain/ports.ts";
import type { KeySet } from "./key-sets.ts";
import { circuitFiles } from "./paths.ts";
import { prove, type ProveEngine } from "./prover.ts";

/**
 * Proves in this process with a key set's proving keys (the proving process of the
 * service runs one; tools and tests may use it directly). Nothing is built or made here:
 * the circuits and keys must exist (checkKeySet says what is missing).
 */
export class LocalProver implements ProverPort {
  constructor(
    private readonly p: ParamSet,
    private readonly keys: KeySet,
    private readonly opts: { profile?: boolean; warm?: boolean; engine?: ProveEngine } = {},
  ) {}

  prove(circuit: CircuitId, signals: Record<string, SignalValue>): Promise<ProofResult> {
    return prove(circuitFiles(circuit, this.p).wasm, this.keys.circuits[circuit].zkey, signals, {
      ...this.opts,
    });
  }

  /** Proves with per-call options (the benchmarks' profiling, warm witness or engine). */
  proveWith(
    circuit: CircuitId,
    signals: Record<string, SignalValue>,
    opts: { profile?: boolean; warm?: boolean; engine?: ProveEngine },
  ): Promise<ProofResult> {
    return prove(circuitFiles(circuit, this.p).wasm, this.keys.circuits[circuit].zkey, signals, {
      ...this.opts,
      ...opts,
    });
  }
}
