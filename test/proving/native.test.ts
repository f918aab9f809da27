// The native Groth16 prover (native/, prover/src/proving/native.ts) end to end: its proofs
// verify with snarkjs, its stages equal the WebAssembly prover's on the real circuits,
// `prove` picks it by default and falls back to the WebAssembly prover when it is missing,
// and hostile keys and witnesses (fuzzed) get coded errors without taking the process down.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as binFileUtils from "@iden3/binfileutils";
import { BigBuffer, buildBn128, type Bn128Curve } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { sampleTrades } from "../../prover/src/dev/demo.ts";
import { sampleExchange } from "../../prover/src/dev/sample.ts";
import { toSettleTradesSignals } from "../../prover/src/domain/inputs.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { compileCircom } from "../../prover/src/proving/build.ts";
import { generateDevZkey } from "../../prover/src/proving/dev-zkey.ts";
import { buildAbc, groth16Prove, wtnsValues } from "../../prover/src/proving/groth16.ts";
import { ensureDevKeys } from "../../prover/src/proving/keys.ts";
import {
  nativeGroth16Prove,
  nativeProver,
  NATIVE_ADDON_ENV,
  type NativeAddon,
} from "../../prover/src/proving/native.ts";
import { circuitFiles } from "../../prover/src/proving/paths.ts";
import {
  calculateWtns,
  defaultEngine,
  ENGINE_ENV,
  prove,
  readVerificationKey,
  verify,
} from "../../prover/src/proving/prover.ts";
import { ROOT } from "../../prover/src/domain/paths.ts";

const FIXTURE = join(ROOT, "test/fixtures/dev-zkey/tiny.circom");
const OUT = join(ROOT, "artifacts/test-fixtures/native");
const WASM = join(OUT, "tiny_js/tiny.wasm");
const ZKEY = join(OUT, "tiny.dev.insecure.zkey");
const CODES = ["PROVE_BAD_KEY", "PROVE_BAD_WITNESS", "PROVE_WITNESS_MISMATCH"];

interface SectionEntry {
  type: number;
  /** Offset of the section's 12-byte header in the file. */
  at: number;
  size: number;
}

/** The section table of a zkey or wtns file. */
function sectionTable(f: Uint8Array): SectionEntry[] {
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const out: SectionEntry[] = [];
  let at = 12;
  for (let i = 0; i < dv.getUint32(8, true); i++) {
    const size = Number(dv.getBigUint64(at + 4, true));
    out.push({ type: dv.getUint32(at, true), at, size });
    at += 12 + size;
  }
  return out;
}

/** The file with its sections in the given order (a permutation of the table's indices). */
function reorder(f: Uint8Array, order: number[]): Uint8Array {
  const t = sectionTable(f);
  const parts = [
    f.subarray(0, 12),
    ...order.map((i) => f.subarray(t[i]!.at, t[i]!.at + 12 + t[i]!.size)),
  ];
  return Buffer.concat(parts);
}

const asBytes = (b: Uint8Array | BigBuffer): Uint8Array =>
  b instanceof Uint8Array ? b : (b.slice(0, b.byteLength) as Uint8Array);

async function section(file: string, id: number): Promise<Uint8Array> {
  const { fd, sections } = await binFileUtils.readBinFile(file, "zkey", 2);
  const s = asBytes(await binFileUtils.readSection(fd, sections, id));
  await fd.close();
  return s;
}

describe("native Groth16 prover", function () {
  let addon: NativeAddon;
  let curve: Bn128Curve;
  let wtns: Uint8Array;

  before(async function () {
    const a = nativeProver();
    assert.ok(a, "the native addon is built and loads (npm run build:native)");
    addon = a;
    await compileCircom(FIXTURE, OUT, { wasm: true });
    await generateDevZkey({ r1csPath: join(OUT, "tiny.r1cs"), zkeyPath: ZKEY });
    curve = await buildBn128();
    wtns = await calculateWtns(WASM, { a: "3", b: "5", secret: "11" });
  });

  after(async function () {
    await curve.terminate();
  });

  it("proves what snarkjs proves, with fresh blinding, and makes no valid proof of a forged witness", async function () {
    const vk = await snarkjs.zKey.exportVerificationKey(ZKEY);
    const ours = await nativeGroth16Prove(addon, ZKEY, wtns);
    const theirs = await snarkjs.groth16.prove(ZKEY, { type: "mem", data: wtns });
    assert.deepEqual(ours.publicSignals, theirs.publicSignals);
    assert.equal(await snarkjs.groth16.verify(vk, ours.publicSignals, ours.proof), true);
    const again = await nativeGroth16Prove(addon, ZKEY, wtns);
    assert.notDeepEqual(again.proof.pi_a, ours.proof.pi_a);
    assert.equal(await snarkjs.groth16.verify(vk, again.publicSignals, again.proof), true);
    const forged = wtns.slice();
    forged[forged.byteLength - 32] ^= 1;
    const bad = await nativeGroth16Prove(addon, ZKEY, forged);
    assert.equal(await snarkjs.groth16.verify(vk, bad.publicSignals, bad.proof), false);
    for (const stage of ["read", "buildAbc", "fft", "msmG1", "msmG2", "other"] as const)
      assert.ok(ours.phases[stage] >= 0, stage);
  });

  it("is prove()'s default engine here, is forced by ZKCLEAR_PROVER, and refuses an unknown engine", async function () {
    assert.equal(defaultEngine(), "native");
    const saved = process.env[ENGINE_ENV];
    try {
      process.env[ENGINE_ENV] = "zkclear";
      assert.equal(defaultEngine(), "zkclear");
      process.env[ENGINE_ENV] = "rapidsnark";
      assert.throws(() => defaultEngine(), {
        code: "PROVE_BAD_ENGINE",
        message: /rapidsnark names no prover/,
      });
    } finally {
      if (saved === undefined) delete process.env[ENGINE_ENV];
      else process.env[ENGINE_ENV] = saved;
    }
  });

  it("falls back to the WebAssembly prover, saying so once, when the addon is missing", function () {
    // A fresh process that cannot find the addon: it proves twice with the WebAssembly
    // prover and warns once.
    const script = join(OUT, "fallback.ts");
    const prover = join(ROOT, "prover/src/proving/prover.ts");
    const args = `${JSON.stringify(WASM)}, ${JSON.stringify(ZKEY)}, { a: "3", b: "5", secret: "11" }`;
    writeFileSync(
      script,
      [
        `import { prove, terminateCurve } from ${JSON.stringify(prover)};`,
        `const a = await prove(${args});`,
        `const b = await prove(${args});`,
        `console.log(JSON.stringify([a.engine, b.engine]));`,
        `await terminateCurve();`,
      ].join("\n"),
    );
    const child = spawnSync(process.execPath, ["--import", "tsx", script], {
      cwd: ROOT,
      env: { ...process.env, [NATIVE_ADDON_ENV]: join(OUT, "missing.node"), [ENGINE_ENV]: "" },
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    const warnings = child.stderr
      .split("\n")
      .filter((l) => l.includes("native prover is unavailable"));
    assert.equal(warnings.length, 1, child.stderr);
    assert.match(warnings[0]!, /missing\.node was not built/);
    const out = child.stdout;
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), ["zkclear", "zkclear"]);
  });

  it("evaluates A, B, C and H as the WebAssembly prover does on a real circuit (test trades)", async function () {
    const P = PARAM_SETS.test;
    const keys = await ensureDevKeys("settle_trades", P);
    const s = sampleExchange(P, 4);
    const batch = settleTrades(s.state, sampleTrades(s, P.batch), s.marks, P.batch);
    const w = await calculateWtns(
      circuitFiles("settle_trades", P).wasm,
      toSettleTradesSignals(batch.input),
    );
    const { values, nWitness } = wtnsValues(w);
    const coeffs = await section(keys.devZkey, 4);
    const header = await section(keys.devZkey, 2);
    const domainSize = new DataView(header.buffer, header.byteOffset).getUint32(80, true);
    const theirs = (await buildAbc(curve, coeffs, values, domainSize, nWitness)).map(asBytes);
    const ours = addon.stages.buildAbc(coeffs, values, domainSize).map((b) => new Uint8Array(b));
    for (let m = 0; m < 3; m++) assert.deepEqual(ours[m], theirs[m], `matrix ${"ABC"[m]}`);

    // H: ffjavascript's coset FFTs and join (as groth16.ts does) against the addon's.
    const { Fr } = curve;
    const power = Math.log2(domainSize);
    const odd = async (v: Uint8Array) =>
      asBytes(await Fr.fft(await Fr.batchApplyKey(await Fr.ifft(v), Fr.e(1), Fr.w[power + 1])));
    const [ao, bo, co] = [await odd(theirs[0]!), await odd(theirs[1]!), await odd(theirs[2]!)];
    const h = addon.stages.computeH(theirs[0]!, theirs[1]!, theirs[2]!);
    const F = Fr as unknown as {
      mul(a: Uint8Array, b: Uint8Array): Uint8Array;
      sub(a: Uint8Array, b: Uint8Array): Uint8Array;
      fromMontgomery(a: Uint8Array): Uint8Array;
    };
    for (const i of [0, 1, 2, domainSize / 2, domainSize - 1]) {
      const e = (x: Uint8Array) => x.subarray(32 * i, 32 * i + 32);
      assert.deepEqual(
        new Uint8Array(e(h)),
        F.fromMontgomery(F.sub(F.mul(e(ao), e(bo)), e(co))),
        `H at ${i}`,
      );
    }

    // Each MSM of the proof over the key's own points.
    const G1 = curve.G1;
    const affine1 = (p: Uint8Array) => G1.toObject(G1.toAffine(p));
    for (const [id, scalars] of [
      [5, values],
      [9, new Uint8Array(h)],
    ] as const) {
      const points = await section(keys.devZkey, id);
      const want = await G1.multiExpAffine(points, scalars);
      assert.deepEqual(
        affine1(G1.fromRprLEM(addon.stages.msmG1(points, scalars), 0)),
        affine1(want),
        `section ${id}`,
      );
    }
    const G2 = curve.G2;
    const b2 = await section(keys.devZkey, 7);
    assert.deepEqual(
      G2.toObject(G2.toAffine(G2.fromRprLEM(addon.stages.msmG2(b2, values), 0))),
      G2.toObject(G2.toAffine(await G2.multiExpAffine(b2, values))),
      "B2",
    );

    // And the whole proof verifies, by default through prove().
    const res = await prove(
      circuitFiles("settle_trades", P).wasm,
      keys.devZkey,
      toSettleTradesSignals(batch.input),
    );
    assert.equal(res.engine, "native");
    assert.equal(
      await verify(readVerificationKey(keys.devVkey), res.publicSignals, res.proof),
      true,
    );
  });

  it("refuses keys and witnesses that are not what they should be, saying what is wrong", async function () {
    const key = readFileSync(ZKEY);
    const t = sectionTable(key);
    const at = (type: number) => t.find((s) => s.type === type)!.at + 12;
    const file = join(OUT, "tiny.bad.insecure.zkey");
    const cases: [string, (k: Buffer) => Buffer, RegExp][] = [
      ["plonk", (k) => (k.writeUInt32LE(2, at(1)), k), /not a Groth16 key/],
      ["another q", (k) => ((k[at(2) + 4] ^= 1), k), /not for bn128/],
      ["domain 3", (k) => (k.writeUInt32LE(3, at(2) + 80), k), /domain size 3 is not a power of 2/],
      ["truncated", (k) => k.subarray(0, k.length - 100), /truncated/],
      ["oversized", (k) => Buffer.concat([k, Buffer.alloc(7)]), /7 bytes after its last section/],
      [
        "huge nVars",
        (k) => (k.writeUInt32LE(0xffffffff, at(2) + 72), k),
        /section \(5\) has \d+ bytes, not the 274877906880/,
      ],
      [
        "no H",
        (k) => (k.writeUInt32LE(99, t.find((s) => s.type === 9)!.at), k),
        /has no section 9/,
      ],
      [
        "twice",
        (k) => (k.writeUInt32LE(5, t.find((s) => s.type === 6)!.at), k),
        /has section 5 twice/,
      ],
      [
        "a row outside",
        (k) => (k.writeUInt32LE(1 << 20, at(4) + 4 + 4), k),
        /coefficient 0 is for row 1048576, outside the domain/,
      ],
      [
        "a point off the field",
        (k) => (k.fill(0xff, at(5) + 64, at(5) + 96), k),
        /A points have a coordinate outside the field/,
      ],
    ];
    for (const [name, corrupt, why] of cases) {
      writeFileSync(file, corrupt(Buffer.from(key)));
      await assert.rejects(
        nativeGroth16Prove(addon, file, wtns),
        { code: "PROVE_BAD_KEY", message: why },
        name,
      );
    }
    await assert.rejects(nativeGroth16Prove(addon, join(OUT, "none.zkey"), wtns), {
      code: "PROVE_BAD_KEY",
      message: /cannot open/,
    });

    const { nWitness } = wtnsValues(wtns);
    const w = Buffer.from(wtns);
    const wt = sectionTable(w);
    const short = Buffer.from(w);
    short.writeUInt32LE(nWitness - 1, wt[0]!.at + 12 + 4 + 32);
    short.writeBigUInt64LE(BigInt((nWitness - 1) * 32), wt[1]!.at + 4);
    await assert.rejects(nativeGroth16Prove(addon, ZKEY, short.subarray(0, short.length - 32)), {
      code: "PROVE_WITNESS_MISMATCH",
      message: new RegExp(
        `the witness has ${nWitness - 1} values and the key's circuit ${nWitness}`,
      ),
    });
    const wide = Buffer.from(w);
    wide.writeUInt32LE(48, wt[0]!.at + 12);
    await assert.rejects(nativeGroth16Prove(addon, ZKEY, wide), {
      code: "PROVE_BAD_WITNESS",
      message: /48-byte values/,
    });
    const otherField = Buffer.from(w);
    otherField[wt[0]!.at + 12 + 4] ^= 2;
    await assert.rejects(nativeGroth16Prove(addon, ZKEY, otherField), {
      code: "PROVE_BAD_WITNESS",
      message: /another field/,
    });
    const big = Buffer.from(w);
    big.fill(0xff, big.length - 32);
    await assert.rejects(nativeGroth16Prove(addon, ZKEY, big), {
      code: "PROVE_BAD_WITNESS",
      message: /at or above the field modulus/,
    });
    await assert.rejects(nativeGroth16Prove(addon, ZKEY, new TextEncoder().encode("wtns")), {
      code: "PROVE_BAD_WITNESS",
      message: /not a \.wtns file/,
    });
  });

  it("survives fuzzed keys and witnesses: a valid proof or a coded error, never a crash", async function () {
    const key = new Uint8Array(readFileSync(ZKEY));
    const vk = await snarkjs.zKey.exportVerificationKey(ZKEY);
    const t = sectionTable(key);
    const file = join(OUT, "tiny.fuzz.insecure.zkey");
    // Byte positions that steer parsing: the file header, every section header, the
    // Groth16 header's counts and the coefficient count.
    const steering = [
      ...Array.from({ length: 12 }, (_, i) => i),
      ...t.flatMap((s) => Array.from({ length: 12 }, (_, i) => s.at + i)),
      ...Array.from({ length: 12 }, (_, i) => t.find((s) => s.type === 2)!.at + 12 + 72 + i),
      ...Array.from({ length: 4 }, (_, i) => t.find((s) => s.type === 4)!.at + 12 + i),
    ];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat({ max: key.length - 1 }) }),
      fc.record({
        kind: fc.constant("flip" as const),
        at: fc.constantFrom(...steering),
        bits: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("order" as const),
        order: fc.shuffledSubarray([...t.keys()], { minLength: t.length }),
      }),
      fc.record({
        kind: fc.constant("grow" as const),
        at: fc.constantFrom(...t.map((s) => s.at + 4)),
        by: fc.integer({ min: -64, max: 64 }),
      }),
    );
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        let k: Uint8Array;
        if (m.kind === "truncate") k = key.subarray(0, m.at);
        else if (m.kind === "order") k = reorder(key, m.order);
        else {
          k = key.slice();
          const dv = new DataView(k.buffer);
          if (m.kind === "flip") k[m.at] ^= m.bits;
          else
            dv.setBigUint64(
              m.at,
              BigInt(Math.max(0, Number(dv.getBigUint64(m.at, true)) + m.by)),
              true,
            );
        }
        writeFileSync(file, k);
        try {
          const r = await nativeGroth16Prove(addon, file, wtns);
          // Sections in another order are the same key; a flipped byte in a point may make
          // a proof that does not verify, which is the verifier's job to refuse.
          if (m.kind === "order")
            assert.equal(await snarkjs.groth16.verify(vk, r.publicSignals, r.proof), true);
          outcomes.set("proof", (outcomes.get("proof") ?? 0) + 1);
        } catch (e) {
          const err = e as { code?: string; message?: string };
          assert.ok(
            CODES.includes(err.code ?? ""),
            `a coded error, not ${err.code}: ${err.message}`,
          );
          assert.match(err.message ?? "", /^groth16 prove: .{10,}/);
          outcomes.set(err.code!, (outcomes.get(err.code!) ?? 0) + 1);
        }
      }),
      { numRuns: 150 },
    );
    assert.ok(
      (outcomes.get("PROVE_BAD_KEY") ?? 0) > 0 && (outcomes.get("proof") ?? 0) > 0,
      JSON.stringify([...outcomes]),
    );

    // Witnesses: truncated anywhere, or a flipped byte in their headers.
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: wtns.length - 1 }),
        fc.nat({ max: 75 }),
        fc.integer({ min: 1, max: 255 }),
        async (cut, at, bits) => {
          for (const w of [
            wtns.subarray(0, cut),
            (() => {
              const x = wtns.slice();
              x[at] ^= bits;
              return x;
            })(),
          ]) {
            try {
              await nativeGroth16Prove(addon, ZKEY, w);
            } catch (e) {
              const err = e as { code?: string; message?: string };
              assert.ok(
                CODES.includes(err.code ?? ""),
                `a coded error, not ${err.code}: ${err.message}`,
              );
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("proves the same proof as the WebAssembly prover would verify (both provers, one key)", async function () {
    const vk = await snarkjs.zKey.exportVerificationKey(ZKEY);
    const wasm = await groth16Prove(ZKEY, wtns);
    const native = await nativeGroth16Prove(addon, ZKEY, wtns);
    assert.deepEqual(native.publicSignals, wasm.publicSignals);
    assert.equal(await snarkjs.groth16.verify(vk, native.publicSignals, native.proof), true);
    assert.equal(await snarkjs.groth16.verify(vk, wasm.publicSignals, wasm.proof), true);
  });
});
