// The proving process of WorkerProver: proves with the parameter set's development keys.
import { paramSet } from "../domain/params.ts";
import type { SignalValue } from "../engine/inputs.ts";
import type { CircuitId } from "./circuits.ts";
import { ensureDevKeys } from "./keys.ts";
import { circuitFiles } from "./paths.ts";
import { prove } from "./prover.ts";

const p = paramSet(process.argv[2]);
process.on(
  "message",
  async (m: { id: number; circuit: CircuitId; signals: Record<string, SignalValue> }) => {
    try {
      const keys = await ensureDevKeys(m.circuit, p);
      const result = await prove(circuitFiles(p.name, m.circuit).wasm, keys.devZkey, m.signals);
      process.send!({ id: m.id, result });
    } catch (e) {
      process.send!({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  },
);
process.on("disconnect", () => process.exit(0));
