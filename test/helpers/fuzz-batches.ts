import { AbiCoder, keccak256 } from "ethers";
import { devAttestationsFor } from "../../prover/src/dev/onchain.ts";
import {
  FUZZ_FEE,
  FUZZ_PARAMS,
  FUZZ_TIMING,
  PROOF,
  type ActorName,
  type Call,
  type FuzzWorld,
} from "./fuzz-world.ts";
import { credit, type Model } from "./fuzz-model.ts";

/**
 * The fuzzed settlement batches: any kind, from any actor, proven (the accept-all verifier
 * takes any proof) from the current root or a stale one, to a new root or the same, at the
 * latest oracle round or another. Withdrawal and forced payouts take at most what the
 * model's tree holds (what a valid proof could pay, as the circuits conserve value).
 */
export const BATCHES = ["trades", "deposits", "withdrawals", "liquidations", "forced"] as const;

/**
 * What is wrong with a batch, at most one thing: sent by `who` (any actor) instead of the
 * operator, from a stale root, to the same root, at the round before the latest, round 0
 * or a round not announced, with a wrong number of payout slots, without attestations.
 */
export const BATCH_FAULTS = [
  "sender",
  "staleRoot",
  "sameRoot",
  "previousRound",
  "roundZero",
  "roundAhead",
  "slots",
  "noAttest",
] as const;

export interface BatchStep {
  kind: "batch";
  batch: (typeof BATCHES)[number];
  fault: (typeof BATCH_FAULTS)[number] | null;
  who: ActorName;
  /** Deposits or forced requests it credits or answers; fit: those waiting, 1..the slots. */
  count: number | "fit";
  /** Per withdrawal slot, the share (per mille) of the tree's value it pays. */
  shares: readonly number[];
  recipients: readonly ActorName[];
  /** The new root (and a trade batch's commitment). */
  seed: bigint;
}

/** Settlement's price rule (round r, grace) at block time t: its refusal, or null. */
function priceRefusal(m: Model, r: number, grace: number, t: number): string | null {
  if (r < m.lastRoundUsed) return "RoundBehind";
  if (r > m.latestRound) return "RoundNotAnnounced";
  if (r === 0) return "UnknownRound";
  let ts = m.latestRoundTime;
  if (r !== m.latestRound) {
    if (t >= (m.postedAt.get(r + 1) ?? 0) + grace) return "RoundSuperseded";
    ts = m.roundTime.get(r)!;
  }
  if (t > ts + FUZZ_TIMING.maxPriceAge) return "StalePrices";
  return null;
}

export async function batchCall(w: FuzzWorld, m: Model, step: BatchStep, t: number): Promise<Call> {
  const f = step.fault;
  const b = {
    ...step,
    who: f === "sender" ? step.who : ("operator" as const),
    badSlots: f === "slots",
    noAttest: f === "noAttest",
  };
  const stale = m.roots.filter((r) => r !== m.root);
  const oldRoot =
    f !== "staleRoot"
      ? m.root
      : stale.length
        ? stale[Number(b.seed % BigInt(stale.length))]
        : m.root ^ 1n;
  const newRoot = f === "sameRoot" ? oldRoot : b.seed === m.root ? b.seed + 1n : b.seed;
  const roundId =
    f === "previousRound"
      ? Math.max(0, m.latestRound - 1)
      : f === "roundZero"
        ? 0
        : f === "roundAhead"
          ? m.latestRound + 1
          : m.latestRound;
  const slots = FUZZ_PARAMS.withdrawals;
  const amounts = b.shares.slice(0, slots).map((s) => (m.treeValue * BigInt(s)) / 1000n);
  const payouts = amounts
    .map((a, i) => (a === 0n ? 0n : BigInt(w.addr[b.recipients[i]]) | (a << 160n)))
    .slice(0, b.badSlots ? slots - 1 : slots);
  const commitment =
    b.batch === "withdrawals"
      ? BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["uint256[]"], [payouts])))
      : b.seed >> 8n;
  const attested = b.batch === "trades" || b.batch === "withdrawals" || b.batch === "liquidations";
  const attestations =
    attested && !b.noAttest
      ? await devAttestationsFor(w.d, b.batch, oldRoot, newRoot, commitment, BigInt(roundId))
      : "0x";

  const from = m.processed;
  const forcedQueued = m.forced.length - m.forcedProcessed;
  const waiting = b.batch === "forced" ? forcedQueued : m.deposits.length - from;
  const count = b.count === "fit" ? Math.max(1, Math.min(waiting, slots)) : b.count;

  // the refusal, in Settlement's order of checks
  const checks: (() => string | null)[] = [
    () => (m.roles.operator.has(w.addr[b.who]) ? null : "AccessControlUnauthorizedAccount"),
    () => (m.frozenAt !== 0 ? "ExchangeFrozen" : null),
    () => (t < m.pausedUntil ? "ContractPaused" : null),
  ];
  if (b.batch === "deposits")
    checks.push(
      () => (count === 0 ? "EmptyBatch" : null),
      () =>
        m.firstReclaimed !== null && from + count > m.firstReclaimed ? "DepositReclaimed" : null,
      () => (from + count > m.deposits.length ? "NotEnoughDeposits" : null),
    );
  if (b.batch === "withdrawals" || b.batch === "forced")
    checks.push(() => (b.badSlots ? "PayoutCount" : null));
  if (b.batch === "forced")
    checks.push(() =>
      count === 0 || count > slots || count > forcedQueued ? "ForcedCount" : null,
    );
  if (b.batch !== "deposits") {
    const grace = b.batch === "liquidations" ? 0 : FUZZ_TIMING.roundGrace;
    checks.push(() => priceRefusal(m, roundId, grace, t));
  }
  checks.push(() => (oldRoot !== m.root ? "StaleRoot" : null));
  if (b.batch !== "forced") checks.push(() => (newRoot === oldRoot ? "NoOpBatch" : null));
  if (attested) checks.push(() => (b.noAttest ? "NotEnoughAttestations" : null));
  let expected: string | null = null;
  for (const c of checks) {
    expected = c();
    if (expected !== null) break;
  }

  const method = {
    trades: "submitTrades",
    deposits: "submitDeposits",
    withdrawals: "submitWithdrawals",
    liquidations: "submitLiquidations",
    forced: "submitForced",
  }[b.batch];
  const args = {
    trades: [PROOF, oldRoot, newRoot, commitment, roundId, attestations],
    liquidations: [PROOF, oldRoot, newRoot, commitment, roundId, attestations],
    deposits: [PROOF, oldRoot, newRoot, count],
    withdrawals: [PROOF, oldRoot, newRoot, roundId, payouts, attestations],
    forced: [PROOF, oldRoot, newRoot, roundId, count, 0n, payouts],
  }[b.batch];
  return {
    who: b.who,
    contract: w.d.settlement,
    method,
    args,
    expected,
    onSuccess: (time) => {
      if (newRoot !== m.root) m.roots.push(newRoot);
      m.root = newRoot;
      m.batchCount += 1;
      if (b.batch !== "deposits") m.lastRoundUsed = roundId;
      if (b.batch === "deposits") {
        for (let i = from; i < from + count; i++) m.treeValue += m.deposits[i].amount;
        m.processed += count;
      }
      if (b.batch === "withdrawals" || b.batch === "forced") {
        for (const [i, a] of amounts.entries()) {
          if (a === 0n) continue;
          credit(m, w.addr[b.recipients[i]], a, time);
          m.treeValue -= a;
        }
      }
      if (b.batch === "forced") {
        m.forcedProcessed += count;
        m.feesEarned += BigInt(count) * FUZZ_FEE;
      }
    },
  };
}
