import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RigError } from "../processes.ts";

/**
 * The intake benchmark's two halves: a service process (./intake-server.ts, over the code of
 * a given tree) and HTTP clients that post pre-signed orders to it over keep-alive loopback
 * connections, each client waiting for its answer before it sends the next order.
 */
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "intake-server.ts");

export interface IntakeServer {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly db: string;
  stop(): Promise<void>;
}

/** Starts the service of tree `root` over the store `db` (made when missing). */
export async function startIntakeServer(
  root: string,
  db: string,
  accounts: number,
  port = 0,
  nodeArgs: readonly string[] = [],
): Promise<IntakeServer> {
  // node itself runs the server (tsx as a loader, not its CLI's child process): its pid is
  // the service's, for the crash test's SIGKILL
  const args = [...nodeArgs, "--import", "tsx", SERVER, root, db, String(accounts), String(port)];
  const proc = spawn(process.execPath, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.on("exit", (code) =>
      reject(
        new RigError("RIG_MISMATCH", `the intake server exited (${code}) before it was ready`),
      ),
    );
  });
  return {
    url,
    proc,
    db,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}

export interface IntakeRun {
  readonly clients: number;
  readonly acked: number;
  readonly refused: number;
  readonly seconds: number;
  readonly ordersPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** The first refusal's answer, if any (the benchmark sends only valid orders). */
  readonly firstRefusal?: string;
}

/** One POST /v1/orders; resolves with the status and body. */
function post(
  agent: http.Agent,
  url: URL,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: "/v1/orders",
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * `clients` concurrent clients for about `seconds`: client c posts the streams c, c + clients,
 * … one after another (each stream is one account pair's orders, in nonce order). Counts the
 * acknowledged orders (201) and their latencies; `onAck` sees each acknowledged body.
 */
export async function driveIntake(
  url: string,
  streams: readonly (readonly string[])[],
  clients: number,
  seconds: number,
  onAck?: (body: string, ack: string) => void,
): Promise<IntakeRun> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  let refused = 0;
  let firstRefusal: string | undefined;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const client = async (c: number) => {
    for (let q = c; q < streams.length; q += clients)
      for (const body of streams[q]!) {
        if (performance.now() >= deadline) return;
        const t = performance.now();
        const r = await post(agent, target, body);
        if (r.status === 201) {
          latencies.push(performance.now() - t);
          onAck?.(body, r.body);
        } else {
          refused++;
          firstRefusal ??= `${r.status} ${r.body}`;
        }
      }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    clients,
    acked: latencies.length,
    refused,
    seconds: elapsed,
    ordersPerSecond: latencies.length / elapsed,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    firstRefusal,
  };
}

/** A fresh temporary store file. */
export function freshDb(prefix: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), "op.db");
}
