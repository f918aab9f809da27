import { FEE_ACCOUNT } from "../domain/constants.ts";
import {
  DEV_CHAIN_ID,
  DEV_OWNER_LABELS,
  devOwnerRoles,
  devOwners,
  sameKey,
  type Owners,
} from "../domain/owners.ts";
import type { PublicKey } from "../domain/account.ts";
import { isRotation } from "../domain/transfers.ts";
import type { Finding } from "./findings.ts";
import type { OwnerRotation, PendingDeposit, Progress } from "./progress.ts";

/**
 * The system accounts' owners over the history: the published (genesis) owners, replaced by
 * the owner key rotations proven deposit batches credited (the governance's
 * Vault.queueOwnerKey entries: a key named for account 1 or 2), which the deposit queue makes
 * public, batch files or not. OWNER_INSECURE judges the keys now, and the keys rotations
 * queued and not credited yet name (they take over once credited, or sign the exit after a
 * freeze: Vault.exitSigner).
 */

/**
 * A rotation no proven batch credited yet: queued in the deposit queue, or recorded without
 * a queue entry behind a closed queue (queueIndex null: Vault.ownerRotation, stranded).
 */
export interface PendingRotation {
  readonly account: bigint;
  readonly key: PublicKey;
  readonly queueIndex: number | null;
}

/** The rotations among the deposits queued and not credited yet, in queue order. */
export function pendingRotations(pending: readonly PendingDeposit[]): PendingRotation[] {
  return pending
    .filter((d) => isRotation(d.deposit))
    .map((d) => ({ account: d.deposit.account, key: d.deposit.pubKey, queueIndex: d.index }));
}

const roleOf = (account: bigint) => (account === FEE_ACCOUNT ? "fee" : "fund");

/** Records the rotations among the deposits batch `batch` credited (queue order). */
export function recordRotations(p: Progress, batch: number, deposits: readonly PendingDeposit[]) {
  for (const d of deposits)
    if (isRotation(d.deposit))
      (p.ownerRotations ??= []).push({
        account: d.deposit.account,
        key: d.deposit.pubKey,
        batch,
        queueIndex: d.index,
      });
}

/** The owners now: the published owners with every credited rotation applied, in order. */
export function currentOwners(published: Owners, rotations: readonly OwnerRotation[] = []) {
  const owners = { ...published };
  for (const r of rotations) owners[r.account === FEE_ACCOUNT ? "fee" : "fund"] = r.key;
  return owners;
}

/**
 * OWNER_INSECURE for each system account whose owner key NOW is a development owner key
 * (derivable by anyone: its holder could withdraw the fees, or the fund down to its floor)
 * on a chain other than the development chain. A development key rotated away is no
 * longer found; one rotated in is; and one a rotation queued but not credited yet names
 * (`pending`: it signs for the account once credited, or its exit after a freeze).
 */
export function ownerFindings(
  chainId: bigint,
  owners: Owners,
  rotations: readonly OwnerRotation[] = [],
  pending: readonly PendingRotation[] = [],
): Finding[] {
  if (chainId === DEV_CHAIN_ID) return [];
  const dev = devOwners();
  const queued: Finding[] = pending
    .filter((x) => sameKey(x.key, dev.fee) || sameKey(x.key, dev.fund))
    .map((x) => ({
      code: "OWNER_INSECURE",
      message: `on chain ${chainId} the rotation ${x.queueIndex === null ? "recorded behind the closed deposit queue" : `queued at position ${x.queueIndex}`}, not credited yet, names a public development key as the ${DEV_OWNER_LABELS[roleOf(x.account)]}'s: once credited (or, after a freeze, for the exit) anyone can sign for the ${x.account === FEE_ACCOUNT ? "fee account" : "insurance fund"}`,
    }));
  const now = devOwnerRoles(owners).map((r): Finding => {
    const last = rotations.filter((x) => (x.account === FEE_ACCOUNT) === (r === "fee")).at(-1);
    const since = last ? `, rotated to it by batch ${last.batch}` : "";
    return {
      code: "OWNER_INSECURE",
      message: `on chain ${chainId} the ${DEV_OWNER_LABELS[r]}'s key is a public development key${since}: anyone can derive its private key and sign for the ${r === "fee" ? "fee account" : "insurance fund"}`,
    };
  });
  return [...now, ...queued];
}
