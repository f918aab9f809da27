import type { PublicKey } from "./account.ts";
import { isUsablePublicKey } from "./babyjub.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import { devKeyPair, type KeyPair } from "./keys.ts";

export class OwnerError extends ZkClearError<CodeOf<"value">> {}

/**
 * The owners of the system accounts: their Baby Jubjub keys sit in the leaves of the fee
 * account (1) and the insurance fund (2) from genesis on (genesis.ts), so they sign for
 * those accounts as a trader signs for hers. The fee owner withdraws fees; the fund owner
 * withdraws down to the fund floor, and trades the fund's positions out with signed orders.
 */
export interface Owners {
  readonly fee: PublicKey;
  readonly fund: PublicKey;
}

/** The labels of the INSECURE development owners' keys (devKeyPair): never for real funds. */
export const DEV_OWNER_LABELS = { fee: "fee owner", fund: "fund owner" } as const;

/** The INSECURE development owners' key pairs (deterministic: anyone can derive them). */
export function devOwnerKeys(): { readonly fee: KeyPair; readonly fund: KeyPair } {
  return { fee: devKeyPair(DEV_OWNER_LABELS.fee), fund: devKeyPair(DEV_OWNER_LABELS.fund) };
}

/** The INSECURE development owners' public keys: deploy's default, and the tests'. */
export function devOwners(): Owners {
  const k = devOwnerKeys();
  return { fee: k.fee.publicKey, fund: k.fund.publicKey };
}

/** Hardhat's development chain id: the only chain where development owner keys are expected. */
export const DEV_CHAIN_ID = 31337n;

/**
 * The roles whose key is an INSECURE development owner's key, either one (anyone can derive
 * its private key), fee first: each is shown INSECURE wherever owners appear.
 */
export function devOwnerRoles(o: Owners): (keyof Owners)[] {
  const d = devOwners();
  // either development key in either role: both are public
  return (["fee", "fund"] as const).filter((r) => sameKey(o[r], d.fee) || sameKey(o[r], d.fund));
}

/** The warning for each development owner key in `o` (none: []). */
export function devOwnerWarnings(o: Owners): string[] {
  return devOwnerRoles(o).map(
    (r) =>
      `WARNING: the ${DEV_OWNER_LABELS[r]}'s key is the INSECURE development key (anyone can derive its private key: never for real funds)`,
  );
}

export function sameKey(a: PublicKey, b: PublicKey): boolean {
  return a.x === b.x && a.y === b.y;
}

/** Checks that both owners' keys can sign (on the curve, x ≠ 0, not of small order). */
export function validateOwners(o: Owners): Owners {
  for (const [role, k] of Object.entries(o) as [keyof Owners, PublicKey][]) {
    if (!isUsablePublicKey(k))
      throw new OwnerError(
        "OWNER_BAD_KEY",
        `the ${role} owner's key (${k.x}, ${k.y}) is not a usable Baby Jubjub point (on the curve, x ≠ 0, not of small order)`,
      );
  }
  return o;
}

/** A public key as the CLI takes it: "x,y" in decimal, as keygen prints it. */
export function parsePublicKey(text: string, what: string): PublicKey {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(text);
  if (!m)
    throw new OwnerError(
      "FORMAT_INVALID",
      `${what}: "${text}" is not a public key "x,y" (decimal, as zkclear keygen prints it)`,
    );
  return { x: BigInt(m[1]), y: BigInt(m[2]) };
}

export function formatPublicKey(k: PublicKey): string {
  return `${k.x},${k.y}`;
}
