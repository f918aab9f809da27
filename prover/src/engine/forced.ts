import { COLLATERAL_BITS, NONCE_BITS } from "../domain/constants.ts";
import { pow2 } from "../domain/amounts.ts";
import type { Account } from "../domain/account.ts";
import { meetsMargin } from "../domain/margin.ts";
import { packMarketParams, priceConfigHash, type MarketParams } from "../domain/market.ts";
import { marginsWord, oneX, scaledMarkets, type RoundMargins } from "../domain/volatility.ts";
import { payoutWord } from "../domain/transfers.ts";
import { settleFunding, zeroIndices } from "../domain/funding.ts";
import {
  forcedQueueHash,
  validateForcedRequest,
  verifyForcedRequest,
  type ForcedRequest,
} from "../domain/forced.ts";
import type { AnswerForcedInput, ForcedSlotInput } from "../domain/inputs.ts";
import type { ExchangeState } from "./state.ts";
import { emptyLeafWitness, leafWitness } from "./leaf-witness.ts";
import { TransferBatchError } from "./transfers.ts";

/**
 * How a forced request is answered, with the code AnswerForced proves for it (ForcedSlot's
 * `outcome`; 0 is a padding slot). One table: the engine, the contract's event reader, the
 * auditor and the CLI derive from it.
 */
export const FORCED_OUTCOMES = {
  paid: 1n,
  /** The signature does not verify with the account's key at its withdrawal nonce. */
  bad_signature: 2n,
  /** Collateral would go below zero, initial margin would fail, or the nonce is exhausted. */
  cannot_pay: 3n,
  /** The account has no leaf yet (its first deposit is not credited). */
  no_account: 4n,
} as const;

export type ForcedOutcome = keyof typeof FORCED_OUTCOMES;

/** sum code[i] * 8^i over the slots: AnswerForced's public `outcomes`. */
export function packOutcomes(outcomes: readonly ForcedOutcome[]): bigint {
  return outcomes.reduce((acc, o, i) => acc + FORCED_OUTCOMES[o] * 8n ** BigInt(i), 0n);
}

/** The outcomes packed in `word`, for `count` requests. */
export function unpackOutcomes(word: bigint, count: number): ForcedOutcome[] {
  const byCode = new Map(
    (Object.entries(FORCED_OUTCOMES) as [ForcedOutcome, bigint][]).map(([k, v]) => [v, k]),
  );
  return Array.from({ length: count }, (_, i) => {
    const code = (word >> BigInt(3 * i)) & 7n;
    const o = byCode.get(code);
    if (!o)
      throw new TransferBatchError("BATCH_TOO_LARGE", i, `no forced outcome has code ${code}`);
    return o;
  });
}

export interface AnsweredForced {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly queueTo: bigint;
  readonly outcomes: ForcedOutcome[];
  /** AnswerForced's public `outcomes`. */
  readonly packedOutcomes: bigint;
  /** recipient | amount << 160 per slot when paid, else 0: the public payouts. */
  readonly payouts: bigint[];
  /** Funding settled by each paid account, by account (quote units). */
  readonly funding: ReadonlyMap<bigint, bigint>;
  readonly input: AnswerForcedInput;
}

/** Whether `next` (the account after the debit) may be paid: the twin of ForcedSlot's D. */
function canPay(
  next: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
): boolean {
  return (
    next.collateral >= 0n &&
    next.collateral < pow2(COLLATERAL_BITS) &&
    next.withdrawNonce < pow2(NONCE_BITS) &&
    meetsMargin(next, marks, markets, "initial")
  );
}

/**
 * Answers the next forced requests of Settlement's queue (at most `batchSize`), in order,
 * starting at queue hash `queueFrom`: the twin of AnswerForced. Each request is paid (the
 * amount is debited and the withdrawal nonce bumped) or refused for the first reason that
 * applies: no_account, bad_signature, cannot_pay. Whether it can be paid is judged after
 * the account's accrued funding at `indices` is settled (and at the round's margin
 * multipliers, `margins`); a paid answer writes that
 * settlement, a refused one leaves the account as it was. Never refuses a request Settlement
 * queued; throws only for a batch too large or a malformed request (which Settlement
 * refuses), leaving the state as it was.
 */
export function answerForced(
  state: ExchangeState,
  requests: readonly ForcedRequest[],
  queueFrom: bigint,
  marks: readonly bigint[],
  batchSize: number,
  indices: readonly bigint[] = zeroIndices(marks.length),
  margins: RoundMargins = oneX(marks.length),
): AnsweredForced {
  if (requests.length > batchSize)
    throw new TransferBatchError(
      "BATCH_TOO_LARGE",
      0,
      `${requests.length} forced requests do not fit a batch of ${batchSize}`,
    );
  requests.forEach(validateForcedRequest);
  const oldRoot = state.root;
  const binding = priceConfigHash(state, marks, indices, margins);
  // the round's requirements: the configured rates scaled by its margin multipliers
  const markets = scaledMarkets(state.markets, margins);
  const funding = new Map<bigint, bigint>();
  const rows: ForcedSlotInput[] = [];
  const outcomes: ForcedOutcome[] = [];
  let queue = queueFrom;
  for (const r of requests) {
    const before = leafWitness(state, r.account);
    let outcome: ForcedOutcome = "no_account";
    if (state.hasAccount(r.account)) {
      const settled = settleFunding(state.getAccount(r.account), indices);
      const acct = settled.account;
      const next: Account = {
        ...acct,
        collateral: acct.collateral - r.amount,
        withdrawNonce: acct.withdrawNonce + 1n,
      };
      if (!verifyForcedRequest(r, acct.withdrawNonce, acct.pubKey, state.domain))
        outcome = "bad_signature";
      else if (!canPay(next, marks, markets)) outcome = "cannot_pay";
      else {
        outcome = "paid";
        state.setAccount(r.account, next);
        if (settled.owed !== 0n) funding.set(r.account, settled.payment);
      }
    }
    outcomes.push(outcome);
    queue = forcedQueueHash(queue, r);
    rows.push({
      enabled: 1n,
      account: r.account,
      amount: r.amount,
      recipient: r.recipient,
      sigR8x: r.signature.r8x,
      sigR8y: r.signature.r8y,
      sigS: r.signature.s,
      ...before,
    });
  }
  const pad = (): ForcedSlotInput => ({
    enabled: 0n,
    account: 0n,
    amount: 0n,
    recipient: 0n,
    // the identity point: a padding slot's "signature" must be a curve point
    sigR8x: 0n,
    sigR8y: 1n,
    sigS: 0n,
    ...emptyLeafWitness(state),
  });
  const slots = [...rows, ...Array.from({ length: batchSize - rows.length }, pad)];
  const payouts = slots.map((s, i) => (outcomes[i] === "paid" ? payoutWord(s) : 0n));
  const packedOutcomes = packOutcomes(outcomes);
  const input: AnswerForcedInput = {
    oldRoot,
    newRoot: state.root,
    priceConfigHash: binding,
    queueFrom,
    queueTo: queue,
    outcomes: packedOutcomes,
    payout: payouts,
    marketParam: state.markets.map(packMarketParams),
    domain: state.domain,
    fundFloor: state.fundFloor,
    margins: marginsWord(margins),
    mark: [...marks],
    fundingIndex: [...indices],
    slots,
  };
  return {
    oldRoot,
    newRoot: state.root,
    queueTo: queue,
    outcomes,
    packedOutcomes,
    payouts,
    funding,
    input,
  };
}
