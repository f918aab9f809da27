import fs from "node:fs";
import { ZkClearError, type ErrorCode } from "../domain/errors.ts";
import { isErrorCode } from "../domain/error-codes.ts";
import { decryptKey, type Keystore } from "../domain/keystore.ts";
import type { KeyPair } from "../domain/keys.ts";
import type { Deployment } from "../domain/deployment.ts";
import { loadDeployment } from "../deploy/deploy.ts";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

export class CliError extends ZkClearError {
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, exitCode: number = EXIT.usage) {
    super(code, message);
    this.exitCode = exitCode;
  }
}

export interface Output {
  readonly json: boolean;
}

/** Prints a result: JSON for scripts (--json), or readable lines. */
export function print(out: Output, value: Record<string, unknown>, human: string): void {
  if (out.json)
    console.log(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else console.log(human);
}

/** A spinner on stderr for long work (silent with --json or when stderr is not a TTY). */
export async function spin<T>(out: Output, label: string, work: () => Promise<T>): Promise<T> {
  if (out.json || !process.stderr.isTTY) return work();
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let i = 0;
  const t0 = Date.now();
  const timer = setInterval(
    () =>
      process.stderr.write(
        `\r${frames[i++ % frames.length]} ${label} ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      ),
    100,
  );
  try {
    return await work();
  } finally {
    clearInterval(timer);
    process.stderr.write(`\r${" ".repeat(label.length + 12)}\r`);
  }
}

export function bigintArg(name: string, v: string | undefined): bigint {
  if (v === undefined || !/^(0|[1-9][0-9]*)$/.test(v)) {
    throw new CliError(
      "BAD_ARGUMENT",
      `--${name} must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  }
  return BigInt(v);
}

export function passphrase(opt: string | undefined): string {
  const p = opt ?? process.env.ZKCLEAR_PASSPHRASE;
  if (!p) throw new CliError("NO_PASSPHRASE", "give --passphrase or set ZKCLEAR_PASSPHRASE");
  return p;
}

export function loadKey(file: string, pass: string | undefined): KeyPair {
  let ks: Keystore;
  try {
    ks = JSON.parse(fs.readFileSync(file, "utf8")) as Keystore;
  } catch (e) {
    throw new CliError("KEYSTORE_READ", `cannot read keystore ${file}: ${(e as Error).message}`);
  }
  return decryptKey(ks, passphrase(pass));
}

/** Calls the operator API; a 4xx/5xx becomes a CliError with the server's message. */
export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/$/, "")}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body:
        body === undefined
          ? undefined
          : JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    });
  } catch (e) {
    throw new CliError(
      "API_UNREACHABLE",
      `cannot reach the operator at ${base}: ${(e as Error).message}`,
      EXIT.refused,
    );
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok)
    throw new CliError(
      typeof json.error === "string" && isErrorCode(json.error) ? json.error : "API_REFUSED",
      String(json.message ?? res.statusText),
      EXIT.refused,
    );
  return json;
}

/** The default deployment file of a local `hardhat node` (chain id 31337). */
export const DEFAULT_DEPLOYMENT = "artifacts/deployments/chain-31337.json";

/** A saved deployment (deploy's file); a missing or invalid one is a usage error. */
export function deployment(file: string): Deployment {
  return loadDeployment(file);
}
