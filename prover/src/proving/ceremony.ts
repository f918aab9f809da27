/**
 * Production Groth16 key path (bn128): circuit-specific phase 2 on top of a public phase-1
 * powers-of-tau file (e.g. the Hermez / Perpetual Powers of Tau `powersOfTau28_hez_final_XX.ptau`,
 * already prepared for phase 2).
 *
 *   zKey.newZKey  ->  N x zKey.contribute  ->  [zKey.beacon]  ->  zKey.verifyFromR1cs
 *   ->  zKey.exportVerificationKey
 *
 * The key is sound as long as at least one phase-1 contributor and one phase-2 contributor
 * destroyed their randomness. Contributions run in this process, so a ceremony run entirely on
 * one machine is only as trustworthy as that machine; real ceremonies pass the intermediate zkeys
 * between independent contributors (this module also serves as the per-step library for that).
 * For fast, INSECURE development keys see `dev-zkey.ts`.
 */
import { ZkClearError } from "../domain/errors.ts";
import { randomBytes } from "node:crypto";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { buildBn128 } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { BN128_Q, BN128_R, requiredDomainPower } from "./dev-zkey.ts";
import { readR1csHeader } from "./r1cs.ts";

export type CeremonyErrorCode =
  | "INVALID_OPTIONS"
  | "R1CS_READ_FAILED"
  | "PTAU_READ_FAILED"
  | "PTAU_WRONG_CURVE"
  | "PTAU_NOT_PREPARED"
  | "PTAU_TOO_SMALL"
  | "ZKEY_NEW_FAILED"
  | "CONTRIBUTION_FAILED"
  | "BEACON_FAILED"
  | "VERIFY_FAILED"
  | "EXPORT_FAILED";

/** Every failure of the ceremony path; `code` is stable, `message` says what went wrong. */
export class CeremonyError extends ZkClearError {
  declare readonly code: CeremonyErrorCode;
  constructor(code: CeremonyErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface PtauInfo {
  /** Maximum circuit domain power this file supports (2^power constraints + public rows). */
  power: number;
  ceremonyPower: number;
  /** Has the Lagrange sections (12..15) that zkey_new needs. */
  preparedForPhase2: boolean;
}

export interface CircuitFit {
  nConstraints: number;
  nVars: number;
  nPublic: number;
  /** Domain power the circuit needs (see requiredDomainPower). */
  circuitPower: number;
  ptau: PtauInfo;
}

export interface CeremonyBeacon {
  /** Hex of a public, unpredictable value fixed in advance (e.g. a future block hash). */
  hashHex: string;
  /** log2 of the number of hash iterations, 10..63 (snarkjs's range). */
  iterationsExp: number;
}

export interface CeremonyOptions {
  r1csPath: string;
  /** Phase-1 powers of tau, prepared for phase 2 (has sections 12..15). */
  ptauPath: string;
  outDir: string;
  /** Base name of the outputs; default: the r1cs file name without extension. */
  name?: string;
  /** Number of phase-2 contributions made here (>= 1); default 1. */
  contributions?: number;
  /**
   * Entropy per contribution (snarkjs hashes it together with its own 64 random bytes); missing
   * entries get 32 bytes from crypto.randomBytes. Must not be empty strings.
   */
  entropy?: (string | Uint8Array)[];
  /** Names recorded in the zkey's contribution list; default "contributor i". */
  contributorNames?: string[];
  /** Final beacon contribution; omitted = no beacon (the last contribution is final). */
  beacon?: CeremonyBeacon;
  /** Keep the intermediate zkeys (initial and per contribution); default false. */
  keepIntermediate?: boolean;
  /** Stop ffjavascript's worker threads at the end (otherwise the process stays alive); default true. */
  terminateCurve?: boolean;
  /**
   * Check the final zkey against the r1cs and the ptau (snarkjs's verifyFromR1cs, as long
   * again as the zkey's making); default true. Only a caller that checks the keys another
   * way may leave it out (the production-keys test proves with them and Settlement's
   * verifiers accept the proofs).
   */
  verify?: boolean;
  log?: (msg: string) => void;
}

export interface CeremonyResult {
  zkeyPath: string;
  verificationKeyPath: string;
  /** Paths of the kept intermediate zkeys (empty unless keepIntermediate). */
  intermediateZkeys: string[];
  /** Circuit hash from zkey_new, hex. */
  csHash: string;
  /** Hash of each contribution (and of the beacon, last, if any), hex. */
  contributionHashes: string[];
  fit: CircuitFit;
  seconds: number;
}

/**
 * Reads the header and section table of a `.ptau` file (snarkjs / Hermez format) without loading
 * the points.
 */
export async function readPtauInfo(ptauPath: string): Promise<PtauInfo> {
  let fh;
  try {
    fh = await open(ptauPath, "r");
  } catch (err) {
    throw new CeremonyError("PTAU_READ_FAILED", `cannot open ${ptauPath}: ${errMsg(err)}`, {
      cause: err,
    });
  }
  try {
    const { size } = await fh.stat();
    const read = async (pos: number, len: number): Promise<Buffer> => {
      if (pos + len > size) {
        throw new CeremonyError("PTAU_READ_FAILED", `${ptauPath}: truncated file`);
      }
      const b = Buffer.alloc(len);
      await fh.read(b, 0, len, pos);
      return b;
    };
    const head = await read(0, 12);
    if (head.subarray(0, 4).toString("latin1") !== "ptau") {
      throw new CeremonyError("PTAU_READ_FAILED", `${ptauPath}: not a ptau file`);
    }
    const nSections = head.readUInt32LE(8);
    const sections = new Map<number, { pos: number; size: number }>();
    let pos = 12;
    for (let i = 0; i < nSections; i++) {
      const h = await read(pos, 12);
      const id = h.readUInt32LE(0);
      const len = Number(h.readBigUInt64LE(4));
      pos += 12;
      if (sections.has(id)) {
        throw new CeremonyError("PTAU_READ_FAILED", `${ptauPath}: duplicated section ${id}`);
      }
      sections.set(id, { pos, size: len });
      pos += len;
    }
    const hdr = sections.get(1);
    if (!hdr) throw new CeremonyError("PTAU_READ_FAILED", `${ptauPath}: no header section`);
    const h = await read(hdr.pos, hdr.size);
    const n8 = h.readUInt32LE(0);
    if (n8 !== 32 || hdr.size !== 4 + n8 + 8) {
      throw new CeremonyError("PTAU_WRONG_CURVE", `${ptauPath}: not a bn128 powers of tau`);
    }
    let q = 0n;
    for (let i = n8 - 1; i >= 0; i--) q = (q << 8n) | BigInt(h[4 + i]!);
    if (q !== BN128_Q) {
      throw new CeremonyError("PTAU_WRONG_CURVE", `${ptauPath}: not a bn128 powers of tau`);
    }
    return {
      power: h.readUInt32LE(4 + n8),
      ceremonyPower: h.readUInt32LE(8 + n8),
      preparedForPhase2: [12, 13, 14, 15].every((id) => sections.has(id)),
    };
  } finally {
    await fh.close();
  }
}

/**
 * Checks that `ptauPath` can serve `r1csPath`: bn128, prepared for phase 2 and of a power at
 * least the circuit's domain power. Throws CeremonyError (PTAU_TOO_SMALL, PTAU_NOT_PREPARED,
 * PTAU_WRONG_CURVE, ...) otherwise.
 */
export async function checkPtauFitsCircuit(
  r1csPath: string,
  ptauPath: string,
): Promise<CircuitFit> {
  let header;
  try {
    header = readR1csHeader(r1csPath);
  } catch (err) {
    throw new CeremonyError("R1CS_READ_FAILED", errMsg(err), { cause: err });
  }
  if (header.prime !== BN128_R) {
    throw new CeremonyError("R1CS_READ_FAILED", `${r1csPath}: not a bn128 circuit`);
  }
  const ptau = await readPtauInfo(ptauPath);
  const nPublic = header.nPubOut + header.nPubIn;
  const circuitPower = requiredDomainPower(header.nConstraints, nPublic);
  if (!ptau.preparedForPhase2) {
    throw new CeremonyError(
      "PTAU_NOT_PREPARED",
      `${ptauPath} is not prepared for phase 2 (no Lagrange sections); run ` +
        "`snarkjs powersoftau prepare phase2` on it or use a *_final_*.ptau",
    );
  }
  if (circuitPower > ptau.power) {
    throw new CeremonyError(
      "PTAU_TOO_SMALL",
      `${ptauPath} has power ${ptau.power} but the circuit needs 2^${circuitPower} ` +
        `(${header.nConstraints} constraints + ${nPublic + 1} public rows); use a ptau of ` +
        `power >= ${circuitPower}`,
    );
  }
  return {
    nConstraints: header.nConstraints,
    nVars: header.nWires,
    nPublic,
    circuitPower,
    ptau,
  };
}

/**
 * Runs the phase-2 ceremony for one circuit and returns the paths of the final zkey and its
 * verification key. Refuses (CeremonyError) a ptau that is too small or unprepared, and a final
 * key that snarkjs's verifyFromR1cs does not accept.
 */
export async function runGroth16Ceremony(opts: CeremonyOptions): Promise<CeremonyResult> {
  const started = performance.now();
  const log = opts.log ?? ((): void => undefined);
  const logger: snarkjs.Logger = {
    debug: () => undefined,
    info: (m) => log(m),
    warn: (m) => log(`warning: ${m}`),
    error: (m) => log(`error: ${m}`),
  };

  const nContrib = opts.contributions ?? 1;
  if (!Number.isInteger(nContrib) || nContrib < 1 || nContrib > 9999) {
    throw new CeremonyError("INVALID_OPTIONS", `contributions must be 1..9999, got ${nContrib}`);
  }
  const entropy: string[] = [];
  for (let i = 0; i < nContrib; i++) {
    const e = opts.entropy?.[i];
    const s =
      e === undefined
        ? randomBytes(32).toString("hex")
        : typeof e === "string"
          ? e
          : Buffer.from(e).toString("hex");
    if (s.length === 0) {
      // snarkjs would prompt on stdin for empty entropy.
      throw new CeremonyError("INVALID_OPTIONS", `entropy for contribution ${i + 1} is empty`);
    }
    entropy.push(s);
  }
  if (opts.beacon) {
    const { hashHex, iterationsExp } = opts.beacon;
    if (!/^([0-9a-fA-F]{2}){1,255}$/.test(hashHex)) {
      throw new CeremonyError("INVALID_OPTIONS", "beacon hash must be 1..255 bytes of hex");
    }
    if (!Number.isInteger(iterationsExp) || iterationsExp < 10 || iterationsExp > 63) {
      throw new CeremonyError("INVALID_OPTIONS", "beacon iterations exponent must be 10..63");
    }
  }

  const fit = await checkPtauFitsCircuit(opts.r1csPath, opts.ptauPath);
  log(
    `ceremony: ${fit.nConstraints} constraints, domain 2^${fit.circuitPower}, ` +
      `ptau power ${fit.ptau.power}`,
  );

  const name = opts.name ?? basename(opts.r1csPath).replace(/\.r1cs$/, "");
  await mkdir(opts.outDir, { recursive: true });
  const step = (i: number): string =>
    join(opts.outDir, `${name}_${String(i).padStart(4, "0")}.zkey`);
  const finalPath = join(opts.outDir, `${name}_final.zkey`);
  const vkPath = join(opts.outDir, `${name}_verification_key.json`);
  const intermediates: string[] = [];

  try {
    const init = step(0);
    let csHash: unknown;
    try {
      csHash = await snarkjs.zKey.newZKey(opts.r1csPath, opts.ptauPath, init, logger);
    } catch (err) {
      throw new CeremonyError("ZKEY_NEW_FAILED", `zkey new failed: ${errMsg(err)}`, {
        cause: err,
      });
    }
    if (!(csHash instanceof Uint8Array)) {
      throw new CeremonyError("ZKEY_NEW_FAILED", "zkey new failed (see log)");
    }
    intermediates.push(init);
    log(`ceremony: initial zkey ${init}`);

    const hashes: string[] = [];
    let prev = init;
    for (let i = 1; i <= nContrib; i++) {
      const next = i === nContrib && !opts.beacon ? finalPath : step(i);
      const who = opts.contributorNames?.[i - 1] ?? `contributor ${i}`;
      let h: unknown;
      try {
        h = await snarkjs.zKey.contribute(prev, next, who, entropy[i - 1]!, logger);
      } catch (err) {
        throw new CeremonyError("CONTRIBUTION_FAILED", `contribution ${i} failed: ${errMsg(err)}`, {
          cause: err,
        });
      }
      if (!(h instanceof Uint8Array)) {
        throw new CeremonyError("CONTRIBUTION_FAILED", `contribution ${i} failed (see log)`);
      }
      hashes.push(Buffer.from(h).toString("hex"));
      if (next !== finalPath) intermediates.push(next);
      prev = next;
      log(`ceremony: contribution ${i}/${nContrib} done`);
    }

    if (opts.beacon) {
      let h: unknown;
      try {
        h = await snarkjs.zKey.beacon(
          prev,
          finalPath,
          "final beacon",
          opts.beacon.hashHex,
          opts.beacon.iterationsExp,
          logger,
        );
      } catch (err) {
        throw new CeremonyError("BEACON_FAILED", `beacon failed: ${errMsg(err)}`, { cause: err });
      }
      if (!(h instanceof Uint8Array)) {
        throw new CeremonyError("BEACON_FAILED", "beacon failed (see log)");
      }
      hashes.push(Buffer.from(h).toString("hex"));
      log("ceremony: beacon applied");
    }

    let ok: boolean;
    try {
      ok =
        opts.verify === false ||
        (await snarkjs.zKey.verifyFromR1cs(opts.r1csPath, opts.ptauPath, finalPath, logger));
    } catch (err) {
      throw new CeremonyError("VERIFY_FAILED", `verification crashed: ${errMsg(err)}`, {
        cause: err,
      });
    }
    if (ok !== true) {
      throw new CeremonyError(
        "VERIFY_FAILED",
        `${finalPath} does not verify against ${opts.r1csPath} and ${opts.ptauPath}`,
      );
    }
    if (opts.verify !== false) log("ceremony: final zkey verified against r1cs and ptau");

    try {
      const vk = await snarkjs.zKey.exportVerificationKey(finalPath, logger);
      await writeFile(vkPath, JSON.stringify(vk, null, 2) + "\n");
    } catch (err) {
      throw new CeremonyError("EXPORT_FAILED", `verification key export failed: ${errMsg(err)}`, {
        cause: err,
      });
    }

    if (!opts.keepIntermediate) {
      for (const p of intermediates) await rm(p, { force: true });
    }
    return {
      zkeyPath: finalPath,
      verificationKeyPath: vkPath,
      intermediateZkeys: opts.keepIntermediate ? intermediates : [],
      csHash: Buffer.from(csHash).toString("hex"),
      contributionHashes: hashes,
      fit,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (opts.terminateCurve ?? true) {
      const curve = await buildBn128();
      await curve.terminate();
    }
  }
}

function errMsg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
