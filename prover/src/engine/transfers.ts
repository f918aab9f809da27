import { ZkClearError, type ErrorCode } from "../domain/errors.ts";
import { COLLATERAL_BITS, FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../domain/constants.ts";
import { fitsSigned } from "../domain/amounts.ts";
import { isolationFlag, newAccount, type Account } from "../domain/account.ts";
import { equity, meetsMargin, meetsMarginAbove } from "../domain/margin.ts";
import { packMarketParams, priceConfigHash } from "../domain/market.ts";
import { marginsWord, oneX, scaledMarkets, type RoundMargins } from "../domain/volatility.ts";
import { settleFunding, zeroIndices } from "../domain/funding.ts";
import {
  depositQueueHash,
  isOwnedAccount,
  isUsableKey,
  namesKey,
  payoutWord,
  validateDeposit,
  validateWithdrawal,
  verifyWithdrawal,
  type Deposit,
} from "../domain/transfers.ts";
import type { ExchangeState } from "./state.ts";
import type { ApplyDepositsInput, ProcessWithdrawalsInput } from "../domain/inputs.ts";
import { emptyLeafWitness, leafWitness } from "./leaf-witness.ts";
import { creditDestination, noDestination } from "./sub-account-transfers.ts";
import {
  debitOf,
  isTransfer,
  validateTransfer,
  verifyTransfer,
  type Debit,
} from "../domain/sub-accounts.ts";

export type TransferErrorCode =
  | "BATCH_TOO_LARGE"
  | "DEPOSIT_BAD_KEY"
  | "DEPOSIT_OVERFLOW"
  | "DEPOSIT_KEY_ON_TOP_UP"
  | "DEPOSIT_BAD_ISOLATION"
  | "OWNER_ROTATION_BAD_KEY"
  | "ACCOUNT_NOT_FOUND"
  | "WITHDRAW_EMPTY_ACCOUNT"
  | "FUND_BELOW_FLOOR"
  | "WITHDRAW_BAD_NONCE"
  | "WITHDRAW_BAD_SIGNATURE"
  | "WITHDRAW_INSUFFICIENT"
  | "TRANSFER_BAD_DESTINATION"
  | "MARGIN_INSUFFICIENT";

export class TransferBatchError extends ZkClearError {
  readonly slot: number;
  /** `code`: an engine rule's (TransferErrorCode), or the request's own field check's. */
  constructor(code: TransferErrorCode | ErrorCode, slot: number, message: string) {
    super(code, `slot ${slot}: ${message}`);
    this.slot = slot;
  }
}

/**
 * Runs a request's own checks (its fields) as its slot's: a refusal names the slot, so the
 * batcher refuses that request alone instead of stalling every withdrawal behind it.
 */
function inSlot<T>(slot: number, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ZkClearError && !(e instanceof TransferBatchError))
      throw new TransferBatchError(e.code, slot, e.message);
    throw e;
  }
}

function withUndo<T>(
  state: ExchangeState,
  body: (write: (i: bigint, a: Account | undefined) => void) => T,
): T {
  const undo: [bigint, Account | undefined][] = [];
  const write = (i: bigint, a: Account | undefined) => {
    undo.push([i, state.hasAccount(i) ? state.getAccount(i) : undefined]);
    if (a) state.setAccount(i, a);
    else state.removeAccount(i);
  };
  try {
    return body(write);
  } catch (e) {
    for (const [i, a] of undo.reverse()) {
      if (a) state.setAccount(i, a);
      else state.removeAccount(i);
    }
    throw e;
  }
}

function slotsOf<T>(rows: readonly T[], size: number, pad: () => T): T[] {
  return [...rows, ...Array.from({ length: size - rows.length }, pad)];
}

export interface AppliedDeposits {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly queueFrom: bigint;
  readonly queueTo: bigint;
  readonly input: ApplyDepositsInput;
}

/**
 * Credits the next deposits of the Vault's queue (at most `batchSize`), creating accounts
 * on their first deposit and replacing the fee account's or the fund's owner key when an
 * entry names one (Vault.queueOwnerKey): the twin of ApplyDeposits (DepositSlot).
 * All-or-nothing.
 */
export function applyDeposits(
  state: ExchangeState,
  deposits: readonly Deposit[],
  queueFrom: bigint,
  batchSize: number,
): AppliedDeposits {
  if (deposits.length > batchSize) {
    throw new TransferBatchError(
      "BATCH_TOO_LARGE",
      0,
      `${deposits.length} deposits do not fit a batch of ${batchSize}`,
    );
  }
  const oldRoot = state.root;
  return withUndo(state, (write) => {
    const rows: ApplyDepositsInput["slots"][number][] = [];
    let queue = queueFrom;
    deposits.forEach((d, i) => {
      validateDeposit(d);
      const exists = state.hasAccount(d.account);
      const rotation = exists && namesKey(d);
      // the Vault queues a top-up with no key; only the governance's owner key entries
      // (Vault.queueOwnerKey) name one, for the fee account or the insurance fund
      if (rotation && !isOwnedAccount(d.account)) {
        throw new TransferBatchError(
          "DEPOSIT_KEY_ON_TOP_UP",
          i,
          `a top-up of existing account ${d.account} names a key (${d.pubKey.x}, ${d.pubKey.y}); only the fee account (${FEE_ACCOUNT}) and the insurance fund (${INSURANCE_ACCOUNT}) have owner keys that rotate, a trader's key never changes`,
        );
      }
      if (rotation && !isUsableKey(d.pubKey)) {
        throw new TransferBatchError(
          "OWNER_ROTATION_BAD_KEY",
          i,
          `the new owner key (${d.pubKey.x}, ${d.pubKey.y}) for account ${d.account} is not a usable curve point`,
        );
      }
      if (!exists && !isUsableKey(d.pubKey)) {
        throw new TransferBatchError(
          "DEPOSIT_BAD_KEY",
          i,
          `the key for new account ${d.account} is not a usable curve point`,
        );
      }
      const m = d.isolatedMarket;
      if (m !== undefined && (exists || m >= state.marketCount)) {
        throw new TransferBatchError(
          "DEPOSIT_BAD_ISOLATION",
          i,
          exists
            ? `account ${d.account} exists: only a new account is opened isolated`
            : `market ${m} does not exist (${state.marketCount} markets)`,
        );
      }
      const before = leafWitness(state, d.account);
      const base: Account = !exists
        ? newAccount(d.pubKey, state.marketCount, 0n, m)
        : rotation
          ? { ...state.getAccount(d.account), pubKey: d.pubKey }
          : state.getAccount(d.account);
      const collateral = base.collateral + d.amount;
      if (!fitsSigned(collateral, COLLATERAL_BITS)) {
        throw new TransferBatchError(
          "DEPOSIT_OVERFLOW",
          i,
          `collateral of account ${d.account} would exceed 2^${COLLATERAL_BITS}`,
        );
      }
      write(d.account, { ...base, collateral });
      queue = depositQueueHash(queue, d);
      rows.push({
        enabled: 1n,
        account: d.account,
        amount: d.amount,
        pkX: d.pubKey.x,
        pkY: d.pubKey.y,
        isNew: exists ? 0n : 1n,
        flag: isolationFlag(d),
        ...before,
      });
    });
    const pad = () => ({
      enabled: 0n,
      account: 0n,
      amount: 0n,
      pkX: 0n,
      pkY: 0n,
      isNew: 0n,
      flag: 0n,
      ...emptyLeafWitness(state),
    });
    const input: ApplyDepositsInput = {
      oldRoot,
      newRoot: state.root,
      queueFrom,
      queueTo: queue,
      slots: slotsOf(rows, batchSize, pad),
    };
    return { oldRoot, newRoot: state.root, queueFrom, queueTo: queue, input };
  });
}

export interface ProcessedWithdrawals {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly priceConfigHash: bigint;
  /** recipient | amount << 160 per slot, 0 for padding: the public payouts. */
  readonly payouts: bigint[];
  /** Funding each withdrawing account settled first, by account (quote units). */
  readonly funding: ReadonlyMap<bigint, bigint>;
  readonly input: ProcessWithdrawalsInput;
}

/**
 * Debits signed withdrawals and transfers (at most `batchSize`): the twin of
 * ProcessWithdrawals. Any account but the empty leaf 0 withdraws with its key's signature:
 * a trader's, the fee account's (1, its owner's key) or the insurance fund's (2, its
 * owner's key). Each account's accrued funding at `indices` is settled first, but the
 * fund's, which is judged and not written (its leaf keeps every index and its reserve
 * alone pays: docs/isolation.md, section 1); each debit must carry its account's current
 * withdrawal nonce, leave collateral non-negative (the fund's reserve), and leave the
 * account above initial margin at `marks` (the configured rate scaled by the round's
 * multiplier, `margins`), the fund with its fundFloor to spare after its funding. A transfer
 * (trader accounts only) credits another existing account of the same key, whose flag it
 * names (sub-account-transfers.ts), and pays nothing out.
 * All-or-nothing.
 */
export function processWithdrawals(
  state: ExchangeState,
  withdrawals: readonly Debit[],
  marks: readonly bigint[],
  batchSize: number,
  opts: {
    readonly trustSignatures?: boolean;
    /** Adversarial tests: a transfer's own rules and its destination's are not checked. */
    readonly uncheckedTransfers?: boolean;
  } = {},
  indices: readonly bigint[] = zeroIndices(marks.length),
  margins: RoundMargins = oneX(marks.length),
): ProcessedWithdrawals {
  if (withdrawals.length > batchSize) {
    throw new TransferBatchError(
      "BATCH_TOO_LARGE",
      0,
      `${withdrawals.length} withdrawals do not fit a batch of ${batchSize}`,
    );
  }
  const binding = priceConfigHash(state, marks, indices, margins);
  // the round's requirements: the configured rates scaled by its margin multipliers
  const markets = scaledMarkets(state.markets, margins);
  const oldRoot = state.root;
  const funding = new Map<bigint, bigint>();
  const checked = !opts.uncheckedTransfers;
  return withUndo(state, (write) => {
    const rows: ProcessWithdrawalsInput["slots"][number][] = [];
    withdrawals.forEach((sw, i) => {
      const transfer = isTransfer(sw);
      inSlot(i, () => {
        if (!transfer) validateWithdrawal(sw.withdrawal);
        else if (checked) validateTransfer(sw.transfer, state.marketCount);
      });
      const w = debitOf(sw);
      const fail = (code: TransferErrorCode, msg: string): never => {
        throw new TransferBatchError(
          code,
          i,
          `${transfer ? "transfer" : "withdrawal"} from account ${w.account}: ${msg}`,
        );
      };
      if (w.account === 0n) fail("WITHDRAW_EMPTY_ACCOUNT", "account 0 is the empty leaf");
      if (!state.hasAccount(w.account)) fail("ACCOUNT_NOT_FOUND", "no such account");
      const stored = state.getAccount(w.account);
      const settled = settleFunding(stored, indices);
      const acct = settled.account;
      if (w.nonce !== acct.withdrawNonce)
        fail("WITHDRAW_BAD_NONCE", `nonce ${w.nonce}, the account expects ${acct.withdrawNonce}`);
      const signed = transfer
        ? verifyTransfer(sw, acct.pubKey, state.domain)
        : verifyWithdrawal(sw, acct.pubKey, state.domain);
      if (!opts.trustSignatures && !signed)
        fail("WITHDRAW_BAD_SIGNATURE", "signature does not match the account key");
      // the insurance fund's funding is not settled here: its leaf keeps every market's
      // index and its reserve pays none of it (docs/isolation.md, section 1; WithdrawalSlot)
      const isFund = w.account === INSURANCE_ACCOUNT;
      const base = isFund ? stored : acct;
      const next: Account = {
        ...base,
        collateral: base.collateral - w.amount,
        withdrawNonce: base.withdrawNonce + 1n,
      };
      if (next.collateral < 0n)
        fail(
          "WITHDRAW_INSUFFICIENT",
          `${w.amount} exceeds ${isFund ? "the fund's reserve" : "collateral"} ${base.collateral}`,
        );
      // its funding is judged all the same: what it owes counts against its floor
      const judged: Account = { ...next, collateral: acct.collateral - w.amount };
      if (isFund && !meetsMarginAbove(judged, marks, markets, "initial", state.fundFloor))
        fail(
          "FUND_BELOW_FLOOR",
          `the insurance fund's equity at the marks, its funding owed counted, would be ${equity(judged, marks)}, not its floor ${state.fundFloor} plus its initial margin`,
        );
      if (!meetsMargin(judged, marks, markets, "initial"))
        fail("MARGIN_INSUFFICIENT", "the account would fall below initial margin");
      const before = leafWitness(state, w.account);
      write(w.account, next);
      if (!isFund && settled.owed !== 0n) funding.set(w.account, settled.payment);
      let destination = noDestination(state);
      if (transfer) {
        const credit = creditDestination(state, sw, next, checked);
        if ("refusal" in credit) return fail("TRANSFER_BAD_DESTINATION", credit.refusal);
        destination = credit.fields;
        write(sw.transfer.to, credit.account);
      }
      rows.push({
        enabled: 1n,
        account: w.account,
        amount: w.amount,
        recipient: transfer ? 0n : sw.withdrawal.recipient,
        sigR8x: sw.signature.r8x,
        sigR8y: sw.signature.r8y,
        sigS: sw.signature.s,
        ...before,
        ...destination,
      });
    });
    const pad = () => ({
      enabled: 0n,
      account: 0n,
      amount: 0n,
      recipient: 0n,
      sigR8x: 0n,
      sigR8y: 0n,
      sigS: 0n,
      ...emptyLeafWitness(state),
      ...noDestination(state),
    });
    const slots = slotsOf(rows, batchSize, pad);
    // a transfer pays nothing out of the Vault
    const payouts = slots.map((s) => (s.enabled && !s.isTransfer ? payoutWord(s) : 0n));
    const input: ProcessWithdrawalsInput = {
      oldRoot,
      newRoot: state.root,
      priceConfigHash: binding,
      payout: payouts,
      marketParam: state.markets.map(packMarketParams),
      domain: state.domain,
      fundFloor: state.fundFloor,
      margins: marginsWord(margins),
      mark: [...marks],
      fundingIndex: [...indices],
      slots,
    };
    return { oldRoot, newRoot: state.root, priceConfigHash: binding, payouts, funding, input };
  });
}
