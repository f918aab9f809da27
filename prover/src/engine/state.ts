import { AccountTree } from "../domain/tree.ts";
import {
  leafHash,
  newAccount,
  validateAccount,
  type Account,
  type PublicKey,
} from "../domain/account.ts";
import { FIRST_USER_ACCOUNT } from "../domain/constants.ts";
import { genesisAccounts } from "../domain/genesis.ts";
import {
  checkFundFloor,
  validateMarkets,
  type BoundConfig,
  type MarketParams,
} from "../domain/market.ts";
import type { Owners } from "../domain/owners.ts";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";

export class StateError extends ZkClearError<CodeOf<"state">> {}

/** The accounts as they were before a run of writes (undefined: the leaf was empty). */
export type StateJournal = ReadonlyMap<bigint, Account | undefined>;

/**
 * The exchange state: the account tree plus the account preimages behind its leaves.
 * Every write goes through setAccount, so the tree and the map never disagree.
 */
export class ExchangeState implements BoundConfig {
  readonly depth: number;
  readonly markets: readonly MarketParams[];
  /** The deployment domain every signed message names (domain/messages.ts). */
  readonly domain: bigint;
  /** The insurance fund's floor the configuration binds (MarketBinding). */
  readonly fundFloor: bigint;
  readonly tree: AccountTree;
  private readonly accounts = new Map<bigint, Account>();

  private constructor(
    depth: number,
    markets: readonly MarketParams[],
    domain: bigint,
    fundFloor: bigint,
  ) {
    this.depth = depth;
    this.markets = validateMarkets(markets);
    this.domain = domain;
    this.fundFloor = checkFundFloor(fundFloor);
    this.tree = new AccountTree(depth);
  }

  /**
   * Genesis: the fee account (1) and the insurance fund (2), both empty, with their
   * owners' keys (domain/genesis.ts); `fundFloor` is the configuration's (default 0).
   */
  static genesis(
    depth: number,
    markets: readonly MarketParams[],
    domain: bigint,
    owners: Owners,
    fundFloor = 0n,
  ): ExchangeState {
    const s = new ExchangeState(depth, markets, domain, fundFloor);
    for (const [index, account] of genesisAccounts(owners, markets.length))
      s.setAccount(index, account);
    return s;
  }

  get root(): bigint {
    return this.tree.root;
  }

  get marketCount(): number {
    return this.markets.length;
  }

  hasAccount(index: bigint): boolean {
    return this.accounts.has(index);
  }

  getAccount(index: bigint): Account {
    const a = this.accounts.get(index);
    if (!a) throw new StateError("ACCOUNT_NOT_FOUND", `account ${index} does not exist`);
    return a;
  }

  /** Writes an account; `validate` = false is only for adversarial tests. */
  setAccount(index: bigint, account: Account, validate = true): void {
    if (account.positions.length !== this.markets.length) {
      throw new StateError(
        "ACCOUNT_MARKETS",
        `account ${index} has ${account.positions.length} positions, the state has ${this.markets.length} markets`,
      );
    }
    if (validate) validateAccount(account);
    this.record(index);
    this.tree.setLeaf(index, leafHash(account));
    this.accounts.set(index, account);
  }

  /** Empties an account's leaf (only to undo a refused batch that created it). */
  removeAccount(index: bigint): void {
    this.record(index);
    this.tree.setLeaf(index, 0n);
    this.accounts.delete(index);
  }

  // ------------------------------------------------------------- a journal of writes

  /** The open journals, innermost last: a journal may be opened inside another. */
  private readonly journals: Map<bigint, Account | undefined>[] = [];

  private record(index: bigint): void {
    for (const j of this.journals) if (!j.has(index)) j.set(index, this.accounts.get(index));
  }

  /**
   * Starts recording what every write replaces, so that the writes made until
   * `stopJournal` can be undone (`rollback`): the operator undoes a batch the chain would
   * refuse (a liquidation whose oracle round was superseded) when nothing was cut after it.
   * Journals nest: one opened inside another records into both, and stopJournal closes the
   * innermost.
   */
  startJournal(): void {
    this.journals.push(new Map());
  }

  stopJournal(): StateJournal {
    return this.journals.pop() ?? new Map();
  }

  /** Puts back every account a journal recorded, as it was before the journaled writes. */
  rollback(j: StateJournal): void {
    for (const [index, before] of j) {
      if (before) this.setAccount(index, before, false);
      else this.removeAccount(index);
    }
  }

  /**
   * Opens a trader account with a starting balance. Deposits through the chain replace
   * this in the on-chain issue; development and tests use it directly.
   */
  openAccount(
    index: bigint,
    pubKey: PublicKey,
    collateral: bigint,
    isolatedMarket?: number,
  ): Account {
    if (index < FIRST_USER_ACCOUNT) {
      throw new StateError("ACCOUNT_RESERVED", `account ${index} is reserved for the system`);
    }
    if (this.accounts.has(index)) {
      throw new StateError("ACCOUNT_EXISTS", `account ${index} already exists`);
    }
    const a = newAccount(pubKey, this.markets.length, collateral, isolatedMarket);
    this.setAccount(index, a);
    return a;
  }

  /** Non-empty accounts, by index. */
  *entries(): IterableIterator<[bigint, Account]> {
    yield* this.accounts.entries();
  }
}
