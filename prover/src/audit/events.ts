import { breakerStep } from "../domain/breakers.ts";
import { marginStep } from "../domain/volatility.ts";
import { depositOfEntry, depositQueueHash, type Deposit } from "../domain/transfers.ts";
import type { SettledEvent } from "./batch-replay.ts";
import type { LiquidationsEvent } from "./batch-checks.ts";
import type { ChainEvent } from "./chain-events.ts";
import type { Finding } from "./findings.ts";
import type { Progress } from "./progress.ts";
import type { RoundStamp } from "./round-rule.ts";
import type { FundingTickedEvent } from "./funding-ticks.ts";

/**
 * Books one transaction's events into the audit's progress: the Vault's token movements,
 * credits and claims (a claim beyond what proven withdrawals owed is a SOLVENCY finding, and
 * so is a delayed credit paid that was never recorded, or paid otherwise than recorded),
 * oracle rounds (and which was the latest one at each batch's log, for the price rule), and
 * the deposit queue (each entry's hash recomputed; reclaimed entries marked). Returns the transaction's settled
 * batches, which the auditor judges on the state at its end, and its funding ticks.
 */
export function bookEvents(
  p: Progress,
  events: readonly ChainEvent[],
  find: (f: Finding) => void,
): {
  batches: SettledEvent[];
  liquidations: Map<number, LiquidationsEvent>;
  /** The oracle's latest round just before each batch's BatchSettled log. */
  latestRound: Map<number, RoundStamp | null>;
  /** The transaction's funding ticks (judged in log order among its batches). */
  ticks: FundingTickedEvent[];
} {
  const batches: SettledEvent[] = [];
  const liquidations = new Map<number, LiquidationsEvent>();
  const latestRound = new Map<number, RoundStamp | null>();
  const ticks: FundingTickedEvent[] = [];
  for (const e of events) {
    switch (e.name) {
      case "VaultTransfer":
        p.vaultBalance += e.delta;
        break;
      case "Credited":
        p.owed[e.recipient] = (p.owed[e.recipient] ?? 0n) + e.amount;
        break;
      case "Claimed": {
        const owed = p.owed[e.recipient] ?? 0n;
        if (e.amount > owed)
          find({
            code: "SOLVENCY",
            message: `the Vault paid ${e.recipient} ${e.amount} but proven withdrawals owed it ${owed}`,
          });
        p.owed[e.recipient] = owed > e.amount ? owed - e.amount : 0n;
        break;
      }
      case "CreditDelayed":
        (p.delayed ??= {})[e.id.toString()] = { recipient: e.recipient, amount: e.amount };
        break;
      case "DelayedCreditClaimed": {
        const d = p.delayed?.[e.id.toString()];
        if (!d || d.recipient !== e.recipient || d.amount !== e.amount)
          find({
            code: "SOLVENCY",
            message: `the Vault paid delayed credit ${e.id} (${e.amount} to ${e.recipient}) but ${d ? `it was ${d.amount} to ${d.recipient}` : "no such credit is unpaid"}`,
          });
        if (d) delete p.delayed![e.id.toString()];
        break;
      }
      case "RoundFinalized": {
        // the breaker rule's mask, when every round from round 1 was seen
        const step = p.breaker && breakerStep(p.breaker, p.breaker, e);
        if (step?.trips.length) (p.breakerTrips ??= []).push(...step.trips);
        // the volatility margin rule's multipliers, likewise
        const before = p.margins?.markets.map((s) => [s.mult, s.liqMult]);
        const margins = p.margins && marginStep(p.margins, p.margins, e);
        margins?.mult.forEach((mult, market) => {
          const liqMult = margins.liqMult[market];
          if (before?.[market]?.[0] !== mult || before?.[market]?.[1] !== liqMult)
            (p.marginChanges ??= []).push({ roundId: e.roundId, market, mult, liqMult });
        });
        p.rounds[e.roundId.toString()] = {
          prices: e.prices,
          timestamp: e.timestamp,
          postedBlock: e.block,
          reduceOnly: step?.mask,
          margins,
        };
        if (p.latestRound === null || e.roundId > p.latestRound.id)
          p.latestRound = { id: e.roundId, timestamp: e.timestamp };
        break;
      }
      case "Deposited":
        queueDeposit(p, e, find);
        break;
      case "DepositReclaimed": {
        // paid back to its depositor: no longer in the Vault, never credited
        const d = p.pending.find((x) => x.index === e.index);
        if (d) d.reclaimed = true;
        break;
      }
      case "BatchSettled":
        batches.push(e);
        latestRound.set(e.batch, p.latestRound);
        break;
      case "LiquidationsSettled":
        liquidations.set(e.batch, e);
        break;
      case "FundingTicked":
        ticks.push(e);
        break;
    }
  }
  return { batches, liquidations, latestRound, ticks };
}

function queueDeposit(
  p: Progress,
  e: Extract<ChainEvent, { name: "Deposited" }>,
  find: (f: Finding) => void,
): void {
  const deposit: Deposit = depositOfEntry(e);
  // the queue hash before this entry: the last one seen, or the last one credited
  const previous = p.pending.at(-1)?.queueHash ?? p.queueHash;
  const expected = depositQueueHash(previous, deposit);
  if (expected !== e.queueHash)
    find({
      code: "DEPOSIT_QUEUE_MISMATCH",
      message: `Vault deposit ${e.index}: queue hash ${e.queueHash} is not Poseidon(previous, entry) = ${expected}`,
    });
  p.pending.push({ index: e.index, deposit, queueHash: e.queueHash });
}
