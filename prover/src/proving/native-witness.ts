/**
 * Native witness calculators: circom's generated C++ for a circuit (circom2 `--c`), built
 * with g++ against zkclear's own field runtime (native/witness/: circom's x86 assembly
 * needs nasm, which these machines lack) into one executable per circuit instance,
 * `<name>_cpp/<name>_witness` beside the `.wasm` calculator. `calculateWtns` uses it when
 * it is there and ZKCLEAR_WITNESS is not `wasm`.
 *
 * The calculator runs in its own process: a failed circuit assert aborts it (as circom's
 * calculators do), which must not take the prover down.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ZkClearError } from "../domain/errors.ts";
import type { SignalValue } from "../domain/inputs.ts";
import { ROOT } from "../domain/paths.ts";

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const RUNTIME = path.join(ROOT, "native", "witness");
const FIELD = path.join(ROOT, "native", "src");

/** A hash of zkclear's side of every native calculator (its runtime and field code). */
export function nativeRuntimeHash(): string {
  const h = createHash("sha256");
  for (const f of ["fr_runtime.cpp", "witness_main.cpp"])
    h.update(fs.readFileSync(path.join(RUNTIME, f)));
  h.update(fs.readFileSync(path.join(FIELD, "field.hpp")));
  return h.digest("hex").slice(0, 16);
}

/** The environment variable that forces the WebAssembly witness calculator (`wasm`). */
export const WITNESS_ENV = "ZKCLEAR_WITNESS";

/** Where a circuit's C++ calculator lives, from its WebAssembly calculator's path. */
export function nativeWitnessFiles(wasmPath: string): { dir: string; dat: string; exe: string } {
  const name = path.basename(wasmPath, ".wasm");
  const dir = path.join(path.dirname(path.dirname(wasmPath)), `${name}_cpp`);
  return { dir, dat: path.join(dir, `${name}.dat`), exe: path.join(dir, `${name}_witness`) };
}

/** The native calculator for this .wasm, if it was built and is not switched off. */
export function nativeWitnessFor(wasmPath: string): { dat: string; exe: string } | undefined {
  if (process.env[WITNESS_ENV] === "wasm") return undefined;
  const f = nativeWitnessFiles(wasmPath);
  return fs.existsSync(f.exe) && fs.existsSync(f.dat) ? f : undefined;
}

/** A failed assert in the circuit, from the native calculator (as WitnessError's input). */
export interface AssertFailure {
  readonly message: string;
  readonly templates: string[];
}

export class NativeWitnessError extends ZkClearError {
  constructor(what: string) {
    super("WITNESS_NATIVE_FAILED", `native witness calculator: ${what}`);
  }
}

/** The calculator's input: every signal's values, flattened in order, 32 bytes each. */
export function encodeInputs(signals: Record<string, SignalValue>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const names = Object.keys(signals);
  parts.push(u32(names.length));
  for (const name of names) {
    const flat: string[] = [];
    const walk = (v: SignalValue) => (Array.isArray(v) ? v.forEach(walk) : flat.push(v));
    walk(signals[name]!);
    const n = Buffer.from(name, "utf8");
    parts.push(u32(n.length), n, u32(flat.length));
    for (const v of flat) {
      let x = ((BigInt(v) % R) + R) % R;
      const b = Buffer.alloc(32);
      for (let i = 0; i < 32; i++, x >>= 8n) b[i] = Number(x & 0xffn);
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

let runs = 0;

/**
 * The witness (.wtns bytes) by the native calculator `exe`. A failed assert rejects with
 * an AssertFailure-shaped NativeWitnessError subclass via `onAssert`; any other failure
 * with a NativeWitnessError.
 */
export function calculateWtnsNative(
  files: { dat: string; exe: string },
  signals: Record<string, SignalValue>,
  onAssert: (f: AssertFailure) => Error,
): Promise<Uint8Array> {
  const out = path.join(os.tmpdir(), `zkclear-wtns-${process.pid}-${runs++}.wtns`);
  return new Promise((resolve, reject) => {
    const child = spawn(files.exe, [files.dat, out], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.on("error", (e) => reject(new NativeWitnessError(e.message)));
    child.on("close", (code, signal) => {
      try {
        if (code === 0) {
          resolve(new Uint8Array(fs.readFileSync(out)));
          return;
        }
        const asserts = [
          ...stdout.matchAll(/Failed assert in template\/function (\w+) line (\d+)/g),
        ];
        if (asserts.length) {
          reject(onAssert({ message: stdout.trim(), templates: asserts.map((m) => m[1]!) }));
          return;
        }
        reject(new NativeWitnessError((stderr || stdout || `exit ${code ?? signal}`).trim()));
      } finally {
        fs.rmSync(out, { force: true });
      }
    });
    child.stdin.on("error", () => {}); // a calculator that exits early closes its input
    child.stdin.end(encodeInputs(signals));
  });
}

/**
 * Builds the native calculator of a circuit compiled with `--c` into `dir` (the generated
 * `<name>_cpp`): g++ on circom's generated code, its runtime and zkclear's field runtime.
 * Returns the seconds it took, or the reason it could not be built (the WebAssembly
 * calculator is then used).
 */
export function buildNativeWitness(wasmPath: string): { seconds: number } | { error: string } {
  const f = nativeWitnessFiles(wasmPath);
  const name = path.basename(wasmPath, ".wasm");
  const t0 = performance.now();
  const objs: string[] = [];
  const cxx = (src: string, obj: string, extra: string[] = []) => {
    objs.push(obj);
    // circom's generated objects are kept: a change of zkclear's runtime rebuilds only its own.
    if (
      src.startsWith(f.dir) &&
      fs.existsSync(obj) &&
      fs.statSync(obj).mtimeMs > fs.statSync(src).mtimeMs
    )
      return;
    const r = spawnSync(
      "g++",
      ["-std=c++17", "-O1", "-w", `-I${f.dir}`, ...extra, "-c", src, "-o", obj],
      { encoding: "utf8" },
    );
    if (r.status !== 0)
      throw new NativeWitnessError(
        `g++ ${path.basename(src)}: ${(r.stderr || r.error?.message || "").slice(0, 400)}`,
      );
  };
  try {
    cxx(path.join(f.dir, `${name}.cpp`), path.join(f.dir, `${name}.o`));
    cxx(path.join(f.dir, "calcwit.cpp"), path.join(f.dir, "calcwit.o"));
    cxx(path.join(f.dir, "fr.cpp"), path.join(f.dir, "fr.o"));
    cxx(path.join(RUNTIME, "fr_runtime.cpp"), path.join(f.dir, "fr_runtime.o"), [`-I${FIELD}`]);
    cxx(path.join(RUNTIME, "witness_main.cpp"), path.join(f.dir, "witness_main.o"));
    const tmp = `${f.exe}.tmp`;
    const link = spawnSync("g++", ["-o", tmp, ...objs, "-lgmp"], { encoding: "utf8" });
    if (link.status !== 0)
      throw new NativeWitnessError(`link: ${(link.stderr || "").slice(0, 400)}`);
    fs.renameSync(tmp, f.exe);
    return { seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
