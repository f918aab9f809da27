import { execFile } from "node:child_process";

/** One run of bin/zkclear: its exit code, its --json answer (parsed) and all it printed. */
export interface CliRun {
  code: number;
  json: Record<string, unknown>;
  out: string;
}

/**
 * Runs `bin/zkclear <args>` without blocking this process (which may serve the chain the CLI
 * uses), with `env` added to this process's environment.
 */
export function runZkclear(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      "bin/zkclear",
      args,
      { timeout: 300_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          // human output, or the assertion on the exit code shows it
        }
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, json, out: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** `zkclear --json <args>` (runZkclear). */
export function zkclearJson(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runZkclear(["--json", ...args], env);
}
