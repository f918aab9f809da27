import { spawn } from "node:child_process";
import { ROOT } from "../../prover/src/proving/paths.ts";

/**
 * Runs `code` (a TypeScript ES module, through tsx) in a process of its own, from the project
 * root; resolves when it exits 0, rejects with its stderr otherwise. For tests of what several
 * processes do to one file at once (test/verify/file-lock.test.ts, mutation-report.test.ts).
 */
export function runModule(code: string, label = "module"): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("exit", (c) => (c === 0 ? resolve() : reject(new Error(`${label}: exit ${c}: ${err}`))));
  });
}
