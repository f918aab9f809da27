// The proving process of WorkerProver: proves with the key set it is given (argv: the
// parameter set's name and the key set as JSON). It never builds circuits or makes keys.
import { buildBn128 } from "ffjavascript";
import type { CircuitId } from "../domain/circuits.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { SignalValue } from "../domain/inputs.ts";
import { paramSet } from "../domain/params.ts";
import type { KeySet } from "./key-sets.ts";
import { LocalProver } from "./local-prover.ts";
import { ownPeakRssMiB } from "./peak-rss.ts";
import type { ProveEngine } from "./prover.ts";

const p = paramSet(process.argv[2]);
const prover = new LocalProver(p, JSON.parse(process.argv[3]) as KeySet);
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
      const result = await prover.proveWith(m.circuit, m.signals, {
        profile: m.profile,
        warm: m.warm,
        engine: m.engine,
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
