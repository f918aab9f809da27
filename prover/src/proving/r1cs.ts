import fs from "node:fs";
import { ZkClearError } from "../domain/errors.ts";

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

export class R1csError extends ZkClearError {}

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
