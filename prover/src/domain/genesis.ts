import { newAccount, leafHash, type PublicKey } from "./account.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "./constants.ts";
import { AccountTree } from "./tree.ts";

/** The system accounts' key: no signature can be made for it, and they never trade. */
export const SYSTEM_KEY: PublicKey = { x: 0n, y: 0n };

/** The system accounts a new exchange starts with: the fee account and the insurance fund. */
export const SYSTEM_ACCOUNTS = [FEE_ACCOUNT, INSURANCE_ACCOUNT] as const;

/**
 * The root of a new exchange's account tree: the system accounts, empty, in a tree of
 * depth `depth` with `markets` markets per leaf. Deploy stores it in Settlement; the
 * engine's ExchangeState.genesis has the same root (a test checks it).
 */
export function genesisRoot(depth: number, markets: number): bigint {
  const tree = new AccountTree(depth);
  for (const index of SYSTEM_ACCOUNTS)
    tree.setLeaf(index, leafHash(newAccount(SYSTEM_KEY, markets)));
  return tree.root;
}
