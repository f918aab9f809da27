import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { saveDeployment } from "../../prover/src/deploy/deploy.ts";
import type { KeyPair } from "../../prover/src/domain/keys.ts";
import { encryptKey } from "../../prover/src/domain/keystore.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import type { OperatorRig } from "./operator.ts";

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

/**
 * What a CLI test runs against: the rig's operator API on a free loopback port, its
 * deployment file, and `keys` in a keystore under `passphrase` (the file `name`).
 */
export async function cliAgainst(
  rig: OperatorRig,
  keys: KeyPair,
  passphrase: string,
  name: string,
): Promise<{ app: FastifyInstance; url: string; file: string; key: string }> {
  const app = buildApi(rig.op);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const file = saveDeployment(path.join(rig.dir, "deployment.json"), rig.w.deployment);
  const key = path.join(rig.dir, name);
  fs.writeFileSync(key, JSON.stringify(encryptKey(keys, passphrase)));
  return { app, url, file, key };
}
