import { FIELD_MODULUS as P } from "../../prover/src/domain/field.ts";

/**
 * The eight points of Baby Jubjub (a*x^2 + y^2 = 1 + d*x^2*y^2 over the BN254 scalar field,
 * a = 168700, d = 168696) whose order divides the cofactor 8, computed here from the curve
 * equation: the identity (0, 1); (0, -1) of order 2; (+-1/sqrt(a), 0) of order 4, whose
 * doubles are (0, -1); and the four points of order 8, whose doubles are the order-4 points:
 * doubling (x, y) gives y' = (y^2 - a*x^2) / (2 - a*x^2 - y^2), which is 0 exactly when
 * y^2 = a*x^2, and then the curve equation gives d*a*x^4 - 2*a*x^2 + 1 = 0.
 */
const A = 168700n;
const D = 168696n;

const mod = (x: bigint) => ((x % P) + P) % P;

function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b);
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
  }
  return r;
}

const inv = (x: bigint) => pow(x, P - 2n);

/** A square root modulo P (Tonelli-Shanks); throws for a non-residue. */
function sqrt(n: bigint): bigint {
  n = mod(n);
  if (n === 0n) return 0n;
  if (pow(n, (P - 1n) / 2n) !== 1n) throw new Error(`${n} is not a square`);
  let q = P - 1n;
  let s = 0n;
  while (q % 2n === 0n) {
    q /= 2n;
    s++;
  }
  let z = 2n;
  while (pow(z, (P - 1n) / 2n) === 1n) z++;
  let [m, c, t, r] = [s, pow(z, q), pow(n, q), pow(n, (q + 1n) / 2n)];
  while (t !== 1n) {
    let i = 0n;
    for (let t2 = t; t2 !== 1n; t2 = (t2 * t2) % P) i++;
    const b = pow(c, 1n << (m - i - 1n));
    [m, c, t, r] = [i, (b * b) % P, (t * b * b) % P, (r * b) % P];
  }
  return r;
}

type Point = readonly [bigint, bigint];

/** Twisted Edwards addition (affine; complete on this curve). */
export function add([x1, y1]: Point, [x2, y2]: Point): Point {
  const k = mod(D * x1 * x2 * y1 * y2);
  return [mod((x1 * y2 + y1 * x2) * inv(1n + k)), mod((y1 * y2 - A * x1 * x2) * inv(1n - k))];
}

export function onCurve([x, y]: Point): boolean {
  return mod(A * x * x + y * y - 1n - D * x * x * y * y) === 0n;
}

function smallOrderPoints(): Point[] {
  const points: Point[] = [
    [0n, 1n],
    [0n, P - 1n],
  ];
  const x4 = inv(sqrt(A));
  points.push([x4, 0n], [P - x4, 0n]);
  // x^2 = (1 +- sqrt(1 - d/a)) / d; only the root whose x^2 is a square gives points
  const disc = sqrt(1n - D * inv(A));
  for (const sign of [1n, -1n]) {
    const x2 = mod((1n + sign * disc) * inv(D));
    if (pow(x2, (P - 1n) / 2n) !== 1n) continue;
    const x = sqrt(x2);
    const y = sqrt(A * x2);
    for (const xx of [x, P - x]) for (const yy of [y, P - y]) points.push([xx, yy]);
  }
  for (const p of points) {
    let q = p;
    for (let i = 0; i < 3; i++) q = add(q, q);
    if (!onCurve(p) || q[0] !== 0n || q[1] !== 1n) throw new Error(`${p} is not of small order`);
  }
  return points;
}

export const SMALL_ORDER_POINTS: readonly Point[] = smallOrderPoints();
