// The native prover's stages (native/src, through the addon's `stages`), each against
// ffjavascript's (the WebAssembly prover's) result on random inputs (fast-check) and on the
// edge cases: zero scalars, the point at infinity, r - 1, a domain of one element.
import assert from "node:assert/strict";
import fc from "fast-check";
import { buildBn128, type Bn128Curve } from "ffjavascript";
import { nativeProver, type NativeStages } from "../../prover/src/proving/native.ts";

const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const le32 = (x: bigint): Uint8Array => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++, x >>= 8n) b[i] = Number(x & 0xffn);
  return b;
};
const fromLe = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
};
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};
const modPow = (b: bigint, e: bigint, m: bigint): bigint => {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
};

/** Scalars with the edges over-represented: 0, 1, r - 1, and random ones. */
const scalar = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, R - 1n, R - 2n) },
  { weight: 4, arbitrary: fc.bigInt(0n, R - 1n) },
);

describe("native prover stages against ffjavascript", function () {
  let curve: Bn128Curve;
  let S: NativeStages;

  before(async function () {
    const addon = nativeProver();
    assert.ok(addon, "the native addon is built and loads (npm run build:native)");
    S = addon.stages;
    curve = await buildBn128();
  });

  after(async function () {
    await curve.terminate();
  });

  it("multiplies, adds, subtracts, negates and inverts in Fq and Fr as BigInt arithmetic does", function () {
    for (const [which, p] of [
      ["fq", Q],
      ["fr", R],
    ] as const) {
      const el = fc.oneof(fc.constantFrom(0n, 1n, p - 1n, p - 2n), fc.bigInt(0n, p - 1n));
      fc.assert(
        fc.property(el, el, (x, y) => {
          const [a, b] = [le32(x), le32(y)];
          assert.equal(fromLe(S.field(which, "mul", a, b)), (x * y) % p);
          assert.equal(fromLe(S.field(which, "add", a, b)), (x + y) % p);
          assert.equal(fromLe(S.field(which, "sub", a, b)), (x - y + p) % p);
          assert.equal(fromLe(S.field(which, "neg", a, b)), (p - x) % p);
          assert.equal(fromLe(S.field(which, "inv", a, b)), modPow(x, p - 2n, p));
        }),
        { numRuns: 200 },
      );
      assert.throws(() => S.field(which, "add", le32(p), le32(0n)), /at or above the modulus/);
    }
  });

  it("computes the FFT and the inverse FFT of ffjavascript, from a domain of one element up", async function () {
    const { Fr } = curve;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 7 }),
        fc.array(scalar, { maxLength: 128 }),
        async (k, xs) => {
          const n = 1 << k;
          const v = concat(
            Array.from({ length: n }, (_, i) => Fr.e(xs[i % Math.max(1, xs.length)] ?? 0n)),
          );
          for (const inverse of [false, true]) {
            const want = (inverse ? await Fr.ifft(v) : await Fr.fft(v)) as Uint8Array;
            assert.deepEqual(
              new Uint8Array(S.fft(v, inverse)),
              want,
              `${inverse ? "ifft" : "fft"} of 2^${k}`,
            );
          }
        },
      ),
      { numRuns: 40 },
    );
    // A domain past the addon's cache-sized blocks (2^11), so that its later stages run too.
    const big = concat(
      Array.from({ length: 1 << 13 }, (_, i) => Fr.e(BigInt(i) * 0x9e3779b97f4a7c15n + 7n)),
    );
    for (const inverse of [false, true]) {
      const want = (inverse ? await Fr.ifft(big) : await Fr.fft(big)) as Uint8Array;
      assert.deepEqual(new Uint8Array(S.fft(big, inverse)), want, `2^13, inverse ${inverse}`);
    }
    assert.throws(() => S.fft(new Uint8Array(96), false), /power of 2/);
  });

  for (const g of ["G1", "G2"] as const) {
    it(`computes ${g} multi-scalar multiplications as ffjavascript's multiExpAffine, infinity and zero scalars included`, async function () {
      const G = curve[g];
      const size = g === "G1" ? 64 : 128;
      const msm = g === "G1" ? S.msmG1 : S.msmG2;
      const check = async (ks: bigint[], points: bigint[]) => {
        const bases = concat(
          points.map((p) => {
            const b = new Uint8Array(size); // p = 0: (0, 0), the point at infinity
            if (p !== 0n) G.toRprLEM(b, 0, G.toAffine(G.timesScalar(G.g, p)));
            return b;
          }),
        );
        const scalars = concat(ks.map(le32));
        const want = await G.multiExpAffine(bases, scalars);
        const got = msm(bases, scalars);
        // (0, 0) is the point at infinity (ffjavascript's fromRprLEM does not read it so).
        const sum = got.every((x) => x === 0) ? G.zero : G.fromRprLEM(got, 0);
        // Affine forms compared: ffjavascript's sum of (0, 0) bases is a point whose isZero
        // is false but whose affine form is the point at infinity.
        const affine = (p: Uint8Array) => G.toObject(G.toAffine(p));
        assert.deepEqual(affine(sum), affine(want), `${ks.length} terms`);
      };
      const terms = fc.array(fc.tuple(scalar, fc.oneof(fc.constant(0n), fc.bigInt(1n, R - 1n))), {
        minLength: 1,
        maxLength: 40,
      });
      await fc.assert(
        fc.asyncProperty(terms, (t) =>
          check(
            t.map(([k]) => k),
            t.map(([, p]) => p),
          ),
        ),
        { numRuns: g === "G1" ? 40 : 20 },
      );
      // Edges: one term; all scalars zero (the sum is infinity); r - 1 times P (= -P);
      // P + P in one bucket (the doubling case); enough terms to split windows between
      // tasks.
      await check([R - 1n], [5n]);
      await check([0n, 0n], [7n, 9n]);
      await check([3n, 3n], [11n, 11n]);
      await check([1n, R - 1n], [13n, 13n]);
      const n = g === "G1" ? 3000 : 1500;
      await check(
        Array.from({ length: n }, (_, i) =>
          i % 3 === 0 ? 0n : (BigInt(i) * 0x9e3779b97f4a7c15n) % R,
        ),
        Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0n : BigInt(i + 1))),
      );
      assert.throws(() => msm(new Uint8Array(size), le32(R)), /at or above the modulus/);
    });
  }

  it("takes A, B and C = A*B to the odd coset and joins H as the WebAssembly prover does", async function () {
    const { Fr } = curve;
    const F = Fr as unknown as {
      mul(a: Uint8Array, b: Uint8Array): Uint8Array;
      sub(a: Uint8Array, b: Uint8Array): Uint8Array;
      fromMontgomery(a: Uint8Array): Uint8Array;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }),
        fc.array(scalar, { minLength: 3, maxLength: 192 }),
        async (k, xs) => {
          const n = 1 << k;
          const at = (j: number) => Fr.e(xs[j % xs.length]!);
          const [a, b, c] = [0, 1, 2].map((m) =>
            concat(Array.from({ length: n }, (_, i) => at(3 * i + m))),
          );
          const shift = Fr.w[k + 1];
          const odd = async (v: Uint8Array) =>
            (await Fr.fft(await Fr.batchApplyKey(await Fr.ifft(v), Fr.e(1), shift))) as Uint8Array;
          const [ao, bo, co] = [await odd(a!), await odd(b!), await odd(c!)];
          const want = concat(
            Array.from({ length: n }, (_, i) => {
              const e = (x: Uint8Array) => x.subarray(32 * i, 32 * i + 32);
              return F.fromMontgomery(F.sub(F.mul(e(ao), e(bo)), e(co)));
            }),
          );
          assert.deepEqual(new Uint8Array(S.computeH(a!, b!, c!)), want, `domain 2^${k}`);
        },
      ),
      { numRuns: 30 },
    );
  });
});
