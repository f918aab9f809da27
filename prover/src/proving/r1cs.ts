import fs from "node:fs";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import { modInv } from "../domain/field.ts";

/**
 * A reader for circom's .r1cs files and an independent constraint checker: it evaluates
 * every constraint (A.w) * (B.w) = C.w over the field, which is what a Groth16 proof
 * attests. Tests use it to show that a witness edited after the witness calculator ran
 * (a "forged witness") is refused by the constraints themselves.
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

export class R1csError extends ZkClearError<CodeOf<"build">> {}

function readLE(buf: Buffer, off: number, n: number): bigint {
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[off + i]);
  return x;
}

export function readR1cs(file: string): R1cs {
  const buf = fs.readFileSync(file);
  if (buf.toString("ascii", 0, 4) !== "r1cs")
    throw new R1csError("R1CS_BAD_FILE", `${file} is not an r1cs file`);
  const nSections = buf.readUInt32LE(8);
  let off = 12;
  const sections = new Map<number, { start: number; size: number }>();
  for (let s = 0; s < nSections; s++) {
    const type = buf.readUInt32LE(off);
    const size = Number(buf.readBigUInt64LE(off + 4));
    sections.set(type, { start: off + 12, size });
    off += 12 + size;
  }
  const header = sections.get(1);
  const body = sections.get(2);
  if (!header || !body)
    throw new R1csError("R1CS_BAD_FILE", `${file} lacks its header or constraints`);
  let p = header.start;
  const n8 = buf.readUInt32LE(p);
  const prime = readLE(buf, p + 4, n8);
  p += 4 + n8;
  const nWires = buf.readUInt32LE(p);
  const nPubOut = buf.readUInt32LE(p + 4);
  const nPubIn = buf.readUInt32LE(p + 8);
  const nPrvIn = buf.readUInt32LE(p + 12);
  const nConstraints = buf.readUInt32LE(p + 24);
  const constraints: Constraint[] = [];
  p = body.start;
  const readLc = (): LinearCombination => {
    const n = buf.readUInt32LE(p);
    p += 4;
    const lc: LinearCombination = [];
    for (let i = 0; i < n; i++) {
      lc.push([buf.readUInt32LE(p), readLE(buf, p + 4, n8)]);
      p += 4 + n8;
    }
    return lc;
  };
  for (let c = 0; c < nConstraints; c++) constraints.push([readLc(), readLc(), readLc()]);
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
