import type { Provider } from "ethers";
import type { VerificationKey } from "snarkjs";
import { verify } from "../proving/prover.ts";
import type { CircuitId } from "../domain/circuits.ts";
import { payoutsCommitment, type BatchKind } from "../domain/batch.ts";
import { BATCH_KINDS } from "../domain/batch-kinds.ts";
import { priceConfigHash } from "../domain/market.ts";
import type { PublishedConfig } from "../engine/batch-file.ts";
import type { SettledEvent } from "./batch-replay.ts";
import { readBatchCall, roundBinding, roundTradeBinding, type BatchCall } from "./chain.ts";
import { tradeBinding } from "../domain/breakers.ts";
import {
  marginsText,
  marginsWord,
  unpackMarginsWord,
  type RoundMargins,
} from "../domain/volatility.ts";
import type { ChainEvent } from "./chain-events.ts";
import type { Finding } from "./findings.ts";
import type { PendingDeposit, Progress } from "./progress.ts";
import {
  roundBreaches,
  roundFinding,
  type RoundRuleParams,
  type RoundStamp,
} from "./round-rule.ts";

/**
 * The chain-side checks of one settled batch: its roots chain on, the deposits it
 * credited are the Vault's queue, its oracle round binds to the configuration as
 * Settlement bound it and was admissible (the price rule), and its call (proof and
 * arguments) agrees with its event.
 */
export type LiquidationsEvent = Extract<ChainEvent, { name: "LiquidationsSettled" }>;

export interface ChainCheckContext {
  readonly p: Progress;
  /** The local verification keys, by circuit. */
  readonly vkeys: Readonly<Record<CircuitId, VerificationKey>>;
  readonly provider: Provider;
  readonly settlement: string;
  readonly config: PublishedConfig;
  readonly domain: bigint;
  /** Round bindings already compared with Settlement's, by round id. */
  readonly bindings: Map<string, bigint>;
  find(f: Finding): void;
  stopReplay(n: number, why: string): void;
  /** An oracle round's prices and time, and the Funding contract's indices for it. */
  round(roundId: bigint): Promise<{
    prices: bigint[];
    timestamp: bigint;
    fundingIndices: bigint[];
    /**
     * The round's reduce-only markets by the breaker rule over the oracle's rounds (absent
     * when the audit did not see every round from round 1).
     */
    reduceOnly?: bigint;
    /** The round's margin multipliers by the volatility rule (absent: not walked). */
    margins?: RoundMargins;
  }>;
  /** The reduce-only markets the oracle recorded for a round (PriceOracle.roundReduceOnly). */
  recordedReduceOnly(roundId: bigint): Promise<bigint>;
  /** The margin multipliers the oracle recorded for a round (PriceOracle.roundMarginsWord). */
  recordedMargins(roundId: bigint): Promise<bigint>;
  /**
   * When round `roundId` was posted (the time of the block that finalised it; Settlement's
   * roundPostedAt for a round posted before the scan began): the start of the grace of the
   * round before it.
   */
  postedAt(roundId: bigint): Promise<bigint | undefined>;
  /** Settlement's maxPriceAge and roundGrace, read from the chain. */
  readonly roundRule: RoundRuleParams;
}

function sameList(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function checkRoots(ctx: ChainCheckContext, ev: SettledEvent): void {
  const n = ev.batch;
  if (n !== ctx.p.nextBatch)
    ctx.find({
      code: "BATCH_GAP",
      batch: n,
      message: `expected batch ${ctx.p.nextBatch}, the chain emitted batch ${n}`,
    });
  if (ev.oldRoot === ctx.p.lastRoot) return;
  if (n === 0)
    ctx.find({
      code: "GENESIS_MISMATCH",
      batch: n,
      message: `the first batch starts from root ${ev.oldRoot}, not the genesis root ${ctx.p.lastRoot} of the published configuration`,
    });
  else
    ctx.find({
      code: "ROOT_GAP",
      batch: n,
      message: `starts from root ${ev.oldRoot}, batch ${n - 1} ended at ${ctx.p.lastRoot}`,
    });
  ctx.stopReplay(n, "the batch does not start from the replayed state");
}

/** The queued deposits a deposit batch credited, found by the queue hash it reached. */
export function depositSlice(
  ctx: ChainCheckContext,
  ev: SettledEvent,
  queueFrom: bigint,
): PendingDeposit[] {
  const k = ctx.p.pending.findIndex((d) => d.queueHash === ev.commitment);
  if (k >= 0) return ctx.p.pending.slice(0, k + 1);
  if (ev.commitment !== queueFrom)
    ctx.find({
      code: "DEPOSIT_QUEUE_MISMATCH",
      batch: ev.batch,
      message: `credits the deposit queue up to hash ${ev.commitment}, which the Vault's queue after position ${ctx.p.queueProcessed} never reaches`,
    });
  return [];
}

/** A priced batch's oracle prices and their binding, checked against Settlement's. */
export async function pricedBinding(
  ctx: ChainCheckContext,
  ev: SettledEvent,
  kind: BatchKind,
  liq: LiquidationsEvent | undefined,
): Promise<{
  prices?: bigint[];
  fundingIndices?: bigint[];
  reduceOnly?: bigint;
  /** The round's margin multipliers, as the oracle recorded them. */
  margins?: RoundMargins;
  binding?: bigint;
}> {
  const n = ev.batch;
  const key = ev.roundId.toString();
  let prices: bigint[] | undefined;
  let fundingIndices: bigint[] | undefined;
  let binding: bigint | undefined;
  let reduceOnly: bigint | undefined;
  let margins: RoundMargins | undefined;
  let recorded: RoundMargins | undefined;
  try {
    ({ prices, fundingIndices, reduceOnly, margins } = await ctx.round(ev.roundId));
    // the round's margin multipliers: the oracle's record (the binding includes it), which
    // must be the volatility rule's (checked when the audit walked the rule from round 1)
    const word = await ctx.recordedMargins(ev.roundId);
    recorded = unpackMarginsWord(word, ctx.config.markets.length);
    if (margins && !ctx.bindings.has(`${key}/margins`)) {
      ctx.bindings.set(`${key}/margins`, 0n);
      if (word !== marginsWord(margins))
        ctx.find({
          code: "BINDING_MISMATCH",
          batch: n,
          message: `the oracle recorded margin multipliers ${marginsText(recorded)} for round ${key}; its volatility margin rule over the rounds gives ${marginsText(margins)}`,
        });
    }
    binding = priceConfigHash(
      { markets: ctx.config.markets, fundFloor: ctx.config.fundFloor, domain: ctx.domain },
      prices,
      fundingIndices,
      recorded,
    );
  } catch (e) {
    ctx.find({
      code: "BINDING_MISMATCH",
      batch: n,
      message: `oracle round ${key} cannot be bound to the configuration: ${(e as Error).message}`,
    });
  }
  /** Compares Settlement's binding (read once per round and kind) with the one computed. */
  const compare = async (
    cacheKey: string,
    read: () => Promise<bigint>,
    computed: bigint,
    why: (onChain: bigint) => string,
  ) => {
    if (ctx.bindings.has(cacheKey)) return;
    const onChain = await read();
    ctx.bindings.set(cacheKey, onChain);
    if (onChain !== computed)
      ctx.find({ code: "BINDING_MISMATCH", batch: n, message: why(onChain) });
  };
  if (prices && binding !== undefined) {
    const b = binding;
    await compare(
      key,
      () => roundBinding(ctx.provider, ctx.settlement, ev.roundId),
      b,
      (onChain) =>
        `Settlement bound round ${key} to ${onChain}; Poseidon(published configuration, oracle prices [${prices!.join(", ")}], funding indices [${fundingIndices?.join(", ")}], margin multipliers ${recorded ? marginsText(recorded) : "?"}) is ${b}`,
    );
  }
  // a trade batch is proven against the round's reduce-only markets too (circuit breakers):
  // the oracle's record, which the breaker rule over the rounds must give
  if (kind === "trades" && binding !== undefined) {
    const recorded = await ctx.recordedReduceOnly(ev.roundId);
    if (reduceOnly !== undefined && reduceOnly !== recorded)
      ctx.find({
        code: "BINDING_MISMATCH",
        batch: n,
        message: `the oracle recorded reduce-only markets ${recorded} for round ${key}; its circuit breaker rule over the rounds gives ${reduceOnly}`,
      });
    reduceOnly = recorded;
    binding = tradeBinding(binding, reduceOnly, ctx.config.markets.length);
    const b = binding;
    await compare(
      `${key}/trades`,
      () => roundTradeBinding(ctx.provider, ctx.settlement, ev.roundId),
      b,
      (onChain) =>
        `Settlement bound round ${key} for trades to ${onChain}; Poseidon(its price binding, the oracle's reduce-only markets ${recorded}) is ${b}`,
    );
  }
  if (kind === "liquidations" && prices) {
    if (!liq)
      ctx.find({
        code: "PRICE_MISMATCH",
        batch: n,
        message: "a liquidation batch without its LiquidationsSettled event (prices)",
      });
    else if (!sameList(liq.prices, prices))
      ctx.find({
        code: "PRICE_MISMATCH",
        batch: n,
        message: `LiquidationsSettled carries prices [${liq.prices.join(", ")}], oracle round ${key} has [${prices.join(", ")}]`,
      });
  }
  return { prices, fundingIndices, reduceOnly, margins: recorded, binding };
}

/**
 * The price rule (round-rule.ts) for a priced batch that landed at `blockTime` while
 * `latest` was the oracle's latest round: the timestamps of its round and the next are
 * gathered (events first, the oracle for rounds finalised before the scan began), every
 * broken rule is a finding, and the batch's round becomes the last one used.
 */
export async function admissibleRound(
  ctx: ChainCheckContext,
  ev: SettledEvent,
  kind: BatchKind,
  latest: RoundStamp | null,
  blockTime: bigint,
): Promise<void> {
  const r = ev.roundId;
  // rounds finalised before the batch (ids are consecutive) whose timestamps the rule reads
  for (const id of [r, r + 1n])
    if (latest !== null && id <= latest.id) await ctx.round(id).catch(() => undefined);
  const next = latest !== null && r < latest.id ? await ctx.postedAt(r + 1n) : undefined;
  const view = {
    batch: ev.batch,
    kind,
    roundId: r,
    blockTime,
    latest,
    lastRoundUsed: ctx.p.lastRoundUsed,
    timestampOf: (id: bigint) => ctx.p.rounds[id.toString()]?.timestamp,
    postedAtOf: (id: bigint) => (id === r + 1n ? next : undefined),
  };
  for (const breach of roundBreaches(view, ctx.roundRule)) ctx.find(roundFinding(view, breach));
  ctx.p.lastRoundUsed = r;
}

/** The batch's Settlement call (its proof and arguments), checked against its event. */
export async function batchCall(
  ctx: ChainCheckContext,
  ev: SettledEvent,
  kind: BatchKind,
  depositCount: number,
): Promise<BatchCall | undefined> {
  const n = ev.batch;
  let call: BatchCall;
  try {
    call = await readBatchCall(ctx.provider, ev.txHash, ctx.settlement);
  } catch (e) {
    ctx.find({ code: "PROOF_UNREADABLE", batch: n, message: (e as Error).message });
    return undefined;
  }
  if (call.kind !== kind)
    ctx.find({
      code: "PROOF_UNREADABLE",
      batch: n,
      message: `BatchSettled says ${kind}, the transaction calls ${BATCH_KINDS[call.kind].method}`,
    });
  if (kind === "deposits" && Number(call.args.count) !== depositCount)
    ctx.find({
      code: "DEPOSIT_QUEUE_MISMATCH",
      batch: n,
      message: `the call credits ${call.args.count} deposits, the queue hashes say ${depositCount}`,
    });
  if (kind === "withdrawals") {
    const payouts = (call.args.payouts ?? []) as bigint[];
    const h = payoutsCommitment(payouts);
    if (h !== ev.commitment)
      ctx.find({
        code: "PAYOUTS_MISMATCH",
        batch: n,
        message: `the event's commitment ${ev.commitment} is not the hash of the paid payouts ${h}`,
      });
  }
  return call;
}

/**
 * The batch's proof from its calldata, verified with the local key and public inputs
 * rebuilt from the chain (the event's roots and commitment, the round's binding, the queue
 * hash it started from, the call's payouts and outcomes).
 */
export async function verifyBatchProof(
  ctx: ChainCheckContext,
  ev: SettledEvent,
  kind: BatchKind,
  call: BatchCall,
  binding: bigint | undefined,
  queueFrom: bigint,
): Promise<void> {
  const spec = BATCH_KINDS[kind];
  const signals = spec.publicSignals({
    oldRoot: ev.oldRoot,
    newRoot: ev.newRoot,
    commitment: ev.commitment,
    binding,
    queueFrom,
    payouts: call.args.payouts as bigint[] | undefined,
    outcomes: call.args.outcomes as bigint | undefined,
  });
  if (await verify(ctx.vkeys[spec.circuit], signals, call.proof)) ctx.p.proofsVerified++;
  else
    ctx.find({
      code: "PROOF_INVALID",
      batch: ev.batch,
      message: `the ${kind} proof does not verify under the local ${spec.circuit} key with public inputs rebuilt from the chain${spec.priced ? ` and oracle round ${ev.roundId}` : ""}`,
    });
}
