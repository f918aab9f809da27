import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Signer } from "ethers";
import type { ParamSet } from "../../domain/params.ts";
import { prepareContracts } from "../../chain/deploy.ts";
import { buildCircuit } from "../../proving/build.ts";
import { instanceName, type CircuitId } from "../../domain/circuits.ts";
import type { SignalValue } from "../../domain/inputs.ts";
import type { DevKeyManifest } from "../../proving/keys.ts";
import { keyFiles } from "../../proving/paths.ts";
import {
  defaultEngine,
  readVerificationKey,
  verify,
  type ProveEngine,
} from "../../proving/prover.ts";
import type { ProofResult, ProvePhases } from "../../domain/ports.ts";
import { WorkerProver } from "../../proving/worker-pool.ts";
import { devKeySet } from "../../proving/key-sets.ts";
import type { ProverPort } from "../../domain/ports.ts";
import {
  KIND_CIRCUIT,
  measureBatches,
  slots,
  type BatchKind,
  type OperationGas,
} from "./batches.ts";

/** What it cost to compile one circuit instance with circom2 --O2. */
export interface CompileFigures {
  readonly constraints: number;
  readonly wires: number;
  readonly seconds: number;
  /** Peak resident memory of the circom process, MiB. */
  readonly peakRssMiB: number | null;
  /** True when the build was reused from an earlier run (its recorded figures). */
  readonly cached: boolean;
}

/** What it cost to make the instance's INSECURE development keys. */
export interface KeyFigures {
  readonly seconds: number;
  /** Peak resident memory of the key-generation process, MiB (null when reused). */
  readonly peakRssMiB: number | null;
  readonly zkeyMiB: number;
  /** Variables (wires) and evaluation domain of the proving key. */
  readonly nVars: number;
  readonly domainSize: number;
  /** A and B coefficients in the key (what snarkjs evaluates per proof). */
  readonly coefficients: number;
  readonly cached: boolean;
}

/** A prover's time on one batch: the median run, every run, and the median run's steps. */
export interface ProverFigures {
  readonly proveMs: number;
  /** Every run's proving time, ms, in the order they ran. */
  readonly proveMsRuns: readonly number[];
  readonly phases: ProvePhases;
  /** The highest peak resident memory of its proving processes, MiB. */
  readonly peakRssMiB: number | null;
}

/** One full batch of one kind, proved in its own process and settled on the chain. */
export interface ProofFigures extends Omit<ProverFigures, "peakRssMiB"> {
  /** The prover of these figures and of the settled proof (the default engine). */
  readonly engine: ProveEngine;
  /**
   * Medians over `runs` proofs of the same batch, each in a fresh proving process. The
   * witness is the warm one (a second witness in the process, as the operator's
   * long-lived proving process computes them); witnessColdMs the first, calculator loading
   * included.
   */
  readonly witnessMs: number;
  readonly witnessColdMs: number;
  /** With the native witness calculator: the WebAssembly calculator's (warm) on the same batch. */
  readonly witnessWasmMs?: number;
  readonly runs: number;
  /** Peak resident memory of the proving process (witness and proof), MiB. */
  readonly peakRssMiB: number | null;
  /** The proof verified with snarkjs against the development verification key. */
  readonly verified: boolean;
  /** Gas of the settling transaction (the on-chain verifier accepted the proof). */
  readonly gas: number;
  /**
   * The same batch and key proved by snarkjs's own `groth16.prove` (the baseline of
   * zkclear's prover), as many times, each run alternating with one of zkclear's.
   */
  readonly snarkjs?: ProverFigures;
  /**
   * When `engine` is the native prover: the same batch and key proved by zkclear's
   * WebAssembly prover as many times, each run alternating with a native one.
   */
  readonly wasm?: ProverFigures;
}

/** Every figure of one batch kind of one parameter set. */
export interface KindFigures {
  readonly set: string;
  readonly kind: BatchKind;
  readonly instance: string;
  /** Slots per batch (B, K, W or L); every measured batch is full. */
  readonly operations: number;
  readonly depth: number;
  readonly markets: number;
  readonly compile: CompileFigures;
  readonly keys: KeyFigures;
  readonly proof: ProofFigures;
  /** What the set's traders and oracle pay on the same deployment. */
  readonly userGas: OperationGas;
}

export interface MeasureOptions {
  /** Recompile and regenerate keys, so their times are measured now (default true). */
  readonly fresh: boolean;
  /** Proofs of each measured batch (its median is reported). */
  readonly repeat: number;
  /** The batch kind of this set also proved with snarkjs's own prover, if any. */
  readonly baseline?: BatchKind;
  /** Prove every measured batch with the WebAssembly prover too, alternating (default true). */
  readonly compareWasm?: boolean;
  readonly log: (s: string) => void;
}

/** Circuit instances already compiled and keyed in this run (sets share instances). */
export type InstanceCache = Map<string, { compile: CompileFigures; keys: KeyFigures }>;

/** Builds (fresh or reused) one circuit instance and returns its figures. */
async function compileFigures(
  kind: BatchKind,
  p: ParamSet,
  o: MeasureOptions,
): Promise<CompileFigures> {
  const m = await buildCircuit(KIND_CIRCUIT[kind], p, { force: o.fresh, log: o.log });
  return {
    constraints: m.constraints,
    wires: m.wires,
    seconds: m.compileSeconds,
    peakRssMiB: m.peakRssMiB ?? null,
    cached: !o.fresh,
  };
}

interface KeysReply {
  readonly generated?: boolean;
  readonly info?: DevKeyManifest;
  readonly zkeyBytes?: number;
  readonly peakRssMiB?: number;
  readonly error?: string;
}

/** Makes (fresh or reused) the instance's development keys in a child process. */
function keyFigures(kind: BatchKind, p: ParamSet, o: MeasureOptions): Promise<KeyFigures> {
  const script = fileURLToPath(new URL("./keys-worker.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    const child = fork(script, [KIND_CIRCUIT[kind], p.name, o.fresh ? "fresh" : "reuse"], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let reply: KeysReply | undefined;
    child.on("message", (m) => (reply = m as KeysReply));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (!reply || reply.error || !reply.info) {
        reject(new Error(`key generation for ${p.name}/${kind} failed: ${reply?.error ?? code}`));
        return;
      }
      const i = reply.info;
      resolve({
        seconds: i.seconds,
        peakRssMiB: reply.generated ? (reply.peakRssMiB ?? null) : null,
        zkeyMiB: (reply.zkeyBytes ?? 0) / 2 ** 20,
        nVars: i.nVars,
        domainSize: i.domainSize,
        coefficients: i.nCoefficients,
        cached: !reply.generated,
      });
    });
  });
}

/** A measured proof: the median run, with every run's times. */
export interface RepeatedProof extends ProofResult {
  readonly runs: readonly ProofResult[];
  /** With a baseline: snarkjs's proofs of the same batch. */
  readonly snarkjsRuns?: readonly ProofResult[];
  /** Compared: the WebAssembly prover's proofs of the same batch. */
  readonly wasmRuns?: readonly ProofResult[];
}

/** The lower middle of `xs` by `key` (the median of an odd count). */
function lowerMedian<T>(xs: readonly T[], key: (x: T) => number): T {
  const sorted = [...xs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** A prover's figures over its runs of one batch. */
function proverFigures(runs: readonly ProofResult[]): ProverFigures {
  const median = lowerMedian(runs, (r) => r.proveMs);
  return {
    proveMs: median.proveMs,
    proveMsRuns: runs.map((r) => r.proveMs),
    phases: median.phases!,
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB ?? 0)) || null,
  };
}

/**
 * Proves each batch in a fresh proving process with the default engine, its steps timed.
 * The first proof of each circuit in `measured` (the batch the benchmark reports) is made
 * `repeat` times, each in its own process, and the run with the median proving time is
 * returned with all the runs; other proofs (setting up the state) are made once. With
 * `compareWasm` (and the native prover as the default), each measured run is followed by
 * one of the WebAssembly prover; with `baseline`, by one of snarkjs's.
 */
export function processPerProof(
  p: ParamSet,
  measured: ReadonlySet<CircuitId>,
  repeat: number,
  baseline?: CircuitId,
  compareWasm = true,
): ProverPort {
  const seen = new Set<CircuitId>();
  const primary = defaultEngine();
  const once = async (
    id: CircuitId,
    signals: Record<string, SignalValue>,
    engine: ProveEngine = primary,
  ) => {
    const prover = new WorkerProver(p, devKeySet(p), engine);
    try {
      return await prover.prove(id, signals, { profile: true, warm: true, engine });
    } finally {
      await prover.close();
    }
  };
  const prove = async (
    id: CircuitId,
    signals: Record<string, SignalValue>,
  ): Promise<RepeatedProof> => {
    const first = measured.has(id) && !seen.has(id);
    const times = first ? repeat : 1;
    seen.add(id);
    const runs: ProofResult[] = [];
    const snarkjsRuns: ProofResult[] = [];
    const wasmRuns: ProofResult[] = [];
    for (let i = 0; i < times; i++) {
      runs.push(await once(id, signals));
      // Alternating, so that a slow spell of the machine hits every prover alike.
      if (first && compareWasm && primary !== "zkclear")
        wasmRuns.push(await once(id, signals, "zkclear"));
      if (first && id === baseline) snarkjsRuns.push(await once(id, signals, "snarkjs"));
    }
    const median = lowerMedian(runs, (r) => r.proveMs);
    const mid = (xs: number[]) => lowerMedian(xs, (x) => x);
    const witnessMs = mid(runs.map((r) => r.witnessMs));
    const witnessColdMs = mid(runs.map((r) => r.witnessColdMs ?? r.witnessMs));
    const wasmWitness = runs.flatMap((r) =>
      r.witnessWasmMs !== undefined ? [r.witnessWasmMs] : [],
    );
    const peakRssMiB = Math.max(...runs.map((r) => r.peakRssMiB ?? 0)) || undefined;
    const result: RepeatedProof = {
      ...median,
      witnessMs,
      witnessColdMs,
      ...(wasmWitness.length ? { witnessWasmMs: mid(wasmWitness) } : {}),
      peakRssMiB,
      runs,
      ...(snarkjsRuns.length ? { snarkjsRuns } : {}),
      ...(wasmRuns.length ? { wasmRuns } : {}),
    };
    return result;
  };
  return { prove };
}

/**
 * Measures the given kinds of a parameter set end to end: compile each circuit, make
 * its development keys, generate the verifiers, deploy on the chain behind `deployer`
 * and settle one full batch of each kind with a real proof. Instances already measured
 * in this run (`done`) are not rebuilt.
 */
export async function measureSet(
  p: ParamSet,
  kinds: readonly BatchKind[],
  chain: { deployer: Signer; traders: readonly Signer[] },
  o: MeasureOptions,
  done: InstanceCache = new Map(),
): Promise<KindFigures[]> {
  const circuitFigures = new Map<BatchKind, { compile: CompileFigures; keys: KeyFigures }>();
  for (const kind of kinds) {
    const instance = instanceName(KIND_CIRCUIT[kind], p);
    let figures = done.get(instance);
    if (!figures) {
      o.log(`${p.name} ${kind}: ${instance}`);
      const compile = await compileFigures(kind, p, o);
      figures = { compile, keys: await keyFigures(kind, p, o) };
      done.set(instance, figures);
    }
    circuitFigures.set(kind, figures);
  }
  await prepareContracts(o.log);
  const { batches, operations: userGas } = await measureBatches(p, chain.deployer, chain.traders, {
    kinds,
    prover: processPerProof(
      p,
      new Set(kinds.map((k) => KIND_CIRCUIT[k])),
      o.repeat,
      o.baseline && kinds.includes(o.baseline) ? KIND_CIRCUIT[o.baseline] : undefined,
      o.compareWasm ?? true,
    ),
    log: (s) => o.log(`${p.name} ${s}`),
  });
  const out: KindFigures[] = [];
  for (const b of batches) {
    const c = circuitFigures.get(b.kind)!;
    const vkey = readVerificationKey(keyFiles(KIND_CIRCUIT[b.kind], p).devVkey);
    const verified = await verify(vkey, b.proof.publicSignals, b.proof.proof);
    const { runs = [b.proof], snarkjsRuns: baseline, wasmRuns } = b.proof as Partial<RepeatedProof>;
    const primary = proverFigures(runs);

    out.push({
      set: p.name,
      kind: b.kind,
      instance: instanceName(KIND_CIRCUIT[b.kind], p),
      operations: slots(p, b.kind),
      depth: p.depth,
      markets: p.markets,
      compile: c.compile,
      keys: c.keys,
      proof: {
        witnessMs: b.proof.witnessMs,
        witnessColdMs: b.proof.witnessColdMs ?? b.proof.witnessMs,
        ...(b.proof.witnessWasmMs !== undefined ? { witnessWasmMs: b.proof.witnessWasmMs } : {}),
        engine: b.proof.engine,
        proveMs: primary.proveMs,
        proveMsRuns: primary.proveMsRuns,
        phases: primary.phases,
        runs: runs.length,
        peakRssMiB: b.proof.peakRssMiB ?? null,
        verified,
        gas: Number(b.gas),
        ...(baseline ? { snarkjs: proverFigures(baseline) } : {}),
        ...(wasmRuns ? { wasm: proverFigures(wasmRuns) } : {}),
      },
      userGas,
    });
  }
  return out.sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind));
}
