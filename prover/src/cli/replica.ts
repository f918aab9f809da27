import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { getAddress, JsonRpcProvider, Wallet } from "ethers";
import { devCommitteeWallets } from "../chain/committee.ts";
import { batchFileSource } from "../audit/sources.ts";
import { terminateCurve } from "../proving/prover.ts";
import { Replica } from "../replica/replica.ts";
import { buildReplicaApi } from "../replica/http.ts";
import {
  CliError,
  DEFAULT_DEPLOYMENT,
  deployment,
  EXIT,
  passphrase,
  type Output,
} from "./common.ts";

interface ReplicaCliOptions {
  rpc: string;
  deployment: string;
  settlement?: string;
  source?: string;
  db?: string;
  key: string;
  passphrase?: string;
  params?: string;
  vkeys?: string;
  fromBlock?: string;
  interval: string;
  fileWait: string;
  host: string;
  port: string;
}

/** The default database: $ZKCLEAR_HOME or ~/.zkclear, one file per Settlement. */
export function defaultReplicaDb(settlement: string): string {
  const home = process.env.ZKCLEAR_HOME ?? path.join(os.homedir(), ".zkclear");
  return path.join(home, `replica-${getAddress(settlement)}.db`);
}

function count(name: string, v: string): number {
  if (!/^[0-9]+$/.test(v))
    throw new CliError("BAD_ARGUMENT", `--${name} must be a non-negative integer, got ${v}`);
  return Number(v);
}

/**
 * The member's Ethereum key: `dev:<i>` for the INSECURE development committee's member i
 * (what `zkclear deploy` names by default), or an encrypted JSON keystore (geth / ethers
 * format) opened with --passphrase or $ZKCLEAR_PASSPHRASE.
 */
async function memberKey(spec: string, pass: string | undefined): Promise<Wallet> {
  const dev = /^dev:([0-9]{1,3})$/.exec(spec);
  if (dev) return devCommitteeWallets(Number(dev[1]) + 1)[Number(dev[1])];
  let text: string;
  try {
    text = fs.readFileSync(spec, "utf8");
  } catch (e) {
    throw new CliError("KEYSTORE_READ", `cannot read keystore ${spec}: ${(e as Error).message}`);
  }
  try {
    const w = await Wallet.fromEncryptedJson(text, passphrase(pass));
    return w instanceof Wallet ? w : new Wallet(w.privateKey);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(
      "KEYSTORE_READ",
      `cannot open keystore ${spec}: ${(e as Error).message} (a wrong passphrase?)`,
    );
  }
}

export function register(program: Command, out: () => Output): void {
  program
    .command("replica")
    .description(
      "a data committee member: follow the chain and the published batch files, keep them and the replayed state in a database, serve them (and any account's exit data), and attest new batches after checking them",
    )
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option("--deployment <file>", "deployment file (npm run deploy writes it)", DEFAULT_DEPLOYMENT)
    .option("--settlement <address>", "Settlement contract (instead of --deployment)")
    .option(
      "--source <url|dir>",
      "where files come from: the operator's /v1/published URL, or another replica's (bootstrap)",
    )
    .option("--db <file>", "the replica's database (default ~/.zkclear/replica-<settlement>.db)")
    .requiredOption(
      "--key <keystore|dev:i>",
      "the member's Ethereum key: a JSON keystore, or dev:<i> (INSECURE development member i)",
    )
    .option("--passphrase <p>", "keystore passphrase (or $ZKCLEAR_PASSPHRASE)")
    .option("--params <set>", "parameter set when no config.json is published (development)")
    .option(
      "--vkeys <dir>",
      "verification keys <dir>/<circuit>.vkey.json (default: development keys)",
    )
    .option("--from-block <n>", "first block to scan (default: the deployment's block)")
    .option("--interval <ms>", "how often to poll the chain", "1000")
    .option("--file-wait <ms>", "how long to wait for a batch file not yet published", "5000")
    .option("--host <host>", "HTTP host", "127.0.0.1")
    .option("--port <n>", "HTTP port", "8090")
    .action(async (o: ReplicaCliOptions) => {
      const json = out().json;
      const log = (line: string) =>
        json
          ? console.log(JSON.stringify({ time: new Date().toISOString(), line }))
          : console.log(`${new Date().toISOString()} ${line}`);
      let settlement = o.settlement;
      let fromBlock = o.fromBlock === undefined ? undefined : count("from-block", o.fromBlock);
      if (settlement) {
        if (!/^0x[0-9a-fA-F]{40}$/.test(settlement))
          throw new CliError("BAD_ARGUMENT", `--settlement must be an address, got ${settlement}`);
      } else {
        const d = deployment(o.deployment);
        settlement = d.addresses.settlement;
        fromBlock ??= d.block;
      }
      const wallet = await memberKey(o.key, o.passphrase);
      const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: false });
      try {
        await provider.getBlockNumber();
      } catch (e) {
        provider.destroy();
        throw new CliError(
          "RPC_UNREACHABLE",
          `cannot reach ${o.rpc}: ${(e as Error).message}`,
          EXIT.refused,
        );
      }
      const db = o.db ?? defaultReplicaDb(settlement);
      fs.mkdirSync(path.dirname(path.resolve(db)), { recursive: true });
      let replica: Replica | undefined;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        replica = await Replica.open({
          provider,
          settlement,
          db,
          upstream: o.source ? batchFileSource(o.source) : undefined,
          wallet,
          params: o.params,
          vkeysDir: o.vkeys,
          fromBlock,
          fileWaitMs: count("file-wait", o.fileWait),
          log,
        });
        const app = buildReplicaApi(replica);
        const url = await app.listen({ host: o.host, port: count("port", o.port) });
        const s = replica.status();
        log(
          `replica of ${s.settlement} on chain ${s.chainId}, member ${s.member}; database ${db} ` +
            `(${s.batches} batches replayed); source ${o.source ?? "none"}; serving ${url}`,
        );
        await replica.follow(stop.signal, count("interval", o.interval));
        log("stopping");
        await app.close();
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        replica?.close();
        provider.destroy();
        await terminateCurve();
      }
    });
}
