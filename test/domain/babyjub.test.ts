import assert from "node:assert/strict";
import { createRequire } from "node:module";
import fc from "fast-check";
import type * as EdDSAPoseidon from "@zk-kit/eddsa-poseidon";
import { mulPoint, verifyEdDSAPoseidon } from "../../prover/src/domain/babyjub.ts";
import { keyPairFromPrivate, sign } from "../../prover/src/domain/keys.ts";

const require = createRequire(import.meta.url);
const zk = require("@zk-kit/eddsa-poseidon") as typeof EdDSAPoseidon;
const bj = require("@zk-kit/baby-jubjub") as {
  Base8: [bigint, bigint];
  subOrder: bigint;
  mulPointEscalar(p: [bigint, bigint], e: bigint): [bigint, bigint];
};

/** The library's verdict, the reference the projective arithmetic must agree with. */
function reference(
  m: bigint,
  s: { r8x: bigint; r8y: bigint; s: bigint },
  k: { x: bigint; y: bigint },
): boolean {
  try {
    return zk.verifySignature(m, { R8: [s.r8x, s.r8y], S: s.s }, [k.x, k.y]);
  } catch {
    return false;
  }
}

describe("EdDSA-Poseidon verification (projective Baby Jubjub)", function () {
  it("multiplies points as @zk-kit/baby-jubjub does", function () {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: bj.subOrder * 8n }), (e) => {
        assert.deepEqual(mulPoint(bj.Base8, e), bj.mulPointEscalar(bj.Base8, e));
      }),
      { numRuns: 25 },
    );
  });

  it("agrees with @zk-kit/eddsa-poseidon on valid and tampered signatures", function () {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.bigInt({ min: 0n, max: (1n << 221n) - 1n }),
        (priv, other, m) => {
          const k = keyPairFromPrivate(priv);
          const s = sign(priv, m);
          const o = keyPairFromPrivate(other);
          const cases: [bigint, typeof s, typeof k.publicKey][] = [
            [m, s, k.publicKey],
            [m + 1n, s, k.publicKey],
            [m, { ...s, s: s.s + 1n }, k.publicKey],
            [m, { ...s, s: s.s + bj.subOrder }, k.publicKey],
            [m, { ...s, r8x: o.publicKey.x, r8y: o.publicKey.y }, k.publicKey],
            [m, { ...s, r8y: s.r8y + 1n }, k.publicKey],
            [m, s, o.publicKey],
          ];
          const verdicts = cases.map(([mm, ss, kk]) => verifyEdDSAPoseidon(mm, ss, kk));
          assert.deepEqual(
            verdicts,
            cases.map(([mm, ss, kk]) => reference(mm, ss, kk)),
          );
          assert.deepEqual(verdicts, [true, false, false, false, false, false, false]);
        },
      ),
      { numRuns: 12 },
    );
  });
});
