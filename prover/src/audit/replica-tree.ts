import { Contract, type Provider } from "ethers";
import type { BatchData } from "../domain/batch.ts";
import { BATCH_KINDS, kindOfNumber } from "../domain/batch-kinds.ts";
import { deploymentDomain } from "../domain/messages.ts";
import { unpackMarginsWord, type RoundMargins } from "../domain/volatility.ts";
import type { PublishedConfig } from "../engine/batch-file.ts";
import { ExchangeState } from "../engine/state.ts";
import { batchData, replayBatch, type ReplayContext } from "./batch-replay.ts";
import {
  frozenMarks,
  fundingIndicesAt,
  latestBlockNumber,
  oracleRound,
  readSettlement,
  roundMarginsOf,
  roundMarginsWord,
  settlementAt,
} from "./chain.ts";
import { fetchEvents } from "./chain-events.ts";
import { bookEvents } from "./events.ts";
import type { Finding } from "./findings.ts";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";
import { loadAuditConfig } from "./inputs.ts";
import { newProgress, type PendingDeposit } from "./progress.ts";
import type { BatchFileSource } from "./sources.ts";

/**
 * The whole account tree rebuilt from a replica of the published batch files and the
 * chain, without the operator: every batch Settlement accepted up to the freeze (or up to
 * now, if not frozen) is replayed in the engine as the auditor replays it (deposits from the
 * Vault's queue, the other kinds from their files, each file checked against the chain's
 * commitment, priced kinds at the oracle's prices), and the result must be the root
 * Settlement recorded: frozenRoot() after a freeze, stateRoot() before. Any account's exit
 * data (engine/exit-data.ts) and current withdrawal nonce come from it.
 */

/** Settlement's escape getters this module reads (EscapeHatch.sol). */
const ESCAPE_ABI = [
  "function frozenRoot() view returns (uint256)",
  "function freezeInfo() view returns (uint64 frozenAt, uint64 roundId, uint64 batches)",
];

/** The replica does not rebuild Settlement's tree. */
export class ReplicaError extends ZkClearError<CodeOf<"audit">> {}

export interface FreezeState {
  /** 0: not frozen. */
  readonly frozenAt: bigint;
  readonly roundId: bigint;
  readonly batches: number;
  readonly root: bigint;
}

/** Settlement's freeze: when, at which oracle round, after how many batches, at which root. */
export async function readFreeze(provider: Provider, settlement: string): Promise<FreezeState> {
  const s = new Contract(settlement, ESCAPE_ABI, provider);
  const [frozenAt, roundId, batches] = (await s.getFunction("freezeInfo")()) as bigint[];
  return {
    frozenAt,
    roundId,
    batches: Number(batches),
    root: (await s.getFunction("frozenRoot")()) as bigint,
  };
}

export interface RebuildOptions {
  readonly provider: Provider;
  readonly settlement: string;
  readonly files: BatchFileSource;
  /** A parameter set when the replica has no config.json (development). */
  readonly params?: string;
  /** First block to scan (the deployment's). */
  readonly fromBlock?: number;
  /** Blocks per eth_getLogs call. */
  readonly logChunk?: number;
  /**
   * Replay only the batches before this one, and read this one's published data (a skip
   * proof is built on the state a batch was proven from). Default: every batch.
   */
  readonly upTo?: number;
}

export interface RebuiltTree {
  readonly state: ExchangeState;
  readonly config: PublishedConfig;
  readonly chainId: bigint;
  /** Batches replayed: freezeInfo().batches when frozen, else batchCount() at the scan. */
  readonly batches: number;
  /** The freeze, or null when the exchange is live (the tree is then at stateRoot). */
  readonly freeze: FreezeState | null;
  /** The oracle's prices of the freeze's round (empty when live). */
  readonly marks: readonly bigint[];
  /** The Funding contract's indices at the freeze's round (empty when not frozen). */
  readonly fundingIndices: readonly bigint[];
  /** The oracle's margin multipliers of the freeze's round (1x when not frozen). */
  readonly margins: RoundMargins;
  /** With `upTo`: that batch's data as its file publishes it (checked against its event). */
  readonly next?: BatchData;
}

/**
 * Rebuilds the tree (see above). Throws ReplicaError REPLICA_INCOMPLETE when a batch cannot
 * be replayed (a file missing, tampered with, or refused by the engine), naming the batch
 * and why, and REPLICA_ROOT_MISMATCH when the replayed root is not Settlement's.
 */
export async function rebuildTree(o: RebuildOptions): Promise<RebuiltTree> {
  const info = await readSettlement(o.provider, o.settlement);
  const chainId = (await o.provider.getNetwork()).chainId;
  const config = await loadAuditConfig({
    files: o.files,
    params: o.params,
    chainId,
    settlement: info.address,
  });
  const head = await latestBlockNumber(o.provider);
  if (head === undefined) throw new ReplicaError("RPC_FAILED", "the node returned no latest block");
  const freeze = await readFreeze(o.provider, info.address);
  const frozen = freeze.frozenAt !== 0n ? freeze : null;
  const live = await settlementAt(o.provider, info.address, head);
  const settled = frozen ? frozen.batches : live.batchCount;
  if (o.upTo !== undefined && (o.upTo < 0 || o.upTo >= settled))
    throw new ReplicaError(
      "REPLICA_INCOMPLETE",
      `batch ${o.upTo} is not settled: Settlement holds batches 0 to ${settled - 1}`,
    );
  const upTo = o.upTo ?? settled;
  let target = frozen ? frozen.root : live.stateRoot;
  let next: BatchData | undefined;

  const state = ExchangeState.genesis(
    config.paramSet.depth,
    config.markets,
    deploymentDomain(chainId, info.address),
    config.owners,
    config.fundFloor,
  );
  const fromBlock = o.fromBlock ?? 0;
  const p = newProgress(state.root, fromBlock, true);
  const findings: Finding[] = [];
  let stopped: string | undefined;
  const ctx: ReplayContext = {
    p,
    state,
    chainId,
    settlement: info.address,
    config,
    files: o.files,
    fileWaitMs: 0,
    find: (f) => findings.push(f),
    stopReplay: (n, why) => (stopped ??= `batch ${n}: ${why}`),
    holdCheckpoint: () => {},
  };
  const events = await fetchEvents(o.provider, info, fromBlock, head, o.logChunk ?? 5000);
  // deposits are booked in chain order before the batches that credit them
  const { batches } = bookEvents(p, events, () => {});
  const prices = new Map<bigint, bigint[]>();
  const fundings = new Map<bigint, bigint[]>();
  for (const ev of batches) {
    if (ev.batch > upTo || (ev.batch === upTo && o.upTo === undefined)) break;
    const kind = kindOfNumber(ev.kind);
    if (!kind || ev.batch !== p.nextBatch || ev.oldRoot !== state.root) {
      stopped ??= `batch ${ev.batch}: it does not follow the replayed state`;
      break;
    }
    const priced = BATCH_KINDS[kind].priced;
    let marks: bigint[] = [];
    let indices: bigint[] = [];
    let margins: RoundMargins | undefined;
    if (priced) {
      marks =
        prices.get(ev.roundId) ?? (await oracleRound(o.provider, info.oracle, ev.roundId)).prices;
      prices.set(ev.roundId, marks);
      indices =
        fundings.get(ev.roundId) ?? (await fundingIndicesAt(o.provider, info.funding, ev.roundId));
      fundings.set(ev.roundId, indices);
      margins = unpackMarginsWord(
        await roundMarginsWord(o.provider, info.oracle, ev.roundId),
        marks.length,
      );
    }
    let deposits: PendingDeposit[] = [];
    const queueFrom = kind === "forced" ? (p.forcedHash ?? 0n) : p.queueHash;
    if (kind === "deposits") {
      const k = p.pending.findIndex((d) => d.queueHash === ev.commitment);
      deposits = k >= 0 ? p.pending.slice(0, k + 1) : [];
    }
    const data = await batchData(ctx, ev, kind, priced ? marks : undefined, deposits, queueFrom);
    if (stopped || !data) break;
    if (ev.batch === upTo) {
      // the batch asked for: its data, on the state it was proven from
      next = data;
      target = ev.oldRoot;
      break;
    }
    replayBatch(ctx, ev.batch, data, marks, indices, margins, ev.newRoot);
    if (stopped) break;
    if (kind === "forced") p.forcedHash = ev.commitment;
    if (kind === "deposits") {
      p.pending.splice(0, deposits.length);
      if (deposits.length) p.queueHash = deposits[deposits.length - 1].queueHash;
    }
    p.nextBatch = ev.batch + 1;
  }
  if (stopped || p.nextBatch < upTo || (o.upTo !== undefined && !next)) {
    const why = [
      stopped ?? `the chain's events hold ${p.nextBatch} of the ${upTo} batches`,
      ...findings.map((f) => f.message),
    ];
    throw new ReplicaError(
      "REPLICA_INCOMPLETE",
      `cannot rebuild the tree from ${o.files.describe}: ${why.join("; ")}`,
    );
  }
  if (state.root !== target)
    throw new ReplicaError(
      "REPLICA_ROOT_MISMATCH",
      `replaying the ${upTo} batches of ${o.files.describe} gives root ${state.root}, Settlement's ${frozen ? "frozen" : "current"} root is ${target}`,
    );
  const marks = frozen
    ? await frozenMarks(o.provider, info.oracle, frozen.roundId, config.markets.length)
    : [];
  const fundingIndices = frozen
    ? await fundingIndicesAt(o.provider, info.funding, frozen.roundId)
    : [];
  const margins = await roundMarginsOf(
    o.provider,
    info.oracle,
    frozen?.roundId ?? 0n,
    config.markets.length,
  );
  return {
    state,
    config,
    chainId,
    batches: upTo,
    freeze: frozen,
    marks,
    fundingIndices,
    margins,
    ...(next ? { next } : {}),
  };
}
