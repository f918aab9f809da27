import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "../prover/src/domain/paths.ts";
import { paramSet } from "../prover/src/domain/params.ts";
import {
  INTAKE_DOMAIN,
  INTAKE_PARAMS,
  intakeMarks,
  orderStream,
} from "../prover/src/dev/bench/intake-orders.ts";
import {
  driveIntake,
  freshDb,
  startIntakeServer,
  type IntakeRun,
} from "../prover/src/dev/bench/intake.ts";

// npm run bench:intake -- [--base 028c095] [--clients 1,10,50] [--seconds 6] [--per-stream 400]
// Today's intake (this tree) and the intake of commit --base, side by side in one run: each
// (tree, clients) pair gets a fresh service and store, and the same pre-signed orders.
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const base = arg("base", "028c095");
const levels = arg("clients", "1,10,50").split(",").map(Number);
const seconds = Number(arg("seconds", "6"));
const perStream = Number(arg("per-stream", "400"));
const STREAMS = 50;

// the earlier commit's tree, exported once under artifacts/ with this tree's node_modules
const sha = execFileSync("git", ["rev-parse", base], { cwd: ROOT, encoding: "utf8" }).trim();
const baseRoot = path.join(ROOT, "artifacts", `intake-base-${sha.slice(0, 12)}`);
if (!fs.existsSync(path.join(baseRoot, "package.json"))) {
  fs.mkdirSync(baseRoot, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${sha} | tar -x -C "${baseRoot}"`], { cwd: ROOT });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(baseRoot, "node_modules"));
}

const p = paramSet(INTAKE_PARAMS);
const cache = path.join(ROOT, "artifacts", `intake-orders-${STREAMS}x${perStream}.json`);
let streams: string[][];
if (fs.existsSync(cache)) streams = JSON.parse(fs.readFileSync(cache, "utf8")) as string[][];
else {
  const t = performance.now();
  streams = Array.from({ length: STREAMS }, (_, q) =>
    orderStream(q, perStream, p.markets, intakeMarks(p.markets), INTAKE_DOMAIN),
  );
  fs.writeFileSync(cache, JSON.stringify(streams));
  console.log(
    `signed ${STREAMS * perStream} orders in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
}

const trees = [
  { name: `before (${sha.slice(0, 7)})`, root: baseRoot },
  { name: "now", root: ROOT },
];
const results = new Map<string, IntakeRun>();
for (const clients of levels)
  for (const tree of trees) {
    const server = await startIntakeServer(tree.root, freshDb("zkclear-intake-"), 2 * STREAMS);
    try {
      const r = await driveIntake(server.url, streams, clients, seconds);
      results.set(`${tree.name}:${clients}`, r);
      console.log(
        `${tree.name}, ${clients} clients: ${r.acked} acked in ${r.seconds.toFixed(1)} s = ${r.ordersPerSecond.toFixed(0)} orders/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms` +
          (r.refused ? `, ${r.refused} refused (first: ${r.firstRefusal})` : ""),
      );
    } finally {
      await server.stop();
    }
  }

const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(
  `\n| clients | before: orders/s | p50 | p99 | now: orders/s | p50 | p99 | ratio |\n|---:|---:|---:|---:|---:|---:|---:|---:|`,
);
for (const clients of levels) {
  const b = results.get(`${trees[0]!.name}:${clients}`)!;
  const n = results.get(`now:${clients}`)!;
  console.log(
    `| ${clients} | ${b.ordersPerSecond.toFixed(0)} | ${ms(b.p50)} | ${ms(b.p99)} | ${n.ordersPerSecond.toFixed(0)} | ${ms(n.p50)} | ${ms(n.p99)} | ${(n.ordersPerSecond / b.ordersPerSecond).toFixed(1)}× |`,
  );
}
