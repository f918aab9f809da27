// Compiles a test fixture circuit with circom2 --O2 (r1cs, wasm and sym) into `outDir`.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function compileFixture(fixture: string, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  // circom2 runs under WASI: paths must be relative to the working directory.
  execFileSync(
    process.execPath,
    [
      "node_modules/circom2/cli.js",
      relative(ROOT, fixture),
      "-l",
      "node_modules",
      "--r1cs",
      "--wasm",
      "--sym",
      "--O2",
      "-o",
      relative(ROOT, outDir),
    ],
    { cwd: ROOT, stdio: "pipe" },
  );
}
