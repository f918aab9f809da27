import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BN128_R } from "../../prover/src/proving/dev-zkey.ts";
import {
  R1csError,
  readR1cs,
  readR1csHeader,
  readR1csRaw,
  type Constraint,
} from "../../prover/src/proving/r1cs.ts";

const N8 = 32;

function le(x: bigint, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return b;
}

const u32 = (x: number) => le(BigInt(x), 4);
const u64 = (x: number) => le(BigInt(x), 8);
const section = (type: number, body: Buffer) => Buffer.concat([u32(type), u64(body.length), body]);

/** The header section body circom writes: n8, prime, wire counts, labels, constraints. */
function headerBody(nConstraints: number): Buffer {
  const counts = [u32(6), u32(1), u32(2), u32(1), u64(9), u32(nConstraints)];
  return Buffer.concat([u32(N8), le(BN128_R, N8), ...counts]);
}

function constraintsBody(constraints: Constraint[]): Buffer {
  const lc = (terms: Constraint[number]) =>
    Buffer.concat([
      u32(terms.length),
      ...terms.map(([w, c]) => Buffer.concat([u32(w), le(c, N8)])),
    ]);
  return Buffer.concat(constraints.flatMap((c) => c.map(lc)));
}

function r1csFile(sections: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from("r1cs", "latin1"), u32(1), u32(sections.length), ...sections]);
}

/** Two constraints with coefficients that use all 32 bytes, and one with an empty C. */
const CONSTRAINTS: Constraint[] = [
  [
    [[1, 3n]],
    [
      [2, BN128_R - 1n],
      [0, 2n ** 200n + 7n],
    ],
    [[5, 1n]],
  ],
  [[[3, 1n]], [[4, 1n]], []],
];

describe("r1cs reader", function () {
  let dir: string;
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const refused = (file: string, code: string, why: RegExp) => (err: unknown) =>
    err instanceof R1csError &&
    err.code === code &&
    why.test(err.message) &&
    err.message.includes(file);

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-r1cs-"));
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the header alone, the raw constraint section, and every constraint", function () {
    const body = constraintsBody(CONSTRAINTS);
    // circom puts the constraints before the header; sections may come in any order.
    const file = write(
      "ok.r1cs",
      r1csFile([section(2, body), section(1, headerBody(2)), section(3, u64(0))]),
    );
    const header = readR1csHeader(file);
    assert.deepEqual(header, {
      n8: N8,
      prime: BN128_R,
      nWires: 6,
      nPubOut: 1,
      nPubIn: 2,
      nPrvIn: 1,
      nLabels: 9n,
      nConstraints: 2,
      useCustomGates: false,
    });
    const raw = readR1csRaw(file);
    assert.deepEqual(raw.header, header);
    assert.ok(Buffer.from(raw.constraints).equals(body), "section 2 as it is in the file");
    assert.deepEqual(readR1cs(file), {
      prime: BN128_R,
      nWires: 6,
      nPubOut: 1,
      nPubIn: 2,
      nPrvIn: 1,
      constraints: CONSTRAINTS,
    });
    const gates = write(
      "gates.r1cs",
      r1csFile([
        section(1, headerBody(2)),
        section(2, body),
        section(4, u32(0)),
        section(5, u32(0)),
      ]),
    );
    assert.equal(readR1csHeader(gates).useCustomGates, true);
  });

  it("refuses a missing file, and a file that is not a whole r1cs, saying what is wrong", function () {
    const header = section(1, headerBody(2));
    const body = section(2, constraintsBody(CONSTRAINTS));
    const missing = path.join(dir, "missing.r1cs");
    for (const read of [readR1csHeader, readR1csRaw, readR1cs])
      assert.throws(() => read(missing), refused(missing, "R1CS_READ_FAILED", /ENOENT/));

    const cases: [string, Buffer, RegExp][] = [
      ["not-r1cs", Buffer.from("zkey\u0001\0\0\0\u0002\0\0\0", "latin1"), /not an r1cs file/],
      ["short", Buffer.from("r1cs", "latin1"), /not an r1cs file/],
      ["cut", r1csFile([body, header]).subarray(0, -5), /section 1 runs past the end/],
      [
        "truncated-table",
        Buffer.concat([Buffer.from("r1cs", "latin1"), u32(1), u32(2), header]),
        /truncated section table/,
      ],
      ["twice", r1csFile([header, header, body]), /section 1 appears twice/],
      ["no-header", r1csFile([body]), /missing section 1/],
      ["no-constraints", r1csFile([header]), /missing section 2/],
      ["small-header", r1csFile([section(1, u32(N8)), body]), /header section of 4 bytes/],
    ];
    for (const [name, bytes, why] of cases) {
      const file = write(`${name}.r1cs`, bytes);
      for (const read of [readR1csHeader, readR1csRaw, readR1cs])
        assert.throws(
          () => read(file),
          refused(file, "R1CS_MALFORMED", why),
          `${name} ${read.name}`,
        );
    }

    // The header says 3 constraints, the section holds 2: only a full parse can tell.
    const short = write("few.r1cs", r1csFile([section(1, headerBody(3)), body]));
    assert.equal(readR1csHeader(short).nConstraints, 3);
    assert.throws(
      () => readR1cs(short),
      refused(short, "R1CS_MALFORMED", /ends inside a constraint/),
    );
  });
});
