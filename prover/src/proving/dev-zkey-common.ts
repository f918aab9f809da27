/**
 * What the parts of the INSECURE development key generator share: bn128's two field orders and
 * element sizes, its typed error, the bump allocator over a single-threaded ffjavascript wasm
 * instance (scalars and fixed-base tables are computed in it), and byte helpers.
 */
import type { Bn128Curve } from "ffjavascript";
import { ZkClearError } from "../domain/errors.ts";

/** Scalar field order of bn128 (the r1cs prime). */
export const BN128_R =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** Base field order of bn128. */
export const BN128_Q =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;

export type DevZkeyErrorCode =
  | "R1CS_READ_FAILED"
  | "R1CS_MALFORMED"
  | "R1CS_WRONG_CURVE"
  | "R1CS_CUSTOM_GATES"
  | "CIRCUIT_TOO_LARGE"
  | "WASM_FAILURE"
  | "ZKEY_WRITE_FAILED";

/** Every failure of the dev key generator; `code` is stable, `message` says what to do. */
export class DevZkeyError extends ZkClearError {
  declare readonly code: DevZkeyErrorCode;
  constructor(code: DevZkeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export const N8 = 32; // bytes of an Fr element and of an Fq element
export const G1_AFFINE = 64;
export const G2_AFFINE = 128;

type WasmFn = (...args: number[]) => number;

/**
 * A bump allocator over the wasm memory of a single-threaded ffjavascript curve, sharing the
 * module's own free pointer (u32 at address 0), so wasm routines that take scratch space from the
 * free pointer (batchInverse, batchToAffine) do not clobber our data. Keeps `slack` bytes mapped
 * beyond the free pointer for that scratch space.
 */
export class WasmArena {
  private readonly curve: Bn128Curve;
  private readonly fns = new Map<string, WasmFn>();

  constructor(curve: Bn128Curve) {
    this.curve = curve;
  }

  fn(name: string): WasmFn {
    let f = this.fns.get(name);
    if (!f) {
      const candidate = this.curve.tm.instance.exports[name];
      if (typeof candidate !== "function") {
        throw new DevZkeyError("WASM_FAILURE", `wasm export ${name} missing`);
      }
      f = candidate as WasmFn;
      this.fns.set(name, f);
    }
    return f;
  }

  get u8(): Uint8Array {
    this.refresh();
    return this.curve.tm.u8;
  }

  get buffer(): ArrayBuffer {
    return this.curve.tm.memory.buffer;
  }

  get pG1gen(): number {
    return this.curve.tm.pG1gen;
  }

  get pG2gen(): number {
    return this.curve.tm.pG2gen;
  }

  rootOfUnity(power: number): Uint8Array {
    return this.curve.Fr.w[power]!;
  }

  /** Allocates `len` zeroed bytes (8-aligned) and guarantees `slack` bytes of scratch after. */
  alloc(len: number, slack = 1 << 20): number {
    this.refresh();
    const u32 = this.curve.tm.u32;
    const p = (u32[0]! + 7) & ~7;
    const end = p + len;
    if (end + slack > 0x7fff0000) {
      throw new DevZkeyError("WASM_FAILURE", "circuit too large for the 2 GiB wasm field arena");
    }
    this.ensure(end + slack);
    this.curve.tm.u32[0] = end;
    this.curve.tm.u8.fill(0, p, end);
    return p;
  }

  /** Guarantees `bytes` of scratch space beyond the current free pointer. */
  scratch(bytes: number): void {
    this.refresh();
    this.ensure(this.curve.tm.u32[0]! + bytes);
  }

  /** Copies bytes into a fresh allocation. */
  put(bytes: Uint8Array): number {
    const p = this.alloc(bytes.byteLength);
    this.u8.set(bytes, p);
    return p;
  }

  /** Copies `len` bytes out of wasm memory. */
  get(p: number, len: number): Uint8Array {
    return this.u8.slice(p, p + len);
  }

  /** Stores x (< r) as a Montgomery Fr element at a fresh allocation. */
  putFr(x: bigint): number {
    const p = this.put(bigIntToBytesLE(x, N8));
    this.fn("frm_toMontgomery")(p, p);
    return p;
  }

  private ensure(bytes: number): void {
    const mem = this.curve.tm.memory;
    if (bytes > mem.buffer.byteLength) {
      const pages = Math.ceil((bytes - mem.buffer.byteLength) / 65536);
      mem.grow(pages);
      this.refresh();
    }
  }

  private refresh(): void {
    const tm = this.curve.tm;
    if (tm.u8.buffer !== tm.memory.buffer || tm.u8.byteLength === 0) {
      tm.u8 = new Uint8Array(tm.memory.buffer);
      tm.u32 = new Uint32Array(tm.memory.buffer);
    }
  }
}

export function u32le(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, true);
  return b;
}

export function u32be(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, false);
  return b;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((acc, p) => acc + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

export function bigIntToBytesLE(x: bigint, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let v = x;
  for (let i = 0; i < len; i++) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

export function bytesToBigIntLE(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.byteLength - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
