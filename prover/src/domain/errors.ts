import type { ErrorCode } from "./error-codes.ts";

export type { CodeOf, ErrorCode } from "./error-codes.ts";

/**
 * Base class of every error zkclear throws on purpose. `code` is a stable, machine-readable
 * identifier from the one table of codes (./error-codes.ts), which also gives its HTTP
 * status; `message` is for humans and may change. Subclasses narrow the code to their
 * area's (CodeOf<area>).
 */
export class ZkClearError<C extends ErrorCode = ErrorCode> extends Error {
  /** Stable machine-readable error code. */
  readonly code: C;

  /** `options.cause`: the error this one wraps (standard Error cause). */
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
