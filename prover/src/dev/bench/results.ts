import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TradeBudget } from "./budget.ts";
import type { KindFigures } from "./measure.ts";
import { ROOT } from "../../domain/paths.ts";

/** The machine a benchmark ran on. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
}

/** Versions of everything that shapes the figures. */
export interface Toolchain {
  readonly circom: string;
  readonly circomlib: string;
  readonly snarkjs: string;
  readonly ffjavascript: string;
  readonly hardhat: string;
  readonly solc: string;
}

/** One point of the batch-size sweep; `error` says why it could not be measured. */
export interface SweepPoint {
  readonly batch: number;
  readonly figures?: KindFigures;
  readonly error?: string;
}

/** The JSON file `npm run bench` writes (format zkclear-bench/1). */
export interface BenchResults {
  readonly format: "zkclear-bench/1";
  readonly date: string;
  readonly command: string;
  readonly commit: string;
  readonly seconds: number;
  readonly machine: Machine;
  readonly toolchain: Toolchain;
  /** Every batch kind of every parameter set measured. */
  readonly sets: readonly KindFigures[];
  /** Trade batches of B = 1, 2, 4, ... at the sweep base's depth and markets. */
  readonly sweep: { readonly base: string; readonly points: readonly SweepPoint[] } | null;
  readonly budget: TradeBudget | null;
}

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

export function toolchain(): Toolchain {
  // read the files: some packages' exports hide their package.json from require
  const version = (pkg: string): string => {
    try {
      const file = path.join(ROOT, "node_modules", pkg, "package.json");
      return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      return "unknown";
    }
  };
  return {
    circom: `circom2 ${version("circom2")} (circom 2.2.3, WebAssembly)`,
    circomlib: version("circomlib"),
    snarkjs: version("snarkjs"),
    ffjavascript: version("ffjavascript"),
    hardhat: version("hardhat"),
    solc: `${version("solc")} (solcjs)`,
  };
}

/** The checked-out commit, marked "+changes" when the tree differs from it. */
export function commit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT })
      .toString()
      .trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: ROOT,
    })
      .toString()
      .trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return "unknown";
  }
}
