// A benchmark child process: makes the INSECURE development keys of one circuit
// instance (forced or reused) and reports them with this process's peak memory, so the
// figure is key generation's own. Started by prover/src/dev/bench/measure.ts.
import fs from "node:fs";
import { paramSet } from "../../domain/params.ts";
import type { CircuitId } from "../../domain/circuits.ts";
import { ensureDevKeys } from "../../proving/keys.ts";
import { ownPeakRssMiB } from "../../proving/peak-rss.ts";
import { terminateCurve } from "../../proving/prover.ts";

const [circuit, set, mode] = process.argv.slice(2);
try {
  const keys = await ensureDevKeys(circuit as CircuitId, paramSet(set), {
    force: mode === "fresh",
  });
  await terminateCurve();
  process.send!({
    generated: keys.generated,
    info: keys.info,
    zkeyBytes: fs.statSync(keys.devZkey).size,
    peakRssMiB: ownPeakRssMiB(),
  });
} catch (e) {
  process.send!({ error: e instanceof Error ? e.message : String(e) });
}
process.disconnect();
