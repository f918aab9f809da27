// A throwaway PostgreSQL 15 server for the tests, the demo and the pipeline benchmark: its
// own data directory in a fresh temporary directory, a free loopback port, its unix socket in
// that directory. initdb refuses to run as root, so as root the server runs as `nobody`.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort, RigError } from "./processes.ts";

const BIN = process.env.ZK_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
  /** postgres://nobody@127.0.0.1:<port>/postgres (no password: trust on loopback). */
  readonly url: string;
  readonly port: number;
  /** The server's own pid (the postmaster). */
  pid(): number | undefined;
  /** Stops the server (fast shutdown), keeping its data directory. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory (after stop). */
  start(): Promise<void>;
  /** Stops it and removes its temporary directory. */
  close(): Promise<void>;
}

/** The command prefix that runs a binary as `nobody` when this process is root. */
function asUser(): { user: string; wrap: (bin: string, args: string[]) => [string, string[]] } {
  if (process.getuid?.() !== 0) return { user: os.userInfo().username, wrap: (b, a) => [b, a] };
  return { user: "nobody", wrap: (b, a) => ["runuser", ["-u", "nobody", "--", b, ...a]] };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Starts a fresh PostgreSQL server; `log` receives its startup lines on failure. */
export async function startPostgres(
  opts: { log?: (s: string) => void } = {},
): Promise<PostgresServer> {
  const { user, wrap } = asUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-pg-"));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, "data");
  fs.mkdirSync(data, { mode: 0o700 });
  if (process.getuid?.() === 0) execFileSync("chown", ["-R", `${user}:`, dir]);
  const [initBin, initArgs] = wrap(path.join(BIN, "initdb"), [
    "-D",
    data,
    "-U",
    user,
    "--auth=trust",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  execFileSync(initBin, initArgs, { stdio: "pipe" });
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = "";

  const start = async (): Promise<void> => {
    const [bin, args] = wrap(path.join(BIN, "postgres"), [
      "-D",
      data,
      "-p",
      String(port),
      "-h",
      "127.0.0.1",
      "-k",
      dir,
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ]);
    output = "";
    const c = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    c.stdout!.on("data", (b: Buffer) => (output += b.toString()));
    c.stderr!.on("data", (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (c.exitCode !== null) break;
      if (output.includes("ready to accept connections") && (await canConnect(port))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    opts.log?.(output);
    throw new RigError(
      "RIG_SERVER_START",
      `PostgreSQL did not start on 127.0.0.1:${port}: ${output.slice(-500)}`,
    );
  };

  /** The postmaster's pid from its pid file (runuser forks it as a child of its own). */
  const serverPid = (): number | undefined => {
    try {
      return Number(fs.readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    } catch {
      return undefined;
    }
  };

  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    const pid = serverPid();
    // SIGINT: fast shutdown (active connections are closed, the data stays consistent)
    if (pid) process.kill(pid, "SIGINT");
    else c.kill("SIGINT");
    await exited;
    child = undefined;
  };

  await start();
  return {
    url: `postgres://${user}@127.0.0.1:${port}/postgres`,
    port,
    pid: serverPid,
    stop,
    start,
    async close() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
