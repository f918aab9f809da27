import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ParamSet } from "../domain/params.ts";
import { toSettleTradesSignals } from "../engine/inputs.ts";
import { settleTrades } from "../engine/trades.ts";
import { buildCircuit } from "../proving/build.ts";
import { ensureDevKeys } from "../proving/keys.ts";
import { ARTIFACTS, circuitFiles } from "../proving/paths.ts";
import { prove, readVerificationKey, verify } from "../proving/prover.ts";
import { sampleTrades } from "./demo.ts";
import { sampleExchange } from "./sample.ts";

export interface TradeBenchResult {
  readonly params: ParamSet;
  readonly constraints: number;
  readonly constraintsPerTrade: number;
  readonly compileSeconds: number;
  readonly keySeconds: number;
  readonly witnessMs: number;
  readonly proveMs: number;
  readonly usPerConstraint: number;
  readonly witnessShare: number;
  readonly verified: boolean;
}

/**
 * Measures one parameter set end to end: compile (forced when `fresh`), development keys
 * (forced when `fresh`), witness and proof of a full batch of B trades.
 */
export async function benchSettleTrades(
  p: ParamSet,
  opts: { fresh: boolean; log: (s: string) => void },
): Promise<TradeBenchResult> {
  const build = await buildCircuit("settle_trades", p, { force: opts.fresh, log: opts.log });
  const t0 = performance.now();
  const keys = await ensureDevKeys("settle_trades", p, { force: opts.fresh, log: opts.log });
  const keySeconds = keys.generated ? (performance.now() - t0) / 1000 : keys.info.seconds;
  const s = sampleExchange(p, 6);
  const batch = settleTrades(s.state, sampleTrades(s, p.batch), s.marks, p.batch);
  const res = await prove(
    circuitFiles(p.name, "settle_trades").wasm,
    keys.devZkey,
    toSettleTradesSignals(batch.input),
  );
  const verified = await verify(readVerificationKey(keys.devVkey), res.publicSignals, res.proof);
  return {
    params: p,
    constraints: build.constraints,
    constraintsPerTrade: Math.round(build.constraints / p.batch),
    compileSeconds: build.compileSeconds,
    keySeconds,
    witnessMs: res.witnessMs,
    proveMs: res.proveMs,
    usPerConstraint: (res.proveMs * 1000) / build.constraints,
    witnessShare: res.witnessMs / res.proveMs,
    verified,
  };
}

export function machine(): string {
  return `${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export function writeResults(results: readonly TradeBenchResult[]): string {
  const dir = path.join(ARTIFACTS, "bench");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "settle-trades.json");
  fs.writeFileSync(
    file,
    JSON.stringify({ machine: machine(), date: new Date().toISOString(), results }, null, 2),
  );
  return file;
}

export function formatTable(results: readonly TradeBenchResult[]): string {
  const head =
    "| set | D | B | M | constraints | per trade | compile s | dev keys s | witness ms | prove ms | µs/constraint | witness/prove |";
  const sep = "|---|---|---|---|---|---|---|---|---|---|---|---|";
  const rows = results.map((r) =>
    [
      r.params.name,
      r.params.depth,
      r.params.batch,
      r.params.markets,
      r.constraints,
      r.constraintsPerTrade,
      r.compileSeconds.toFixed(1),
      r.keySeconds.toFixed(1),
      r.witnessMs.toFixed(0),
      r.proveMs.toFixed(0),
      r.usPerConstraint.toFixed(1),
      `${(r.witnessShare * 100).toFixed(1)}%`,
    ].join(" | "),
  );
  return [head, sep, ...rows.map((r) => `| ${r} |`)].join("\n");
}
