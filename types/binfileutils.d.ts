// Minimal type declarations for the parts of @iden3/binfileutils 0.0.12 that zkclear uses
// (reading the sections of a snarkjs .zkey as snarkjs itself does, and writing a .ptau).
declare module "@iden3/binfileutils" {
  import type { BigBuffer } from "ffjavascript";

  export interface BinFile {
    readULE32(): Promise<number>;
    read(length: number): Promise<Uint8Array>;
    writeULE32(value: number): Promise<void>;
    write(bytes: Uint8Array): Promise<void>;
    close(): Promise<void>;
  }
  /** Section id -> its occurrences (position and size in bytes). */
  export type Sections = { p: number; size: number }[][];

  export function readBinFile(
    fileName: string,
    type: string,
    maxVersion: number,
    cacheSize?: number,
    pageSize?: number,
  ): Promise<{ fd: BinFile; sections: Sections }>;
  export function startReadUniqueSection(
    fd: BinFile,
    sections: Sections,
    id: number,
  ): Promise<void>;
  export function endReadSection(fd: BinFile, noCheck?: boolean): Promise<void>;
  export function createBinFile(
    fileName: string,
    type: string,
    version: number,
    nSections: number,
    cacheSize?: number,
    pageSize?: number,
  ): Promise<BinFile>;
  export function startWriteSection(fd: BinFile, id: number): Promise<void>;
  export function endWriteSection(fd: BinFile): Promise<void>;
  export function readBigInt(fd: BinFile, n8: number, pos?: number): Promise<bigint>;
  /** The section's bytes: a Uint8Array below 1 GiB, a BigBuffer above. */
  export function readSection(
    fd: BinFile,
    sections: Sections,
    id: number,
    offset?: number,
    length?: number,
  ): Promise<Uint8Array | BigBuffer>;
}
