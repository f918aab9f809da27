import path from "node:path";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import type { Deployment } from "../domain/deployment.ts";
import { ChainClient } from "../chain/client.ts";
import { WorkerProver } from "../proving/worker-pool.ts";
import { Store } from "../store/store.ts";
import { buildApi } from "./api.ts";
import { Operator } from "./operator.ts";
import { Publisher } from "./publisher.ts";
import { checkDeployment, deploymentKeySet } from "./startup.ts";

export interface ServeOptions {
  readonly rpc: string;
  /** The deployment (deploy's file, read with loadDeployment). */
  readonly deployment: Deployment;
  /** A directory holding the deployment's ceremony key set, if it moved since deploy. */
  readonly keys?: string;
  readonly db: string;
  readonly port: number;
  /** The operator's Ethereum key; the node's first account when absent (local chains). */
  readonly operatorKey?: string;
  /** How often prices, deposits and the pipeline are looked at, ms. */
  readonly tickMs?: number;
  /** Where settled batches are published as files (default: published/ next to the db). */
  readonly publishDir?: string;
  /** A partial trade batch is cut after this long, ms. */
  readonly batchTimeoutMs?: number;
  readonly log?: (s: string) => void;
}

export interface RunningService {
  readonly url: string;
  readonly operator: Operator;
  stop(): Promise<void>;
}

/**
 * `zkclear serve`: the operator service on 127.0.0.1 — HTTP API, sequencer, prover
 * process and chain submitter, over the SQLite store.
 */
export async function startService(o: ServeOptions): Promise<RunningService> {
  const log = o.log ?? ((s: string) => console.log(`[${new Date().toISOString()}] ${s}`));
  const d = o.deployment;
  const p = d.paramSet;
  const markets = d.markets;
  const provider = new JsonRpcProvider(o.rpc, undefined, {
    staticNetwork: true,
    pollingInterval: 200,
  });
  const keys = deploymentKeySet(d, o.keys);
  try {
    await checkDeployment(d, provider, keys);
  } catch (e) {
    provider.destroy();
    throw e;
  }
  if (keys.kind === "development")
    log(`proving with INSECURE development keys of "${p.name}": never for real funds`);
  const signer: Signer = o.operatorKey
    ? new Wallet(o.operatorKey, provider)
    : await provider.getSigner(0);
  const store = new Store(o.db);
  const prover = new WorkerProver(p, keys);
  const operator = Operator.open({
    params: p,
    markets,
    domain: d.domain,
    store,
    chain: new ChainClient(d.addresses, signer),
    prover,
    log,
  });
  const publisher = new Publisher(store, {
    chainId: d.chainId,
    settlement: d.addresses.settlement,
    params: p,
    markets,
    dir: o.publishDir ?? path.join(path.dirname(path.resolve(o.db)), "published"),
  });
  const app = buildApi(operator, publisher);
  const url = await app.listen({ host: "127.0.0.1", port: o.port });
  log(`zkclear operator for "${p.name}" listening on ${url}`);
  let stopping = false;
  let lastFlush = Date.now();
  const timer = setInterval(() => {
    if (stopping) return;
    const flush = Date.now() - lastFlush >= (o.batchTimeoutMs ?? 5000);
    if (flush) lastFlush = Date.now();
    operator
      .tick({ flushTrades: flush })
      .then(() => publisher.sync())
      .catch((e) => log(`tick failed (will retry): ${String(e)}`));
  }, o.tickMs ?? 1000);
  return {
    url,
    operator,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await operator.idle().catch(() => {});
      await app.close();
      await prover.close();
      store.close();
      provider.destroy();
    },
  };
}
