/**
 * Base class of every error zkclear throws on purpose. `code` is a stable, machine-readable
 * identifier (e.g. "TREE_BAD_DEPTH"); `message` is for humans and may change.
 */
export class ZkClearError extends Error {
  /** Stable machine-readable error code. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}
