// Tests for zkclear's Groth16 prover (prover/src/proving/groth16.ts), on a small circuit
// compiled here and its INSECURE development key.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as binFileUtils from "@iden3/binfileutils";
import { BigBuffer, buildBn128, type Bn128Curve } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { generateDevZkey } from "../../prover/src/proving/dev-zkey.ts";
import { buildAbc, groth16Prove, wtnsValues } from "../../prover/src/proving/groth16.ts";
import { compileCircom } from "../../prover/src/proving/build.ts";
import { calculateWtns } from "../../prover/src/proving/prover.ts";
import { ROOT } from "../../prover/src/domain/paths.ts";

const FIXTURE = join(ROOT, "test/fixtures/dev-zkey/tiny.circom");
const OUT = join(ROOT, "artifacts/test-fixtures/groth16");
const WASM = join(OUT, "tiny_js/tiny.wasm");
const ZKEY = join(OUT, "tiny.dev.insecure.zkey");
const INPUT = { a: "3", b: "5", secret: "11" };
const COEF = 44;

async function keySections(): Promise<{
  coeffs: Uint8Array;
  nVars: number;
  domainSize: number;
}> {
  const { fd, sections } = await binFileUtils.readBinFile(ZKEY, "zkey", 2);
  const coeffs = (await binFileUtils.readSection(fd, sections, 4)) as Uint8Array;
  const header = (await binFileUtils.readSection(fd, sections, 2)) as Uint8Array;
  await fd.close();
  const dv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  // n8q, q (32), n8r, r (32), nVars, nPublic, domainSize
  return { coeffs, nVars: dv.getUint32(72, true), domainSize: dv.getUint32(80, true) };
}

/** A, B and C = A*B by the definition: one field operation per coefficient, in file order. */
function referenceAbc(
  curve: Bn128Curve,
  coeffs: Uint8Array,
  witness: Uint8Array,
  domainSize: number,
): Uint8Array[] {
  const { Fr } = curve;
  const F = Fr as unknown as {
    add(a: Uint8Array, b: Uint8Array): Uint8Array;
    mul(a: Uint8Array, b: Uint8Array): Uint8Array;
  };
  const out = [0, 1, 2].map(() => new Uint8Array(domainSize * 32));
  const dv = new DataView(coeffs.buffer, coeffs.byteOffset, coeffs.byteLength);
  const n = dv.getUint32(0, true);
  for (let i = 0; i < n; i++) {
    const p = 4 + i * COEF;
    const [m, c, s] = [dv.getUint32(p, true), dv.getUint32(p + 4, true), dv.getUint32(p + 8, true)];
    const acc = out[m]!.subarray(c * 32, c * 32 + 32);
    const term = F.mul(coeffs.subarray(p + 12, p + COEF), witness.subarray(s * 32, s * 32 + 32));
    acc.set(F.add(acc, term));
  }
  for (let c = 0; c < domainSize; c++) {
    const at = (m: number) => out[m]!.subarray(c * 32, c * 32 + 32);
    at(2).set(F.mul(at(0), at(1)));
  }
  return out;
}

/** A .wtns file (version 2, bn128) holding `values` and claiming `count` of them. */
function wtnsFile(values: Uint8Array, count: number): Uint8Array {
  const head = new Uint8Array(12 + 12 + 40 + 12);
  const dv = new DataView(head.buffer);
  head.set(new TextEncoder().encode("wtns"));
  dv.setUint32(4, 2, true);
  dv.setUint32(8, 2, true);
  dv.setUint32(12, 1, true);
  dv.setBigUint64(16, 40n, true);
  dv.setUint32(24, 32, true);
  let r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
  for (let i = 0; i < 32; i++, r >>= 8n) head[28 + i] = Number(r & 0xffn);
  dv.setUint32(60, count, true);
  dv.setUint32(64, 2, true);
  dv.setBigUint64(68, BigInt(values.byteLength), true);
  const out = new Uint8Array(head.byteLength + values.byteLength);
  out.set(head);
  out.set(values, head.byteLength);
  return out;
}

/** The coefficient section with its entries permuted (i -> 7i + 3 mod n), so rows are out of order. */
function shuffle(coeffs: Uint8Array): Uint8Array {
  const n = new DataView(coeffs.buffer, coeffs.byteOffset).getUint32(0, true);
  assert.notEqual(n % 7, 0, "7i + 3 mod n is a permutation");
  const out = new Uint8Array(coeffs.byteLength);
  out.set(coeffs.subarray(0, 4));
  for (let i = 0; i < n; i++) {
    const j = (i * 7 + 3) % n;
    out.set(coeffs.subarray(4 + j * COEF, 4 + (j + 1) * COEF), 4 + i * COEF);
  }
  return out;
}

const asBytes = (b: Uint8Array | BigBuffer): Uint8Array =>
  b instanceof Uint8Array ? b : (b.slice(0, b.byteLength) as Uint8Array);

describe("Groth16 prover (build ABC on every thread)", function () {
  let curve: Bn128Curve;
  let wtns: Uint8Array;

  before(async function () {
    await compileCircom(FIXTURE, OUT, { wasm: true });
    await generateDevZkey({ r1csPath: join(OUT, "tiny.r1cs"), zkeyPath: ZKEY });
    curve = await buildBn128();
    wtns = await calculateWtns(WASM, INPUT);
  });

  after(async function () {
    await (await buildBn128()).terminate();
  });

  it("proves what snarkjs proves: its verifier accepts, with the same public signals", async function () {
    const vk = await snarkjs.zKey.exportVerificationKey(ZKEY);
    const ours = await groth16Prove(ZKEY, wtns);
    const theirs = await snarkjs.groth16.prove(ZKEY, { type: "mem", data: wtns });
    assert.deepEqual(ours.publicSignals, theirs.publicSignals);
    assert.deepEqual(ours.publicSignals.slice(1), ["172", "3", "5"]); // mix = 3*5*11 + 7, a, b
    assert.equal(ours.proof.protocol, "groth16");
    assert.equal(ours.proof.curve, "bn128");
    assert.equal(await snarkjs.groth16.verify(vk, ours.publicSignals, ours.proof), true);
    // Fresh blinding each time: two proofs of one witness differ, and both verify.
    const again = await groth16Prove(ZKEY, wtns);
    assert.notDeepEqual(again.proof.pi_a, ours.proof.pi_a);
    assert.equal(await snarkjs.groth16.verify(vk, again.publicSignals, again.proof), true);
    const tampered = [...ours.publicSignals];
    tampered[2] = "4";
    assert.equal(await snarkjs.groth16.verify(vk, tampered, ours.proof), false);
  });

  it("makes no valid proof of a forged witness", async function () {
    const vk = await snarkjs.zKey.exportVerificationKey(ZKEY);
    const { values } = wtnsValues(wtns);
    // The last wire is internal (the Poseidon state): change it and every constraint using it
    // is violated; the prover proves anyway, and the verifier refuses the result.
    const forged = wtns.slice();
    const at = forged.byteLength - 32;
    forged[at] = forged[at]! ^ 1;
    assert.notDeepEqual(wtnsValues(forged).values, values);
    const res = await groth16Prove(ZKEY, forged);
    assert.equal(await snarkjs.groth16.verify(vk, res.publicSignals, res.proof), false);
  });

  it("evaluates A, B and C exactly as the definition does, in either coefficient order", async function () {
    const { coeffs, nVars, domainSize } = await keySections();
    const { values } = wtnsValues(wtns);
    const want = referenceAbc(curve, coeffs, values, domainSize);
    const got = await buildAbc(curve, coeffs, values, domainSize, nVars);
    for (let m = 0; m < 3; m++) assert.deepEqual(asBytes(got[m]!), want[m], `matrix ${"ABC"[m]}`);
    assert.ok(curve.tm.concurrency >= 2, "the domain is split between threads");

    // Shuffled coefficients (not ordered by constraint): every thread gets all of them.
    const shuffled = shuffle(coeffs);
    const fromShuffled = await buildAbc(curve, shuffled, values, domainSize, nVars);
    for (let m = 0; m < 3; m++) assert.deepEqual(asBytes(fromShuffled[m]!), want[m]);
  });

  it("refuses a coefficient outside the domain in either coefficient order", async function () {
    const { coeffs, nVars, domainSize } = await keySections();
    const { values } = wtnsValues(wtns);
    for (const c of [coeffs, shuffle(coeffs)]) {
      // The last coefficient's row (in the sorted key the highest) is moved past the domain.
      const bad = c.slice();
      new DataView(bad.buffer).setUint32(bad.byteLength - COEF + 4, domainSize, true);
      await assert.rejects(buildAbc(curve, bad, values, domainSize, nVars), {
        code: "PROVE_BAD_KEY",
        message: new RegExp(`is for row ${domainSize}, outside the domain`),
      });
    }
  });

  it("refuses a key that is not a bn128 Groth16 key, saying which", async function () {
    const key = readFileSync(ZKEY);
    const { fd, sections } = await binFileUtils.readBinFile(ZKEY, "zkey", 2);
    await fd.close();
    const [s1, s2] = [sections[1]![0]!.p, sections[2]![0]!.p];
    const cases: [string, (k: Buffer) => void, RegExp][] = [
      ["plonk", (k) => k.writeUInt32LE(2, s1), /not a Groth16 key/],
      ["another q", (k) => (k[s2 + 4] = k[s2 + 4]! ^ 1), /not for bn128/],
      ["domain 3", (k) => k.writeUInt32LE(3, s2 + 80), /domain size 3 is not a power of 2/],
    ];
    for (const [name, corrupt, why] of cases) {
      const k = Buffer.from(key);
      corrupt(k);
      const file = join(OUT, `tiny.${name.replace(" ", "-")}.insecure.zkey`);
      writeFileSync(file, k);
      await assert.rejects(groth16Prove(file, wtns), { code: "PROVE_BAD_KEY", message: why }, name);
    }
  });

  it("refuses a witness that is not for the key, or not a witness, saying which", async function () {
    // A well-formed witness file with one value fewer than the key's circuit has.
    const { values, nWitness } = wtnsValues(wtns);
    const short = wtnsFile(values.subarray(0, values.byteLength - 32), nWitness - 1);
    await assert.rejects(groth16Prove(ZKEY, short), {
      code: "PROVE_WITNESS_MISMATCH",
      message: new RegExp(
        `the witness has ${nWitness - 1} values and the key's circuit ${nWitness}`,
      ),
    });
    const lying = wtnsFile(values, nWitness + 1); // a count its values do not match
    await assert.rejects(groth16Prove(ZKEY, lying), /witness section has the wrong size/);
    await assert.rejects(
      groth16Prove(ZKEY, new TextEncoder().encode("not a witness file")),
      /not a \.wtns file/,
    );
    const wide = wtnsFile(values, nWitness);
    new DataView(wide.buffer).setUint32(24, 48, true); // a 48-byte field (not bn128's Fr)
    await assert.rejects(groth16Prove(ZKEY, wide), {
      code: "PROVE_BAD_WITNESS",
      message: /48-byte values, not bn128's 32/,
    });
    const noValues = wtnsFile(values, nWitness);
    new DataView(noValues.buffer).setUint32(8, 1, true); // the header section alone
    await assert.rejects(groth16Prove(ZKEY, noValues), /the witness file is incomplete/);
    const { coeffs, nVars, domainSize } = await keySections();
    await assert.rejects(
      buildAbc(
        curve,
        coeffs.subarray(0, coeffs.byteLength - 1),
        wtnsValues(wtns).values,
        domainSize,
        nVars,
      ),
      /coefficient section has the wrong size/,
    );
    await assert.rejects(
      buildAbc(curve, coeffs, wtnsValues(wtns).values, 4, nVars),
      /outside the domain/,
    );
  });
});
