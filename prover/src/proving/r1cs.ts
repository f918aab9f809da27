import fs from "node:fs";
import { ZkClearError } from "../domain/errors.ts";
import { modInv } from "../domain/field.ts";

/**
 * The project's one reader of circom's .r1cs files (iden3 binary format: "r1cs", u32 version,
 * u32 nSections, then sections `u32 type, u64 size, body`; 1 = header, 2 = constraints), and an
 * independent constraint checker: it evaluates every constraint (A.w) * (B.w) = C.w over the
 * field, which is what a Groth16 proof attests. Tests use it to show that a witness edited after
 * the witness calculator ran (a "forged witness") is refused by the constraints themselves.
 *
 * Three depths of reading: `readR1csHeader` (the header section only, for key sizes and
 * checks), `readR1csRaw` (header plus the constraint section's bytes in file order, for the
 * key generator), `readR1cs` (every constraint parsed into bigints, for checks in tests).
 */
export type LinearCombination = Array<[wire: number, coeff: bigint]>;
export type Constraint = [LinearCombination, LinearCombination, LinearCombination];

export interface R1cs {
  readonly prime: bigint;
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  readonly constraints: Constraint[];
}

/** The header section (1) of an r1cs file. */
export interface R1csHeader {
  /** Bytes of a field element. */
  readonly n8: number;
  readonly prime: bigint;
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  readonly nLabels: bigint;
  readonly nConstraints: number;
  /** Custom gates (PLONK only) are declared by sections 4 and 5. */
  readonly useCustomGates: boolean;
}

export interface RawR1cs {
  readonly header: R1csHeader;
  /** The body of section 2: per constraint, A, B and C as `u32 n, n × (u32 wire, n8 coeff)`. */
  readonly constraints: Uint8Array;
}

export type R1csErrorCode =
  | "R1CS_READ_FAILED"
  | "R1CS_MALFORMED"
  | "R1CS_WITNESS_SIZE"
  | "R1CS_INCONSISTENT";

export class R1csError extends ZkClearError<R1csErrorCode> {
  constructor(code: R1csErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** An n-byte little-endian integer, n a multiple of 8 (read 64 bits at a time). */
function readLE(buf: Buffer, off: number, n: number): bigint {
  let x = 0n;
  for (let i = n - 8; i >= 0; i -= 8) x = (x << 64n) | buf.readBigUInt64LE(off + i);
  return x;
}

const SECTION_HEADER = 1;
const SECTION_CONSTRAINTS = 2;
const SECTION_CUSTOM_GATES = 4;

/** Where each section's body lies in the file (byte offset and size), by section type. */
type SectionTable = Map<number, { start: number; size: number }>;

/**
 * Reads the section table through `read(position, length)`, checking the magic, that no
 * section runs past the end and that none appears twice.
 */
function sectionTable(
  file: string,
  fileSize: number,
  read: (position: number, length: number) => Buffer,
): SectionTable {
  const malformed = (why: string) => new R1csError("R1CS_MALFORMED", `${file}: ${why}`);
  if (fileSize < 12 || read(0, 4).toString("latin1") !== "r1cs")
    throw malformed("not an r1cs file");
  const nSections = read(8, 4).readUInt32LE(0);
  const sections: SectionTable = new Map();
  let pos = 12;
  for (let i = 0; i < nSections; i++) {
    if (pos + 12 > fileSize) throw malformed("truncated section table");
    const entry = read(pos, 12);
    const type = entry.readUInt32LE(0);
    const size = Number(entry.readBigUInt64LE(4));
    pos += 12;
    if (pos + size > fileSize) throw malformed(`section ${type} runs past the end of the file`);
    if (sections.has(type)) throw malformed(`section ${type} appears twice`);
    sections.set(type, { start: pos, size });
    pos += size;
  }
  for (const id of [SECTION_HEADER, SECTION_CONSTRAINTS])
    if (!sections.has(id)) throw malformed(`missing section ${id}`);
  return sections;
}

function parseHeader(file: string, body: Buffer, sections: SectionTable): R1csHeader {
  const n8 = body.length >= 4 ? body.readUInt32LE(0) : 0;
  if (n8 === 0 || n8 % 8 !== 0 || body.length < 4 + n8 + 28)
    throw new R1csError("R1CS_MALFORMED", `${file}: header section of ${body.length} bytes`);
  const p = 4 + n8;
  return {
    n8,
    prime: readLE(body, 4, n8),
    nWires: body.readUInt32LE(p),
    nPubOut: body.readUInt32LE(p + 4),
    nPubIn: body.readUInt32LE(p + 8),
    nPrvIn: body.readUInt32LE(p + 12),
    nLabels: body.readBigUInt64LE(p + 16),
    nConstraints: body.readUInt32LE(p + 24),
    useCustomGates: sections.has(SECTION_CUSTOM_GATES),
  };
}

function readFailed(file: string, err: unknown): R1csError {
  return new R1csError(
    "R1CS_READ_FAILED",
    `cannot read r1cs file ${file}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
}

/** The header of an r1cs file, reading only the section table and the header section. */
export function readR1csHeader(file: string): R1csHeader {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    throw readFailed(file, err);
  }
  try {
    const read = (position: number, length: number): Buffer => {
      const b = Buffer.alloc(length);
      if (fs.readSync(fd, b, 0, length, position) !== length)
        throw new R1csError("R1CS_MALFORMED", `${file}: truncated`);
      return b;
    };
    const sections = sectionTable(file, fs.fstatSync(fd).size, read);
    const h = sections.get(SECTION_HEADER)!;
    return parseHeader(file, read(h.start, h.size), sections);
  } finally {
    fs.closeSync(fd);
  }
}

/** The header and the constraint section's bytes, as they are in the file. */
export function readR1csRaw(file: string): RawR1cs {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw readFailed(file, err);
  }
  const sections = sectionTable(file, buf.length, (at, n) => buf.subarray(at, at + n));
  const h = sections.get(SECTION_HEADER)!;
  const c = sections.get(SECTION_CONSTRAINTS)!;
  return {
    header: parseHeader(file, buf.subarray(h.start, h.start + h.size), sections),
    constraints: buf.subarray(c.start, c.start + c.size),
  };
}

/** Every constraint parsed (coefficients as bigints, terms in file order). */
export function readR1cs(file: string): R1cs {
  const { header, constraints: body } = readR1csRaw(file);
  const { n8, nConstraints } = header;
  const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const truncated = () =>
    new R1csError("R1CS_MALFORMED", `${file}: constraint section ends inside a constraint`);
  let p = 0;
  const readLc = (): LinearCombination => {
    if (p + 4 > view.length) throw truncated();
    const n = view.readUInt32LE(p);
    p += 4;
    if (p + n * (4 + n8) > view.length) throw truncated();
    const lc: LinearCombination = [];
    for (let i = 0; i < n; i++) {
      lc.push([view.readUInt32LE(p), readLE(view, p + 4, n8)]);
      p += 4 + n8;
    }
    return lc;
  };
  const constraints: Constraint[] = [];
  for (let c = 0; c < nConstraints; c++) constraints.push([readLc(), readLc(), readLc()]);
  const { prime, nWires, nPubOut, nPubIn, nPrvIn } = header;
  return { prime, nWires, nPubOut, nPubIn, nPrvIn, constraints };
}

/** Indices of the constraints the witness does not satisfy (empty when it satisfies all). */
export function unsatisfiedConstraints(r1cs: R1cs, witness: readonly bigint[]): number[] {
  const r = r1cs.prime;
  const evalLc = (lc: LinearCombination): bigint => {
    let acc = 0n;
    for (const [w, c] of lc) acc += c * witness[w];
    return acc % r;
  };
  if (witness.length !== r1cs.nWires) {
    throw new R1csError(
      "R1CS_WITNESS_SIZE",
      `witness has ${witness.length} wires, the circuit ${r1cs.nWires}`,
    );
  }
  const bad: number[] = [];
  r1cs.constraints.forEach(([a, b, c], i) => {
    if ((evalLc(a) * evalLc(b) - evalLc(c)) % r !== 0n) bad.push(i);
  });
  return bad;
}

/** Signal name -> wire index, from circom's .sym file (eliminated signals are left out). */
export function readSymbols(file: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const [, wire, , name] = line.split(",");
    const w = Number(wire);
    if (w >= 0) map.set(name, w);
  }
  return map;
}

/**
 * What the constraints alone determine from the wires in `known` (wire 0 = 1 and the
 * inputs, say), ignoring how the witness calculator computed the rest: a constraint
 * whose A or B is known is a linear equation in the other wires; equations are solved by
 * elimination as they become available, round after round. A wire the result lacks is
 * not fixed by the constraints (at least not linearly from the known ones): a circuit
 * whose every wire is fixed this way has one witness per input. Throws on a
 * contradiction (the known values satisfy no witness).
 */
export function wiresFixedBy(r1cs: R1cs, known: ReadonlyMap<number, bigint>): Map<number, bigint> {
  const r = r1cs.prime;
  const values = new Map(known);
  const used = new Array<boolean>(r1cs.constraints.length).fill(false);
  const value = (lc: LinearCombination): bigint | undefined => {
    let acc = 0n;
    for (const [w, c] of lc) {
      const v = values.get(w);
      if (v === undefined) return undefined;
      acc += c * v;
    }
    return acc % r;
  };
  /** Linear equations sum(coef * wire) = rhs over the wires not yet known. */
  let system: { terms: Map<number, bigint>; rhs: bigint }[] = [];
  const reduce = (e: { terms: Map<number, bigint>; rhs: bigint }) => {
    for (const [w, c] of [...e.terms]) {
      const v = values.get(w);
      if (v !== undefined) {
        e.rhs = (((e.rhs - c * v) % r) + r) % r;
        e.terms.delete(w);
      } else if (c % r === 0n) e.terms.delete(w);
    }
  };
  for (let progress = true; progress; ) {
    progress = false;
    r1cs.constraints.forEach(([a, b, c], i) => {
      if (used[i]) return;
      // A.w * B.w = C.w is linear in the unknowns as soon as A or B is known
      const av = value(a);
      const bv = av === undefined ? value(b) : undefined;
      if (av === undefined && bv === undefined) return;
      used[i] = true;
      const terms = new Map<number, bigint>();
      const add = (lc: LinearCombination, k: bigint) => {
        for (const [w, coef] of lc) terms.set(w, ((terms.get(w) ?? 0n) + k * coef) % r);
      };
      if (av !== undefined) add(b, av);
      else add(a, bv!);
      add(c, r - 1n);
      system.push({ terms, rhs: 0n });
    });
    // Gauss-Jordan over the pending equations: solve every wire a row pins down alone.
    for (const e of system) reduce(e);
    const rows = system.filter((e) => e.terms.size > 0);
    for (const e of system)
      if (e.terms.size === 0 && e.rhs !== 0n)
        throw new R1csError("R1CS_INCONSISTENT", "the known wires satisfy no witness");
    for (let i = 0; i < rows.length; i++) {
      const pivotWire = rows[i].terms.keys().next().value;
      if (pivotWire === undefined) continue;
      const inv = modInv(rows[i].terms.get(pivotWire)!, r);
      for (const [w, c] of rows[i].terms) rows[i].terms.set(w, (c * inv) % r);
      rows[i].rhs = (rows[i].rhs * inv) % r;
      for (let j = 0; j < rows.length; j++) {
        const f = j === i ? 0n : (rows[j].terms.get(pivotWire) ?? 0n);
        if (f === 0n) continue;
        for (const [w, c] of rows[i].terms) {
          const next = ((((rows[j].terms.get(w) ?? 0n) - f * c) % r) + r) % r;
          if (next === 0n) rows[j].terms.delete(w);
          else rows[j].terms.set(w, next);
        }
        rows[j].rhs = (((rows[j].rhs - f * rows[i].rhs) % r) + r) % r;
      }
    }
    system = [];
    for (const e of rows) {
      if (e.terms.size === 1) {
        const [w, c] = e.terms.entries().next().value!;
        values.set(w, (e.rhs * modInv(c, r)) % r);
        progress = true;
      } else if (e.terms.size === 0) {
        if (e.rhs !== 0n)
          throw new R1csError("R1CS_INCONSISTENT", "the known wires satisfy no witness");
      } else system.push(e);
    }
  }
  return values;
}
