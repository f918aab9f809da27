import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { ContractFactory, type InterfaceAbi, type Signer } from "ethers";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import { ARTIFACTS, ROOT } from "../domain/paths.ts";

export class ChainBuildError extends ZkClearError<CodeOf<"build">> {}

/** Hardhat's output folder (hardhat.config.cjs: paths.artifacts). */
export const HARDHAT_ARTIFACTS = path.join(ARTIFACTS, "hardhat");

interface LinkRef {
  start: number;
  length: number;
}

export interface ContractArtifact {
  readonly contractName: string;
  readonly sourceName: string;
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
  readonly linkReferences: Record<string, Record<string, LinkRef[]>>;
}

const require = createRequire(import.meta.url);

/** Compiles contracts/ and the generated verifiers with Hardhat (solcjs, offline). */
export function compileContracts(): Promise<void> {
  const cli = path.join(
    path.dirname(require.resolve("hardhat/package.json")),
    "internal",
    "cli",
    "cli.js",
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "compile", "--quiet"], { cwd: ROOT });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new ChainBuildError("SOLC_FAILED", `hardhat compile failed:\n${out}`)),
    );
  });
}

function findArtifact(dir: string, name: string): string | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === "build-info") continue;
      const hit = findArtifact(p, name);
      if (hit) return hit;
    } else if (entry.name === `${name}.json`) {
      return p;
    }
  }
  return undefined;
}

/** Reads a compiled contract's artifact by contract name. */
export function loadArtifact(name: string): ContractArtifact {
  const file = fs.existsSync(HARDHAT_ARTIFACTS) ? findArtifact(HARDHAT_ARTIFACTS, name) : undefined;
  if (!file) {
    throw new ChainBuildError(
      "ARTIFACT_MISSING",
      `no compiled artifact for ${name}: run the contract build first`,
    );
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as ContractArtifact;
}

/** Bytecode with its library placeholders replaced by deployed addresses. */
export function linkBytecode(a: ContractArtifact, libraries: Record<string, string>): string {
  let code = a.bytecode;
  for (const [, libs] of Object.entries(a.linkReferences)) {
    for (const [lib, refs] of Object.entries(libs)) {
      const addr = libraries[lib];
      if (!addr)
        throw new ChainBuildError("LIBRARY_MISSING", `${a.contractName} needs library ${lib}`);
      const hex = addr.toLowerCase().replace(/^0x/, "");
      for (const { start, length } of refs) {
        code = code.slice(0, 2 + start * 2) + hex + code.slice(2 + (start + length) * 2);
      }
    }
  }
  return code;
}

/** A ContractFactory for a compiled contract, linked against `libraries`. */
export function factory(
  name: string,
  signer: Signer,
  libraries: Record<string, string> = {},
): ContractFactory {
  const a = loadArtifact(name);
  return new ContractFactory(a.abi, linkBytecode(a, libraries), signer);
}
