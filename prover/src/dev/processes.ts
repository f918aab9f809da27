import type { ChildProcess } from "node:child_process";
import net from "node:net";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";

/** Helpers for development rigs that run real processes (prover/src/dev/service-rig.ts). */
export class RigError extends ZkClearError<CodeOf<"dev">> {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `f` until it yields a value (errors count as "not yet"). */
export async function until<T>(
  what: string,
  f: () => Promise<T | undefined>,
  ms = 180_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms)
      throw new RigError("RIG_TIMEOUT", `timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

export function stop(c: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    c.once("exit", () => r());
    c.kill(signal);
  });
}
