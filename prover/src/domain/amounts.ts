import { ZkClearError, type CodeOf } from "./errors.ts";
import { FIELD_MODULUS, mod } from "./field.ts";

/** Raised when a value does not fit the width the protocol gives it. */
export class ValueRangeError extends ZkClearError<CodeOf<"value">> {}

/** 2^n as a bigint. */
export function pow2(n: number): bigint {
  return 1n << BigInt(n);
}

/** Checks 0 <= x < 2^bits and returns x; `what` names the value in the error. */
export function checkUnsigned(x: bigint, bits: number, what: string): bigint {
  if (typeof x !== "bigint") {
    throw new ValueRangeError(
      "VALUE_NOT_INTEGER",
      `${what} must be an integer (bigint), got ${typeof x}`,
    );
  }
  if (x < 0n || x >= pow2(bits)) {
    throw new ValueRangeError("VALUE_OUT_OF_RANGE", `${what} = ${x} is outside [0, 2^${bits})`);
  }
  return x;
}

/** Checks -2^bits <= x < 2^bits and returns x. */
export function checkSigned(x: bigint, bits: number, what: string): bigint {
  if (typeof x !== "bigint") {
    throw new ValueRangeError(
      "VALUE_NOT_INTEGER",
      `${what} must be an integer (bigint), got ${typeof x}`,
    );
  }
  if (x < -pow2(bits) || x >= pow2(bits)) {
    throw new ValueRangeError(
      "VALUE_OUT_OF_RANGE",
      `${what} = ${x} is outside [-2^${bits}, 2^${bits})`,
    );
  }
  return x;
}

/** Whether x lies in [0, 2^bits). */
export function fitsUnsigned(x: bigint, bits: number): boolean {
  return x >= 0n && x < pow2(bits);
}

/** Whether x lies in [-2^bits, 2^bits). */
export function fitsSigned(x: bigint, bits: number): boolean {
  return x >= -pow2(bits) && x < pow2(bits);
}

/**
 * Signed values are stored in field elements as x mod r (negative x becomes r - |x|),
 * the one encoding zkclear uses in leaves, circuits and files.
 */
export function encodeSigned(x: bigint): bigint {
  return mod(x);
}

/** Inverse of encodeSigned for values known to be small in magnitude (< r/2). */
export function decodeSigned(f: bigint): bigint {
  return f > FIELD_MODULUS / 2n ? f - FIELD_MODULUS : f;
}

/** floor(a / b) for a >= 0, b > 0 (bigint division truncates, which is the same here). */
export function floorDiv(a: bigint, b: bigint): bigint {
  if (a < 0n || b <= 0n)
    throw new ValueRangeError("VALUE_OUT_OF_RANGE", `floorDiv needs a >= 0, b > 0`);
  return a / b;
}

/** floor(a / b) for a of either sign and b > 0, rounding towards minus infinity (bigint division truncates towards 0). */
export function signedFloorDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new ValueRangeError("VALUE_OUT_OF_RANGE", `signedFloorDiv needs b > 0`);
  return a >= 0n ? a / b : -((-a + b - 1n) / b);
}

/** |x| */
export function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}
