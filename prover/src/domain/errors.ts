/**
 * Base class of every error zkclear throws on purpose. `code` is a stable, machine-readable
 * identifier (e.g. "TREE_BAD_DEPTH"); `message` is for humans and may change.
 */
export class ZkClearError extends Error {
  /** Stable machine-readable error code. */
  readonly code: string;

  /** `options.cause`: the error this one wraps (standard Error cause). */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
