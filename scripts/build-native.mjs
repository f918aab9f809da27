// Builds the native Groth16 prover (native/) with node-gyp, from `npm ci` (the root
// package's install script) or `npm run build:native`. A failed build does not fail the
// install: zkclear then proves with its WebAssembly prover and says so once.
// It records the build machine's CPU flags beside the addon (native/build/cpu-flags.json):
// the addon is compiled for this machine (-march=native), and the loader refuses to load
// it on a processor that lacks any of these flags rather than crash on an instruction.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = path.join(root, "native");

function cpuFlags() {
  try {
    const line = fs
      .readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("flags"));
    return line ? line.split(":")[1].trim().split(/\s+/) : [];
  } catch {
    return [];
  }
}

// npm tells its scripts where its node-gyp is; run by hand, npm's own copy is used.
const bundled = path.join(
  path.dirname(path.dirname(process.execPath)),
  "lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
);
const gyp = process.env.npm_config_node_gyp ?? (fs.existsSync(bundled) ? bundled : undefined);
const args = ["rebuild", "--release", "--directory", dir];
// Node's own headers are on the machine: never download them.
const nodedir = process.env.npm_config_nodedir ?? path.dirname(path.dirname(process.execPath));
if (fs.existsSync(path.join(nodedir, "include", "node", "node_api.h")))
  args.push(`--nodedir=${nodedir}`);
const started = Date.now();
const r = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: "inherit" })
  : spawnSync("node-gyp", args, { stdio: "inherit" });
if (r.status === 0) {
  fs.writeFileSync(path.join(dir, "build", "cpu-flags.json"), JSON.stringify(cpuFlags()));
  console.log(`zkclear: native prover built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} else {
  console.warn(
    "zkclear: the native prover did not build; proofs will use the WebAssembly prover " +
      `(${r.error ? r.error.message : `node-gyp exited with ${r.status}`})`,
  );
}
