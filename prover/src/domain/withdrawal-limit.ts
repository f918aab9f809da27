/**
 * The Vault's withdrawal rate limit (contracts/WithdrawalLimit.sol): per window of `window`
 * seconds, credits are owed at once while they add up to at most `bound` token units; a
 * credit beyond it waits `delay` seconds of unpaused time, then anyone pays it to its
 * recipient (Vault.claimDelayed). Immutable: the Vault's constructor takes them.
 */
export interface WithdrawalLimit {
  /** Seconds per window (fixed windows of unix time). */
  readonly window: number;
  /** What credits may pay at once per window, token units. */
  readonly bound: bigint;
  /** Seconds of unpaused time a credit beyond the bound waits. */
  readonly delay: number;
}

/** The longest delay the Vault takes: WithdrawalLimit.MAX_WITHDRAWAL_DELAY (7 days). */
export const MAX_WITHDRAWAL_DELAY = 7 * 86_400;
/** The largest bound the Vault takes (it counts a window's credits in 192 bits). */
export const MAX_WITHDRAWAL_BOUND = (1n << 192n) - 1n;
/** The largest window: the Vault holds it in 64 bits. */
const MAX_WINDOW = Number.MAX_SAFE_INTEGER;

/**
 * What is wrong with a rate limit (the Vault's constructor refuses the same with
 * BadWithdrawalLimit), or null: a window of at least a second, a bound of 1..2^192 - 1
 * units, a delay of 1 second..7 days.
 */
export function withdrawalLimitProblem(l: WithdrawalLimit): string | null {
  if (!Number.isSafeInteger(l.window) || l.window < 1 || l.window > MAX_WINDOW)
    return `the withdrawal window must be a whole number of seconds above 0, got ${l.window}`;
  if (l.bound < 1n || l.bound > MAX_WITHDRAWAL_BOUND)
    return `the withdrawal bound must be 1..2^192 - 1 token units per window, got ${l.bound}`;
  if (!Number.isSafeInteger(l.delay) || l.delay < 1 || l.delay > MAX_WITHDRAWAL_DELAY)
    return `the withdrawal delay must be 1..${MAX_WITHDRAWAL_DELAY} seconds (7 days), got ${l.delay}`;
  return null;
}
