import fs from "node:fs";
import path from "node:path";
import type { Signer } from "ethers";
import { paramSet, withBatch } from "../../domain/params.ts";
import { instanceName } from "../../domain/circuits.ts";
import { BATCH_KINDS, type BatchKind } from "./batches.ts";
import { measureTradeBudget } from "./budget.ts";
import { scalingChart } from "./chart.ts";
import { measureSet, type InstanceCache, type KindFigures } from "./measure.ts";
import { benchmarksMarkdown } from "./report.ts";
import { commit, machine, toolchain, type BenchResults, type SweepPoint } from "./results.ts";
import { ARTIFACTS, ROOT } from "../../domain/paths.ts";

export interface BenchOptions {
  readonly sets: readonly string[];
  readonly kinds: readonly BatchKind[];
  /** Trade batch sizes of the sweep (empty: no sweep). */
  readonly sweep: readonly number[];
  readonly sweepBase: string;
  readonly budget: boolean;
  /** Recompile and regenerate keys (default); false reuses what artifacts/ holds. */
  readonly fresh: boolean;
  /** Proofs per measured batch, each in a fresh process; the median is reported. */
  readonly repeat: number;
  /** Where BENCHMARKS.md goes; its JSON and image go to `<dir>/docs/benchmarks/`. */
  readonly outDir: string;
  readonly command: string;
}

export const DEFAULT_SETS = ["test", "demo", "bench"];
export const DEFAULT_SWEEP = [1, 2, 4, 8, 16, 32, 64];

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
    return v;
  };
  const list = (flag: string): string[] | undefined => {
    const v = value(flag);
    if (v === undefined) return undefined;
    return v === "none" ? [] : v.split(",").map((s) => s.trim());
  };
  const known = new Set(["--sets", "--kinds", "--sweep", "--sweep-base", "--out", "--repeat"]);
  for (const [i, a] of argv.entries()) {
    if (!a.startsWith("--")) {
      if (i > 0 && known.has(argv[i - 1])) continue;
      throw new Error(`unexpected argument "${a}"`);
    }
    if (!known.has(a) && a !== "--reuse" && a !== "--no-budget")
      throw new Error(`unknown option ${a}`);
  }
  const sets = list("--sets") ?? DEFAULT_SETS;
  sets.forEach((s) => paramSet(s));
  const kinds = (list("--kinds") ?? [...BATCH_KINDS]) as BatchKind[];
  for (const k of kinds)
    if (!BATCH_KINDS.includes(k))
      throw new Error(`unknown batch kind "${k}"; choose from ${BATCH_KINDS.join(", ")}`);
  const sweep = (list("--sweep") ?? DEFAULT_SWEEP.map(String)).map((s) => {
    const b = Number(s);
    if (!Number.isInteger(b) || b < 1) throw new Error(`--sweep: "${s}" is not a batch size`);
    return b;
  });
  const repeat = Number(value("--repeat") ?? 3);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 25)
    throw new Error(`--repeat takes a whole number of proofs from 1 to 25`);
  const sweepBase = value("--sweep-base") ?? "bench";
  paramSet(sweepBase);
  const full = !argv.some((a) =>
    ["--sets", "--kinds", "--sweep", "--sweep-base", "--no-budget"].includes(a),
  );
  return {
    sets,
    kinds,
    sweep,
    sweepBase,
    budget: !argv.includes("--no-budget"),
    fresh: !argv.includes("--reuse"),
    repeat,
    // only a full run replaces the committed report
    outDir: value("--out") ?? (full ? ROOT : path.join(ARTIFACTS, "bench")),
    command: ["npm run bench", ...(argv.length ? ["--", ...argv] : [])].join(" "),
  };
}

function why(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/memory allocation of \d+ bytes failed/.test(msg))
    return "circom2 ran out of memory (its WebAssembly compiler has a 4 GiB address space)";
  return msg.split("\n")[0].slice(0, 200);
}

/**
 * Runs the benchmark and writes BENCHMARKS.md, its JSON and its chart. Returns the
 * results and where they were written.
 */
export async function runBench(
  o: BenchOptions,
  chain: { deployer: Signer; traders: readonly Signer[] },
  log: (s: string) => void,
): Promise<{ results: BenchResults; files: string[] }> {
  const t0 = performance.now();
  const done: InstanceCache = new Map();
  const measure = { fresh: o.fresh, repeat: o.repeat, log };
  const sets: KindFigures[] = [];
  for (const name of o.sets) {
    log(`== ${name}`);
    // The bench trade batch is also proved with snarkjs's own prover, as the baseline.
    const m = name === "bench" ? { ...measure, baseline: "trades" as const } : measure;
    sets.push(...(await measureSet(paramSet(name), o.kinds, chain, m, done)));
  }

  let sweep: BenchResults["sweep"] = null;
  if (o.sweep.length) {
    const base = paramSet(o.sweepBase);
    const points: SweepPoint[] = [];
    for (const b of o.sweep) {
      const p = withBatch(base, b);
      const instance = instanceName("settle_trades", p);
      const seen = sets.find((f) => f.kind === "trades" && f.instance === instance);
      if (seen) {
        points.push({ batch: b, figures: seen });
        continue;
      }
      log(`== sweep B=${b} (${p.name})`);
      try {
        const [figures] = await measureSet(p, ["trades"], chain, measure, done);
        points.push({ batch: b, figures });
      } catch (e) {
        log(`sweep B=${b}: not measured: ${why(e)}`);
        points.push({ batch: b, error: why(e) });
      }
    }
    sweep = { base: o.sweepBase, points };
  }

  const budget = o.budget ? await measureTradeBudget(paramSet(o.sweepBase), log) : null;
  const results: BenchResults = {
    format: "zkclear-bench/1",
    date: new Date().toISOString(),
    command: o.command,
    commit: commit(),
    seconds: (performance.now() - t0) / 1000,
    machine: machine(),
    toolchain: toolchain(),
    sets,
    sweep,
    budget,
  };

  const dataDir = path.join(o.outDir, "docs", "benchmarks");
  fs.mkdirSync(dataDir, { recursive: true });
  const json = path.join(dataDir, "benchmarks.json");
  const svg = path.join(dataDir, "scaling.svg");
  const md = path.join(o.outDir, "BENCHMARKS.md");
  fs.writeFileSync(json, JSON.stringify(results, null, 2) + "\n");
  const files = [md, json];
  if (sweep) {
    fs.writeFileSync(
      svg,
      scalingChart(
        sweep.points,
        `SettleTrades at D=${paramSet(o.sweepBase).depth}, M=${paramSet(o.sweepBase).markets} on ${results.machine.cores} cores`,
      ),
    );
    files.push(svg);
  }
  const rel = (f: string) => path.relative(o.outDir, f);
  fs.writeFileSync(md, benchmarksMarkdown(results, rel(svg), rel(json)));
  return { results, files };
}
