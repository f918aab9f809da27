import { ZkClearError, type CodeOf } from "./errors.ts";

/** A file (batch, configuration, deployment) that does not follow its format. */
export class FormatError extends ZkClearError<CodeOf<"value">> {}

/** Makes the error a reader throws: the file kind's own code. */
export type FormatErrorOf = (message: string) => ZkClearError;

const defaultError: FormatErrorOf = (m) => new FormatError("FORMAT_INVALID", m);

/** Reads one JSON value with the path it came from, so every error names its field. */
export class Reader {
  constructor(
    readonly value: unknown,
    readonly path: string,
    private readonly error: FormatErrorOf = defaultError,
  ) {}

  static parse(text: string, name: string, error: FormatErrorOf = defaultError): Reader {
    try {
      return new Reader(JSON.parse(text), name, error);
    } catch (e) {
      throw error(`${name}: not JSON (${(e as Error).message})`);
    }
  }

  str(): string {
    if (typeof this.value !== "string") this.fail("must be a string");
    return this.value;
  }

  private fail(what: string): never {
    throw this.error(`${this.path}: ${what}`);
  }

  field(name: string): Reader {
    const v = this.value;
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail("is not an object");
    if (!(name in v)) this.fail(`has no field "${name}"`);
    return new Reader((v as Record<string, unknown>)[name], `${this.path}.${name}`, this.error);
  }

  /** Whether this object has the (optional) field `name`. */
  has(name: string): boolean {
    const v = this.value;
    return typeof v === "object" && v !== null && !Array.isArray(v) && name in v;
  }

  /** Refuses fields the format does not define (a typo must not pass unnoticed). */
  only(names: readonly string[]): this {
    const extra = Object.keys(this.value as object).filter((k) => !names.includes(k));
    if (extra.length) this.fail(`has unknown field(s) ${extra.join(", ")}`);
    return this;
  }

  array(): Reader[] {
    if (!Array.isArray(this.value)) this.fail("is not an array");
    return (this.value as unknown[]).map((x, i) => new Reader(x, `${this.path}[${i}]`, this.error));
  }

  /** A non-negative integer written as a decimal string (no sign, no leading zeros). */
  uint(bits = 256): bigint {
    const v = this.value;
    if (typeof v !== "string" || !/^(0|[1-9][0-9]*)$/.test(v))
      this.fail(`must be a non-negative integer as a decimal string, got ${JSON.stringify(v)}`);
    const n = BigInt(v);
    if (n >> BigInt(bits) !== 0n) this.fail(`${v} does not fit ${bits} bits`);
    return n;
  }

  /** A signed integer written as a decimal string ("-12", "0", "7"), |.| < 2^bits. */
  sint(bits: number): bigint {
    const v = this.value;
    if (typeof v !== "string" || !/^(0|-?[1-9][0-9]*)$/.test(v))
      this.fail(`must be an integer as a decimal string, got ${JSON.stringify(v)}`);
    const n = BigInt(v);
    const m = n < 0n ? -n : n;
    if (m > 1n << BigInt(bits) || (n >= 0n && m === 1n << BigInt(bits)))
      this.fail(`${v} does not fit [-2^${bits}, 2^${bits})`);
    return n;
  }

  int(): number {
    const v = this.value;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      this.fail(`must be a non-negative integer, got ${JSON.stringify(v)}`);
    return v;
  }

  bool(): boolean {
    if (typeof this.value !== "boolean") this.fail("must be true or false");
    return this.value;
  }

  oneOf<T extends string>(values: readonly T[]): T {
    if (!values.includes(this.value as T))
      this.fail(`must be one of ${values.join(", ")}, got ${JSON.stringify(this.value)}`);
    return this.value as T;
  }

  address(): bigint {
    const v = this.value;
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v))
      this.fail(`must be a 0x-prefixed 20-byte address, got ${JSON.stringify(v)}`);
    return BigInt(v);
  }

  isNull(): boolean {
    return this.value === null;
  }
}
