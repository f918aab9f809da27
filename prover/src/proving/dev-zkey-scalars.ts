/**
 * The scalar half of the INSECURE development key: the toxic waste (sampled or derived from a
 * seed) and every per-wire scalar of the key computed from it in Fr, in a private
 * single-threaded wasm instance. The group half (scalar times generator) is dev-zkey-fixed-base.ts.
 *
 * !!! INSECURE: these functions hold the toxic waste; see dev-zkey.ts. !!!
 */
import { createHash } from "node:crypto";
import { modInv, modPow } from "../domain/field.ts";
import {
  BN128_R,
  bigIntToBytesLE,
  bytesToBigIntLE,
  DevZkeyError,
  N8,
  type WasmArena,
} from "./dev-zkey-common.ts";

/** The secret scalars of a Groth16 setup. Knowing them breaks soundness. */
export interface InsecureToxicWaste {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
  gamma: bigint;
  delta: bigint;
}

const COEF_SIZE = 12 + N8;
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

/** What computeScalars needs of the circuit: its sizes and its raw constraint section. */
export interface ScalarCircuit {
  nVars: number;
  nConstraints: number;
  /** Body of r1cs section 2 (constraints), in file order. */
  constraints: Uint8Array;
}

export interface DevScalars {
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
export function computeScalars(
  arena: WasmArena,
  r1cs: ScalarCircuit,
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
