// Minimal type declarations for the parts of ffjavascript 0.3.1 that zkclear uses
// (the wasm bn128 engine, its thread manager and the wasmbuilder plugin hook).
declare module "ffjavascript" {
  /** A parameter of a thread-manager CALL: a task variable (+ byte offset) or an i32 literal. */
  export type TaskParam = { var: number; offset?: number } | { val: number };

  /** One command of a thread-manager task (see ffjavascript/src/threadman_thread.js). */
  export type TaskCommand =
    | { cmd: "ALLOCSET"; var: number; buff: Uint8Array }
    | { cmd: "ALLOC"; var: number; len: number }
    | { cmd: "SET"; var: number; buff: Uint8Array }
    | { cmd: "CALL"; fnName: string; params: TaskParam[] }
    | { cmd: "GET"; out: number; var: number; len: number };

  /** Structural view of a WebAssembly.Memory (no DOM/wasm lib in this project). */
  export interface WasmMemory {
    readonly buffer: ArrayBuffer;
    grow(deltaPages: number): number;
  }

  export interface WasmInstance {
    readonly exports: Record<string, unknown>;
  }

  export interface ThreadManager {
    readonly concurrency: number;
    readonly singleThread: boolean;
    readonly memory: WasmMemory;
    readonly instance: WasmInstance;
    /** Views over `memory`; they must be refreshed by whoever grows the memory. */
    u8: Uint8Array;
    u32: Uint32Array;
    /** Pointers (inside `memory`) to the Jacobian Montgomery generators. */
    readonly pG1gen: number;
    readonly pG2gen: number;
    alloc(length: number): number;
    queueAction(task: TaskCommand[], transfers?: ArrayBuffer[]): Promise<Uint8Array[]>;
  }

  export interface WasmField {
    readonly n8: number;
    readonly p: bigint;
    /** Number of 2-adic roots of unity available (28 for bn128 Fr). */
    readonly s: number;
    /** w[k]: primitive 2^k-th root of unity, Montgomery form. */
    readonly w: Uint8Array[];
    e(value: bigint | number | string): Uint8Array;
    toObject(a: Uint8Array): bigint;
    fromObject(a: bigint): Uint8Array;
    mul(a: Uint8Array, b: Uint8Array): Uint8Array;
    neg(a: Uint8Array): Uint8Array;
    inv(a: Uint8Array): Uint8Array;
    random(): Uint8Array;
    /** The multiplicative generator, Montgomery form (the coset shift at the full 2-adicity). */
    readonly shift: Uint8Array;
    fft<T extends Uint8Array | BigBuffer>(
      a: T,
      inverse?: string,
      unused?: string,
      logger?: unknown,
      name?: string,
    ): Promise<T>;
    ifft<T extends Uint8Array | BigBuffer>(
      a: T,
      inverse?: string,
      unused?: string,
      logger?: unknown,
      name?: string,
    ): Promise<T>;
    /** a[i] * first * inc^i for every i. */
    batchApplyKey<T extends Uint8Array | BigBuffer>(
      a: T,
      first: Uint8Array,
      inc: Uint8Array,
    ): Promise<T>;
    eq(a: Uint8Array, b: Uint8Array): boolean;
  }

  export interface WasmCurveGroup {
    readonly g: Uint8Array;
    readonly zero: Uint8Array;
    readonly F: { readonly n8: number };
    timesFr(p: Uint8Array, s: Uint8Array): Uint8Array;
    timesScalar(p: Uint8Array, s: bigint | number): Uint8Array;
    toAffine(p: Uint8Array): Uint8Array;
    eq(a: Uint8Array, b: Uint8Array): boolean;
    add(a: Uint8Array, b: Uint8Array): Uint8Array;
    fromRprLEM(buff: Uint8Array, offset?: number): Uint8Array;
    toRprLEM(buff: Uint8Array, offset: number, p: Uint8Array): void;
    isZero(p: Uint8Array): boolean;
    toObject(p: Uint8Array): bigint[] | bigint[][];
    /** Sum of scalars[i] * bases[i] (affine Montgomery bases, standard-form scalars). */
    multiExpAffine(
      bases: Uint8Array | BigBuffer,
      scalars: Uint8Array | BigBuffer,
      logger?: unknown,
      name?: string,
    ): Promise<Uint8Array>;
  }

  export interface Bn128Curve {
    readonly name: string;
    readonly q: bigint;
    readonly r: bigint;
    readonly tm: ThreadManager;
    readonly Fr: WasmField;
    readonly G1: WasmCurveGroup;
    readonly G2: WasmCurveGroup;
    terminate(): Promise<void>;
  }

  /** wasmbuilder's CodeBuilder: every method returns wasm bytecode as a byte list. */
  export interface WasmCodeBuilder {
    getLocal(name: string): number[];
    setLocal(name: string, value: number[]): number[];
    i32_const(n: number): number[];
    i32_add(a: number[], b: number[]): number[];
    i32_sub(a: number[], b: number[]): number[];
    i32_mul(a: number[], b: number[]): number[];
    i32_eq(a: number[], b: number[]): number[];
    i32_and(a: number[], b: number[]): number[];
    i32_shr_u(a: number[], b: number[]): number[];
    i32_load8_u(addr: number[], offset?: number): number[];
    i32_load16_u(addr: number[], offset?: number): number[];
    call(fnName: string, ...args: number[][]): number[];
    if(cond: number[], thenCode: number[], elseCode?: number[]): number[];
    block(code: number[]): number[];
    loop(...code: number[][]): number[];
    br_if(depth: number, cond: number[]): number[];
    br(depth: number): number[];
  }

  export interface WasmFunctionBuilder {
    addParam(name: string, type: "i32" | "i64"): void;
    addLocal(name: string, type: "i32" | "i64", length?: number): void;
    addCode(...code: number[][]): void;
    getCodeBuilder(): WasmCodeBuilder;
  }

  /** wasmbuilder's ModuleBuilder, handed to `buildBn128` plugins before the module is built. */
  export interface WasmModuleBuilder {
    addFunction(name: string): WasmFunctionBuilder;
    exportFunction(name: string, exportName?: string): void;
  }

  /** A byte buffer in 1 GiB pages, for what a Uint8Array cannot hold. */
  export class BigBuffer {
    constructor(size: number);
    readonly byteLength: number;
    readonly buffers: Uint8Array[];
    slice(from?: number, to?: number): Uint8Array | BigBuffer;
    set(buff: Uint8Array | BigBuffer, offset?: number): void;
  }

  export const Scalar: {
    eq(a: bigint | number, b: bigint | number): boolean;
    fromRprLE(buff: Uint8Array, offset?: number, n8?: number): bigint;
  };

  export const utils: {
    stringifyBigInts(o: unknown): unknown;
  };

  export function buildBn128(
    singleThread?: boolean,
    plugins?: (moduleBuilder: WasmModuleBuilder) => void,
  ): Promise<Bn128Curve>;
}
