/**
 * The group half of the INSECURE development key: every key point is a scalar (from
 * dev-zkey-scalars.ts) times a fixed generator, so one precomputed window table per group turns
 * each multiplication into 22 mixed additions, run by a small wasm function added to
 * ffjavascript's bn128 module (a plugin) in its worker threads. Also the six header points.
 */
import type { Bn128Curve, TaskCommand, WasmModuleBuilder } from "ffjavascript";
import { bigIntToBytesLE, G1_AFFINE, G2_AFFINE, N8, type WasmArena } from "./dev-zkey-common.ts";
import type { InsecureToxicWaste } from "./dev-zkey-scalars.ts";

const WINDOW_BITS = 12; // fixed-base window width
const WINDOWS = Math.ceil(256 / WINDOW_BITS); // 22 windows cover a 256-bit scalar
const WINDOW_ENTRIES = 2 ** WINDOW_BITS - 1; // d = 1..4095 (d = 0 adds nothing)

export type Group = "G1" | "G2";
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
export function installFixedBasePlugin(mb: WasmModuleBuilder): void {
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
export function buildFixedBaseTable(arena: WasmArena, g: Group): Uint8Array {
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

export interface HeaderPoints {
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
export function computeHeaderPoints(arena: WasmArena, waste: InsecureToxicWaste): HeaderPoints {
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

export interface PointChunk {
  /** Affine LEM points (file form). */
  lem?: Uint8Array;
  /** Affine uncompressed big-endian points (hash form). */
  u?: Uint8Array;
}

/**
 * Multiplies the fixed generator of `g` by every scalar (32-byte standard form) in worker threads,
 * chunked; resolves to the chunks in input order.
 */
export function runPointJob(
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
