import type { Command } from "commander";
import { ANOMALY_KIND_NAMES, ANOMALY_KINDS, type AnomalyThresholds } from "../domain/anomalies.ts";
import { INTAKE_LIMITS } from "../service/intake.ts";
import { startService } from "../service/serve.ts";
import { DEFAULT_DEPLOYMENT, deployment } from "./common.ts";

/** commander's key of an option: --anomaly-price-jump-bps → anomalyPriceJumpBps. */
const optionKey = (flag: string) =>
  flag.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function register(program: Command): void {
  const serve = program
    .command("serve")
    .description("run the operator service on 127.0.0.1 (API, sequencer, prover, chain submitter)")
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .option("--keys <dir>", "the deployment's ceremony key set, if it moved since deploy")
    .option("--db <file>", "SQLite store", "artifacts/operator.db")
    .option("--port <n>", "HTTP port", "8080")
    .option(
      "--operator-key <hex>",
      "Ethereum key that submits batches (default: the node's first account)",
    )
    .option(
      "--publish-dir <dir>",
      "where settled batch files are written for auditors (default: published/ next to --db)",
    )
    .option("--batch-timeout <ms>", "cut a partial trade batch after this long", "5000")
    .option(
      "--replicas <urls>",
      "the data committee's replicas (zkclear replica), comma-separated (default on a development chain: INSECURE in-process development committee keys)",
    )
    .option("--provers <n>", "local proving processes (without --queue)", "1")
    .option(
      "--queue <url>",
      "job queue (postgres://...): proving jobs go to zkclear prover-worker processes",
    )
    .option(
      "--job-expiry <s>",
      "seconds a worker may hold a job before it is given to another",
      "900",
    )
    .option("--queue-maintenance <s>", "seconds between the queue's expiry checks", "10")
    .option(
      "--max-orders-in-flight <n>",
      "orders taken and not yet answered; past it POST /v1/orders answers 503 INTAKE_BUSY",
      String(INTAKE_LIMITS.maxInFlight),
    )
    .option(
      "--max-order-group <n>",
      "orders sequenced under one commit (the event loop runs between groups)",
      String(INTAKE_LIMITS.maxGroup),
    );
  // the anomaly watch's thresholds, one option per kind of domain/anomalies.ts's table
  for (const k of ANOMALY_KIND_NAMES)
    serve.option(
      `${ANOMALY_KINDS[k].option} <bps>`,
      `anomaly threshold, basis points: ${ANOMALY_KINDS[k].meaning}`,
      String(ANOMALY_KINDS[k].defaultBps),
    );
  serve.action(async (o: Record<string, string>) => {
    const s = await startService({
      rpc: o.rpc,
      deployment: deployment(o.deployment),
      keys: o.keys,
      db: o.db,
      port: Number(o.port),
      operatorKey: o.operatorKey,
      batchTimeoutMs: Number(o.batchTimeout),
      publishDir: o.publishDir,
      replicas: o.replicas ? o.replicas.split(",").filter(Boolean) : undefined,
      provers: Number(o.provers),
      queue: o.queue,
      jobExpirySeconds: Number(o.jobExpiry),
      queueMaintenanceSeconds: Number(o.queueMaintenance),
      intake: { maxInFlight: Number(o.maxOrdersInFlight), maxGroup: Number(o.maxOrderGroup) },
      anomalies: Object.fromEntries(
        ANOMALY_KIND_NAMES.map((k) => [k, Number(o[optionKey(ANOMALY_KINDS[k].option)])]),
      ) as Partial<AnomalyThresholds>,
    });
    const stop = async () => {
      await s.stop();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
