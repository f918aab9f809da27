import { createRequire } from "node:module";
import { modInv } from "./field.ts";
import { poseidon } from "./hash.ts";

/**
 * EdDSA-Poseidon verification on Baby Jubjub with projective coordinates.
 *
 * @zk-kit/baby-jubjub adds points in affine coordinates, two modular inversions per
 * addition, about 28 ms per signature here; the operator checks every order's
 * signature and the auditor every order of every batch, so that cost mattered. This is
 * the same verification equation as @zk-kit/eddsa-poseidon's verifySignature (and
 * circomlib's EdDSAPoseidonVerifier): S·Base8 = R8 + (8·H(R8, A, m))·A with
 * H = Poseidon(5), S below the subgroup order and R8 and A on the curve, and A not of
 * small order (circomlib checks that 4·A does not have x = 0, which for a point on the
 * curve is the same as 8·A ≠ O: a key of order 1, 2, 4 or 8 would make h·8·A vanish and
 * let anyone sign for it; the library accepts such forgeries, the circuit refuses them).
 * Only the arithmetic differs: the unified twisted-Edwards addition in projective coordinates
 * (Bernstein–Birkner–Joye–Lange–Peters 2008), which is complete on Baby Jubjub because
 * a is a square and d is not, and one inversion at the end. A property test compares
 * it with the library on valid and tampered signatures.
 */
const bj = createRequire(import.meta.url)("@zk-kit/baby-jubjub") as {
  Base8: [bigint, bigint];
  subOrder: bigint;
  r: bigint;
  inCurve(p: [bigint, bigint]): boolean;
};

const P = bj.r;
const A = 168700n;
const D = 168696n;

type Projective = readonly [bigint, bigint, bigint];

const mod = (x: bigint) => {
  const m = x % P;
  return m < 0n ? m + P : m;
};

function add(p: Projective, q: Projective): Projective {
  const [x1, y1, z1] = p;
  const [x2, y2, z2] = q;
  const a = mod(z1 * z2);
  const b = mod(a * a);
  const c = mod(x1 * x2);
  const d = mod(y1 * y2);
  const e = mod(D * mod(c * d));
  const f = b - e;
  const g = b + e;
  const x3 = mod(a * mod(f * (mod((x1 + y1) * (x2 + y2)) - c - d)));
  const y3 = mod(a * mod(g * (d - A * c)));
  const z3 = mod(f * g);
  return [x3, y3, z3];
}

/** k·p by double-and-add from the top bit (k ≥ 0). */
function mul(p: Projective, k: bigint): Projective {
  let acc: Projective = [0n, 1n, 1n];
  for (let i = k.toString(2).length - 1; i >= 0; i--) {
    acc = add(acc, acc);
    if ((k >> BigInt(i)) & 1n) acc = add(acc, p);
  }
  return acc;
}

/** p == q for projective points (cross-multiplied, no inversion). */
function equal(p: Projective, q: Projective): boolean {
  return mod(p[0] * q[2]) === mod(q[0] * p[2]) && mod(p[1] * q[2]) === mod(q[1] * p[2]);
}

/** k·p in affine coordinates (for tests). */
export function mulPoint(p: readonly [bigint, bigint], k: bigint): [bigint, bigint] {
  const [x, y, z] = mul([p[0], p[1], 1n], k);
  const zi = modInv(z, P);
  return [mod(x * zi), mod(y * zi)];
}

/** Whether a point on the curve has small order (8·p = O): it cannot sign (see above). */
export function isSmallOrder(p: readonly [bigint, bigint]): boolean {
  const [x, , z] = mul([p[0], p[1], 1n], 4n);
  // 4·p is O = (0, 1) or the point (0, -1) of order 2 exactly when its x is 0
  return mod(x * modInv(z, P)) === 0n;
}

/**
 * A key an account can be created with and sign with: coordinates in the field, x ≠ 0, on
 * the curve, not of small order. The Vault refuses the same keys at deposit (8·A ≠ O).
 */
export function isUsablePublicKey(k: { readonly x: bigint; readonly y: bigint }): boolean {
  const inField = (v: bigint) => v >= 0n && v < P;
  return (
    inField(k.x) &&
    inField(k.y) &&
    k.x !== 0n &&
    bj.inCurve([k.x, k.y]) &&
    !isSmallOrder([k.x, k.y])
  );
}

/** Whether `sig` = (R8, S) is an EdDSA-Poseidon signature of `message` by `publicKey`. */
export function verifyEdDSAPoseidon(
  message: bigint,
  sig: { readonly r8x: bigint; readonly r8y: bigint; readonly s: bigint },
  publicKey: { readonly x: bigint; readonly y: bigint },
): boolean {
  const r8: [bigint, bigint] = [sig.r8x, sig.r8y];
  const key: [bigint, bigint] = [publicKey.x, publicKey.y];
  const inField = (v: bigint) => v >= 0n && v < P;
  if (![sig.r8x, sig.r8y, publicKey.x, publicKey.y, message].every(inField)) return false;
  if (sig.s < 0n || sig.s >= bj.subOrder) return false;
  if (!bj.inCurve(r8) || !bj.inCurve(key) || isSmallOrder(key)) return false;
  const hm = poseidon([sig.r8x, sig.r8y, publicKey.x, publicKey.y, message]);
  const left = mul([bj.Base8[0], bj.Base8[1], 1n], sig.s);
  const right = add([r8[0], r8[1], 1n], mul([key[0], key[1], 1n], hm * 8n));
  return equal(left, right);
}
