import { createHash } from "node:crypto";
import fs from "node:fs";
import { id, toBeHex, type Provider } from "ethers";
import type { VerificationKey } from "snarkjs";
import type { Account } from "../domain/account.ts";
import type { CircuitId } from "../domain/circuits.ts";
import { fromJson, toJson } from "../domain/json.ts";
import { configHash } from "../domain/market.ts";
import { deploymentDomain } from "../domain/messages.ts";
import type { PublishedConfig } from "../engine/batch-file.ts";
import { ExchangeState } from "../engine/state.ts";
import { AuditError } from "./findings.ts";
import type { Progress } from "./progress.ts";

/**
 * Audit checkpoints: everything the audit carries from batch to batch (its progress and,
 * when replaying, every account), bound to the chain, the Settlement contract, the
 * configuration, the verification keys and the scanned block's hash, so that a later run
 * resumes exactly where this one stopped, and refuses a checkpoint of anything else.
 */
export const CHECKPOINT_FORMAT = "zkclear-audit-checkpoint/2";

interface CheckpointBody {
  format: string;
  chainId: bigint;
  settlement: string;
  paramSet: string;
  configHash: bigint;
  vkeys: string;
  progress: Progress;
  accounts: [bigint, Account][];
}

/** What a checkpoint is bound to. */
export interface CheckpointScope {
  readonly chainId: bigint;
  readonly settlement: string;
  readonly config: PublishedConfig;
  readonly vkeys: Record<CircuitId, VerificationKey>;
  /** Whether the audit replays batch files. */
  readonly withFiles: boolean;
}

/**
 * Where a checkpoint's text is kept: a JSON file (checkpointFile, `zkclear audit
 * --checkpoint`) or any other store (the replica keeps it in its SQLite database, in the
 * same transaction as the batch files it accepted).
 */
export interface CheckpointTarget {
  /** Names it in messages. */
  readonly describe: string;
  /** The saved text, or undefined when there is none yet. */
  read(): string | undefined;
  /** Replaces the saved text, atomically. */
  write(text: string): void;
}

/** A checkpoint kept in a JSON file, written atomically (a temporary file renamed over it). */
export function checkpointFile(file: string): CheckpointTarget {
  return {
    describe: file,
    read: () => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined),
    write(text) {
      const tmp = `${file}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    },
  };
}

const targetOf = (t: string | CheckpointTarget) => (typeof t === "string" ? checkpointFile(t) : t);

const domainOf = (scope: CheckpointScope) => deploymentDomain(scope.chainId, scope.settlement);

export function vkeysHash(vkeys: Record<CircuitId, VerificationKey>): string {
  return createHash("sha256").update(JSON.stringify(vkeys)).digest("hex");
}

/** Writes a checkpoint atomically to its target (a file path or a CheckpointTarget). */
export function saveCheckpoint(
  target: string | CheckpointTarget,
  scope: CheckpointScope,
  p: Progress,
  state: ExchangeState,
): void {
  const body: CheckpointBody = {
    format: CHECKPOINT_FORMAT,
    chainId: scope.chainId,
    settlement: scope.settlement,
    paramSet: scope.config.paramSet.name,
    configHash: configHash({ ...scope.config, domain: domainOf(scope) }),
    vkeys: vkeysHash(scope.vkeys),
    progress: p,
    accounts: p.replay === "on" ? [...state.entries()] : [],
  };
  targetOf(target).write(toJson(body));
}

/**
 * Reads a checkpoint and checks it is of this audit (chain, contract, configuration,
 * keys, files or not) and still on this chain's history (the scanned block and the last
 * batch's root); throws CHECKPOINT_INVALID saying why otherwise.
 */
export async function loadCheckpoint(
  target: string | CheckpointTarget,
  scope: CheckpointScope,
  provider: Provider,
): Promise<{ p: Progress; state: ExchangeState }> {
  const t = targetOf(target);
  const fail = (why: string): never => {
    throw new AuditError(
      "CHECKPOINT_INVALID",
      `checkpoint ${t.describe}: ${why}; delete it to audit from genesis`,
    );
  };
  let c: CheckpointBody;
  try {
    const text = t.read();
    if (text === undefined) return fail("there is none");
    c = fromJson(text);
  } catch (e) {
    return fail(`unreadable (${(e as Error).message})`);
  }
  const { config } = scope;
  if (c.format !== CHECKPOINT_FORMAT) fail(`format ${c.format}, expected ${CHECKPOINT_FORMAT}`);
  if (c.chainId !== scope.chainId || c.settlement !== scope.settlement)
    fail(
      `it is of chain ${c.chainId} / ${c.settlement}, not ${scope.chainId} / ${scope.settlement}`,
    );
  if (
    c.paramSet !== config.paramSet.name ||
    c.configHash !== configHash({ ...config, domain: domainOf(scope) })
  )
    fail("it was made with another configuration");
  if (c.vkeys !== vkeysHash(scope.vkeys)) fail("it was made with other verification keys");
  if (scope.withFiles !== (c.progress.replay !== "off"))
    fail(
      scope.withFiles
        ? "it was made without batch files"
        : "it was made with batch files; give --files",
    );
  const state = ExchangeState.genesis(
    config.paramSet.depth,
    config.markets,
    domainOf(scope),
    config.owners,
    config.fundFloor,
  );
  for (const [i, a] of c.accounts) state.setAccount(i, a);
  const p = c.progress;
  if (p.replay === "on" && state.root !== p.lastRoot) fail("its accounts do not hash to its root");
  if (p.scannedHash && (await provider.getBlock(p.scannedTo))?.hash !== p.scannedHash)
    fail(`the chain no longer has block ${p.scannedTo} as it was scanned (a reorganisation)`);
  if (p.nextBatch > 0) {
    // the checkpoint must be on this chain's history: its last batch, as the chain has it
    const logs = await provider.getLogs({
      address: scope.settlement,
      fromBlock: p.lastBatchBlock,
      toBlock: p.lastBatchBlock,
      topics: [
        id("BatchSettled(uint64,uint8,uint256,uint256,uint256,uint64)"),
        toBeHex(p.nextBatch - 1, 32),
      ],
    });
    const root = logs.length ? BigInt("0x" + logs[0].data.slice(2 + 64, 2 + 128)) : undefined;
    if (root !== p.lastRoot) fail(`the chain's batch ${p.nextBatch - 1} does not end at its root`);
  }
  return { p, state };
}
