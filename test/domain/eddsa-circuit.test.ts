import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fc from "fast-check";
import {
  isSmallOrder,
  isUsablePublicKey,
  mulPoint,
  verifyEdDSAPoseidon,
} from "../../prover/src/domain/babyjub.ts";
import { modPow } from "../../prover/src/domain/field.ts";
import { keyPairFromPrivate, sign } from "../../prover/src/domain/keys.ts";
import { isUsableKey } from "../../prover/src/domain/transfers.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";

const bj = createRequire(import.meta.url)("@zk-kit/baby-jubjub") as {
  Base8: [bigint, bigint];
  subOrder: bigint;
  r: bigint;
  inCurve(p: [bigint, bigint]): boolean;
};
const P = bj.r;
const A = 168700n;
const D = 168696n;
const mod = (x: bigint) => ((x % P) + P) % P;

/** A square root mod p (Tonelli–Shanks), or undefined for a non-residue. */
function sqrt(n: bigint): bigint | undefined {
  n = mod(n);
  if (n === 0n) return 0n;
  if (modPow(n, (P - 1n) / 2n, P) !== 1n) return undefined;
  let q = P - 1n;
  let s = 0n;
  while (q % 2n === 0n) {
    q /= 2n;
    s++;
  }
  let z = 2n;
  while (modPow(z, (P - 1n) / 2n, P) !== P - 1n) z++;
  let m = s;
  let c = modPow(z, q, P);
  let t = modPow(n, q, P);
  let r = modPow(n, (q + 1n) / 2n, P);
  while (t !== 1n) {
    let i = 0n;
    let t2 = t;
    while (t2 !== 1n) {
      t2 = mod(t2 * t2);
      i++;
    }
    const b = modPow(c, 1n << (m - i - 1n), P);
    m = i;
    c = mod(b * b);
    t = mod(t * c);
    r = mod(r * b);
  }
  return r;
}

/** Every point of small order (order 1, 2, 4 or 8): subOrder times points off the subgroup. */
function smallOrderPoints(): [bigint, bigint][] {
  const found = new Map<string, [bigint, bigint]>();
  for (let y = 2n; found.size < 8 && y < 500n; y++) {
    const x2 = mod((1n - y * y) * modPow(mod(A - D * y * y), P - 2n, P));
    const x = sqrt(x2);
    if (x === undefined) continue;
    for (const px of [x, mod(-x)]) {
      const t = mulPoint([px, y], bj.subOrder);
      found.set(`${t[0]}:${t[1]}`, t);
    }
  }
  return [...found.values()];
}

type Sig = { r8x: bigint; r8y: bigint; s: bigint };
type Key = { x: bigint; y: bigint };

describe("EdDSA-Poseidon: the TypeScript verifier agrees with circomlib's verifier circuit", function () {
  let probe: ProbeBuild;
  const small = smallOrderPoints();

  before(async function () {
    probe = await compileProbe("eddsa_verifier", "order.circom", "EdDSAPoseidonVerifier()", {
      wasm: true,
    });
  });

  /** The circuit's verdict: its witness exists (every constraint of the verifier holds). */
  async function circuit(m: bigint, sig: Sig, k: Key): Promise<boolean> {
    try {
      await calculateWitness(probe.wasm!, {
        enabled: "1",
        Ax: k.x.toString(),
        Ay: k.y.toString(),
        S: sig.s.toString(),
        R8x: sig.r8x.toString(),
        R8y: sig.r8y.toString(),
        M: m.toString(),
      });
      return true;
    } catch (e) {
      if (e instanceof WitnessError) return false;
      throw e;
    }
  }

  it("finds the eight points of small order, and refuses them as keys", function () {
    assert.equal(small.length, 8);
    for (const t of small) {
      assert.ok(bj.inCurve(t));
      assert.deepEqual(mulPoint(t, 8n), [0n, 1n], "8·T = O");
      assert.ok(isSmallOrder(t));
      assert.ok(!isUsablePublicKey({ x: t[0], y: t[1] }));
      assert.ok(!isUsableKey({ x: t[0], y: t[1] }), "the engine refuses it at deposit");
    }
    assert.ok(!isSmallOrder(bj.Base8));
    assert.ok(isUsablePublicKey(keyPairFromPrivate(new Uint8Array(32).fill(1)).publicKey));
  });

  it("refuses, as the circuit does, signatures anyone can forge for a small-order key", async function () {
    for (const t of small) {
      // 8·h·T = O, so (R8, S) = (s·B8, s) satisfies the equation for every message
      const s = 12345n;
      const r8 = mulPoint(bj.Base8, s);
      const sig = { r8x: r8[0], r8y: r8[1], s };
      const key = { x: t[0], y: t[1] };
      assert.equal(verifyEdDSAPoseidon(42n, sig, key), false);
      assert.equal(await circuit(42n, sig, key), false);
    }
  });

  it("gives the circuit's verdict on valid, tampered and foreign signatures (property)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.bigInt({ min: 0n, max: (1n << 250n) - 1n }),
        fc.nat(7),
        async (priv, other, m, t) => {
          const k = keyPairFromPrivate(priv).publicKey;
          const o = keyPairFromPrivate(other).publicKey;
          const s = sign(priv, m);
          const cases: [bigint, Sig, Key][] = [
            [m, s, k],
            [m + 1n, s, k],
            [m, { ...s, s: s.s + 1n }, k],
            [m, { ...s, s: s.s + bj.subOrder }, k],
            [m, { ...s, r8x: o.x, r8y: o.y }, k],
            [m, { ...s, r8y: mod(s.r8y + 1n) }, k],
            [m, s, o],
            [m, s, { x: small[t][0], y: small[t][1] }],
          ];
          for (const [mm, ss, kk] of cases)
            assert.equal(
              verifyEdDSAPoseidon(mm, ss, kk),
              await circuit(mm, ss, kk),
              `message ${mm}, S ${ss.s}, key (${kk.x}, ${kk.y})`,
            );
          assert.equal(verifyEdDSAPoseidon(m, s, k), true);
        },
      ),
      { numRuns: 6 },
    );
  });
});
