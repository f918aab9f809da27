import path from "node:path";
import { getAddress, HDNodeWallet, JsonRpcProvider, Wallet } from "ethers";
import { ZkClearError } from "../domain/errors.ts";
import type { AnomalyThresholds } from "../domain/anomalies.ts";
import type { Deployment } from "../domain/deployment.ts";
import { ChainClient } from "../chain/client.ts";
import { ChainFunding } from "../chain/funding-port.ts";
import { LocalProvingPool } from "../proving/local-pool.ts";
import { circuitInputCheck, keySetVerifier } from "../proving/proof-check.ts";
import { terminateCurve } from "../proving/prover.ts";
import { queueName, redact } from "../proving/queue-jobs.ts";
import { QueueProvingPool } from "../proving/queue-pool.ts";
import type { ProverPort } from "../domain/ports.ts";
import { Store } from "../store/store.ts";
import { buildApi } from "./api.ts";
import type { IntakeLimits } from "./intake.ts";
import { Operator } from "./operator.ts";
import { Publisher } from "./publisher.ts";
import { KeyAttestor, ReplicaAttestor } from "./committee.ts";
import { devCommitteeWallets } from "../chain/committee.ts";
import { checkDeployment, deploymentKeySet } from "./startup.ts";
import { operatorExplorerSource } from "./explorer-source.ts";

export interface ServeOptions {
  readonly rpc: string;
  /** The deployment (deploy's file, read with loadDeployment). */
  readonly deployment: Deployment;
  /** A directory holding the deployment's ceremony key set, if it moved since deploy. */
  readonly keys?: string;
  readonly db: string;
  readonly port: number;
  /**
   * The operator's Ethereum key (it signs every batch transaction). Required except on a
   * local development chain (id 31337), where it defaults to the first account of Hardhat's
   * well-known development mnemonic (INSECURE: the whole world knows it).
   */
  readonly operatorKey?: string;
  /** How often prices, deposits and the pipeline are looked at, ms. */
  readonly tickMs?: number;
  /** Where settled batches are published as files (default: published/ next to the db). */
  readonly publishDir?: string;
  /** A partial trade batch is cut after this long, ms. */
  readonly batchTimeoutMs?: number;
  /**
   * The data committee's replicas (`zkclear replica` URLs), asked to attest every trade,
   * withdrawal and liquidation batch. Required except on a local development chain, where
   * without them the development committee keys sign in this process (INSECURE, checks
   * nothing: only for trying the service out).
   */
  readonly replicas?: readonly string[];
  /** Local proving processes (the embedded pool, without a queue; default 1). */
  readonly provers?: number;
  /** The job queue (postgres://...): jobs go to `zkclear prover-worker`s instead. */
  readonly queue?: string;
  /** How long a worker may hold a job before another gets it, seconds (default 900). */
  readonly jobExpirySeconds?: number;
  /** How often the queue puts back jobs of dead workers, seconds (default 10). */
  readonly queueMaintenanceSeconds?: number;
  /** The order intake's bounds (default INTAKE_LIMITS: 4,096 orders in flight, groups of 512). */
  readonly intake?: Partial<IntakeLimits>;
  /** The anomaly watch's thresholds, bps (default: domain/anomalies.ts ANOMALY_KINDS). */
  readonly anomalies?: Partial<AnomalyThresholds>;
  readonly log?: (s: string) => void;
}

export interface RunningService {
  readonly url: string;
  readonly operator: Operator;
  stop(): Promise<void>;
}

/** Hardhat's development mnemonic: its accounts are funded on every local Hardhat chain. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** Account `i` of Hardhat's development mnemonic (INSECURE: for local chains only). */
export function devWallet(i = 0): HDNodeWallet {
  return HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
}

/** The operator's key: the one given, or on a local development chain Hardhat's first. */
export function operatorWallet(key: string | undefined, chainId: bigint): Wallet | HDNodeWallet {
  if (key) return new Wallet(key);
  if (chainId === 31337n) return devWallet(0);
  throw new ServeError(
    "OPERATOR_KEY_MISSING",
    `chain ${chainId} is not a local development chain: give the operator's key (--operator-key)`,
  );
}

export class ServeError extends ZkClearError {}

/** The service proves through its pool only. */
const POOL_ONLY: ProverPort = {
  prove: () =>
    Promise.reject(new ServeError("PROVE_FAILED", "the service proves through its pool")),
};

/** Who attests the operator's batches: the replicas, or on a development chain its own keys. */
function attestorFor(o: ServeOptions, provider: JsonRpcProvider, log: (s: string) => void) {
  const d = o.deployment;
  const target = { chainId: d.chainId, settlement: d.addresses.settlement };
  if (o.replicas?.length) {
    log(`data committee: asking ${o.replicas.join(", ")}`);
    return new ReplicaAttestor(o.replicas, provider, target);
  }
  if (d.chainId !== 31337n)
    throw new ServeError(
      "COMMITTEE_UNREACHED",
      `chain ${d.chainId} is not a local development chain: name the data committee's replicas (--replicas)`,
    );
  const wallets = devCommitteeWallets(d.committee.members.length);
  if (wallets.some((w, i) => getAddress(w.address) !== getAddress(d.committee.members[i])))
    throw new ServeError(
      "COMMITTEE_UNREACHED",
      "the deployment's data committee is not the development committee: name its replicas (--replicas)",
    );
  log("data committee: INSECURE development committee keys sign in this process (no replica)");
  return new KeyAttestor(wallets, target);
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
  const signer = operatorWallet(o.operatorKey, d.chainId).connect(provider);
  const store = new Store(o.db);
  const pool = o.queue
    ? await QueueProvingPool.open({
        url: o.queue,
        queue: queueName(d),
        paramSet: p.name,
        jobExpirySeconds: o.jobExpirySeconds,
        maintenanceSeconds: o.queueMaintenanceSeconds,
        log,
      })
    : new LocalProvingPool(p, keys, o.provers ?? 1);
  log(
    o.queue
      ? `proving: jobs on the queue ${redact(o.queue)} (run zkclear prover-worker --queue <url>)`
      : `proving: ${o.provers ?? 1} local proving process(es)`,
  );
  const chain = new ChainClient(d.addresses, signer, {
    attestor: attestorFor(o, provider, log),
    fromBlock: d.block,
  });
  const operator = Operator.open({
    params: p,
    markets,
    domain: d.domain,
    owners: d.owners,
    fundFloor: d.fundFloor,
    store,
    chain,
    prover: POOL_ONLY,
    pool: { jobs: pool, verifier: keySetVerifier(keys), inputCheck: circuitInputCheck(p) },
    funding: new ChainFunding(d.addresses, signer, d.block),
    anomalies: o.anomalies,
    log,
  });
  // a rotation recorded while the operator was down refuses the old key before the API serves
  await operator.readRotations();
  const publisher = new Publisher(store, {
    chainId: d.chainId,
    settlement: d.addresses.settlement,
    params: p,
    markets,
    fundFloor: d.fundFloor,
    owners: d.owners,
    dir: o.publishDir ?? path.join(path.dirname(path.resolve(o.db)), "published"),
  });
  const explorer = operatorExplorerSource({
    op: operator,
    chain,
    chainId: d.chainId,
    settlement: d.addresses.settlement,
    params: p.name,
  });
  const app = buildApi(operator, publisher, explorer, o.intake);
  const url = await app.listen({ host: "127.0.0.1", port: o.port });
  log(`zkclear operator for "${p.name}" listening on ${url} (explorer: ${url}/explorer)`);
  let stopping = false;
  let lastFlush = Date.now();
  const timer = setInterval(() => {
    if (stopping) return;
    const flush = Date.now() - lastFlush >= (o.batchTimeoutMs ?? 5000);
    if (flush) lastFlush = Date.now();
    operator
      .tick({ flushTrades: flush })
      .then(() => publisher.sync())
      .catch(() => {}); // logged and retried with backoff by the operator
  }, o.tickMs ?? 1000);
  return {
    url,
    operator,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await operator.idle().catch(() => {});
      await app.close();
      await pool.close();
      await terminateCurve();
      store.close();
      provider.destroy();
    },
  };
}
