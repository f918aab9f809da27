import type { Command } from "commander";
import { LocalProver } from "../proving/local-prover.ts";
import { checkKeySet } from "../proving/key-sets.ts";
import { queueName } from "../proving/queue-jobs.ts";
import { QueueWorker } from "../proving/queue-worker.ts";
import { deploymentKeySet } from "../service/startup.ts";
import { DEFAULT_DEPLOYMENT, deployment } from "./common.ts";

export function register(program: Command): void {
  program
    .command("prover-worker")
    .description(
      "prove batches from the operator's job queue (any machine with the deployment's keys)",
    )
    .requiredOption("--queue <url>", "the job queue (postgres://...), as given to zkclear serve")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .option("--keys <dir>", "the deployment's ceremony key set, if it is elsewhere on this machine")
    .option("--name <name>", "how this worker names itself in its proofs (default host:pid)")
    .option("--queue-maintenance <s>", "seconds between the queue's expiry checks", "10")
    .action(async (o: Record<string, string>) => {
      const d = deployment(o.deployment);
      const keys = deploymentKeySet(d, o.keys);
      checkKeySet(keys, d.paramSet);
      const prover = new LocalProver(d.paramSet, keys);
      const log = (s: string) => console.log(`[${new Date().toISOString()}] ${s}`);
      const w = await QueueWorker.start({
        url: o.queue,
        queue: queueName(d),
        paramSet: d.paramSet.name,
        prove: (job) => prover.prove(job.circuit, job.signals),
        name: o.name,
        maintenanceSeconds: Number(o.queueMaintenance),
        log,
      });
      log(`prover worker ${w.name} for "${d.paramSet.name}" on the queue`);
      const stop = async () => {
        await w.stop();
        process.exit(0);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
