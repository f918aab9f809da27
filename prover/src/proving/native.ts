/**
 * zkclear's native Groth16 prover (native/, a Node-API addon in C++ built by `npm ci`):
 * the same algorithm, keys and proofs as groth16.ts, with field and curve arithmetic on
 * 64-bit limbs, a multi-threaded Pippenger MSM and FFT on one thread pool per process.
 *
 * The addon is loaded once, on first use. It is compiled for the machine that built it
 * (-march=native), so it is not loaded on a processor that lacks any of the build
 * machine's CPU flags (native/build/cpu-flags.json): an illegal instruction would kill the
 * process. When it is missing or refused, {@link nativeProver} is undefined and
 * {@link nativeUnavailable} says why.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ProveError, wtnsValues, type Groth16ProofJson } from "./groth16.ts";
import { ROOT } from "../domain/paths.ts";
import { type ProvePhases } from "../domain/ports.ts";

const BUILD = path.join(ROOT, "native/build/Release");

/** An error the addon throws or rejects with: a PROVE_* code and a message. */
interface AddonError {
  code?: string;
  message: string;
}

/** The addon's stages, exposed for the tests that compare them with ffjavascript. */
export interface NativeStages {
  fft(values: Uint8Array, inverse: boolean): Uint8Array;
  msmG1(points: Uint8Array, scalars: Uint8Array): Uint8Array;
  msmG2(points: Uint8Array, scalars: Uint8Array): Uint8Array;
  buildAbc(coefs: Uint8Array, witness: Uint8Array, domainSize: number): Uint8Array[];
  computeH(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array;
  field(
    which: "fq" | "fr",
    op: "mul" | "add" | "sub" | "neg" | "inv",
    x: Uint8Array,
    y: Uint8Array,
  ): Uint8Array;
}

export interface NativeAddon {
  prove(
    zkeyPath: string,
    wtns: Uint8Array,
    r: Uint8Array,
    s: Uint8Array,
  ): Promise<{
    a: Uint8Array | null;
    b: Uint8Array | null;
    c: Uint8Array | null;
    ms: number[];
    nPublic: number;
  }>;
  threads(): number;
  stages: NativeStages;
  /** Baby Jubjub's B8 and Poseidon's constants (t = 3 and 6), once (native/src/eddsa.hpp). */
  eddsaInit?(
    b8x: Uint8Array,
    b8y: Uint8Array,
    c3: Uint8Array,
    m3: Uint8Array,
    roundsP3: number,
    c6: Uint8Array,
    m6: Uint8Array,
    roundsP6: number,
  ): void;
  /** One byte per 7-element item (1: a valid signature), computed off the main thread. */
  eddsaVerify?(items: Uint8Array, hashMessage: boolean): Promise<Uint8Array>;
  /** The verifier's per-key tables: built since the start, held now (eddsa.hpp KeyTables). */
  eddsaTables?(): { built: number; held: number };
}

let loaded: { addon?: NativeAddon; why?: string } | undefined;

function cpuFlags(): Set<string> {
  const line = fs
    .readFileSync("/proc/cpuinfo", "utf8")
    .split("\n")
    .find((l) => l.startsWith("flags"));
  return new Set(line ? line.split(":")[1]!.trim().split(/\s+/) : []);
}

/** Loads the addon from another file than native/build's (for tests of the fallback). */
export const NATIVE_ADDON_ENV = "ZKCLEAR_NATIVE_ADDON";

function load(): { addon?: NativeAddon; why?: string } {
  const file = process.env[NATIVE_ADDON_ENV] || path.join(BUILD, "zkclear_prover.node");
  if (!fs.existsSync(file)) return { why: `${file} was not built (npm run build:native)` };
  try {
    const built = JSON.parse(
      fs.readFileSync(path.join(path.dirname(file), "..", "cpu-flags.json"), "utf8"),
    ) as string[];
    const here = cpuFlags();
    const missing = built.filter((f) => !here.has(f));
    if (missing.length > 0) {
      return {
        why: `it was built for a processor with ${missing.slice(0, 5).join(", ")}, which this one lacks (npm run build:native)`,
      };
    }
    return { addon: createRequire(import.meta.url)(file) as NativeAddon };
  } catch (e) {
    return { why: `it does not load: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The native addon, or undefined when it is not built or cannot run here. */
export function nativeProver(): NativeAddon | undefined {
  loaded ??= load();
  return loaded.addon;
}

/** Why the native prover is unavailable (undefined when it is available). */
export function nativeUnavailable(): string | undefined {
  loaded ??= load();
  return loaded.why;
}

const NATIVE_CODES = [
  "PROVE_BAD_WITNESS",
  "PROVE_BAD_KEY",
  "PROVE_WITNESS_MISMATCH",
  "PROVE_TOO_LARGE",
] as const;

/** The addon's refusal as a ProveError with the same code (and message). */
export function asProveError(e: unknown): ProveError {
  const err = e as AddonError;
  const code = NATIVE_CODES.find((c) => c === err.code);
  return new ProveError(code ?? "PROVE_NATIVE_FAILED", err.message ?? String(e));
}

const le = (b: Uint8Array, at: number): string => {
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]!);
  return v.toString();
};

/**
 * A Groth16 proof of the witness `wtns` (a .wtns file's bytes) under the key `zkeyPath`,
 * by the native addon, with snarkjs's proof and public signals, and its stages' times.
 */
export async function nativeGroth16Prove(
  addon: NativeAddon,
  zkeyPath: string,
  wtns: Uint8Array,
): Promise<{ proof: Groth16ProofJson; publicSignals: string[]; phases: ProvePhases }> {
  let out: Awaited<ReturnType<NativeAddon["prove"]>>;
  try {
    // 64 random bytes each, reduced mod r by the addon: the blinding factors r and s.
    out = await addon.prove(zkeyPath, wtns, randomBytes(64), randomBytes(64));
  } catch (e) {
    throw asProveError(e);
  }
  const { values } = wtnsValues(wtns);
  const publicSignals: string[] = [];
  for (let i = 1; i <= out.nPublic; i++) publicSignals.push(le(values, i * 32));
  const g1 = (p: Uint8Array | null) => (p ? [le(p, 0), le(p, 32), "1"] : ["0", "1", "0"]);
  const g2 = (p: Uint8Array | null) =>
    p
      ? [
          [le(p, 0), le(p, 32)],
          [le(p, 64), le(p, 96)],
          ["1", "0"],
        ]
      : [
          ["0", "0"],
          ["1", "0"],
          ["0", "0"],
        ];
  const [read, buildAbc, fft, msmG1, msmG2, other] = out.ms as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    proof: {
      pi_a: g1(out.a),
      pi_b: g2(out.b),
      pi_c: g1(out.c),
      protocol: "groth16",
      curve: "bn128",
    },
    publicSignals,
    phases: { read, buildAbc, fft, msmG1, msmG2, other },
  };
}
