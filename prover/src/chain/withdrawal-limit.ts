import type { Contract } from "ethers";
import type { WithdrawalLimit } from "../domain/withdrawal-limit.ts";

/** The Vault's rate limit as it holds it (its immutables). */
export async function readWithdrawalLimit(vault: Contract): Promise<WithdrawalLimit> {
  return {
    window: Number(await vault.getFunction("withdrawalWindow")()),
    bound: BigInt(await vault.getFunction("withdrawalBound")()),
    delay: Number(await vault.getFunction("withdrawalDelay")()),
  };
}

/** A credit beyond the window's bound (Vault.delayedCredit). */
export interface DelayedCredit {
  readonly id: bigint;
  readonly recipient: string;
  readonly amount: bigint;
  /** When it was credited (unix seconds). */
  readonly creditedAt: bigint;
  /** When anyone may pay it (with the pauses so far; a pause now counts to its end). */
  readonly claimableAt: bigint;
  readonly paid: boolean;
}

/** What the Vault owes `recipient`: at once (`owed`) and its delayed credits, oldest first. */
export interface OwedTo {
  readonly owed: bigint;
  readonly delayed: readonly DelayedCredit[];
}

/**
 * Reads what the Vault owes `recipient`: `owed(recipient)` and every delayed credit to it
 * (found by its CreditDelayed events from block `fromBlock`, read back with delayedCredit).
 */
export async function owedTo(
  vault: Contract,
  recipient: string,
  fromBlock: number,
): Promise<OwedTo> {
  const owed = BigInt(await vault.getFunction("owed")(recipient));
  const logs = await vault.queryFilter(vault.filters.CreditDelayed(null, recipient), fromBlock);
  const delayed: DelayedCredit[] = [];
  for (const l of logs) {
    const id = BigInt(vault.interface.parseLog(l)!.args.id);
    const [r, amount, creditedAt, claimableAt, paid] = (await vault.getFunction("delayedCredit")(
      id,
    )) as [string, bigint, bigint, bigint, boolean];
    delayed.push({ id, recipient: r, amount, creditedAt, claimableAt, paid });
  }
  return { owed, delayed };
}
