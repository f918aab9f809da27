import { FEE_ACCOUNT } from "../domain/constants.ts";
import { DEV_CHAIN_ID, DEV_OWNER_LABELS, devOwnerRoles, type Owners } from "../domain/owners.ts";
import { isRotation } from "../domain/transfers.ts";
import type { Finding } from "./findings.ts";
import type { OwnerRotation, PendingDeposit, Progress } from "./progress.ts";

/**
 * The system accounts' owners over the history: the published (genesis) owners, replaced by
 * the owner key rotations proven deposit batches credited (the governance's
 * Vault.queueOwnerKey entries: a key named for account 1 or 2), which the deposit queue makes
 * public, batch files or not. OWNER_INSECURE judges the keys now.
 */

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
 * longer found; one rotated in is.
 */
export function ownerFindings(
  chainId: bigint,
  owners: Owners,
  rotations: readonly OwnerRotation[] = [],
): Finding[] {
  if (chainId === DEV_CHAIN_ID) return [];
  return devOwnerRoles(owners).map((r) => {
    const last = rotations.filter((x) => (x.account === FEE_ACCOUNT) === (r === "fee")).at(-1);
    const since = last ? `, rotated to it by batch ${last.batch}` : "";
    return {
      code: "OWNER_INSECURE",
      message: `on chain ${chainId} the ${DEV_OWNER_LABELS[r]}'s key is a public development key${since}: anyone can derive its private key and sign for the ${r === "fee" ? "fee account" : "insurance fund"}`,
    };
  });
}
