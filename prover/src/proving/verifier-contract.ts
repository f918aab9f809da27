import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import ejs from "ejs";
import type { VerificationKey } from "snarkjs";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";

export class VerifierContractError extends ZkClearError<CodeOf<"build">> {}

/**
 * The Groth16 verifier contract of a verification key: snarkjs's Solidity template
 * rendered with the key and compiled with solc (the `solc` npm package) with the same
 * settings as hardhat.config.cjs. `deploy` deploys exactly this bytecode, and the service
 * at start-up and the auditor check a deployed verifier against it: the runtime bytecode
 * is compared without solc's CBOR metadata trailer (a hash of the source text, comments
 * and file names included); every instruction and every constant of the key is compared.
 */
const require = createRequire(import.meta.url);
const SNARKJS_ROOT = path.resolve(path.dirname(require.resolve("snarkjs")), "..");
const TEMPLATE = path.join(SNARKJS_ROOT, "templates", "verifier_groth16.sol.ejs");

/** hardhat.config.cjs's compiler settings: the deployed verifiers were built with them. */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 1000 },
  evmVersion: "cancun",
} as const;

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

let solc: { compile(input: string): string; version(): string } | undefined;

export function verifierSource(vkey: VerificationKey): string {
  return ejs.render(fs.readFileSync(TEMPLATE, "utf8"), vkey);
}

/** The runtime bytecode (hex, no 0x) of the verifier generated from `vkey`. */
export function verifierRuntime(vkey: VerificationKey): string {
  return compileVerifier(vkey).runtime;
}

/** The verifier generated from `vkey`, compiled: creation and runtime bytecode (hex). */
export function compileVerifier(vkey: VerificationKey): { creation: string; runtime: string } {
  const key = JSON.stringify(vkey);
  const hit = compiled.get(key);
  if (hit) return hit;
  solc ??= require("solc") as typeof solc;
  const input = {
    language: "Solidity",
    sources: { "Verifier.sol": { content: verifierSource(vkey) } },
    settings: {
      ...SOLC_SETTINGS,
      outputSelection: { "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const out = JSON.parse(solc!.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length)
    throw new VerifierContractError(
      "SOLC_FAILED",
      `solc: ${errors.map((e) => e.formattedMessage).join("\n")}`,
    );
  const contracts = Object.values(out.contracts?.["Verifier.sol"] ?? {});
  if (contracts.length !== 1)
    throw new VerifierContractError(
      "VERIFIER_TEMPLATE_CHANGED",
      "snarkjs's verifier template changed: one contract expected",
    );
  const evm = contracts[0].evm;
  const out2 = { creation: evm.bytecode.object, runtime: evm.deployedBytecode.object };
  compiled.set(key, out2);
  return out2;
}

/** Compiled verifiers by key (solcjs takes a second or so per verifier). */
const compiled = new Map<string, { creation: string; runtime: string }>();

/** Runtime code without solc's CBOR metadata (its length is the last two bytes). */
export function stripMetadata(hex: string): string {
  const h = hex.replace(/^0x/, "").toLowerCase();
  if (h.length < 4) return h;
  const len = parseInt(h.slice(-4), 16);
  const cut = h.length - 4 - len * 2;
  return cut > 0 ? h.slice(0, cut) : h;
}

export interface VerifierMatch {
  readonly match: boolean;
  /** Why not, in words: no code, or which key constants the code lacks. */
  readonly detail: string;
}

/** The 32-byte words of a verification key, as they appear in the verifier's code. */
function keyWords(vkey: VerificationKey): { name: string; hex: string }[] {
  const v = vkey as unknown as Record<string, unknown>;
  const words: { name: string; hex: string }[] = [];
  const add = (name: string, x: unknown) =>
    words.push({ name, hex: BigInt(String(x)).toString(16).padStart(64, "0") });
  const g1 = (name: string, p: unknown[]) => (add(`${name}.x`, p[0]), add(`${name}.y`, p[1]));
  const g2 = (name: string, p: unknown[][]) =>
    p.slice(0, 2).forEach((c, i) => c.forEach((x, j) => add(`${name}[${i}][${j}]`, x)));
  g1("alpha", v.vk_alpha_1 as unknown[]);
  g2("beta", v.vk_beta_2 as unknown[][]);
  g2("gamma", v.vk_gamma_2 as unknown[][]);
  g2("delta", v.vk_delta_2 as unknown[][]);
  (v.IC as unknown[][]).forEach((p, i) => g1(`IC${i}`, p));
  return words;
}

/** Compares deployed runtime code with the verifier generated from `vkey`. */
export function matchVerifier(deployedHex: string, vkey: VerificationKey): VerifierMatch {
  const code = deployedHex.replace(/^0x/, "").toLowerCase();
  if (code.length === 0) return { match: false, detail: "no contract code at the address" };
  if (stripMetadata(code) === stripMetadata(verifierRuntime(vkey)))
    return { match: true, detail: "bytecode equals the verifier generated from the local key" };
  const missing = keyWords(vkey)
    .filter((w) => !code.includes(w.hex))
    .map((w) => w.name);
  return {
    match: false,
    detail: missing.length
      ? `the code lacks ${missing.length} constant(s) of the local key (${missing.slice(0, 4).join(", ")}${missing.length > 4 ? ", …" : ""})`
      : "the code holds the local key's constants but is not the generated verifier",
  };
}
