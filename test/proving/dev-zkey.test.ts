// Tests for the INSECURE development zkey generator (prover/src/proving/dev-zkey.ts).
// Every key and ptau written here is insecure by construction; file names say so.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBn128, type Bn128Curve } from "ffjavascript";
import * as snarkjs from "snarkjs";
import {
  BN128_Q,
  BN128_R,
  DevZkeyError,
  deriveInsecureToxicWaste,
  generateDevZkey,
  type DevZkeyInfo,
} from "../../prover/src/proving/dev-zkey.ts";
import {
  CeremonyError,
  readPtauInfo,
  runGroth16Ceremony,
} from "../../prover/src/proving/ceremony.ts";
import { compileCircom } from "../../prover/src/proving/build.ts";
import { ROOT } from "../../prover/src/domain/paths.ts";

const FIXTURE = join(ROOT, "test/fixtures/dev-zkey/tiny.circom");
const OUT = join(ROOT, "artifacts/test-fixtures/dev-zkey");
const R1CS = join(OUT, "tiny.r1cs");
const WASM = join(OUT, "tiny_js/tiny.wasm");
const INPUT = { a: 3, b: 5, secret: 11 };

/** Sections of an iden3 binary file (zkey/ptau), by id; asserts each id is unique. */
function readSections(file: string, magic: string): Map<number, Uint8Array> {
  const buf = readFileSync(file);
  assert.equal(buf.subarray(0, 4).toString("latin1"), magic, `${file} magic`);
  const n = buf.readUInt32LE(8);
  const sections = new Map<number, Uint8Array>();
  let pos = 12;
  for (let i = 0; i < n; i++) {
    const id = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    pos += 12;
    assert.ok(!sections.has(id), `duplicated section ${id}`);
    sections.set(id, buf.subarray(pos, pos + size));
    pos += size;
  }
  assert.equal(pos, buf.byteLength, `${file} has trailing bytes`);
  return sections;
}

function section(s: Map<number, Uint8Array>, id: number): Uint8Array {
  const v = s.get(id);
  assert.ok(v, `missing section ${id}`);
  return v;
}

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  assert.equal(a.byteLength, b.byteLength, `${what}: length`);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)), `${what}: bytes differ`);
}

function u32(b: Uint8Array, offset: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(offset, true);
}

function le(x: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let v = x;
  for (let i = 0; i < len; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
}

function binFile(magic: string, sections: [number, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [
    Buffer.from(magic, "latin1"),
    le(1n, 4),
    le(BigInt(sections.length), 4),
  ];
  for (const [id, data] of sections)
    parts.push(le(BigInt(id), 4), le(BigInt(data.byteLength), 8), data);
  return concat(parts);
}

/**
 * Writes an INSECURE, un-prepared powers-of-tau file whose toxic waste is known (tau, alpha,
 * beta), in snarkjs's layout (sections 1-7, zero contributions), so snarkjs's preparePhase2 and
 * zkey_new can build "the same" key our generator builds.
 */
function writeKnownPtau(
  curve: Bn128Curve,
  file: string,
  power: number,
  w: { tau: bigint; alpha: bigint; beta: bigint },
): void {
  const { G1, G2, Fr } = curve;
  const g1 = (x: bigint): Uint8Array => G1.toAffine(G1.timesFr(G1.g, Fr.e(x)));
  const g2 = (x: bigint): Uint8Array => G2.toAffine(G2.timesFr(G2.g, Fr.e(x)));
  const n = 2 ** power;
  const tauPow: bigint[] = [1n];
  for (let i = 1; i < 2 * n; i++) tauPow.push((tauPow[i - 1]! * w.tau) % BN128_R);
  const header = concat([le(32n, 4), le(BN128_Q, 32), le(BigInt(power), 4), le(BigInt(power), 4)]);
  writeFileSync(
    file,
    binFile("ptau", [
      [1, header],
      [2, concat(tauPow.slice(0, 2 * n - 1).map(g1))],
      [3, concat(tauPow.slice(0, n).map(g2))],
      [4, concat(tauPow.slice(0, n).map((t) => g1((t * w.alpha) % BN128_R)))],
      [5, concat(tauPow.slice(0, n).map((t) => g1((t * w.beta) % BN128_R)))],
      [6, g2(w.beta)],
      [7, le(0n, 4)],
    ]),
  );
}

describe("INSECURE dev zkey generator", function () {
  let curve: Bn128Curve;
  let devKey: string;
  let devInfo: DevZkeyInfo;
  // A tiny snarkjs phase 1 (power 8, one throw-away contribution): INSECURE, tests only.
  const pot0 = join(OUT, "pot8_0.insecure.ptau");
  const pot1 = join(OUT, "pot8_1.insecure.ptau");
  const potFinal = join(OUT, "pot8_final.insecure.ptau");

  before(async function () {
    await compileCircom(FIXTURE, OUT, { wasm: true });
    curve = await buildBn128();
    devKey = join(OUT, "tiny.dev.insecure.zkey");
    devInfo = await generateDevZkey({ r1csPath: R1CS, zkeyPath: devKey });
    await snarkjs.powersOfTau.newAccumulator(curve, 8, pot0);
    await snarkjs.powersOfTau.contribute(pot0, pot1, "test", "not secret at all");
    await snarkjs.powersOfTau.preparePhase2(pot1, potFinal);
  });

  after(async function () {
    // snarkjs and this file share ffjavascript's cached worker pool: stop it so mocha can exit.
    const c = await buildBn128();
    await c.terminate();
  });

  it("reports the circuit shape the way zkey_new sizes it", function () {
    assert.equal(devInfo.insecure, true);
    assert.equal(devInfo.nConstraints, 242);
    assert.equal(devInfo.nVars, 246);
    assert.equal(devInfo.nPublic, 4); // 2 outputs + 2 public inputs
    assert.equal(devInfo.domainSize, 256); // smallest 2^k > nConstraints + nPublic
    assert.equal(devInfo.csHash.length, 128);
  });

  it("produces proofs that snarkjs verifies, and rejects a tampered public signal", async function () {
    const vk = await snarkjs.zKey.exportVerificationKey(devKey);
    assert.equal(vk.protocol, "groth16");
    assert.equal(vk.nPublic, 4);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(INPUT, WASM, devKey);
    assert.deepEqual(publicSignals.slice(1), ["172", "3", "5"]); // mix = 3*5*11 + 7, a, b
    assert.equal(await snarkjs.groth16.verify(vk, publicSignals, proof), true);

    const tampered = [...publicSignals];
    tampered[2] = "4";
    assert.equal(await snarkjs.groth16.verify(vk, tampered, proof), false);
    const tamperedOut = [...publicSignals];
    tamperedOut[0] = (BigInt(publicSignals[0]!) + 1n).toString();
    assert.equal(await snarkjs.groth16.verify(vk, tamperedOut, proof), false);
  });

  it("is deterministic for a given entropy and random otherwise", async function () {
    const entropy = new TextEncoder().encode("dev-zkey test entropy");
    const k1 = join(OUT, "tiny.det1.insecure.zkey");
    const k2 = join(OUT, "tiny.det2.insecure.zkey");
    const i1 = await generateDevZkey({ r1csPath: R1CS, zkeyPath: k1, entropy });
    const i2 = await generateDevZkey({ r1csPath: R1CS, zkeyPath: k2, entropy });
    assert.equal(i1.csHash, i2.csHash);
    sameBytes(readFileSync(k1), readFileSync(k2), "same-entropy keys");
    assert.notEqual(i1.csHash, devInfo.csHash);
  });

  it("matches snarkjs zkey_new byte for byte given the same tau, alpha, beta", async function () {
    const entropy = new TextEncoder().encode("known toxic waste cross-check");
    const waste = deriveInsecureToxicWaste(entropy);
    const ours = join(OUT, "tiny.known.insecure.zkey");
    const info = await generateDevZkey({ r1csPath: R1CS, zkeyPath: ours, entropy });

    // One power above the circuit's so that zkey_new's H level is built from genuine powers.
    const ptau = join(OUT, "known.insecure.ptau");
    const ptauPrepared = join(OUT, "known.prepared.insecure.ptau");
    const theirs = join(OUT, "tiny.known.snarkjs.insecure.zkey");
    writeKnownPtau(curve, ptau, info.power + 1, waste);
    await snarkjs.powersOfTau.preparePhase2(ptau, ptauPrepared);
    const csHash = await snarkjs.zKey.newZKey(R1CS, ptauPrepared, theirs);
    assert.ok(csHash instanceof Uint8Array, "zkey_new failed");

    const a = readSections(ours, "zkey");
    const b = readSections(theirs, "zkey");
    assert.deepEqual([...a.keys()], [...b.keys()], "same sections in the same order");
    for (const id of [1, 4, 5, 6, 7, 10]) {
      sameBytes(section(a, id), section(b, id), `section ${id}`);
    }
    // Header: ints and alpha1, beta1, beta2 equal; gamma2/delta are ours (theirs = generators).
    const ha = section(a, 2);
    const hb = section(b, 2);
    sameBytes(ha.subarray(0, 84 + 256), hb.subarray(0, 84 + 256), "groth16 header up to beta2");
    const { G1, G2, Fr } = curve;
    const gamma = Fr.e(waste.gamma);
    const delta = Fr.e(waste.delta);
    sameBytes(ha.subarray(340, 468), G2.toAffine(G2.timesFr(G2.g, gamma)), "gamma2");
    sameBytes(ha.subarray(468, 532), G1.toAffine(G1.timesFr(G1.g, delta)), "delta1");
    sameBytes(ha.subarray(532, 660), G2.toAffine(G2.timesFr(G2.g, delta)), "delta2");
    sameBytes(hb.subarray(340, 468), G2.toAffine(G2.g), "snarkjs gamma2 is the generator");

    // IC is ours*gamma, C and H are ours*delta.
    const scaled = (id: number, k: Uint8Array): void => {
      const sa = section(a, id);
      const sb = section(b, id);
      assert.equal(sa.byteLength, sb.byteLength, `section ${id} length`);
      for (let o = 0; o < sa.byteLength; o += 64) {
        const pa = G1.timesFr(G1.fromRprLEM(sa, o), k);
        const pb = G1.fromRprLEM(sb, o);
        assert.ok(G1.eq(pa, pb), `section ${id} point ${o / 64}`);
      }
    };
    scaled(3, gamma);
    scaled(8, delta);
    scaled(9, delta);
  });

  it("has the structure of a key from snarkjs's own ceremony path", async function () {
    const theirs = join(OUT, "tiny.snarkjs-path.insecure.zkey");
    const csHash = await snarkjs.zKey.newZKey(R1CS, potFinal, theirs);
    assert.ok(csHash instanceof Uint8Array, "zkey_new failed");

    const a = readSections(devKey, "zkey");
    const b = readSections(theirs, "zkey");
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [id, bytes] of b) {
      assert.equal(section(a, id).byteLength, bytes.byteLength, `section ${id} size`);
    }
    sameBytes(section(a, 1), section(b, 1), "protocol section");
    sameBytes(section(a, 2).subarray(0, 84), section(b, 2).subarray(0, 84), "n8q,q,n8r,r,sizes");
    const h = section(a, 2);
    assert.deepEqual([u32(h, 72), u32(h, 76), u32(h, 80)], [246, 4, 256]);
    sameBytes(section(a, 4), section(b, 4), "coefficient section");
    // Both keys prove the same statement.
    const vk = await snarkjs.zKey.exportVerificationKey(theirs);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(INPUT, WASM, theirs);
    assert.equal(await snarkjs.groth16.verify(vk, publicSignals, proof), true);
  });

  it("fails with typed errors on unreadable or foreign input", async function () {
    await assert.rejects(
      generateDevZkey({
        r1csPath: join(OUT, "missing.r1cs"),
        zkeyPath: join(OUT, "x.insecure.zkey"),
      }),
      (err: unknown) => err instanceof DevZkeyError && err.code === "R1CS_READ_FAILED",
    );
    const junk = join(OUT, "junk.r1cs");
    writeFileSync(junk, "this is not an r1cs file at all");
    await assert.rejects(
      generateDevZkey({ r1csPath: junk, zkeyPath: join(OUT, "x.insecure.zkey") }),
      (err: unknown) => err instanceof DevZkeyError && err.code === "R1CS_MALFORMED",
    );
  });

  describe("ceremony path (with a throw-away test ptau)", function () {
    it("runs newZKey, contributions, beacon, verifyFromR1cs and exports a working vk", async function () {
      const res = await runGroth16Ceremony({
        r1csPath: R1CS,
        ptauPath: potFinal,
        outDir: join(OUT, "ceremony"),
        name: "tiny.ceremony.insecure",
        contributions: 2,
        entropy: ["first contributor's entropy"],
        beacon: { hashHex: "0123456789abcdef".repeat(4), iterationsExp: 10 },
        terminateCurve: false,
      });
      assert.equal(res.contributionHashes.length, 3);
      assert.equal(res.fit.circuitPower, 8);
      assert.equal(res.csHash.length, 128);
      assert.deepEqual(res.intermediateZkeys, []);
      const vk = JSON.parse(
        readFileSync(res.verificationKeyPath, "utf8"),
      ) as snarkjs.VerificationKey;
      const { proof, publicSignals } = await snarkjs.groth16.fullProve(INPUT, WASM, res.zkeyPath);
      assert.equal(await snarkjs.groth16.verify(vk, publicSignals, proof), true);
      const mpc = section(readSections(res.zkeyPath, "zkey"), 10);
      assert.equal(u32(mpc, 64), 3, "two contributions and a beacon recorded");
    });

    it("refuses an unprepared or too small ptau with typed errors", async function () {
      const opts = { r1csPath: R1CS, outDir: join(OUT, "ceremony-refused"), terminateCurve: false };
      await assert.rejects(
        runGroth16Ceremony({ ...opts, ptauPath: pot0 }),
        (err: unknown) => err instanceof CeremonyError && err.code === "PTAU_NOT_PREPARED",
      );
      const small0 = join(OUT, "pot6_0.insecure.ptau");
      const small = join(OUT, "pot6_final.insecure.ptau");
      await snarkjs.powersOfTau.newAccumulator(curve, 6, small0);
      await snarkjs.powersOfTau.preparePhase2(small0, small);
      assert.equal((await readPtauInfo(small)).power, 6);
      await assert.rejects(
        runGroth16Ceremony({ ...opts, ptauPath: small }),
        (err: unknown) => err instanceof CeremonyError && err.code === "PTAU_TOO_SMALL",
      );
      await assert.rejects(
        runGroth16Ceremony({ ...opts, ptauPath: potFinal, entropy: [""] }),
        (err: unknown) => err instanceof CeremonyError && err.code === "INVALID_OPTIONS",
      );
    });
  });
});
