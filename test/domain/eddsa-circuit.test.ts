import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fc from "fast-check";
import {
  isSmallOrder,
  isUsablePublicKey,
  mulPoint,
  verifyEdDSAPoseidon,
} from "../../prover/src/domain/babyjub.ts";
import { keyPairFromPrivate, sign } from "../../prover/src/domain/keys.ts";
import { isUsableKey } from "../../prover/src/domain/transfers.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness, WitnessError } from "../../prover/src/proving/prover.ts";
import { SMALL_ORDER_POINTS } from "../helpers/small-order.ts";

const bj = createRequire(import.meta.url)("@zk-kit/baby-jubjub") as {
  Base8: [bigint, bigint];
  subOrder: bigint;
  r: bigint;
  inCurve(p: [bigint, bigint]): boolean;
};
const P = bj.r;
const mod = (x: bigint) => ((x % P) + P) % P;

type Sig = { r8x: bigint; r8y: bigint; s: bigint };
type Key = { x: bigint; y: bigint };

describe("EdDSA-Poseidon: the TypeScript verifier agrees with circomlib's verifier circuit", function () {
  let probe: ProbeBuild;
  const small = SMALL_ORDER_POINTS.map(([x, y]) => [x, y] as [bigint, bigint]);

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
