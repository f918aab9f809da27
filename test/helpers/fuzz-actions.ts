import { devKeyPair } from "../../prover/src/domain/keys.ts";
import {
  FUZZ_FEE,
  FUZZ_TIMING,
  PROOF,
  roundArgs,
  type ActorName,
  type Call,
  type FuzzWorld,
} from "./fuzz-world.ts";
import { credit, matured, moveTokens, pausedTime, uncredited, type Model } from "./fuzz-model.ts";
import { batchCall, type BatchStep } from "./fuzz-batches.ts";

/**
 * The random steps of the contract invariant fuzzing and, for each, the call it makes and
 * what the model predicts: the custom error it must be refused with (null: accepted), and
 * how an accepted call changes the model. The predictions restate the contracts' rules
 * (Vault.sol, Settlement.sol, EscapeHatch.sol, Governed.sol) in their order of checks.
 */
export const MAX_DEPOSIT = (1n << 92n) - 1n;
const ACCOUNT_CAP = 1n << 100n;
const MAX_PAUSE = 3 * 86_400;
const KEYS = ["alice", "bob", "carol"].map((n) => devKeyPair(`fuzz-${n}`).publicKey);
export const AMOUNTS = ["zero", "one", "some", "max", "over"] as const;
export type AmountKind = (typeof AMOUNTS)[number];

export function amountOf(k: AmountKind, some: bigint): bigint {
  return { zero: 0n, one: 1n, some, max: MAX_DEPOSIT, over: MAX_DEPOSIT + 1n }[k];
}

export type Step =
  | {
      kind: "deposit";
      who: "alice" | "bob" | "carol";
      target: "new" | "existing" | "unknown";
      amount: AmountKind;
      some: bigint;
      badKey: boolean;
      pick: number;
    }
  | { kind: "reclaim"; who: ActorName | null; pick: number; wrongAmount: boolean }
  | BatchStep
  | { kind: "round"; who: ActorName; variant: "good" | "wrongId" | "stale"; prices: bigint[] }
  | { kind: "pause"; who: ActorName; duration: number }
  | { kind: "unpause"; who: ActorName }
  | {
      kind: "forced";
      who: ActorName;
      account: "trader" | "system" | "unopened";
      amount: AmountKind;
      some: bigint;
      fee: "right" | "none" | "double";
      badSig: boolean;
      pick: number;
    }
  | { kind: "freeze"; who: ActorName; wait: boolean }
  | { kind: "exit"; who: ActorName; account: number; payout: bigint; recipient: ActorName }
  | { kind: "settleExit"; who: ActorName; account: number }
  | { kind: "claim"; who: ActorName; for: ActorName | "self" | "zero" }
  | { kind: "claimDelayed"; who: ActorName; pick: number; wait: boolean }
  | { kind: "refund"; who: ActorName; pick: number }
  | { kind: "collect"; who: ActorName; to: ActorName | "zero" }
  | { kind: "time"; seconds: number };

const ZERO = "0x0000000000000000000000000000000000000000";
const roleHolder = (m: Model, role: "operator" | "guardian", a: string) => m.roles[role].has(a);

/** The call of `step` at block time t (null: the step makes no transaction). */
export async function planStep(
  w: FuzzWorld,
  m: Model,
  step: Step,
  t: number,
): Promise<Call | null> {
  const s = w.d.settlement;
  const v = w.d.vault;
  const frozen = m.frozenAt !== 0;
  const addr = (a: ActorName) => w.addr[a];
  switch (step.kind) {
    case "time":
      return null;
    case "deposit": {
      const amount = amountOf(step.amount, step.some);
      const keyOf = KEYS[["alice", "bob", "carol"].indexOf(step.who)];
      let account = 0n;
      if (step.target === "existing" && m.nextAccount > 3n)
        account = 3n + (BigInt(step.pick) % (m.nextAccount - 3n));
      if (step.target === "unknown") account = m.nextAccount + BigInt(step.pick % 3);
      const key = step.badKey ? { x: 1n, y: 2n } : keyOf;
      const isNew = account === 0n;
      const cur = m.deposited.get(isNew ? m.nextAccount : account) ?? 0n;
      const balance = m.balances.get(addr(step.who)) ?? 0n;
      let expected: string | null = null;
      if (frozen) expected = "ExchangeFrozen";
      else if (t < m.pausedUntil) expected = "DepositsPaused";
      else if (m.firstReclaimed !== null) expected = "DepositQueueClosed";
      else if (amount < 1n || amount > MAX_DEPOSIT) expected = "BadAmount";
      else if (isNew && step.badKey) expected = "BadPublicKey";
      else if (!isNew && account >= m.nextAccount) expected = "UnknownAccount";
      else if (balance < amount) expected = "ERC20InsufficientBalance";
      else if (cur + amount > ACCOUNT_CAP) expected = "AccountCapExceeded";
      return {
        who: step.who,
        contract: v,
        method: "deposit",
        args: [account, isNew ? key.x : 0n, isNew ? key.y : 0n, amount],
        expected,
        onSuccess: (time) => {
          const acc = isNew ? m.nextAccount++ : account;
          m.deposited.set(acc, cur + amount);
          m.deposits.push({
            who: step.who,
            account: acc,
            amount,
            pkX: isNew ? key.x : 0n,
            pkY: isNew ? key.y : 0n,
            time,
            pausedAt: pausedTime(m, time),
            reclaimed: false,
          });
          moveTokens(m, addr(step.who), m.vault, amount);
        },
      };
    }
    case "reclaim": {
      const n = m.deposits.length;
      const index = step.pick % (n + 1);
      const e = m.deposits[index];
      const who = step.who ?? e?.who ?? "alice";
      const amount = e ? e.amount + (step.wrongAmount ? 1n : 0n) : 1n;
      let expected: string | null = null;
      let closes = false;
      if (!e) expected = "UnknownQueuePosition";
      else if (who !== e.who) expected = "NotDepositor";
      else if (e.reclaimed) expected = "AlreadyReclaimed";
      else if (step.wrongAmount) expected = "WrongQueueEntry";
      else if (index < m.processed) expected = "DepositCredited";
      else if ((m.firstReclaimed === null || index < m.firstReclaimed) && !frozen) {
        const unpaused = t - e.time - (pausedTime(m, t) - e.pausedAt);
        if (unpaused < FUZZ_TIMING.depositDeadline) expected = "DeadlineNotReached";
        else closes = true;
      }
      return {
        who,
        contract: v,
        method: "reclaimDeposit",
        args: [index, e?.account ?? 3n, amount, e?.pkX ?? 0n, e?.pkY ?? 0n],
        expected,
        onSuccess: () => {
          if (closes) m.firstReclaimed = index;
          e.reclaimed = true;
          m.deposited.set(e.account, m.deposited.get(e.account)! - e.amount);
          m.reclaimedTotal += e.amount;
          moveTokens(m, m.vault, addr(e.who), e.amount);
        },
      };
    }
    case "batch":
      return batchCall(w, m, step, t);
    case "round": {
      const id = m.latestRound + (step.variant === "wrongId" ? 2 : 1);
      const stamp = step.variant === "stale" ? t - FUZZ_TIMING.maxReportAge - 1 : t;
      let expected: string | null = null;
      if (step.variant === "wrongId") expected = "UnexpectedRoundId";
      else if (step.variant === "stale") expected = "StaleReport";
      return {
        who: step.who,
        contract: w.d.oracle,
        method: "submitRound",
        args: await roundArgs(w, BigInt(id), BigInt(stamp), step.prices),
        expected,
        onSuccess: (time) => {
          m.latestRound = id;
          m.latestRoundTime = stamp;
          m.postedAt.set(id, time);
          m.roundTime.set(id, stamp);
        },
      };
    }
    case "pause": {
      let expected: string | null = null;
      if (!roleHolder(m, "guardian", addr(step.who))) expected = "AccessControlUnauthorizedAccount";
      else if (step.duration === 0 || step.duration > MAX_PAUSE) expected = "BadPauseDuration";
      return {
        who: step.who,
        contract: s,
        method: "pause",
        args: [step.duration],
        expected,
        onSuccess: (time) => {
          if (time >= m.pausedUntil) {
            m.pauseTotal += m.pausedUntil - m.pauseStart;
            m.pauseStart = time;
          }
          m.pausedUntil = time + step.duration;
        },
      };
    }
    case "unpause":
      return {
        who: step.who,
        contract: s,
        method: "unpause",
        args: [],
        expected: roleHolder(m, "guardian", addr(step.who))
          ? null
          : "AccessControlUnauthorizedAccount",
        onSuccess: (time) => {
          if (time < m.pausedUntil) m.pausedUntil = time;
        },
      };
    case "forced": {
      const amount = amountOf(step.amount, step.some);
      const opened = Number(m.nextAccount);
      const account =
        step.account === "system"
          ? 1 + (step.pick % 2)
          : step.account === "unopened"
            ? opened + (step.pick % 2)
            : 3 + (step.pick % Math.max(1, opened - 3));
      const value = { right: FUZZ_FEE, none: 0n, double: 2n * FUZZ_FEE }[step.fee];
      const key = KEYS[step.pick % 3];
      let expected: string | null = null;
      if (frozen) expected = "ExchangeFrozen";
      else if (value !== FUZZ_FEE) expected = "WrongFee";
      else if (account < 3 || account >= opened || amount === 0n || amount > MAX_DEPOSIT)
        expected = "BadForcedRequest";
      else if (step.badSig) expected = "BadSignatureEncoding";
      return {
        who: step.who,
        contract: s,
        method: "forceWithdraw",
        args: [account, amount, addr(step.who), step.badSig ? key.x + 1n : key.x, key.y, 1n],
        value,
        expected,
        onSuccess: (time) => {
          m.forced.push({ who: step.who, time, refunded: false });
          m.settlementEth += FUZZ_FEE;
        },
      };
    }
    case "freeze": {
      // a user who waits out the forced deadline first
      if (step.wait) t = advanceTo(w, t + FUZZ_TIMING.forcedDeadline);
      let overdue = false;
      const deadline = FUZZ_TIMING.forcedDeadline;
      if (m.forcedProcessed < m.forced.length)
        overdue ||= t >= m.forced[m.forcedProcessed].time + deadline;
      if (m.processed < m.deposits.length && m.processed < (m.firstReclaimed ?? Infinity))
        overdue ||= t >= m.deposits[m.processed].time + deadline;
      return {
        who: step.who,
        contract: s,
        method: "freeze",
        args: [],
        expected: frozen ? "ExchangeFrozen" : overdue ? null : "NothingOverdue",
        onSuccess: (time) => {
          m.frozenAt = time;
          m.frozenRound = m.latestRound;
          const held = m.balances.get(m.vault)! - m.totalOwed - uncredited(m);
          m.pool = held > 0n ? held : 0n;
        },
      };
    }
    case "exit": {
      const account = BigInt(step.account);
      const windowEnd = m.frozenAt + FUZZ_TIMING.exitWindow;
      const win = FUZZ_TIMING.exitWindow;
      let expected: string | null = null;
      if (!frozen) expected = "NotFrozen";
      else if (m.exits.has(account)) expected = "AlreadyExited";
      else if (account < 3n) {
        const feesFirst = account !== 2n || m.exits.has(1n) || t >= windowEnd + 2 * win;
        if (t < windowEnd + win || !feesFirst) expected = "SystemExit";
      }
      if (expected === null && step.payout >= 1n << 128n) expected = "InvalidExitProof";
      const recipient = addr(step.recipient);
      return {
        who: step.who,
        contract: s,
        method: "exit",
        args: [PROOF, account, recipient, step.payout, 0n],
        expected,
        onSuccess: (time) => {
          if (time < windowEnd) {
            m.exits.set(account, { status: 1, payout: step.payout, recipient });
            m.claimed += step.payout;
            return;
          }
          const reserved = m.claimed < m.pool ? m.claimed : m.pool;
          const left = m.pool - reserved - m.latePaid;
          const paid = step.payout < left ? step.payout : left;
          m.latePaid += paid;
          m.exits.set(account, { status: 2, payout: step.payout, recipient });
          payExit(m, recipient, paid, time);
        },
      };
    }
    case "settleExit": {
      const account = BigInt(step.account);
      const e = m.exits.get(account);
      let expected: string | null = null;
      if (!frozen) expected = "NotFrozen";
      else if (t < m.frozenAt + FUZZ_TIMING.exitWindow) expected = "ExitWindowOpen";
      else if (e?.status !== 1) expected = "NothingToSettle";
      return {
        who: step.who,
        contract: s,
        method: "settleExit",
        args: [account],
        expected,
        onSuccess: (time) => {
          const paid = m.claimed <= m.pool ? e!.payout : (e!.payout * m.pool) / m.claimed;
          e!.status = 2;
          payExit(m, e!.recipient, paid, time);
        },
      };
    }
    case "claim": {
      const to = step.for === "self" ? addr(step.who) : step.for === "zero" ? ZERO : addr(step.for);
      const owed = m.owed.get(to) ?? 0n;
      return {
        who: step.who,
        contract: v,
        method: step.for === "self" ? "claim" : "claimFor",
        args: step.for === "self" ? [] : [to],
        expected: to === ZERO ? "ZeroRecipient" : owed === 0n ? "NothingOwed" : null,
        onSuccess: () => {
          m.owed.set(to, 0n);
          m.totalOwed -= owed;
          moveTokens(m, m.vault, to, owed);
        },
      };
    }
    case "claimDelayed": {
      // an id among those recorded (and one past them, unknown)
      const id = step.pick % (m.delayed.length + 1);
      const d = m.delayed[id];
      // someone who waits for it to mature first (unpaused time: a pause in progress moves on)
      if (d && step.wait && !matured(m, d, t)) {
        while (!matured(m, d, t)) t = advanceTo(w, t + 3600);
      }
      let expected: string | null = null;
      if (!d) expected = "UnknownDelayedCredit";
      else if (d.paid) expected = "DelayedCreditPaid";
      else if (!matured(m, d, t)) expected = "DelayNotOver";
      return {
        who: step.who,
        contract: v,
        method: "claimDelayed",
        args: [id],
        expected,
        onSuccess: () => {
          d!.paid = true;
          m.totalOwed -= d!.amount;
          moveTokens(m, m.vault, d!.recipient, d!.amount);
        },
      };
    }
    case "refund": {
      const index = step.pick % (m.forced.length + 1);
      const r = m.forced[index];
      let expected: string | null = null;
      if (!frozen) expected = "NotFrozen";
      else if (!r) expected = "UnknownForcedPosition";
      else if (index < m.forcedProcessed || r.refunded) expected = "NotRefundable";
      return {
        who: step.who,
        contract: s,
        method: "refundForcedFee",
        args: [index],
        expected,
        onSuccess: () => {
          r.refunded = true;
          m.settlementEth -= FUZZ_FEE;
        },
      };
    }
    case "collect": {
      const to = step.to === "zero" ? ZERO : addr(step.to);
      let expected: string | null = null;
      if (!roleHolder(m, "operator", addr(step.who))) expected = "AccessControlUnauthorizedAccount";
      else if (m.feesEarned === 0n || to === ZERO) expected = "NoFees";
      return {
        who: step.who,
        contract: s,
        method: "collectForcedFees",
        args: [to],
        expected,
        onSuccess: () => {
          m.settlementEth -= m.feesEarned;
          m.feesEarned = 0n;
        },
      };
    }
  }
}

/** An exit's payment: credited to its recipient in the Vault (nothing when 0). */
function payExit(m: Model, recipient: string, paid: bigint, time: number): void {
  m.exitPaid += paid;
  if (paid !== 0n) credit(m, recipient, paid, time);
}

/** Moves the clock so that the next call's block time is `t`; returns it. */
function advanceTo(w: FuzzWorld, t: number): number {
  w.clock = t - 1;
  return t;
}
