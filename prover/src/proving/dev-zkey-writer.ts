/**
 * Writes the INSECURE development key as snarkjs 0.7.6's `.zkey` (the layout is in dev-zkey.ts's
 * header): sections in zkey_new's order from the scalars and the point chunks as the workers
 * finish them, the circuit hash (csHash) computed alongside, to a temporary name next to the
 * destination that is renamed only once the file is complete and of the expected size.
 */
import { createHash } from "node:crypto";
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import {
  BN128_Q,
  BN128_R,
  bigIntToBytesLE,
  concatBytes,
  DevZkeyError,
  errorMessage,
  G1_AFFINE,
  G2_AFFINE,
  N8,
  u32be,
  u32le,
} from "./dev-zkey-common.ts";
import type { HeaderPoints, PointChunk } from "./dev-zkey-fixed-base.ts";

/** Point chunks in input order, as runPointJob resolves them. */
type Chunks = Promise<PointChunk[]>;

export interface ZkeyContent {
  nVars: number;
  nPublic: number;
  domainSize: number;
  header: HeaderPoints;
  /** The finished section 4 body (count + entries). */
  coefficients: Uint8Array;
  /** Key points in file form (`lem`) and, where the hash needs other points, hash form (`u`). */
  points: {
    ic: Chunks;
    icHash: Chunks;
    h: Chunks;
    hHash: Chunks;
    c: Chunks;
    cHash: Chunks;
    a: Chunks;
    b1: Chunks;
    b2: Chunks;
  };
}

/**
 * Writes `content` to `zkeyPath` and returns the csHash (64 bytes). zkey_new hashes the key
 * before any contribution (gamma = delta = the generators), so the hash starts with the header
 * points and the generators, then each point section's count and points in hash form.
 */
export async function writeDevZkey(
  zkeyPath: string,
  content: ZkeyContent,
  progress: (what: string) => void,
): Promise<Buffer> {
  const { nVars, nPublic, domainSize, header, coefficients, points } = content;
  const nPrivate = nVars - nPublic - 1;
  const tmpPath = `${zkeyPath}.insecure-partial`;
  const csHasher = createHash("blake2b512");
  csHasher.update(header.alpha1U);
  csHasher.update(header.beta1U);
  csHasher.update(header.beta2U);
  csHasher.update(header.g2U); // gamma2 before contributions
  csHasher.update(header.g1U); // delta1 before contributions
  csHasher.update(header.g2U); // delta2 before contributions

  let out: SequentialWriter;
  try {
    await mkdir(dirname(zkeyPath), { recursive: true });
    out = await SequentialWriter.create(tmpPath);
  } catch (err) {
    throw new DevZkeyError("ZKEY_WRITE_FAILED", `cannot create ${tmpPath}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  try {
    await out.write(binFileHeader("zkey", 1, 10));
    await out.write(sectionHeader(1, 4));
    await out.write(u32le(1));
    const sec2 = groth16HeaderSection(nVars, nPublic, domainSize, header);
    await out.write(sectionHeader(2, sec2.byteLength));
    await out.write(sec2);
    await out.write(sectionHeader(4, coefficients.byteLength));
    await out.write(coefficients);

    const writePoints = async (id: number, count: number, size: number, chunks: Chunks) => {
      await out.write(sectionHeader(id, count * size));
      for (const chunk of await chunks) if (chunk.lem) await out.write(chunk.lem);
    };
    const hashPoints = async (count: number, chunks: Chunks) => {
      csHasher.update(u32be(count));
      for (const chunk of await chunks) if (chunk.u) csHasher.update(chunk.u);
    };

    await writePoints(3, nPublic + 1, G1_AFFINE, points.ic);
    await hashPoints(nPublic + 1, points.icHash);
    progress("IC");
    await writePoints(9, domainSize, G1_AFFINE, points.h);
    await hashPoints(domainSize - 1, points.hHash);
    progress("H");
    await writePoints(8, nPrivate, G1_AFFINE, points.c);
    await hashPoints(nPrivate, points.cHash);
    progress("C");
    await writePoints(5, nVars, G1_AFFINE, points.a);
    await hashPoints(nVars, points.a);
    progress("A");
    await writePoints(6, nVars, G1_AFFINE, points.b1);
    await hashPoints(nVars, points.b1);
    progress("B1");
    await writePoints(7, nVars, G2_AFFINE, points.b2);
    await hashPoints(nVars, points.b2);
    progress("B2");

    const csHash = csHasher.digest();
    await out.write(sectionHeader(10, 64 + 4));
    await out.write(csHash);
    await out.write(u32le(0));

    const expected = expectedZkeySize(nVars, nPublic, domainSize, sec2.byteLength, coefficients);
    if (out.position !== expected) {
      throw new DevZkeyError(
        "ZKEY_WRITE_FAILED",
        `internal error: wrote ${out.position} bytes, expected ${expected}`,
      );
    }
    await out.close();
    await rename(tmpPath, zkeyPath);
    return csHash;
  } catch (err) {
    await out.close().catch(() => undefined);
    await rm(tmpPath, { force: true }).catch(() => undefined);
    if (err instanceof DevZkeyError) throw err;
    throw new DevZkeyError(
      "ZKEY_WRITE_FAILED",
      `could not write ${zkeyPath}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

function groth16HeaderSection(
  nVars: number,
  nPublic: number,
  domainSize: number,
  h: HeaderPoints,
): Uint8Array {
  return concatBytes([
    u32le(N8),
    bigIntToBytesLE(BN128_Q, N8),
    u32le(N8),
    bigIntToBytesLE(BN128_R, N8),
    u32le(nVars),
    u32le(nPublic),
    u32le(domainSize),
    h.alpha1,
    h.beta1,
    h.beta2,
    h.gamma2,
    h.delta1,
    h.delta2,
  ]);
}

function expectedZkeySize(
  nVars: number,
  nPublic: number,
  domainSize: number,
  headerSize: number,
  coefficients: Uint8Array,
): number {
  const sections = [
    4,
    headerSize,
    coefficients.byteLength,
    (nPublic + 1) * G1_AFFINE,
    domainSize * G1_AFFINE,
    (nVars - nPublic - 1) * G1_AFFINE,
    nVars * G1_AFFINE,
    nVars * G1_AFFINE,
    nVars * G2_AFFINE,
    68,
  ];
  return 12 + sections.reduce((acc, s) => acc + 12 + s, 0);
}

/** Appends buffers to a file in order, tracking the position. */
class SequentialWriter {
  position = 0;
  private constructor(private readonly fh: FileHandle) {}

  static async create(path: string): Promise<SequentialWriter> {
    return new SequentialWriter(await open(path, "w"));
  }

  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.byteLength - done);
      done += bytesWritten;
    }
    this.position += bytes.byteLength;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

function binFileHeader(magic: string, version: number, nSections: number): Uint8Array {
  return concatBytes([Buffer.from(magic, "latin1"), u32le(version), u32le(nSections)]);
}

function sectionHeader(id: number, size: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, id, true);
  dv.setUint32(4, size % 2 ** 32, true);
  dv.setUint32(8, Math.floor(size / 2 ** 32), true);
  return b;
}
