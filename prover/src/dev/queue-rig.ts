import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "../domain/paths.ts";
import { stop } from "./processes.ts";

/** Where a rig keeps its files and its deployment (ServiceRig, the demo, the benchmark). */
export interface WorkerHome {
  readonly dir: string;
  readonly deploymentFile: string;
}

/**
 * Starts `zkclear prover-worker` for a deployment on the job queue at `url`, as its own
 * process named `name` (its log: <dir>/worker-<name>.log).
 */
export function startProverWorker(home: WorkerHome, url: string, name: string): ChildProcess {
  const log = fs.openSync(workerLogFile(home, name), "a");
  return spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "prover/src/cli/index.ts",
      "prover-worker",
      "--queue",
      url,
      "--deployment",
      home.deploymentFile,
      "--name",
      name,
      "--queue-maintenance",
      "1",
    ],
    { cwd: ROOT, stdio: ["ignore", log, log] },
  );
}

export function workerLogFile(home: WorkerHome, name: string): string {
  return path.join(home.dir, `worker-${name}.log`);
}

/** A worker's log so far ("" before it wrote any). */
export function workerLog(home: WorkerHome, name: string): string {
  try {
    return fs.readFileSync(workerLogFile(home, name), "utf8");
  } catch {
    return "";
  }
}

/** `n` prover workers (w0, w1, ...) on the queue at `url` (the demo and the benchmark). */
export function startProverWorkers(
  home: WorkerHome,
  url: string,
  n: number,
): { readonly workers: ChildProcess[]; stop(): Promise<void> } {
  const workers = Array.from({ length: n }, (_, i) => startProverWorker(home, url, `w${i}`));
  return {
    workers,
    async stop() {
      for (const w of workers) await stop(w, "SIGTERM");
    },
  };
}
