import fs from "node:fs";
import { WitnessCalculatorBuilder, type WitnessCalculator } from "circom_runtime";
import * as snarkjs from "snarkjs";
import type { Groth16Proof, VerificationKey } from "snarkjs";
import { ZkClearError } from "../domain/errors.ts";

export { PROVE_ENGINES, type ProveEngine };
import type { SignalValue } from "../domain/inputs.ts";
import {
  PROVE_ENGINES,
  type ProofResult,
  type ProveEngine,
  type ProvePhases,
} from "../domain/ports.ts";
import { groth16Prove, ProveError } from "./groth16.ts";
import { nativeGroth16Prove, nativeProver, nativeUnavailable } from "./native.ts";
import { calculateWtnsNative, nativeWitnessFor } from "./native-witness.ts";

export class WitnessError extends ZkClearError {
  /** The templates on circom's failure stack, innermost first (e.g. "RangeCheck_12"). */
  readonly templates: string[];
  constructor(message: string, templates: string[]) {
    super("WITNESS_CONSTRAINT_FAILED", message);
    this.templates = templates;
  }
}

const calculators = new Map<string, Promise<WitnessCalculator>>();

/** A cached witness calculator for a compiled circuit's .wasm. */
function calculator(wasmPath: string): Promise<WitnessCalculator> {
  let c = calculators.get(wasmPath);
  if (!c) {
    c = WitnessCalculatorBuilder(fs.readFileSync(wasmPath));
    calculators.set(wasmPath, c);
  }
  return c;
}

/**
 * Turns circom's "Assert Failed ... Error in template X line: N" into a WitnessError.
 * A calculator instance keeps appending messages after a failure, so it is dropped and
 * the next call gets a fresh one: every WitnessError names only its own failure.
 */
function witnessError(wasmPath: string, e: unknown): never {
  calculators.delete(wasmPath);
  const msg = e instanceof Error ? e.message : String(e);
  const templates = [...msg.matchAll(/Error in template (\w+) line: (\d+)/g)].map((m) => m[1]);
  throw new WitnessError(`the witness violates a circuit constraint: ${msg.trim()}`, templates);
}

/** The full witness (wire values) for the given signals; throws WitnessError on a failed assert. */
export async function calculateWitness(
  wasmPath: string,
  signals: Record<string, SignalValue>,
): Promise<bigint[]> {
  const wc = await calculator(wasmPath);
  try {
    return await wc.calculateWitness(signals, true);
  } catch (e) {
    return witnessError(wasmPath, e);
  }
}

/**
 * The witness in snarkjs's .wtns binary format: by the circuit's native calculator where it
 * was built (native-witness.ts; ZKCLEAR_WITNESS=wasm switches it off), else by circom's
 * WebAssembly one.
 */
export async function calculateWtns(
  wasmPath: string,
  signals: Record<string, SignalValue>,
): Promise<Uint8Array> {
  const native = nativeWitnessFor(wasmPath);
  if (native) {
    return calculateWtnsNative(
      native,
      signals,
      (f) =>
        new WitnessError(`the witness violates a circuit constraint: ${f.message}`, f.templates),
    );
  }
  return calculateWtnsWasm(wasmPath, signals);
}

/** The witness by circom's WebAssembly calculator, in snarkjs's .wtns binary format. */
export async function calculateWtnsWasm(
  wasmPath: string,
  signals: Record<string, SignalValue>,
): Promise<Uint8Array> {
  const wc = await calculator(wasmPath);
  try {
    return await wc.calculateWTNSBin(signals, true);
  } catch (e) {
    return witnessError(wasmPath, e);
  }
}

type Phase = keyof ProvePhases;

/** Which step a snarkjs / ffjavascript progress message starts or continues. */
function phaseOf(message: string): Phase {
  if (/^Reading /.test(message)) return "read";
  if (message === "Building ABC" || message.startsWith("QAP ")) return "buildAbc";
  if (/^(I?FFT_[ABC]|Join ABC|JoinABC)/.test(message)) return "fft";
  if (/multiexp B2/.test(message)) return "msmG2";
  if (/multiexp [AB1CH]+/.test(message)) return "msmG1";
  return "other";
}

/** A snarkjs logger that attributes the time between messages to the step in progress. */
class PhaseClock {
  private readonly totals: Record<Phase, number> = {
    read: 0,
    buildAbc: 0,
    fft: 0,
    msmG1: 0,
    msmG2: 0,
    other: 0,
  };
  private phase: Phase = "read";
  private last = performance.now();

  private mark(message: unknown): void {
    const now = performance.now();
    this.totals[this.phase] += now - this.last;
    this.last = now;
    this.phase = phaseOf(String(message));
  }
  readonly debug = (m: unknown) => this.mark(m);
  readonly info = (m: unknown) => this.mark(m);
  readonly warn = (m: unknown) => this.mark(m);
  readonly error = (m: unknown) => this.mark(m);

  finish(): ProvePhases {
    this.totals[this.phase === "msmG1" ? "other" : this.phase] += performance.now() - this.last;
    return { ...this.totals };
  }
}

/** The environment variable that forces an engine (`native`, `zkclear` or `snarkjs`). */
export const ENGINE_ENV = "ZKCLEAR_PROVER";

let fallbackSaid = false;

/**
 * The engine `prove` uses when none is given: the one named by ZKCLEAR_PROVER if set,
 * else `native` where the addon loads, else the WebAssembly prover (`zkclear`), which is
 * then said once per process on stderr.
 */
export function defaultEngine(): ProveEngine {
  const forced = process.env[ENGINE_ENV];
  if (forced !== undefined && forced !== "") {
    const e = PROVE_ENGINES.find((x) => x === forced);
    if (!e) {
      throw new ProveError(
        "PROVE_BAD_ENGINE",
        `${ENGINE_ENV}=${forced} names no prover: use one of ${PROVE_ENGINES.join(", ")}`,
      );
    }
    return e;
  }
  if (nativeProver()) return "native";
  if (!fallbackSaid) {
    fallbackSaid = true;
    console.warn(
      `zkclear: the native prover is unavailable (${nativeUnavailable()}); proving with the WebAssembly prover`,
    );
  }
  return "zkclear";
}

/** A proof by the named engine (its profile, when asked, from the engine's own clock). */
async function proveWith(
  engine: ProveEngine,
  zkeyPath: string,
  wtns: Uint8Array,
  profile: boolean,
): Promise<{ proof: Groth16Proof; publicSignals: string[]; phases?: ProvePhases }> {
  if (engine === "native") {
    const addon = nativeProver();
    if (!addon) {
      throw new ProveError(
        "PROVE_NATIVE_UNAVAILABLE",
        `the native prover was asked for but is unavailable: ${nativeUnavailable()}`,
      );
    }
    const r = await nativeGroth16Prove(addon, zkeyPath, wtns);
    return profile ? r : { proof: r.proof, publicSignals: r.publicSignals };
  }
  const clock = profile ? new PhaseClock() : undefined;
  const r =
    engine === "snarkjs"
      ? await snarkjs.groth16.prove(zkeyPath, { type: "mem", data: wtns }, clock)
      : await groth16Prove(zkeyPath, wtns, clock);
  return { ...r, ...(clock ? { phases: clock.finish() } : {}) };
}

/**
 * Computes the witness and a Groth16 proof with `engine` (default: {@link defaultEngine});
 * `profile` times the proof's steps, `warm` computes the witness twice and times both
 * (witnessColdMs, witnessMs).
 */
export async function prove(
  wasmPath: string,
  zkeyPath: string,
  signals: Record<string, SignalValue>,
  opts: { profile?: boolean; warm?: boolean; engine?: ProveEngine } = {},
): Promise<ProofResult> {
  const engine = opts.engine ?? defaultEngine();
  let witnessColdMs: number | undefined;
  let witnessWasmMs: number | undefined;
  if (opts.warm) {
    const c0 = performance.now();
    await calculateWtns(wasmPath, signals);
    witnessColdMs = performance.now() - c0;
    if (nativeWitnessFor(wasmPath)) {
      await calculateWtnsWasm(wasmPath, signals);
      const w0 = performance.now();
      await calculateWtnsWasm(wasmPath, signals);
      witnessWasmMs = performance.now() - w0;
    }
  }
  const t0 = performance.now();
  const wtns = await calculateWtns(wasmPath, signals);
  const t1 = performance.now();
  const { proof, publicSignals, phases } = await proveWith(
    engine,
    zkeyPath,
    wtns,
    opts.profile ?? false,
  );
  const t2 = performance.now();
  return {
    engine,
    proof,
    publicSignals,
    witnessMs: t1 - t0,
    proveMs: t2 - t1,
    ...(witnessColdMs !== undefined ? { witnessColdMs } : {}),
    ...(witnessWasmMs !== undefined ? { witnessWasmMs } : {}),
    ...(phases ? { phases } : {}),
  };
}

export function readVerificationKey(path: string): VerificationKey {
  return JSON.parse(fs.readFileSync(path, "utf8")) as VerificationKey;
}

export async function verify(
  vkey: VerificationKey,
  publicSignals: readonly (string | bigint)[],
  proof: Groth16Proof,
): Promise<boolean> {
  return snarkjs.groth16.verify(vkey, publicSignals.map(String), proof);
}

/**
 * snarkjs keeps the bn128 curve's worker threads alive after proving; a process that
 * proved must call this before it can exit.
 */
export async function terminateCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
  if (g.curve_bn128) {
    await g.curve_bn128.terminate();
    delete g.curve_bn128;
  }
}
