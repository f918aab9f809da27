import { newAccount, leafHash } from "./account.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "./constants.ts";
import { validateOwners, type Owners } from "./owners.ts";
import { AccountTree } from "./tree.ts";

/** The system accounts a new exchange starts with: the fee account and the insurance fund. */
export const SYSTEM_ACCOUNTS = [FEE_ACCOUNT, INSURANCE_ACCOUNT] as const;

/**
 * The system accounts' leaves at genesis: empty, each with its owner's key (owners.ts), so
 * that the fee owner signs the fee account's withdrawals and the fund owner the fund's
 * withdrawals and orders. No deposit can change a leaf's key (ApplyDeposits).
 */
export function genesisAccounts(owners: Owners, markets: number) {
  const o = validateOwners(owners);
  return [
    [FEE_ACCOUNT, newAccount(o.fee, markets)],
    [INSURANCE_ACCOUNT, newAccount(o.fund, markets)],
  ] as const;
}

/**
 * The root of a new exchange's account tree: the system accounts, empty, with their
 * owners' keys, in a tree of depth `depth` with `markets` markets per leaf. Deploy stores
 * it in Settlement; the engine's ExchangeState.genesis has the same root (a test checks it).
 */
export function genesisRoot(depth: number, markets: number, owners: Owners): bigint {
  const tree = new AccountTree(depth);
  for (const [index, account] of genesisAccounts(owners, markets))
    tree.setLeaf(index, leafHash(account));
  return tree.root;
}
