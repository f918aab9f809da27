import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import {
  Contract,
  JsonRpcProvider,
  NonceManager,
  Wallet,
  getAddress,
  type Interface,
  type Signer,
} from "ethers";
import { loadArtifact } from "../chain/artifacts.ts";
import type { Deployment } from "../domain/deployment.ts";
import { CIRCUITS, type CircuitId } from "../domain/circuits.ts";
import { fileSha256 } from "../proving/key-sets.ts";
import { ZkClearError, type ErrorCode } from "../domain/errors.ts";
import {
  addReceipt,
  parseReceiptsFile,
  toReceiptsFile,
  type Receipt,
  type ReceiptBook,
} from "../domain/receipts.ts";
import { CliError, DEFAULT_DEPLOYMENT, deployment, EXIT, spin, type Output } from "./common.ts";
import { rebuildTree } from "../audit/replica-tree.ts";
import { batchFileSource } from "../audit/sources.ts";

/**
 * What the escape-hatch commands share (force-withdraw, freeze, reclaim-deposit, exit-data,
 * exit, settle-exit): the chain connection, Settlement's refusals decoded from their custom
 * errors, a refusal printed for scripts, and the receipts `zkclear account` keeps.
 */

export interface ChainOptions {
  ethKey?: string;
  rpc: string;
  deployment: string;
}

/** --eth-key, --rpc and --deployment, as deposit takes them. */
export function chainOptions(c: Command): Command {
  return c
    .option(
      "--eth-key <hex>",
      "Ethereum private key sending the transaction (default: the node's first account)",
    )
    .option("--rpc <url>", "JSON-RPC endpoint", "http://127.0.0.1:8545")
    .option(
      "--deployment <file>",
      "deployment file (npm run deploy writes it)",
      DEFAULT_DEPLOYMENT,
    );
}

export interface EscapeChain {
  readonly deployment: Deployment;
  readonly provider: JsonRpcProvider;
  /** Settlement and the Vault, connected to the signer (compiled ABIs: errors decode). */
  readonly settlement: Contract;
  readonly vault: Contract;
  /** Who sends: --eth-key, or the node's first account. */
  readonly signer: Signer;
  close(): void;
}

export async function connect(o: ChainOptions): Promise<EscapeChain> {
  const d = deployment(o.deployment);
  const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: false });
  let chainId: bigint;
  try {
    chainId = (await provider.getNetwork()).chainId;
  } catch (e) {
    provider.destroy();
    throw new CliError(
      "RPC_UNREACHABLE",
      `cannot reach ${o.rpc}: ${(e as Error).message}`,
      EXIT.refused,
    );
  }
  if (chainId !== d.chainId) {
    provider.destroy();
    throw new CliError(
      "DEPLOYMENT_CHAIN_MISMATCH",
      `${o.rpc} is chain ${chainId}, the deployment ${o.deployment} is on chain ${d.chainId}`,
    );
  }
  // one nonce counter for the command's transactions (an exit, then its claim): ethers
  // answers the pending nonce from a cache that lags a transaction just mined
  const runner: Signer = new NonceManager(
    o.ethKey ? new Wallet(o.ethKey, provider) : await provider.getSigner(0),
  );
  return {
    deployment: d,
    provider,
    settlement: new Contract(d.addresses.settlement, loadArtifact("Settlement").abi, runner),
    vault: new Contract(d.addresses.vault, loadArtifact("Vault").abi, runner),
    signer: runner,
    close: () => provider.destroy(),
  };
}

/**
 * Runs `work`, turning a ZkClearError it throws into a refusal (exit 1) with the same code:
 * the data did not hold (a stale receipt, a replica that does not rebuild the root), which
 * is not a usage error.
 */
export async function asRefusal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ZkClearError && !(e instanceof CliError))
      throw new CliError(e.code, e.message, EXIT.refused);
    throw e;
  }
}

/** A contract's custom error, decoded. */
export interface Refusal {
  readonly name: string;
  readonly args: readonly unknown[];
}

/** The custom error a reverted call carries, if one of `ifaces` knows it. */
export function decodeRefusal(e: unknown, ...ifaces: Interface[]): Refusal | undefined {
  const data =
    (e as { data?: string }).data ??
    (e as { info?: { error?: { data?: string } } }).info?.error?.data;
  if (typeof data !== "string" || data.length < 10) return undefined;
  for (const i of ifaces) {
    try {
      const r = i.parseError(data);
      if (r) return { name: r.name, args: [...r.args] };
    } catch {
      // not this contract's error
    }
  }
  return undefined;
}

/**
 * Simulates `call` first (staticCall), so a refusal comes back as the contract's custom
 * error; `explain` turns a known one into a printed refusal (and exit code 1), an unknown
 * one becomes CHAIN_REFUSED with its name.
 */
export async function simulate(
  out: Output,
  run: () => Promise<unknown>,
  ifaces: Interface[],
  explain: (r: Refusal) => { message: string; details?: Record<string, unknown> } | undefined,
): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (e) {
    const r = decodeRefusal(e, ...ifaces);
    if (!r)
      throw new CliError(
        "CHAIN_REFUSED",
        `the chain refused: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`,
        EXIT.refused,
      );
    const x = explain(r);
    refuse(
      out,
      "CHAIN_REFUSED",
      x?.message ?? `the chain refused with ${r.name}(${r.args.join(", ")})`,
      { reason: r.name, args: r.args, ...x?.details },
    );
    return false;
  }
}

/** Prints a refusal with details (JSON: error, message and the details) and sets exit 1. */
export function refuse(
  out: Output,
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): void {
  if (out.json) console.log(line({ error: code, message, ...details }));
  else console.error(`zkclear: ${message} (${code})`);
  process.exitCode = EXIT.refused;
}

function line(value: Record<string, unknown>): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * Prints a result as print() does, but --json on one line: scripts (the escape demo) read
 * the last line of a command's output as its answer.
 */
export function report(out: Output, value: Record<string, unknown>, human: string): void {
  if (out.json) console.log(line(value));
  else console.log(human);
}

/** The events of `contract` in a transaction receipt, by name. */
export function eventsOf(
  contract: Contract,
  receipt: { logs: readonly { topics: readonly string[]; data: string; address: string }[] },
  name: string,
): Record<string, unknown>[] {
  const want = getAddress(contract.target as string);
  return receipt.logs
    .filter((l) => getAddress(l.address) === want)
    .map((l) => contract.interface.parseLog({ topics: [...l.topics], data: l.data }))
    .filter((e) => e?.name === name)
    .map((e) => e!.args.toObject());
}

export function address(name: string, v: string): string {
  try {
    return getAddress(v);
  } catch {
    throw new CliError("BAD_ARGUMENT", `--${name} ${v} is not an Ethereum address`);
  }
}

export function isoTime(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

// ---------------------------------------------------------------- receipts

/**
 * Where receipts are kept: --receipts, else $ZKCLEAR_RECEIPTS, else ~/.zkclear/receipts
 * (with the user's keys, not the deployment: a receipt is the user's own record).
 */
export function receiptsDir(opt: string | undefined): string {
  return opt ?? process.env.ZKCLEAR_RECEIPTS ?? path.join(os.homedir(), ".zkclear", "receipts");
}

/** <dir>/<chainId>-<settlement>/account-<n>.json */
export function receiptsFile(dir: string, d: Deployment, account: bigint): string {
  return path.join(
    dir,
    `${d.chainId}-${d.addresses.settlement.toLowerCase()}`,
    `account-${account}.json`,
  );
}

export function readReceipts(file: string): ReceiptBook | undefined {
  if (!fs.existsSync(file)) return undefined;
  return parseReceiptsFile(fs.readFileSync(file, "utf8"), file);
}

/** Adds a checked receipt to the account's book (creating it); returns the file. */
export function saveReceipt(dir: string, d: Deployment, r: Receipt): string {
  const file = receiptsFile(dir, d, r.account);
  const book = readReceipts(file) ?? {
    chainId: d.chainId,
    settlement: getAddress(d.addresses.settlement),
    depth: d.paramSet.depth,
    account: r.account,
    receipts: [],
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, toReceiptsFile(addReceipt(book, r)));
  fs.renameSync(tmp, file);
  return file;
}

/**
 * The account tree rebuilt from a replica of the published batch files (a directory or a
 * URL) and the chain, without the operator (audit/replica-tree.ts): up to the freeze, or
 * up to now if not frozen.
 */
export async function replicaTree(
  c: EscapeChain,
  from: string,
  params: string | undefined,
  out: Output,
): Promise<Awaited<ReturnType<typeof rebuildTree>> & { describe: string }> {
  const files = batchFileSource(from);
  const t = await spin(out, "replaying the replica's batches", () =>
    rebuildTree({
      provider: c.provider,
      settlement: c.deployment.addresses.settlement,
      files,
      params,
      fromBlock: c.deployment.block,
    }),
  );
  return { ...t, describe: files.describe };
}

/** A circuit's proving key as the deployment records it (or --zkey), checked against its hash. */
export function deployedZkey(
  d: Deployment,
  circuit: CircuitId,
  override: string | undefined,
): string {
  const k = d.keys.circuits[circuit];
  const name = CIRCUITS[circuit].template;
  const file = override ?? k.zkey;
  if (!fs.existsSync(file))
    throw new CliError(
      "KEY_MISSING",
      `no ${name} proving key at ${file}: give --zkey <file> (the deployment's key, sha256 ${k.zkeySha256})`,
    );
  if (fileSha256(file) !== k.zkeySha256)
    throw new CliError(
      "KEY_MISMATCH",
      `${file} is not the deployment's ${name} proving key (sha256 ${k.zkeySha256})`,
    );
  return file;
}
