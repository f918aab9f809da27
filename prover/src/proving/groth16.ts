/**
 * zkclear's Groth16 prover (bn128): the same algorithm, key format and proof format as
 * snarkjs 0.7.6's `groth16.prove`, on ffjavascript's curve and worker threads, with the one
 * step snarkjs runs on a single thread done on all of them.
 *
 * snarkjs evaluates the QAP's A and B at the witness ("build ABC") with a JavaScript loop
 * over every coefficient of the key, one WebAssembly field multiplication per call, while
 * the curve's worker threads wait: 14% of a `bench` trade proof on two cores. Here each
 * worker thread evaluates its share of the domain with the curve's own WebAssembly routine
 * (`qap_buildABC`), and A*B - C is joined in as many shares as there are threads. The rest
 * (FFTs over the domain, the five multi-scalar multiplications, the blinding) is the
 * textbook prover on ffjavascript's parallel primitives, step for step what snarkjs does,
 * so a proof is accepted by snarkjs's `groth16.verify` and by the generated Solidity
 * verifier alike.
 *
 * Progress messages keep snarkjs's names ("Building ABC", "IFFT_A", "multiexp B2", ...), so
 * a logger that times snarkjs's steps times these.
 */
import * as binFileUtils from "@iden3/binfileutils";
import type { BinFile, Sections } from "@iden3/binfileutils";
import {
  BigBuffer,
  Scalar,
  buildBn128,
  utils,
  type Bn128Curve,
  type TaskCommand,
  type WasmCurveGroup,
} from "ffjavascript";
import { ZkClearError } from "../domain/errors.ts";

/** A snarkjs-style logger (debug is what the steps report on). */
export interface ProveLogger {
  debug(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
}

export interface Groth16ProofJson {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: "groth16";
  curve: "bn128";
}

type Curve = Bn128Curve;
type Buff = Uint8Array | BigBuffer;

/** Bytes of one entry of the key's coefficient section: u32 matrix, u32 constraint, u32 signal, Fr. */
const COEF_SIZE = 12 + 32;
const N8 = 32;

interface Groth16Header {
  nVars: number;
  nPublic: number;
  domainSize: number;
  power: number;
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
}

/** What the prover refuses: a malformed witness or key, or a witness for another circuit. */
export class ProveError extends ZkClearError {
  constructor(
    code:
      | "PROVE_BAD_WITNESS"
      | "PROVE_BAD_KEY"
      | "PROVE_WITNESS_MISMATCH"
      | "PROVE_TOO_LARGE"
      | "PROVE_NATIVE_FAILED"
      | "PROVE_NATIVE_UNAVAILABLE"
      | "PROVE_BAD_ENGINE",
    what: string,
  ) {
    super(code, `groth16 prove: ${what}`);
  }
}

/** The witness values (section 2 of a .wtns file) and their count. */
export function wtnsValues(wtns: Uint8Array): { values: Uint8Array; nWitness: number } {
  const dv = new DataView(wtns.buffer, wtns.byteOffset, wtns.byteLength);
  const magic = String.fromCharCode(...wtns.subarray(0, 4));
  if (magic !== "wtns")
    throw new ProveError("PROVE_BAD_WITNESS", "the witness is not a .wtns file");
  const nSections = dv.getUint32(8, true);
  let p = 12;
  let nWitness = -1;
  let values: Uint8Array | undefined;
  for (let i = 0; i < nSections; i++) {
    const type = dv.getUint32(p, true);
    const size = Number(dv.getBigUint64(p + 4, true));
    const body = p + 12;
    if (type === 1) {
      const n8 = dv.getUint32(body, true);
      if (n8 !== N8)
        throw new ProveError(
          "PROVE_BAD_WITNESS",
          `the witness has ${n8}-byte values, not bn128's 32`,
        );
      nWitness = dv.getUint32(body + 4 + n8, true);
    } else if (type === 2) {
      // A copy, so that the values own their buffer (worker messages copy whole buffers).
      values = wtns.slice(body, body + size);
    }
    p = body + size;
  }
  if (values === undefined || nWitness < 0)
    throw new ProveError("PROVE_BAD_WITNESS", "the witness file is incomplete");
  if (values.byteLength !== nWitness * N8)
    throw new ProveError("PROVE_BAD_WITNESS", "the witness section has the wrong size");
  return { values, nWitness };
}

async function readHeader(curve: Curve, fd: BinFile, sections: Sections): Promise<Groth16Header> {
  await binFileUtils.startReadUniqueSection(fd, sections, 1);
  const protocol = await fd.readULE32();
  await binFileUtils.endReadSection(fd);
  if (protocol !== 1) throw new ProveError("PROVE_BAD_KEY", "the proving key is not a Groth16 key");

  await binFileUtils.startReadUniqueSection(fd, sections, 2);
  const n8q = await fd.readULE32();
  const q = await binFileUtils.readBigInt(fd, n8q);
  const n8r = await fd.readULE32();
  const r = await binFileUtils.readBigInt(fd, n8r);
  if (!Scalar.eq(q, curve.q) || !Scalar.eq(r, curve.r)) {
    throw new ProveError("PROVE_BAD_KEY", "the proving key is not for bn128");
  }
  const nVars = await fd.readULE32();
  const nPublic = await fd.readULE32();
  const domainSize = await fd.readULE32();
  const g1 = async () => curve.G1.fromRprLEM(await fd.read(n8q * 2), 0);
  const g2 = async () => curve.G2.fromRprLEM(await fd.read(n8q * 4), 0);
  const alpha1 = await g1();
  const beta1 = await g1();
  const beta2 = await g2();
  await g2(); // gamma2: only the verifier needs it
  const delta1 = await g1();
  const delta2 = await g2();
  await binFileUtils.endReadSection(fd);
  const power = Math.log2(domainSize);
  if (!Number.isInteger(power))
    throw new ProveError("PROVE_BAD_KEY", `domain size ${domainSize} is not a power of 2`);
  return { nVars, nPublic, domainSize, power, alpha1, beta1, beta2, delta1, delta2 };
}

/** Reads the u32 at byte `pos` of a coefficient section held in a Uint8Array or a BigBuffer. */
function u32Reader(buff: Buff): (pos: number) => number {
  if (buff instanceof Uint8Array) {
    const dv = new DataView(buff.buffer, buff.byteOffset, buff.byteLength);
    return (pos) => dv.getUint32(pos, true);
  }
  const pages = buff.buffers;
  const pageLen = pages[0]!.byteLength;
  const views = pages.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
  // Fields sit at multiples of 4 and pages are 2^k bytes long, so none straddles two pages.
  return (pos) => views[Math.floor(pos / pageLen)]!.getUint32(pos % pageLen, true);
}

/** buff[from, to) as a Uint8Array that owns its bytes (what a worker thread is sent). */
function bytes(buff: Buff, from: number, to: number): Uint8Array {
  const s = buff.slice(from, to) as Uint8Array | BigBuffer;
  if (!(s instanceof Uint8Array)) {
    throw new ProveError(
      "PROVE_TOO_LARGE",
      `a share of ${to - from} bytes is too large for one worker thread`,
    );
  }
  return s;
}

/**
 * A, B and C = A*B of the QAP evaluated at the witness, at every point of the domain (in
 * the curve's Montgomery form, as snarkjs computes them), each worker thread evaluating a
 * contiguous share of the domain. The key's coefficients are ordered by constraint (as
 * snarkjs's `zkey new` and zkclear's development keys write them), so each share's
 * coefficients are one contiguous run; were they not, every thread is given all of them
 * and keeps its own (the WebAssembly routine skips the rest).
 */
export async function buildAbc(
  curve: Curve,
  coeffs: Buff,
  witness: Uint8Array,
  domainSize: number,
  nVars: number,
): Promise<[Buff, Buff, Buff]> {
  const read = u32Reader(coeffs);
  const nCoef = read(0);
  if (coeffs.byteLength !== 4 + nCoef * COEF_SIZE) {
    throw new ProveError("PROVE_BAD_KEY", "the key's coefficient section has the wrong size");
  }
  const threads: number = curve.tm.concurrency;
  const perShare = Math.ceil(domainSize / threads);
  const shares = Array.from({ length: threads }, (_, i) => {
    const from = Math.min(i * perShare, domainSize);
    return { from, n: Math.min(perShare, domainSize - from) };
  }).filter((s) => s.n > 0);

  // Where each share's coefficients start, in one pass that also checks every row and
  // whether the rows are in order.
  const starts = new Array<number>(shares.length + 1).fill(nCoef);
  starts[0] = 0;
  let sorted = true;
  let share = 1;
  let last = 0;
  for (let i = 0; i < nCoef; i++) {
    const c = read(4 + i * COEF_SIZE + 4);
    if (c >= domainSize) {
      throw new ProveError("PROVE_BAD_KEY", `coefficient ${i} is for row ${c}, outside the domain`);
    }
    if (c < last) sorted = false;
    while (sorted && share < shares.length && c >= shares[share]!.from) starts[share++] = i;
    last = c;
  }

  const tasks = shares.map((s, i) => {
    const [c0, c1] = sorted ? [starts[i]!, starts[i + 1]!] : [0, nCoef];
    const len = s.n * N8;
    const task: TaskCommand[] = [
      { cmd: "ALLOCSET", var: 0, buff: bytes(coeffs, 4 + c0 * COEF_SIZE, 4 + c1 * COEF_SIZE) },
      { cmd: "ALLOCSET", var: 1, buff: witness },
      { cmd: "ALLOC", var: 2, len },
      { cmd: "ALLOC", var: 3, len },
      { cmd: "ALLOC", var: 4, len },
      {
        cmd: "CALL",
        fnName: "qap_buildABC",
        params: [
          { var: 0 },
          { val: c1 - c0 },
          { var: 1 },
          { var: 2 },
          { var: 3 },
          { var: 4 },
          { val: s.from },
          { val: s.n },
          { val: 0 },
          { val: nVars },
        ],
      },
      { cmd: "GET", out: 0, var: 2, len },
      { cmd: "GET", out: 1, var: 3, len },
      { cmd: "GET", out: 2, var: 4, len },
    ];
    return curve.tm.queueAction(task);
  });
  const results = await Promise.all(tasks);
  const out = [0, 1, 2].map(() => new BigBuffer(domainSize * N8)) as [Buff, Buff, Buff];
  results.forEach((r, i) => {
    for (let m = 0; m < 3; m++) out[m]!.set(r[m]!, shares[i]!.from * N8);
  });
  return out;
}

/** (A*B - C) on the odd coset, out of Montgomery form, in one share per worker thread. */
async function joinAbc(curve: Curve, a: Buff, b: Buff, c: Buff): Promise<Buff> {
  const n = a.byteLength / N8;
  const threads: number = curve.tm.concurrency;
  const per = Math.ceil(n / threads);
  const tasks: Promise<Uint8Array[]>[] = [];
  const offsets: number[] = [];
  for (let from = 0; from < n; from += per) {
    const k = Math.min(per, n - from);
    const [p, q] = [from * N8, (from + k) * N8];
    offsets.push(p);
    tasks.push(
      curve.tm.queueAction([
        { cmd: "ALLOCSET", var: 0, buff: bytes(a, p, q) },
        { cmd: "ALLOCSET", var: 1, buff: bytes(b, p, q) },
        { cmd: "ALLOCSET", var: 2, buff: bytes(c, p, q) },
        { cmd: "ALLOC", var: 3, len: k * N8 },
        {
          cmd: "CALL",
          fnName: "qap_joinABC",
          params: [{ var: 0 }, { var: 1 }, { var: 2 }, { val: k }, { var: 3 }],
        },
        {
          cmd: "CALL",
          fnName: "frm_batchFromMontgomery",
          params: [{ var: 3 }, { val: k }, { var: 3 }],
        },
        { cmd: "GET", out: 0, var: 3, len: k * N8 },
      ]),
    );
  }
  const results = await Promise.all(tasks);
  const out = new BigBuffer(n * N8);
  results.forEach((r, i) => out.set(r[0]!, offsets[i]!));
  return out;
}

/**
 * A Groth16 proof of the witness `wtns` (a .wtns file's bytes) under the key `zkeyPath`,
 * and its public signals, in snarkjs's JSON form.
 */
export async function groth16Prove(
  zkeyPath: string,
  wtns: Uint8Array,
  logger?: ProveLogger,
): Promise<{ proof: Groth16ProofJson; publicSignals: string[] }> {
  const curve: Curve = await buildBn128();
  const { Fr, G1, G2 } = curve;
  if (logger) logger.debug("Reading Wtns");
  const { values: witness, nWitness } = wtnsValues(wtns);
  const { fd, sections } = await binFileUtils.readBinFile(zkeyPath, "zkey", 2, 1 << 25, 1 << 23);
  try {
    const key = await readHeader(curve, fd, sections);
    if (nWitness !== key.nVars) {
      throw new ProveError(
        "PROVE_WITNESS_MISMATCH",
        `the witness has ${nWitness} values and the key's circuit ${key.nVars}`,
      );
    }
    if (logger) logger.debug("Reading Coeffs");
    const coeffs = await binFileUtils.readSection(fd, sections, 4);

    if (logger) logger.debug("Building ABC");
    const [aT, bT, cT] = await buildAbc(curve, coeffs, witness, key.domainSize, key.nVars);

    // From evaluations on the domain to evaluations on its odd coset: interpolate, shift
    // each coefficient i by g^i (g a 2^(power+1)-th root of unity), evaluate.
    const shift = key.power === Fr.s ? Fr.shift : Fr.w[key.power + 1];
    const onCoset = async (evals: Buff, name: string): Promise<Buff> => {
      const poly = await Fr.ifft(evals, "", "", logger, `IFFT_${name}`);
      const shifted = await Fr.batchApplyKey(poly, Fr.e(1), shift);
      return Fr.fft(shifted, "", "", logger, `FFT_${name}`);
    };
    const aOdd = await onCoset(aT, "A");
    const bOdd = await onCoset(bT, "B");
    const cOdd = await onCoset(cT, "C");
    if (logger) logger.debug("Join ABC");
    const h = await joinAbc(curve, aOdd, bOdd, cOdd);

    const msm = async (group: WasmCurveGroup, section: number, scalars: Buff, name: string) => {
      if (logger) logger.debug(`Reading ${name} Points`);
      const bases = await binFileUtils.readSection(fd, sections, section);
      return group.multiExpAffine(bases, scalars, logger, `multiexp ${name}`);
    };
    let piA = await msm(G1, 5, witness, "A");
    let piB1 = await msm(G1, 6, witness, "B1");
    let piB = await msm(G2, 7, witness, "B2");
    let piC = await msm(G1, 8, witness.slice((key.nPublic + 1) * N8), "C");
    const piH = await msm(G1, 9, h, "H");

    // Blinding: r, s uniformly random, fresh for every proof.
    const r = Fr.random();
    const s = Fr.random();
    piA = G1.add(G1.add(piA, key.alpha1), G1.timesFr(key.delta1, r));
    piB = G2.add(G2.add(piB, key.beta2), G2.timesFr(key.delta2, s));
    piB1 = G1.add(G1.add(piB1, key.beta1), G1.timesFr(key.delta1, s));
    piC = G1.add(piC, piH);
    piC = G1.add(piC, G1.timesFr(piA, s));
    piC = G1.add(piC, G1.timesFr(piB1, r));
    piC = G1.add(piC, G1.timesFr(key.delta1, Fr.neg(Fr.mul(r, s))));

    const publicSignals: string[] = [];
    for (let i = 1; i <= key.nPublic; i++) {
      publicSignals.push(Scalar.fromRprLE(witness.subarray(i * N8, (i + 1) * N8)).toString());
    }
    const proof = utils.stringifyBigInts({
      pi_a: G1.toObject(G1.toAffine(piA)),
      pi_b: G2.toObject(G2.toAffine(piB)),
      pi_c: G1.toObject(G1.toAffine(piC)),
      protocol: "groth16",
      curve: "bn128",
    }) as Groth16ProofJson;
    return { proof, publicSignals };
  } finally {
    await fd.close();
  }
}
