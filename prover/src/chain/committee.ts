import { createHash } from "node:crypto";
import { Contract, Wallet, type HDNodeWallet, type Provider } from "ethers";
import {
  ATTESTATION_TYPES,
  attestationDomain,
  attestationMessage,
  type Attestation,
} from "../domain/committee.ts";

/**
 * The data committee on-chain (Committee.sol) and the signing of attestations with an
 * Ethereum key (EIP-712, domain/committee.ts).
 */

const COMMITTEE_ABI = [
  "function members() view returns (address[])",
  "function threshold() view returns (uint8)",
  "function isMember(address) view returns (bool)",
];

/** INSECURE development committee members: keys anyone can derive (never for real funds). */
export function devCommitteeWallets(n: number): Wallet[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new Wallet(
        `0x${createHash("sha256").update(`zkclear-insecure-committee-${i}`).digest("hex")}`,
      ),
  );
}

/** A member's EIP-712 signature (65 bytes, hex) of an attestation. */
export function signAttestation(
  wallet: Wallet | HDNodeWallet,
  chainId: bigint,
  settlement: string,
  a: Attestation,
): Promise<string> {
  return wallet.signTypedData(
    attestationDomain(chainId, settlement),
    ATTESTATION_TYPES,
    attestationMessage(a),
  );
}

export interface CommitteeView {
  readonly address: string;
  readonly members: readonly string[];
  readonly threshold: number;
}

/** The committee Settlement names, with its current members and threshold. */
export async function readCommittee(
  provider: Provider,
  settlement: string,
): Promise<CommitteeView> {
  const s = new Contract(settlement, ["function committee() view returns (address)"], provider);
  const address = (await s.getFunction("committee")()) as string;
  const c = new Contract(address, COMMITTEE_ABI, provider);
  const [members, threshold] = await Promise.all([
    c.getFunction("members")() as Promise<string[]>,
    c.getFunction("threshold")() as Promise<bigint>,
  ]);
  return { address, members: [...members], threshold: Number(threshold) };
}
