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
 *
 * Files: this one reads the circuit and runs the steps; dev-zkey-scalars.ts (toxic waste and every
 * scalar), dev-zkey-fixed-base.ts (scalar times generator, in worker threads), dev-zkey-writer.ts
 * (the zkey file and its hash), dev-zkey-common.ts (constants, error, wasm arena, bytes).
 */
import { randomBytes } from "node:crypto";
import { buildBn128, type Bn128Curve } from "ffjavascript";
import { R1csError, readR1csRaw } from "./r1cs.ts";
import { BN128_R, DevZkeyError, errorMessage, N8, WasmArena } from "./dev-zkey-common.ts";
import {
  buildFixedBaseTable,
  computeHeaderPoints,
  installFixedBasePlugin,
  runPointJob,
} from "./dev-zkey-fixed-base.ts";
import { computeScalars, deriveInsecureToxicWaste } from "./dev-zkey-scalars.ts";
import { writeDevZkey } from "./dev-zkey-writer.ts";

export { BN128_Q, BN128_R, DevZkeyError, type DevZkeyErrorCode } from "./dev-zkey-common.ts";
export { deriveInsecureToxicWaste, type InsecureToxicWaste } from "./dev-zkey-scalars.ts";

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

const MAX_POWER = 27; // H needs the 2n-th root of unity; Fr has 2-adicity 28

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

  const r1cs = loadR1cs(opts.r1csPath);
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

    // Queue every multiplication now; the workers drain the queue in this (hash) order while the
    // writer writes and hashes the results as they complete.
    const points = {
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
    for (const p of Object.values(points)) p.catch(() => undefined);

    const csHash = await writeDevZkey(
      opts.zkeyPath,
      {
        nVars: r1cs.nVars,
        nPublic,
        domainSize,
        header,
        coefficients: scalars.coefficients,
        points,
      },
      (what) => log(`INSECURE dev zkey: ${what} done (${elapsed()})`),
    );
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
  } finally {
    if (pool) await pool.terminate();
    globalCache.curve_bn128 = parked;
  }
}

interface LoadedR1cs {
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  nConstraints: number;
  /** Body of r1cs section 2 (constraints), in file order: zkey_new writes its coefficients so. */
  constraints: Uint8Array;
}

/** The circuit's sizes and raw constraints (r1cs.ts), checked for what Groth16 on bn128 needs. */
function loadR1cs(r1csPath: string): LoadedR1cs {
  let raw;
  try {
    raw = readR1csRaw(r1csPath);
  } catch (err) {
    if (
      err instanceof R1csError &&
      (err.code === "R1CS_READ_FAILED" || err.code === "R1CS_MALFORMED")
    )
      throw new DevZkeyError(err.code, err.message, { cause: err });
    throw err;
  }
  const { header, constraints } = raw;
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
  if (header.nWires < header.nPubOut + header.nPubIn + 1) {
    throw new DevZkeyError(
      "R1CS_MALFORMED",
      `${r1csPath}: ${header.nWires} wires cannot hold ONE plus ` +
        `${header.nPubOut + header.nPubIn} public signals`,
    );
  }
  return {
    nVars: header.nWires,
    nOutputs: header.nPubOut,
    nPubInputs: header.nPubIn,
    nConstraints: header.nConstraints,
    constraints,
  };
}

/** floor(log2(v)) for v >= 1, and 0 for v = 0 (snarkjs misc.log2 semantics). */
function floorLog2(v: number): number {
  return v <= 1 ? 0 : Math.floor(Math.log2(v));
}
