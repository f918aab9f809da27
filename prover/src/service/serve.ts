import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { paramSet } from "../domain/params.ts";
import { defaultMarkets } from "../domain/market.ts";
import type { DeploymentAddresses } from "../chain/deploy.ts";
import { ChainClient } from "../chain/client.ts";
import { WorkerProver } from "../proving/worker-pool.ts";
import { Store } from "../store/store.ts";
import { buildApi } from "./api.ts";
import { Operator } from "./operator.ts";
import { Publisher } from "./publisher.ts";

export interface ServeOptions {
  readonly rpc: string;
  readonly deployment: string;
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
  const addresses = JSON.parse(fs.readFileSync(o.deployment, "utf8")) as DeploymentAddresses;
  const p = paramSet(addresses.paramSet);
  const provider = new JsonRpcProvider(o.rpc, undefined, {
    staticNetwork: true,
    pollingInterval: 200,
  });
  const signer: Signer = o.operatorKey
    ? new Wallet(o.operatorKey, provider)
    : await provider.getSigner(0);
  const markets = defaultMarkets(p.markets);
  const store = new Store(o.db);
  const prover = new WorkerProver(p);
  const operator = Operator.open({
    params: p,
    markets,
    store,
    chain: new ChainClient(addresses, signer),
    prover,
    log,
  });
  const publisher = new Publisher(store, {
    chainId: BigInt(addresses.chainId),
    settlement: addresses.settlement,
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
