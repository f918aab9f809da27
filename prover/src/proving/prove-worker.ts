// The proving process of WorkerProver: proves with the parameter set's development keys.
import { buildBn128 } from "ffjavascript";
import { paramSet } from "../domain/params.ts";
import type { SignalValue } from "../engine/inputs.ts";
import type { CircuitId } from "./circuits.ts";
import { ensureDevKeys } from "./keys.ts";
import { circuitFiles } from "./paths.ts";
import { nativeProver } from "./native.ts";
import { ownPeakRssMiB } from "./peak-rss.ts";
import { defaultEngine, prove, PROVE_ENGINES, type ProveEngine } from "./prover.ts";

const p = paramSet(process.argv[2]);
// The engine this process proves with unless a request names another.
const engine: ProveEngine = PROVE_ENGINES.find((e) => e === process.argv[3]) ?? defaultEngine();
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
      const keys = await ensureDevKeys(m.circuit, p);
      const result = await prove(circuitFiles(m.circuit, p).wasm, keys.devZkey, m.signals, {
        profile: m.profile,
        warm: m.warm,
        engine: m.engine ?? engine,
      });
      process.send!({ id: m.id, result: { ...result, peakRssMiB: ownPeakRssMiB() } });
    } catch (e) {
      process.send!({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  },
);
process.on("disconnect", () => process.exit(0));
