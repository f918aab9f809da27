import { ZeroHash } from "ethers";
import {
  ACTORS,
  FUZZ_FEE,
  FUZZ_LIMIT,
  provider,
  type ActorName,
  type FuzzWorld,
} from "./fuzz-world.ts";

/**
 * The model of the contract invariant fuzzing (test/contracts/invariants.test.ts): what the
 * contracts should hold after each step, kept independently of them, the chain state a
 * step observes, and the invariants checked between the two after every step.
 */
export const ROLE_NAMES = ["admin", "operator", "guardian"] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface DepositEntry {
  readonly who: ActorName;
  readonly account: bigint;
  readonly amount: bigint;
  readonly pkX: bigint;
  readonly pkY: bigint;
  readonly time: number;
  /** Settlement.pausedTime() when it was made. */
  readonly pausedAt: number;
  reclaimed: boolean;
}

/** A credit beyond the window's bound (Vault.delayedCredit). */
export interface DelayedEntry {
  readonly recipient: string;
  readonly amount: bigint;
  readonly time: number;
  /** Settlement.pausedTime() when it was credited. */
  readonly pausedAt: number;
  paid: boolean;
}

export interface ExitEntry {
  status: 1 | 2;
  payout: bigint;
  recipient: string;
}

export interface Model {
  root: bigint;
  /** Every root the chain held, oldest first (stale roots for refused batches). */
  readonly roots: bigint[];
  batchCount: number;
  readonly deposits: DepositEntry[];
  processed: number;
  /** The first reclaimed queue position, null while none is. */
  firstReclaimed: number | null;
  nextAccount: bigint;
  readonly deposited: Map<bigint, bigint>;
  reclaimedTotal: bigint;
  /**
   * What the account tree holds under the circuits' conservation of value: credited deposits
   * less proven payouts. The random batches pay at most this (an honest proof could not pay
   * more; the accept-all verifier would let them).
   */
  treeValue: bigint;
  readonly owed: Map<string, bigint>;
  /** What owed and the unpaid delayed credits add up to. */
  totalOwed: bigint;
  /** The rate limit's window (its index) and what it credited at once. */
  windowIndex: number;
  windowUsed: bigint;
  readonly delayed: DelayedEntry[];
  /** Token balances: the Vault's and each actor's. */
  readonly balances: Map<string, bigint>;
  readonly forced: { who: ActorName; time: number; refunded: boolean }[];
  forcedProcessed: number;
  feesEarned: bigint;
  settlementEth: bigint;
  /** 0 while live. */
  frozenAt: number;
  frozenRound: number;
  pool: bigint;
  claimed: bigint;
  latePaid: bigint;
  /** What exits credited in the Vault so far. */
  exitPaid: bigint;
  readonly exits: Map<bigint, ExitEntry>;
  pausedUntil: number;
  pauseStart: number;
  pauseTotal: number;
  readonly roles: Record<RoleName, Set<string>>;
  latestRound: number;
  latestRoundTime: number;
  readonly postedAt: Map<number, number>;
  readonly roundTime: Map<number, number>;
  lastRoundUsed: number;
  readonly vault: string;
  /** Addresses that may be owed (actors and the timelock). */
  readonly watched: readonly string[];
}

export function pausedTime(m: Model, t: number): number {
  return m.pauseTotal + (Math.min(t, m.pausedUntil) - m.pauseStart);
}

/** Deposits queued, not credited, not reclaimed: what their depositors may take back. */
export function uncredited(m: Model): bigint {
  let s = 0n;
  for (const [i, d] of m.deposits.entries()) if (i >= m.processed && !d.reclaimed) s += d.amount;
  return s;
}

/** A credit at block time t: owed at once within the window's bound, else delayed. */
export function credit(m: Model, to: string, amount: bigint, t: number): void {
  m.totalOwed += amount;
  const index = Math.floor(t / FUZZ_LIMIT.window);
  const used = index === m.windowIndex ? m.windowUsed : 0n;
  if (used + amount <= FUZZ_LIMIT.bound) {
    m.windowIndex = index;
    m.windowUsed = used + amount;
    m.owed.set(to, (m.owed.get(to) ?? 0n) + amount);
  } else
    m.delayed.push({ recipient: to, amount, time: t, pausedAt: pausedTime(m, t), paid: false });
}

/** Pauses extend one delayed credit by at most this (WithdrawalLimit.MAX_PAUSE_EXTENSION). */
const MAX_PAUSE_EXTENSION = 7 * 86_400;

/**
 * Whether delayed credit `d` has matured at t: the delay has passed in unpaused time, or
 * the delay and the most pauses may add have passed since it was credited.
 */
export function matured(m: Model, d: DelayedEntry, t: number): boolean {
  return (
    t - d.time - (pausedTime(m, t) - d.pausedAt) >= FUZZ_LIMIT.delay ||
    t - d.time >= FUZZ_LIMIT.delay + MAX_PAUSE_EXTENSION
  );
}

export function moveTokens(m: Model, from: string, to: string, amount: bigint): void {
  m.balances.set(from, (m.balances.get(from) ?? 0n) - amount);
  m.balances.set(to, (m.balances.get(to) ?? 0n) + amount);
}

export const roleId = (w: FuzzWorld, r: RoleName): Promise<string> =>
  r === "admin"
    ? Promise.resolve(ZeroHash)
    : w.d.settlement.getFunction(r === "operator" ? "OPERATOR_ROLE" : "GUARDIAN_ROLE")();

/** The model of a freshly deployed world (balances and rounds as the chain starts). */
export async function initModel(w: FuzzWorld): Promise<Model> {
  const timelock = await w.d.timelock.getAddress();
  const vault = await w.d.vault.getAddress();
  const watched = [...ACTORS.map((a) => w.addr[a]), timelock];
  const balances = new Map<string, bigint>();
  for (const a of [vault, ...watched])
    balances.set(a, BigInt(await w.d.token.getFunction("balanceOf")(a)));
  const [latest, latestTime] = (await w.d.settlement.getFunction("latestRound")()) as bigint[];
  const root = BigInt(await w.d.settlement.getFunction("stateRoot")());
  return {
    root,
    roots: [root],
    batchCount: 0,
    deposits: [],
    processed: 0,
    firstReclaimed: null,
    nextAccount: 3n,
    deposited: new Map(),
    reclaimedTotal: 0n,
    treeValue: 0n,
    owed: new Map(),
    totalOwed: 0n,
    windowIndex: 0,
    windowUsed: 0n,
    delayed: [],
    balances,
    forced: [],
    forcedProcessed: 0,
    feesEarned: 0n,
    settlementEth: 0n,
    frozenAt: 0,
    frozenRound: 0,
    pool: 0n,
    claimed: 0n,
    latePaid: 0n,
    exitPaid: 0n,
    exits: new Map(),
    pausedUntil: 0,
    pauseStart: 0,
    pauseTotal: 0,
    roles: {
      admin: new Set([timelock]),
      operator: new Set([w.addr.operator]),
      guardian: new Set([w.addr.guardian]),
    },
    latestRound: Number(latest),
    latestRoundTime: Number(latestTime),
    postedAt: new Map(),
    roundTime: new Map(),
    lastRoundUsed: 0,
    vault,
    watched,
  };
}

/** What the chain shows, as far as the invariants and the refusal digests look. */
export interface Observed {
  root: bigint;
  batchCount: number;
  processed: number;
  depositCount: number;
  firstReclaimed: bigint;
  nextAccount: bigint;
  reclaimedTotal: bigint;
  forcedCount: number;
  forcedProcessed: number;
  feesEarned: bigint;
  frozen: boolean;
  frozenAt: number;
  pool: bigint;
  claimed: bigint;
  latePaid: bigint;
  pausedUntil: number;
  lastRoundUsed: number;
  latestRound: number;
  totalOwed: bigint;
  delayedCount: number;
  exitPool: bigint;
  vaultBalance: bigint;
  settlementEth: bigint;
  balances: Record<string, bigint>;
  owed: Record<string, bigint>;
  roles: Record<RoleName, string[]>;
}

export async function observe(w: FuzzWorld, m: Model): Promise<Observed> {
  const s = w.d.settlement;
  const v = w.d.vault;
  const f = (c: typeof s, name: string, ...args: unknown[]) => c.getFunction(name)(...args);
  const vaultAddr = await v.getAddress();
  const [root, batchCount, processed, dq, fq, fees, frozen, fi, ei, until, lastRound, latest] =
    await Promise.all([
      f(s, "stateRoot"),
      f(s, "batchCount"),
      f(s, "depositsProcessed"),
      f(v, "depositQueue"),
      f(s, "forcedQueue"),
      f(s, "forcedFeesEarned"),
      f(s, "frozen"),
      f(s, "freezeInfo"),
      f(s, "exitInfo"),
      f(s, "pausedUntil"),
      f(s, "lastRoundUsed"),
      f(s, "latestRound"),
    ]);
  const [nextAccount, reclaimedTotal, totalOwed, delayedCount, exitPool, vaultBalance, eth] =
    await Promise.all([
      f(v, "nextAccount"),
      f(v, "reclaimedTotal"),
      f(v, "totalOwed"),
      f(v, "delayedCreditCount"),
      f(v, "exitPool", processed),
      f(w.d.token, "balanceOf", vaultAddr),
      provider.getBalance(await s.getAddress()),
    ]);
  // filled in the watched order, so that two digests list them alike
  const read = await Promise.all(
    m.watched.map(async (a) => [await f(w.d.token, "balanceOf", a), await f(v, "owed", a)]),
  );
  const balances: Record<string, bigint> = {};
  const owed: Record<string, bigint> = {};
  for (const [i, a] of m.watched.entries()) {
    balances[a] = BigInt(read[i][0]);
    owed[a] = BigInt(read[i][1]);
  }
  const roles = {} as Record<RoleName, string[]>;
  for (const r of ROLE_NAMES) {
    const id = await roleId(w, r);
    const held = await Promise.all(m.watched.map((a) => f(s, "hasRole", id, a)));
    roles[r] = m.watched.filter((_, i) => held[i]);
  }
  return {
    root: BigInt(root),
    batchCount: Number(batchCount),
    processed: Number(processed),
    depositCount: Number(dq[0]),
    firstReclaimed: BigInt(dq[1]),
    nextAccount: BigInt(nextAccount),
    reclaimedTotal: BigInt(reclaimedTotal),
    forcedCount: Number(fq[0]),
    forcedProcessed: Number(fq[1]),
    feesEarned: BigInt(fees),
    frozen: Boolean(frozen),
    frozenAt: Number(fi[0]),
    pool: BigInt(ei[0]),
    claimed: BigInt(ei[1]),
    latePaid: BigInt(ei[2]),
    pausedUntil: Number(until),
    lastRoundUsed: Number(lastRound),
    latestRound: Number(latest[0]),
    totalOwed: BigInt(totalOwed),
    delayedCount: Number(delayedCount),
    exitPool: BigInt(exitPool),
    vaultBalance: BigInt(vaultBalance),
    settlementEth: BigInt(eth),
    balances,
    owed,
    roles,
  };
}

/** A refused call's before/after comparison: the observed state, as text. */
export function digest(o: Observed): string {
  return JSON.stringify(o, (_, x) => (typeof x === "bigint" ? x.toString() : x));
}

export const INVARIANTS = ["solvency", "root", "funds", "refusal", "model"] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  readonly invariant: Invariant;
  readonly message: string;
}

/**
 * The invariants 1-3 and the model comparison, between the model and what the chain shows
 * (invariant 4, refusals, is checked around each refused call by the runner).
 */
export function violations(m: Model, o: Observed): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: Invariant, ok: boolean, message: string) => {
    if (!ok) out.push({ invariant, message });
  };
  // 1. solvency: what the Vault owes is credited withdrawals and exits (owed at once or
  // delayed: totalOwed counts both, and the model adds them up on its own), deposits its
  // depositors may reclaim, and the tree's value (live) or what exits may still take (frozen)
  const unc = uncredited(m);
  const tree = m.frozenAt === 0 ? m.treeValue : m.pool - m.exitPaid;
  const delayedOwed = m.delayed.reduce((a, d) => a + (d.paid ? 0n : d.amount), 0n);
  const owedAtOnce = [...m.owed.values()].reduce((a, b) => a + b, 0n);
  v(
    "solvency",
    m.totalOwed === owedAtOnce + delayedOwed,
    `the model's totalOwed ${m.totalOwed} is not owed ${owedAtOnce} + delayed ${delayedOwed}`,
  );
  const owes = o.totalOwed + unc + tree;
  v("solvency", o.vaultBalance >= owes, `Vault holds ${o.vaultBalance}, owes ${owes}`);
  const held = o.vaultBalance - o.totalOwed - unc;
  v("solvency", o.exitPool === (held > 0n ? held : 0n), `exitPool ${o.exitPool}, expected ${held}`);
  const unanswered = m.forced.filter((r, i) => i >= m.forcedProcessed && !r.refunded).length;
  const fees = o.feesEarned + BigInt(unanswered) * FUZZ_FEE;
  v("solvency", o.settlementEth >= fees, `Settlement holds ${o.settlementEth} wei, owes ${fees}`);
  v("solvency", o.pool - o.latePaid >= 0n, "exits paid more than the pool");
  // 2. the root and the batch count move together, only with accepted batches
  v("root", o.root === m.root, `root ${o.root}, expected ${m.root}`);
  v("root", o.batchCount === m.batchCount, `batchCount ${o.batchCount}, expected ${m.batchCount}`);
  // 3. funds move only as the rules pay them; the freeze stays; roles only as granted
  v("funds", o.vaultBalance === m.balances.get(m.vault), `Vault balance ${o.vaultBalance}`);
  for (const a of m.watched) {
    v("funds", o.balances[a] === (m.balances.get(a) ?? 0n), `${a} holds ${o.balances[a]}`);
    v("funds", o.owed[a] === (m.owed.get(a) ?? 0n), `${a} is owed ${o.owed[a]}`);
  }
  v("funds", o.totalOwed === m.totalOwed, `totalOwed ${o.totalOwed}, expected ${m.totalOwed}`);
  v("funds", o.frozen === (m.frozenAt !== 0), `frozen ${o.frozen}, expected ${m.frozenAt !== 0}`);
  v("funds", o.settlementEth === m.settlementEth, `Settlement wei ${o.settlementEth}`);
  for (const r of ROLE_NAMES) {
    const want = m.watched.filter((a) => m.roles[r].has(a));
    v("funds", o.roles[r].join() === want.join(), `${r} held by ${o.roles[r].join()}`);
  }
  // the model's counters
  const first = m.firstReclaimed === null ? (1n << 64n) - 1n : BigInt(m.firstReclaimed);
  const counters: [string, unknown, unknown][] = [
    ["depositCount", o.depositCount, m.deposits.length],
    ["processed", o.processed, m.processed],
    ["firstReclaimed", o.firstReclaimed, first],
    ["nextAccount", o.nextAccount, m.nextAccount],
    ["reclaimedTotal", o.reclaimedTotal, m.reclaimedTotal],
    ["delayedCount", o.delayedCount, m.delayed.length],
    ["forcedCount", o.forcedCount, m.forced.length],
    ["forcedProcessed", o.forcedProcessed, m.forcedProcessed],
    ["feesEarned", o.feesEarned, m.feesEarned],
    ["frozenAt", o.frozenAt, m.frozenAt],
    ["pool", o.pool, m.pool],
    ["claimed", o.claimed, m.claimed],
    ["latePaid", o.latePaid, m.latePaid],
    ["pausedUntil", o.pausedUntil, m.pausedUntil],
    ["lastRoundUsed", o.lastRoundUsed, m.lastRoundUsed],
    ["latestRound", o.latestRound, m.latestRound],
  ];
  for (const [name, got, want] of counters)
    v("model", got === want, `${name} ${String(got)}, expected ${String(want)}`);
  return out;
}
