/**
 * INSECURE development Groth16 key generator (bn128) that writes a finished snarkjs 0.7.6 `.zkey`.
 *
 * !!! INSECURE BY CONSTRUCTION !!!
 * The toxic waste (tau, alpha, beta, gamma, delta) is sampled by this process, in this process's
 * memory. Whoever ran it (or can read its memory, or knows the `entropy` passed in) can forge
 * proofs for the circuit. Use these keys only for development, tests and benchmarks. Production
 * keys come from a real phase-1 ceremony plus phase-2 contributions: see `ceremony.ts`.
 *
 * Why this exists: snarkjs's own path (`powersoftau prepare phase2` + `zkey new`) costs about
 * 35 min at 2^16 and hours at 2^20 on a 2-core machine. Knowing the toxic waste we can compute the
 * proving key directly: all the scalars first (Lagrange basis at tau, sparse QAP products, batch
 * inversions, in Fr, in wasm), then one fixed-base scalar multiplication per key point (12-bit
 * windows over a precomputed table, a small wasm function added to ffjavascript's bn128 module as a
 * plugin, run in ffjavascript's worker threads).
 *
 * Output format, exactly as snarkjs zkey_new.js + zkey_contribute.js lay it out:
 *   file     "zkey", u32 version 1, u32 nSections 10, then sections in snarkjs's write order
 *            1, 2, 4, 3, 9, 8, 5, 6, 7, 10, each `u32 id, u64 size, data`.
 *   1        u32 1 (groth16)
 *   2        n8q, q, n8r, r, nVars, nPublic, domainSize, alpha1, beta1, beta2, gamma2, delta1, delta2
 *   4        u32 count, then (u32 matrix 0=A|1=B, u32 constraint, u32 signal, 32-byte coef * R^2 mod r)
 *            for every A and B term in file order, plus (0, nConstraints+s, s, 1*R^2) for s<=nPublic
 *   3        IC_s  = (beta*A_s(tau) + alpha*B_s(tau) + C_s(tau)) / gamma * G1,  s <= nPublic
 *   9        H_i   = L^{(2n)}_{2i+1}(tau) / delta * G1, i < n   (odd points of the 2n domain)
 *   8        C_s   = (beta*A_s(tau) + alpha*B_s(tau) + C_s(tau)) / delta * G1, s > nPublic
 *   5,6,7    A_s(tau)*G1, B_s(tau)*G1, B_s(tau)*G2 for every signal
 *   10       csHash (64 bytes) + u32 0 contributions
 * Points are affine, coordinates little-endian Montgomery ("LEM"), zero point = all zero bytes.
 * A_s(X) = sum_j a_js L_j(X) over the size-n domain, L_j(tau) = (tau^n - 1)/n * w^j/(tau - w^j).
 *
 * csHash is computed as zkey_new would compute it from a powers-of-tau file holding our tau, alpha
 * and beta, i.e. over the key *before* any contribution (gamma = delta = 1): IC and C undivided,
 * and the H part over tau^i*(tau^n - 1)*G1, i < n-1, as zkey_new hashes it. That costs an extra
 * nVars + n G1 multiplications, ~1/3 of the run time, but gives a meaningful circuit hash.
 */
import { modInv, modPow } from "../domain/field.ts";
import { ZkClearError } from "../domain/errors.ts";
import { createHash, randomBytes } from "node:crypto";
import { open, readFile, rename, rm, mkdir, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import {
  buildBn128,
  type Bn128Curve,
  type TaskCommand,
  type WasmModuleBuilder,
} from "ffjavascript";
import { readR1cs } from "r1csfile";

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

export interface DevZkeyOptions {
  r1csPath: string;
  /** Output path, chosen by the caller (prefer a name containing "insecure"). */
  zkeyPath: string;
  /**
   * Seed for the toxic waste. If given, the key is a deterministic function of it (reproducible,
   * and anyone holding the seed can forge proofs). If omitted, 64 bytes from crypto.randomBytes.
   */
  entropy?: Uint8Array;
  log?: (msg: string) => void;
}

export interface DevZkeyInfo {
  /** Always true: a reminder for whoever reads this record. */
  insecure: true;
  zkeyPath: string;
  nConstraints: number;
  nVars: number;
  nPublic: number;
  /** Entries of the coefficient section (A and B terms plus nPublic+1 extra rows). */
  nCoefficients: number;
  domainSize: number;
  power: number;
  /** zkey_new-compatible circuit hash, hex (128 chars). */
  csHash: string;
  seconds: number;
}

/** The secret scalars of a Groth16 setup. Knowing them breaks soundness. */
export interface InsecureToxicWaste {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
  gamma: bigint;
  delta: bigint;
}

const N8 = 32; // bytes of an Fr element and of an Fq element
const G1_AFFINE = 64;
const G2_AFFINE = 128;
const WINDOW_BITS = 12; // fixed-base window width
const WINDOWS = Math.ceil(256 / WINDOW_BITS); // 22 windows cover a 256-bit scalar
const WINDOW_ENTRIES = 2 ** WINDOW_BITS - 1; // d = 1..4095 (d = 0 adds nothing)
const COEF_SIZE = 12 + N8;
const MAX_POWER = 27; // H needs the 2n-th root of unity; Fr has 2-adicity 28
const TOXIC_TAG = "zkclear/insecure-dev-zkey/v1";

/**
 * Derives the toxic waste from a seed, deterministically (SHA-512 of tag|label|counter|seed,
 * reduced mod r; zero is rejected, and tau is rejected if it is a 2^28-th root of unity, which
 * would put it on an evaluation domain). INSECURE: exported for tests and debugging only; the
 * result is exactly what `generateDevZkey` uses for the same `entropy`.
 */
export function deriveInsecureToxicWaste(entropy: Uint8Array): InsecureToxicWaste {
  const draw = (label: string, reject: (x: bigint) => boolean): bigint => {
    for (let counter = 0; ; counter++) {
      const ctr = Buffer.alloc(4);
      ctr.writeUInt32BE(counter);
      const digest = createHash("sha512")
        .update(TOXIC_TAG)
        .update(label)
        .update(ctr)
        .update(entropy)
        .digest();
      const x = bytesToBigIntLE(digest) % BN128_R;
      if (x !== 0n && !reject(x)) return x;
    }
  };
  const none = (): boolean => false;
  return {
    tau: draw("tau", (x) => modPow(x, 1n << 28n, BN128_R) === 1n),
    alpha: draw("alpha", none),
    beta: draw("beta", none),
    gamma: draw("gamma", none),
    delta: draw("delta", none),
  };
}

/**
 * log2 of the Groth16 domain snarkjs's zkey_new uses: the smallest 2^k strictly greater than
 * nConstraints + nPublic (room for the nPublic+1 extra rows zkey_new appends). A ceremony ptau
 * must have at least this power.
 */
export function requiredDomainPower(nConstraints: number, nPublic: number): number {
  return floorLog2(nConstraints + nPublic) + 1;
}

/**
 * Generates an INSECURE Groth16 proving key for `r1csPath` and writes it to `zkeyPath` in snarkjs
 * 0.7.6's zkey format (usable by groth16.prove/fullProve and zKey.exportVerificationKey). INSECURE
 * because the toxic waste is sampled locally (see the file header). The file is written to a
 * temporary name next to `zkeyPath` and renamed when complete.
 */
export async function generateDevZkey(opts: DevZkeyOptions): Promise<DevZkeyInfo> {
  const started = performance.now();
  const log = opts.log ?? ((): void => undefined);
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)}s`;

  log(
    "INSECURE development Groth16 key: the toxic waste is generated on this machine, so its " +
      "holder can forge proofs. Never deploy this key.",
  );

  const r1cs = await loadR1cs(opts.r1csPath);
  const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
  const power = requiredDomainPower(r1cs.nConstraints, nPublic);
  if (power > MAX_POWER) {
    throw new DevZkeyError(
      "CIRCUIT_TOO_LARGE",
      `circuit needs a 2^${power} domain; this generator supports up to 2^${MAX_POWER}`,
    );
  }
  const domainSize = 2 ** power;
  log(
    `INSECURE dev zkey: ${r1cs.nConstraints} constraints, ${r1cs.nVars} wires, ` +
      `${nPublic} public, domain 2^${power}`,
  );

  const waste = deriveInsecureToxicWaste(opts.entropy ?? randomBytes(64));

  const arenaCurve = await buildBn128(true);
  const arena = new WasmArena(arenaCurve);

  // ffjavascript caches one multi-threaded bn128 curve in a global and would hand that one back
  // (without our plugin). Park the cached one, build ours, and put the old one back at the end.
  const globalCache = globalThis as { curve_bn128?: unknown };
  const parked = globalCache.curve_bn128;
  globalCache.curve_bn128 = null;
  let pool: Bn128Curve | undefined;
  const tmpPath = `${opts.zkeyPath}.insecure-partial`;
  try {
    pool = await buildBn128(false, installFixedBasePlugin);

    const wasmStep = <T>(what: string, f: () => T): T => {
      try {
        return f();
      } catch (err) {
        if (err instanceof DevZkeyError) throw err;
        throw new DevZkeyError("WASM_FAILURE", `${what} failed: ${errorMessage(err)}`, {
          cause: err,
        });
      }
    };
    const scalars = wasmStep("computing the key scalars", () =>
      computeScalars(arena, r1cs, nPublic, power, waste),
    );
    log(`INSECURE dev zkey: field scalars ready (${elapsed()})`);

    const tables = wasmStep("building the fixed-base tables", () => ({
      G1: buildFixedBaseTable(arena, "G1"),
      G2: buildFixedBaseTable(arena, "G2"),
    }));
    const header = wasmStep("computing the header points", () => computeHeaderPoints(arena, waste));

    // Queue every multiplication now; the workers drain the queue in this (hash) order while we
    // write and hash the results as they complete.
    const pending = {
      ic: runPointJob(pool, tables, "G1", scalars.ic, { lem: true, u: false }),
      icHash: runPointJob(pool, tables, "G1", scalars.icUndivided, { lem: false, u: true }),
      h: runPointJob(pool, tables, "G1", scalars.h, { lem: true, u: false }),
      hHash: runPointJob(pool, tables, "G1", scalars.hMonomial, { lem: false, u: true }),
      c: runPointJob(pool, tables, "G1", scalars.c, { lem: true, u: false }),
      cHash: runPointJob(pool, tables, "G1", scalars.cUndivided, { lem: false, u: true }),
      a: runPointJob(pool, tables, "G1", scalars.a, { lem: true, u: true }),
      b1: runPointJob(pool, tables, "G1", scalars.b, { lem: true, u: true }),
      b2: runPointJob(pool, tables, "G2", scalars.b, { lem: true, u: true }),
    };
    // Avoid unhandled-rejection noise if we bail out before awaiting some of them.
    for (const p of Object.values(pending)) p.catch(() => undefined);

    const nPrivate = r1cs.nVars - nPublic - 1;
    const csHasher = createHash("blake2b512");
    csHasher.update(header.alpha1U);
    csHasher.update(header.beta1U);
    csHasher.update(header.beta2U);
    csHasher.update(header.g2U); // gamma2 before contributions
    csHasher.update(header.g1U); // delta1 before contributions
    csHasher.update(header.g2U); // delta2 before contributions

    let out: SequentialWriter;
    try {
      await mkdir(dirname(opts.zkeyPath), { recursive: true });
      out = await SequentialWriter.create(tmpPath);
    } catch (err) {
      throw new DevZkeyError(
        "ZKEY_WRITE_FAILED",
        `cannot create ${tmpPath}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    try {
      await out.write(binFileHeader("zkey", 1, 10));
      await out.write(sectionHeader(1, 4));
      await out.write(u32le(1));
      const sec2 = groth16HeaderSection(r1cs.nVars, nPublic, domainSize, header);
      await out.write(sectionHeader(2, sec2.byteLength));
      await out.write(sec2);
      await out.write(sectionHeader(4, scalars.coefficients.byteLength));
      await out.write(scalars.coefficients);

      const writePoints = async (
        id: number,
        count: number,
        size: number,
        chunks: Promise<PointChunk[]>,
      ): Promise<void> => {
        await out.write(sectionHeader(id, count * size));
        for (const chunk of await chunks) if (chunk.lem) await out.write(chunk.lem);
      };
      const hashPoints = async (count: number, chunks: Promise<PointChunk[]>): Promise<void> => {
        csHasher.update(u32be(count));
        for (const chunk of await chunks) if (chunk.u) csHasher.update(chunk.u);
      };

      await writePoints(3, nPublic + 1, G1_AFFINE, pending.ic);
      await hashPoints(nPublic + 1, pending.icHash);
      log(`INSECURE dev zkey: IC done (${elapsed()})`);
      await writePoints(9, domainSize, G1_AFFINE, pending.h);
      await hashPoints(domainSize - 1, pending.hHash);
      log(`INSECURE dev zkey: H done (${elapsed()})`);
      await writePoints(8, nPrivate, G1_AFFINE, pending.c);
      await hashPoints(nPrivate, pending.cHash);
      log(`INSECURE dev zkey: C done (${elapsed()})`);
      await writePoints(5, r1cs.nVars, G1_AFFINE, pending.a);
      await hashPoints(r1cs.nVars, pending.a);
      log(`INSECURE dev zkey: A done (${elapsed()})`);
      await writePoints(6, r1cs.nVars, G1_AFFINE, pending.b1);
      await hashPoints(r1cs.nVars, pending.b1);
      log(`INSECURE dev zkey: B1 done (${elapsed()})`);
      await writePoints(7, r1cs.nVars, G2_AFFINE, pending.b2);
      await hashPoints(r1cs.nVars, pending.b2);
      log(`INSECURE dev zkey: B2 done (${elapsed()})`);

      const csHash = csHasher.digest();
      await out.write(sectionHeader(10, 64 + 4));
      await out.write(csHash);
      await out.write(u32le(0));

      const expected = expectedZkeySize(r1cs.nVars, nPublic, domainSize, sec2.byteLength, scalars);
      if (out.position !== expected) {
        throw new DevZkeyError(
          "ZKEY_WRITE_FAILED",
          `internal error: wrote ${out.position} bytes, expected ${expected}`,
        );
      }
      await out.close();
      await rename(tmpPath, opts.zkeyPath);

      const seconds = (performance.now() - started) / 1000;
      log(
        `INSECURE development zkey written to ${opts.zkeyPath} in ${seconds.toFixed(1)}s ` +
          "(toxic waste known to this machine: never use in production)",
      );
      return {
        insecure: true,
        zkeyPath: opts.zkeyPath,
        nConstraints: r1cs.nConstraints,
        nVars: r1cs.nVars,
        nPublic,
        nCoefficients: scalars.nCoefficients,
        domainSize,
        power,
        csHash: csHash.toString("hex"),
        seconds,
      };
    } catch (err) {
      await out.close().catch(() => undefined);
      await rm(tmpPath, { force: true }).catch(() => undefined);
      if (err instanceof DevZkeyError) throw err;
      throw new DevZkeyError(
        "ZKEY_WRITE_FAILED",
        `could not write ${opts.zkeyPath}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
  } finally {
    if (pool) await pool.terminate();
    globalCache.curve_bn128 = parked;
  }
}

// ---------------------------------------------------------------------------------------------
// R1CS

interface LoadedR1cs {
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nConstraints: number;
  /** Body of r1cs section 2 (constraints), in file order. */
  constraints: Uint8Array;
}

/**
 * Reads the r1cs header with r1csfile and the constraint section as raw bytes. The raw bytes keep
 * the file's term order (r1csfile's parsed linear combinations are objects keyed by signal, which
 * reorders them), and zkey_new writes the coefficient section in file order.
 */
async function loadR1cs(r1csPath: string): Promise<LoadedR1cs> {
  let file: Buffer;
  try {
    file = await readFile(r1csPath);
  } catch (err) {
    throw new DevZkeyError(
      "R1CS_READ_FAILED",
      `cannot read r1cs file ${r1csPath}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  // Validate the container first: r1csfile leaks its file handle when it rejects a file.
  const constraints = findUniqueSection(file, "r1cs", 2, r1csPath);
  findUniqueSection(file, "r1cs", 1, r1csPath);
  let header;
  try {
    header = await readR1cs(r1csPath, {
      loadConstraints: false,
      loadMap: false,
      loadCustomGates: false,
      getFieldFromPrime: (prime: bigint) => ({ prime }),
    });
  } catch (err) {
    throw new DevZkeyError(
      "R1CS_MALFORMED",
      `cannot parse r1cs header of ${r1csPath}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (header.prime !== BN128_R || header.n8 !== N8) {
    throw new DevZkeyError(
      "R1CS_WRONG_CURVE",
      `${r1csPath}: r1cs prime is not bn128's scalar field (compile with circom --prime bn128)`,
    );
  }
  if (header.useCustomGates) {
    throw new DevZkeyError(
      "R1CS_CUSTOM_GATES",
      `${r1csPath}: uses custom gates (PLONK only); Groth16 cannot handle them`,
    );
  }
  if (header.nVars < header.nOutputs + header.nPubInputs + 1) {
    throw new DevZkeyError(
      "R1CS_MALFORMED",
      `${r1csPath}: ${header.nVars} wires cannot hold ONE plus ` +
        `${header.nOutputs + header.nPubInputs} public signals`,
    );
  }
  return {
    nVars: header.nVars,
    nOutputs: header.nOutputs,
    nPubInputs: header.nPubInputs,
    nConstraints: header.nConstraints,
    constraints,
  };
}

/** Locates section `id` of an iden3 binary file ("magic, u32 version, u32 n, [u32 id, u64 len]"). */
function findUniqueSection(file: Uint8Array, magic: string, id: number, name: string): Uint8Array {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const malformed = (why: string): DevZkeyError =>
    new DevZkeyError("R1CS_MALFORMED", `${name}: ${why}`);
  if (file.byteLength < 12 || Buffer.from(file.subarray(0, 4)).toString("latin1") !== magic) {
    throw malformed(`not a ${magic} file`);
  }
  const nSections = dv.getUint32(8, true);
  let pos = 12;
  let found: Uint8Array | undefined;
  for (let i = 0; i < nSections; i++) {
    if (pos + 12 > file.byteLength) throw malformed("truncated section table");
    const type = dv.getUint32(pos, true);
    const size = dv.getUint32(pos + 4, true) + dv.getUint32(pos + 8, true) * 2 ** 32;
    pos += 12;
    if (pos + size > file.byteLength) throw malformed(`section ${type} runs past end of file`);
    if (type === id) {
      if (found) throw malformed(`duplicated section ${id}`);
      found = file.subarray(pos, pos + size);
    }
    pos += size;
  }
  if (!found) throw malformed(`missing section ${id}`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Field part: everything that is a scalar, computed in a private single-threaded wasm instance.

type WasmFn = (...args: number[]) => number;

/**
 * A bump allocator over the wasm memory of a single-threaded ffjavascript curve, sharing the
 * module's own free pointer (u32 at address 0), so wasm routines that take scratch space from the
 * free pointer (batchInverse, batchToAffine) do not clobber our data. Keeps `slack` bytes mapped
 * beyond the free pointer for that scratch space.
 */
class WasmArena {
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

interface DevScalars {
  /** Standard-form little-endian Fr scalars, 32 bytes each. */
  a: Uint8Array;
  b: Uint8Array;
  ic: Uint8Array;
  icUndivided: Uint8Array;
  c: Uint8Array;
  cUndivided: Uint8Array;
  h: Uint8Array;
  hMonomial: Uint8Array;
  /** The finished section 4 body (count + entries). */
  coefficients: Uint8Array;
  nCoefficients: number;
}

/**
 * Computes every scalar of the key. INSECURE: works directly with the toxic waste.
 *  - LR_j = L_j(tau) * R (Montgomery of L_j*R) for the rows used, so that multiplying a raw
 *    (standard-form) r1cs coefficient by it in Montgomery arithmetic yields Montgomery(coef*L_j);
 *  - A_s, B_s, C_s = sum over terms (one sparse pass over the raw constraint section, which also
 *    emits the coefficient section: raw coef * R^3 in Montgomery arithmetic = coef * R^2, the
 *    pre-scaled standard-form value snarkjs stores);
 *  - IC/C numerators beta*A + alpha*B + C, divided by gamma / delta;
 *  - H from the odd points of the 2n domain, and the monomial H used by the circuit hash.
 */
function computeScalars(
  arena: WasmArena,
  r1cs: LoadedR1cs,
  nPublic: number,
  power: number,
  waste: InsecureToxicWaste,
): DevScalars {
  const r = BN128_R;
  const n = 2 ** power;
  const nC = r1cs.nConstraints;
  const nVars = r1cs.nVars;
  const rows = nC + nPublic + 1; // Lagrange rows actually used
  const R = (1n << 256n) % r;

  const frMul = arena.fn("frm_mul");
  const frAdd = arena.fn("frm_add");
  const frSub = arena.fn("frm_sub");
  const frCopy = arena.fn("frm_copy");
  const frBatchInverse = arena.fn("frm_batchInverse");
  const frBatchFromMont = arena.fn("frm_batchFromMontgomery");

  const tauN = modPow(waste.tau, BigInt(n), r);
  const tau2N = (tauN * tauN) % r;
  const c1R = (((((tauN - 1n + r) % r) * modInv(BigInt(n), r)) % r) * R) % r;
  const c2 =
    (((((tau2N - 1n + r) % r) * modInv(BigInt(2 * n), r)) % r) * modInv(waste.delta, r)) % r;

  const pTau = arena.putFr(waste.tau);
  const pAlpha = arena.putFr(waste.alpha);
  const pBeta = arena.putFr(waste.beta);
  const pGammaInv = arena.putFr(modInv(waste.gamma, r));
  const pDeltaInv = arena.putFr(modInv(waste.delta, r));
  const pTauNm1 = arena.putFr((tauN - 1n + r) % r);
  const pC1R = arena.putFr(c1R);
  const pC2 = arena.putFr(c2);
  const pR3 = arena.put(bigIntToBytesLE((R * R * R) % r, N8)); // raw, not Montgomery
  const pRawOne = arena.put(bigIntToBytesLE(1n, N8)); // raw 1
  const pOmega = arena.put(arena.rootOfUnity(power));
  const pOmega2 = arena.put(arena.rootOfUnity(power + 1));
  const pW = arena.alloc(N8);
  const pT = arena.alloc(N8);

  // --- LR_j for j < rows -----------------------------------------------------------------
  const pLR = arena.alloc(rows * N8, (rows + 1) * N8 + (1 << 20));
  arena.fn("frm_one")(pW);
  for (let j = 0; j < rows; j++) {
    frSub(pTau, pW, pLR + j * N8);
    frMul(pW, pOmega, pW);
  }
  frBatchInverse(pLR, N8, rows, pLR, N8);
  arena.fn("frm_one")(pW);
  for (let j = 0; j < rows; j++) {
    const p = pLR + j * N8;
    frMul(p, pW, p);
    frMul(p, pC1R, p);
    frMul(pW, pOmega, pW);
  }

  // --- sparse pass -----------------------------------------------------------------------
  const sec = r1cs.constraints;
  const termSize = 4 + N8;
  const malformed = (why: string): DevZkeyError =>
    new DevZkeyError("R1CS_MALFORMED", `r1cs constraint section: ${why}`);
  // Pass 1 (JS only): validate and count A and B terms.
  let nAB = 0;
  {
    const dv = new DataView(sec.buffer, sec.byteOffset, sec.byteLength);
    let pos = 0;
    for (let c = 0; c < nC; c++) {
      for (let m = 0; m < 3; m++) {
        if (pos + 4 > sec.byteLength) throw malformed(`truncated at constraint ${c}`);
        const nT = dv.getUint32(pos, true);
        pos += 4;
        if (pos + nT * termSize > sec.byteLength) throw malformed(`truncated at constraint ${c}`);
        for (let t = 0; t < nT; t++) {
          if (dv.getUint32(pos + t * termSize, true) >= nVars) {
            throw malformed(`constraint ${c} references wire beyond nVars=${nVars}`);
          }
        }
        if (m < 2) nAB += nT;
        pos += nT * termSize;
      }
    }
    if (pos !== sec.byteLength) throw malformed("trailing bytes after the last constraint");
  }
  const nCoefficients = nAB + nPublic + 1;
  const coefficients = new Uint8Array(4 + nCoefficients * COEF_SIZE);
  const coefView = new DataView(coefficients.buffer);
  coefView.setUint32(0, nCoefficients, true);

  const pA = arena.alloc(nVars * N8);
  const pB = arena.alloc(nVars * N8);
  const pC = arena.alloc(nVars * N8);
  const pSec = arena.put(sec);
  const pCoef = arena.alloc(N8);
  {
    const acc = [pA, pB, pC];
    const mem = arena.u8; // no allocation below: the view stays valid
    const dv = new DataView(arena.buffer, pSec, sec.byteLength);
    let pos = 0;
    let o = 4;
    for (let c = 0; c < nC; c++) {
      const pL = pLR + c * N8;
      for (let m = 0; m < 3; m++) {
        const nT = dv.getUint32(pos, true);
        pos += 4;
        const pAcc = acc[m]!;
        for (let t = 0; t < nT; t++) {
          const s = dv.getUint32(pos, true);
          const pRaw = pSec + pos + 4;
          const pDst = pAcc + s * N8;
          frMul(pRaw, pL, pT);
          frAdd(pDst, pT, pDst);
          if (m < 2) {
            coefView.setUint32(o, m, true);
            coefView.setUint32(o + 4, c, true);
            coefView.setUint32(o + 8, s, true);
            frMul(pRaw, pR3, pCoef);
            coefficients.set(mem.subarray(pCoef, pCoef + N8), o + 12);
            o += COEF_SIZE;
          }
          pos += termSize;
        }
      }
    }
    // zkey_new's extra rows: A_s += L_{nC+s}, coefficient 1, for s = 0..nPublic.
    frMul(pRawOne, pR3, pCoef);
    const oneR2 = mem.slice(pCoef, pCoef + N8);
    for (let s = 0; s <= nPublic; s++) {
      const pDst = pA + s * N8;
      frMul(pRawOne, pLR + (nC + s) * N8, pT);
      frAdd(pDst, pT, pDst);
      coefView.setUint32(o, 0, true);
      coefView.setUint32(o + 4, nC + s, true);
      coefView.setUint32(o + 8, s, true);
      coefficients.set(oneR2, o + 12);
      o += COEF_SIZE;
    }
    if (o !== coefficients.byteLength) throw malformed("internal count mismatch");
  }

  // --- K_s = beta*A_s + alpha*B_s + C_s (in place in C) -----------------------------------
  for (let s = 0; s < nVars; s++) {
    const pK = pC + s * N8;
    frMul(pBeta, pA + s * N8, pT);
    frAdd(pK, pT, pK);
    frMul(pAlpha, pB + s * N8, pT);
    frAdd(pK, pT, pK);
  }

  const pOut = arena.alloc(Math.max(nVars, n) * N8);
  const exportStd = (pSrc: number, count: number): Uint8Array => {
    if (count === 0) return new Uint8Array(0);
    frBatchFromMont(pSrc, count, pOut);
    return arena.get(pOut, count * N8);
  };
  const a = exportStd(pA, nVars);
  const b = exportStd(pB, nVars);
  const icUndivided = exportStd(pC, nPublic + 1);
  const cUndivided = exportStd(pC + (nPublic + 1) * N8, nVars - nPublic - 1);
  for (let s = 0; s < nVars; s++) {
    const pK = pC + s * N8;
    frMul(pK, s <= nPublic ? pGammaInv : pDeltaInv, pK);
  }
  const ic = exportStd(pC, nPublic + 1);
  const c = exportStd(pC + (nPublic + 1) * N8, nVars - nPublic - 1);

  // --- H_i = (tau^2n - 1)/(2n)/delta * u_i/(tau - u_i), u_i = w2n^(2i+1) --------------------
  const pH = pA; // A no longer needed; reuse if large enough
  const pHbuf = n <= nVars ? pH : arena.alloc(n * N8, (n + 1) * N8 + (1 << 20));
  arena.scratch((n + 1) * N8 + (1 << 20));
  frCopy(pOmega2, pW);
  for (let i = 0; i < n; i++) {
    frSub(pTau, pW, pHbuf + i * N8);
    frMul(pW, pOmega, pW);
  }
  frBatchInverse(pHbuf, N8, n, pHbuf, N8);
  frCopy(pOmega2, pW);
  for (let i = 0; i < n; i++) {
    const p = pHbuf + i * N8;
    frMul(p, pW, p);
    frMul(p, pC2, p);
    frMul(pW, pOmega, pW);
  }
  const h = exportStd(pHbuf, n);

  // --- circuit-hash H: tau^i * (tau^n - 1), i < n-1 ----------------------------------------
  frCopy(pTauNm1, pW);
  for (let i = 0; i < n - 1; i++) {
    frCopy(pW, pHbuf + i * N8);
    frMul(pW, pTau, pW);
  }
  const hMonomial = exportStd(pHbuf, n - 1);

  return { a, b, ic, icUndivided, c, cUndivided, h, hMonomial, coefficients, nCoefficients };
}

// ---------------------------------------------------------------------------------------------
// Group part

type Group = "G1" | "G2";
const GROUP = {
  G1: { prefix: "g1m", n8: N8, affine: G1_AFFINE, chunk: 8192 },
  G2: { prefix: "g2m", n8: 2 * N8, affine: G2_AFFINE, chunk: 4096 },
} as const;
const fixedBaseFn = (g: Group): string => `zkclear_${GROUP[g].prefix}_fixedBaseMul`;

/**
 * ffjavascript plugin: adds `zkclear_g{1,2}m_fixedBaseMul(pTable, pScalars, n, pOut)` to the bn128
 * wasm module. For each of the n scalars (32-byte standard-form little-endian) it writes the
 * Jacobian point sum_k T[k][d_k - 1] to pOut, d_k being the k-th 12-bit digit of the scalar and
 * T[k][d-1] = d * 2^(12k) * G an affine table of 22 x 4095 points: 22 mixed additions per scalar
 * instead of ~380 double-and-add steps. The window loop is unrolled (constant offsets/masks).
 */
function installFixedBasePlugin(mb: WasmModuleBuilder): void {
  for (const g of ["G1", "G2"] as const) {
    const { prefix, n8, affine } = GROUP[g];
    const name = fixedBaseFn(g);
    const f = mb.addFunction(name);
    f.addParam("pTable", "i32");
    f.addParam("pScalars", "i32");
    f.addParam("n", "i32");
    f.addParam("pOut", "i32");
    f.addLocal("i", "i32");
    f.addLocal("d", "i32");
    f.addLocal("pS", "i32");
    f.addLocal("pR", "i32");
    const c = f.getCodeBuilder();
    const windows: number[][] = [];
    for (let k = 0; k < WINDOWS; k++) {
      const bit = k * WINDOW_BITS;
      const validBits = Math.min(WINDOW_BITS, 256 - bit); // the last window is short
      windows.push(
        c.setLocal(
          "d",
          c.i32_and(
            c.i32_shr_u(c.i32_load16_u(c.getLocal("pS"), bit >> 3), c.i32_const(bit & 7)),
            c.i32_const(2 ** validBits - 1),
          ),
        ),
        c.if(
          c.getLocal("d"),
          c.call(
            `${prefix}_addMixed`,
            c.getLocal("pR"),
            c.i32_add(
              c.getLocal("pTable"),
              c.i32_add(
                c.i32_const((k * WINDOW_ENTRIES - 1) * affine),
                c.i32_mul(c.getLocal("d"), c.i32_const(affine)),
              ),
            ),
            c.getLocal("pR"),
          ),
        ),
      );
    }
    f.addCode(
      c.setLocal("pS", c.getLocal("pScalars")),
      c.setLocal("pR", c.getLocal("pOut")),
      c.setLocal("i", c.i32_const(0)),
      c.block(
        c.loop(
          c.br_if(1, c.i32_eq(c.getLocal("i"), c.getLocal("n"))),
          c.call(`${prefix}_zero`, c.getLocal("pR")),
          ...windows,
          c.setLocal("pS", c.i32_add(c.getLocal("pS"), c.i32_const(N8))),
          c.setLocal("pR", c.i32_add(c.getLocal("pR"), c.i32_const(3 * n8))),
          c.setLocal("i", c.i32_add(c.getLocal("i"), c.i32_const(1))),
          c.br(0),
        ),
      ),
    );
    mb.exportFunction(name);
  }
}

/**
 * Builds the affine LEM table T[k][d-1] = d * 2^(12k) * G (22 x 4095 points) for G1 or G2. The
 * window digit loads read 2 bytes, so the last scalar of a buffer may read one byte past it; that
 * byte is masked off (scalars are < 2^256, the last window has 4 valid bits).
 */
function buildFixedBaseTable(arena: WasmArena, g: Group): Uint8Array {
  const { prefix, n8, affine } = GROUP[g];
  const jac = 3 * n8;
  const count = WINDOWS * WINDOW_ENTRIES;
  const copy = arena.fn(`${prefix}_copy`);
  const add = arena.fn(`${prefix}_add`);
  const dbl = arena.fn(`${prefix}_double`);
  // batchToAffine takes n*n8 scratch and its batchInverse (n+1)*n8 more.
  const pTable = arena.alloc(count * jac, 2 * (count + 1) * n8 + (1 << 20));
  const pBase = arena.alloc(jac);
  copy(g === "G1" ? arena.pG1gen : arena.pG2gen, pBase);
  for (let k = 0; k < WINDOWS; k++) {
    const row = pTable + k * WINDOW_ENTRIES * jac;
    copy(pBase, row);
    dbl(pBase, row + jac);
    for (let d = 3; d <= WINDOW_ENTRIES; d++) add(row + (d - 2) * jac, pBase, row + (d - 1) * jac);
    for (let i = 0; i < WINDOW_BITS; i++) dbl(pBase, pBase);
  }
  arena.fn(`${prefix}_batchToAffine`)(pTable, count, pTable);
  return arena.get(pTable, count * affine);
}

interface HeaderPoints {
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  gamma2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
  alpha1U: Uint8Array;
  beta1U: Uint8Array;
  beta2U: Uint8Array;
  g1U: Uint8Array;
  g2U: Uint8Array;
}

/** alpha*G1, beta*G1, beta*G2, gamma*G2, delta*G1, delta*G2 (LEM), plus uncompressed forms to hash. */
function computeHeaderPoints(arena: WasmArena, waste: InsecureToxicWaste): HeaderPoints {
  const mul = (g: Group, x: bigint): Uint8Array => {
    const { prefix, n8, affine } = GROUP[g];
    const pGen = arena.alloc(affine);
    arena.fn(`${prefix}_toAffine`)(g === "G1" ? arena.pG1gen : arena.pG2gen, pGen);
    const pS = arena.put(bigIntToBytesLE(x, N8));
    const pJ = arena.alloc(3 * n8);
    const pA = arena.alloc(affine);
    arena.fn(`${prefix}_timesScalarAffine`)(pGen, pS, N8, pJ);
    arena.fn(`${prefix}_toAffine`)(pJ, pA);
    return arena.get(pA, affine);
  };
  const toU = (g: Group, lem: Uint8Array): Uint8Array => {
    const { prefix, affine } = GROUP[g];
    const p = arena.put(lem);
    arena.fn(`${prefix}_LEMtoU`)(p, p);
    return arena.get(p, affine);
  };
  const alpha1 = mul("G1", waste.alpha);
  const beta1 = mul("G1", waste.beta);
  const beta2 = mul("G2", waste.beta);
  return {
    alpha1,
    beta1,
    beta2,
    gamma2: mul("G2", waste.gamma),
    delta1: mul("G1", waste.delta),
    delta2: mul("G2", waste.delta),
    alpha1U: toU("G1", alpha1),
    beta1U: toU("G1", beta1),
    beta2U: toU("G2", beta2),
    g1U: toU("G1", mul("G1", 1n)),
    g2U: toU("G2", mul("G2", 1n)),
  };
}

interface PointChunk {
  /** Affine LEM points (file form). */
  lem?: Uint8Array;
  /** Affine uncompressed big-endian points (hash form). */
  u?: Uint8Array;
}

/**
 * Multiplies the fixed generator of `g` by every scalar (32-byte standard form) in worker threads,
 * chunked; resolves to the chunks in input order.
 */
function runPointJob(
  pool: Bn128Curve,
  tables: Record<Group, Uint8Array>,
  g: Group,
  scalars: Uint8Array,
  want: { lem: boolean; u: boolean },
): Promise<PointChunk[]> {
  const { prefix, n8, affine, chunk: maxChunk } = GROUP[g];
  const count = scalars.byteLength / N8;
  const concurrency = Math.max(1, pool.tm.concurrency);
  const chunk = Math.max(64, Math.min(maxChunk, Math.ceil(count / (concurrency * 4))));
  const jobs: Promise<PointChunk>[] = [];
  for (let start = 0; start < count; start += chunk) {
    const cnt = Math.min(chunk, count - start);
    const part = scalars.slice(start * N8, (start + cnt) * N8);
    const task: TaskCommand[] = [
      { cmd: "ALLOCSET", var: 0, buff: tables[g] },
      { cmd: "ALLOCSET", var: 1, buff: part },
      // The worker's ALLOC also maps `len` bytes past the allocation: batchToAffine's scratch
      // (2*(cnt+1)*n8) must fit there.
      { cmd: "ALLOC", var: 2, len: cnt * 3 * n8 + 4 * n8 + 4096 },
      {
        cmd: "CALL",
        fnName: fixedBaseFn(g),
        params: [{ var: 0 }, { var: 1 }, { val: cnt }, { var: 2 }],
      },
      {
        cmd: "CALL",
        fnName: `${prefix}_batchToAffine`,
        params: [{ var: 2 }, { val: cnt }, { var: 2 }],
      },
    ];
    if (want.lem) task.push({ cmd: "GET", out: 0, var: 2, len: cnt * affine });
    if (want.u) {
      task.push({
        cmd: "CALL",
        fnName: `${prefix}_batchLEMtoU`,
        params: [{ var: 2 }, { val: cnt }, { var: 2 }],
      });
      task.push({ cmd: "GET", out: 1, var: 2, len: cnt * affine });
    }
    jobs.push(
      pool.tm.queueAction(task, [part.buffer as ArrayBuffer]).then((res) => {
        const out: PointChunk = {};
        if (want.lem) out.lem = res[0];
        if (want.u) out.u = res[1];
        return out;
      }),
    );
  }
  return Promise.all(jobs);
}

// ---------------------------------------------------------------------------------------------
// Output file

function groth16HeaderSection(
  nVars: number,
  nPublic: number,
  domainSize: number,
  h: HeaderPoints,
): Uint8Array {
  return concatBytes([
    u32le(N8),
    bigIntToBytesLE(BN128_Q, N8),
    u32le(N8),
    bigIntToBytesLE(BN128_R, N8),
    u32le(nVars),
    u32le(nPublic),
    u32le(domainSize),
    h.alpha1,
    h.beta1,
    h.beta2,
    h.gamma2,
    h.delta1,
    h.delta2,
  ]);
}

function expectedZkeySize(
  nVars: number,
  nPublic: number,
  domainSize: number,
  headerSize: number,
  scalars: DevScalars,
): number {
  const sections = [
    4,
    headerSize,
    scalars.coefficients.byteLength,
    (nPublic + 1) * G1_AFFINE,
    domainSize * G1_AFFINE,
    (nVars - nPublic - 1) * G1_AFFINE,
    nVars * G1_AFFINE,
    nVars * G1_AFFINE,
    nVars * G2_AFFINE,
    68,
  ];
  return 12 + sections.reduce((acc, s) => acc + 12 + s, 0);
}

/** Appends buffers to a file in order, tracking the position. */
class SequentialWriter {
  position = 0;
  private constructor(private readonly fh: FileHandle) {}

  static async create(path: string): Promise<SequentialWriter> {
    return new SequentialWriter(await open(path, "w"));
  }

  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.byteLength - done);
      done += bytesWritten;
    }
    this.position += bytes.byteLength;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

function binFileHeader(magic: string, version: number, nSections: number): Uint8Array {
  return concatBytes([Buffer.from(magic, "latin1"), u32le(version), u32le(nSections)]);
}

function sectionHeader(id: number, size: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, id, true);
  dv.setUint32(4, size % 2 ** 32, true);
  dv.setUint32(8, Math.floor(size / 2 ** 32), true);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function u32le(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, true);
  return b;
}

function u32be(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, false);
  return b;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((acc, p) => acc + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

function bigIntToBytesLE(x: bigint, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let v = x;
  for (let i = 0; i < len; i++) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

function bytesToBigIntLE(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.byteLength - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

/** floor(log2(v)) for v >= 1, and 0 for v = 0 (snarkjs misc.log2 semantics). */
function floorLog2(v: number): number {
  return v <= 1 ? 0 : Math.floor(Math.log2(v));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
