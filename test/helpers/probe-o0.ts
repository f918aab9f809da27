import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { CIRCUIT_BUILDS, CIRCUIT_SOURCES, ROOT } from "../../prover/src/proving/paths.ts";

// compileProbeO0 is compileProbe (prover/src/proving/build.ts) at circom's --O0, over an
// edited copy of the circuit sources. It is separate only because build.ts is keyed by the
// mutation report and hard-codes --O2. A later refactor can fold it in as an
// `optimization` option of compileCircom and a `rewrite` option of compileProbe.
//
// --O0 keeps every signal as a wire under its own name, so the probe's witness gives a value
// for every name a full --O2 build keeps, whichever alias of a `<==` chain survives there.

const require = createRequire(import.meta.url);
const CIRCOM_CLI = require.resolve("circom2/cli.js");
const CIRCOM_VERSION: string = require("circom2/package.json").version;
const CIRCOMLIB_VERSION: string = require("circomlib/package.json").version;

export interface ProbeO0Build {
  readonly r1cs: string;
  readonly wasm: string;
  readonly sym: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Runs circom2 (a WASI program, so with paths relative to the project root) as build.ts does. */
function circom(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CIRCOM_CLI, ...args], { cwd: ROOT });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`circom exited with ${code}:\n${out.replace(ANSI, "")}`)),
    );
  });
}

/**
 * `component main {public [publicInputs]} = expr;` over `source`, compiled with circom2 --O0
 * (r1cs, WebAssembly witness calculator and .sym) into <builds>/probes/<name>/, where
 * <builds> is CIRCUIT_BUILDS (artifacts/, or a mutant's build directory). The circuit
 * sources (CIRCUIT_SOURCES, so a mutant's when the tests run against one) are copied to
 * <name>/src/ through `rewrite` (file name, text) => text. A build whose sources, options
 * and compiler match is reused.
 */
export async function compileProbeO0(
  name: string,
  source: string,
  expr: string,
  opts: {
    publicInputs?: readonly string[];
    rewrite?: (file: string, text: string) => string;
  } = {},
): Promise<ProbeO0Build> {
  const dir = path.join(CIRCUIT_BUILDS, "probes", name);
  const build: ProbeO0Build = {
    r1cs: path.join(dir, `${name}.r1cs`),
    wasm: path.join(dir, `${name}_js`, `${name}.wasm`),
    sym: path.join(dir, `${name}.sym`),
  };
  const files = new Map<string, string>();
  for (const f of fs.readdirSync(CIRCUIT_SOURCES).sort()) {
    if (!f.endsWith(".circom")) continue;
    const text = fs.readFileSync(path.join(CIRCUIT_SOURCES, f), "utf8");
    files.set(f, opts.rewrite ? opts.rewrite(f, text) : text);
  }
  const main = [
    "pragma circom 2.1.9;",
    `include "src/${source}";`,
    `component main${
      opts.publicInputs ? ` {public [${opts.publicInputs.join(", ")}]}` : ""
    } = ${expr};`,
    "",
  ].join("\n");
  const h = createHash("sha256");
  for (const [f, text] of files) h.update(f).update(text);
  h.update(main).update(`circom2@${CIRCOM_VERSION} circomlib@${CIRCOMLIB_VERSION} --O0`);
  const hash = h.digest("hex");
  const stamp = path.join(dir, "build.json");
  const cached = () => {
    try {
      return (JSON.parse(fs.readFileSync(stamp, "utf8")) as { sourceHash?: string }).sourceHash;
    } catch {
      return undefined;
    }
  };
  if (cached() === hash && Object.values(build).every((f) => fs.existsSync(f))) return build;

  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  for (const [f, text] of files) fs.writeFileSync(path.join(dir, "src", f), text);
  const mainFile = path.join(dir, `${name}.circom`);
  fs.writeFileSync(mainFile, main);
  const rel = (f: string) => path.relative(ROOT, f);
  await circom([
    rel(mainFile),
    "-l",
    "node_modules",
    "--r1cs",
    "--wasm",
    "--sym",
    "--O0",
    "-o",
    rel(dir),
  ]);
  fs.writeFileSync(stamp, JSON.stringify({ sourceHash: hash }));
  return build;
}
