import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Peak memory of child processes. Node cannot read a child's rusage, so the child is
 * started with a preload (peak-rss.cjs) that writes its own peak resident set size at
 * exit; a process measures itself with {@link ownPeakRssMiB}.
 */
const PRELOAD = fileURLToPath(new URL("./peak-rss.cjs", import.meta.url));

export interface PeakRssProbe {
  /** `node` arguments that load the probe; put them before the script. */
  readonly execArgv: string[];
  /** Environment variables the probe needs, to merge into the child's. */
  readonly env: Record<string, string>;
  /** The child's peak RSS in MiB once it has exited; undefined if it did not report. */
  read(): number | undefined;
}

let probes = 0;

/** A probe for one child process. */
export function peakRssProbe(): PeakRssProbe {
  const file = path.join(os.tmpdir(), `zkclear-peak-rss-${process.pid}-${probes++}`);
  return {
    execArgv: ["--require", PRELOAD],
    env: { ZKCLEAR_PEAK_RSS_FILE: file },
    read() {
      try {
        const kib = Number(fs.readFileSync(file, "utf8"));
        fs.rmSync(file, { force: true });
        return Number.isFinite(kib) && kib > 0 ? kib / 1024 : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

const { peakKiB } = createRequire(import.meta.url)("./peak-rss.cjs") as { peakKiB: () => number };

/**
 * This process's peak resident set size so far, MiB (worker threads included): VmHWM on
 * Linux, which unlike getrusage's maxrss does not count the parent's memory at the fork.
 */
export function ownPeakRssMiB(): number {
  return peakKiB() / 1024;
}
