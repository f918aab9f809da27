// The proving process of WorkerProver: proves with the parameter set's development keys.
import { buildBn128 } from "ffjavascript";
import { paramSet } from "../domain/params.ts";
import type { SignalValue } from "../engine/inputs.ts";
import type { CircuitId } from "./circuits.ts";
import { ensureDevKeys } from "./keys.ts";
import { circuitFiles } from "./paths.ts";
import { ownPeakRssMiB } from "./peak-rss.ts";
import { prove, type ProveEngine } from "./prover.ts";

const p = paramSet(process.argv[2]);
// The curve (and its worker threads) is built once, before the first request, so a
// proof's time is the proof's own.
const curve = buildBn128();
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
      await curve;
      const keys = await ensureDevKeys(m.circuit, p);
      const result = await prove(circuitFiles(m.circuit, p).wasm, keys.devZkey, m.signals, {
        profile: m.profile,
        warm: m.warm,
        engine: m.engine,
      });
      process.send!({ id: m.id, result: { ...result, peakRssMiB: ownPeakRssMiB() } });
    } catch (e) {
      process.send!({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  },
);
process.on("disconnect", () => process.exit(0));
