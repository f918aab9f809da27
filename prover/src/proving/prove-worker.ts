// The proving process of WorkerProver: proves with the key set it is given (argv: the
// parameter set's name, the key set as JSON, and optionally the engine). It never builds
// circuits or makes keys.
import { buildBn128 } from "ffjavascript";
import type { CircuitId } from "../domain/circuits.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { SignalValue } from "../domain/inputs.ts";
import { paramSet } from "../domain/params.ts";
import type { KeySet } from "./key-sets.ts";
import { LocalProver } from "./local-prover.ts";
import { nativeProver } from "./native.ts";
import { ownPeakRssMiB } from "./peak-rss.ts";
import { defaultEngine, PROVE_ENGINES, type ProveEngine } from "./prover.ts";

const p = paramSet(process.argv[2]);
const prover = new LocalProver(p, JSON.parse(process.argv[3]) as KeySet);
// The engine this process proves with unless a request names another.
const engine: ProveEngine = PROVE_ENGINES.find((e) => e === process.argv[4]) ?? defaultEngine();
// The WebAssembly provers' curve (and its worker threads) is built once, before the first
// request, so a proof's time is the proof's own; the native prover does not need it (its
// thread pool is made here instead).
let curve: Promise<unknown> | undefined;
const ready = (e: ProveEngine): Promise<unknown> => {
  if (e === "native") return Promise.resolve(nativeProver()?.threads());
  curve ??= buildBn128();
  return curve;
};
void ready(engine);
process.on(
  "message",
  async (m: {
    id: number;
    circuit: CircuitId;
    signals: Record<string, SignalValue>;
    profile?: boolean;
    warm?: boolean;
    engine?: ProveEngine;
  }) => {
    try {
      await ready(m.engine ?? engine);
      const result = await prover.proveWith(m.circuit, m.signals, {
        profile: m.profile,
        warm: m.warm,
        engine: m.engine ?? engine,
      });
      process.send!({ id: m.id, result: { ...result, peakRssMiB: ownPeakRssMiB() } });
    } catch (e) {
      // the code crosses the process boundary with the message
      const code = e instanceof ZkClearError ? e.code : "PROVE_FAILED";
      process.send!({
        id: m.id,
        error: { code, message: e instanceof Error ? e.message : String(e) },
      });
    }
  },
);
process.on("disconnect", () => process.exit(0));
