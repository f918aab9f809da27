import { encodeSigned } from "./amounts.ts";
import { toDeleverageSignals, type DeleverageInput } from "./deleverage-inputs.ts";
/**
 * The input shape of SettleTrades(B, D, M), defined once: the engine fills it, the
 * prover serialises it (toSettleTradesSignals), the tests and the CLI reuse it.
 */
export interface LeafWitness {
  readonly ax: bigint;
  readonly ay: bigint;
  /** The packed balance word: (collateral + 2^128) | withdrawNonce << 129 | flag << 161. */
  readonly balance: bigint;
  readonly word: readonly bigint[];
  readonly notional: readonly bigint[];
  readonly siblings: readonly (readonly bigint[])[];
}

/** One side of a trade slot: the order, its signature and its account's leaf. */
export interface TradeSlotSide extends LeafWitness {
  readonly account: bigint;
  readonly nonce: bigint;
  readonly maxFeeBps: bigint;
  readonly amount: bigint;
  readonly limitPrice: bigint;
  readonly sigR8x: bigint;
  readonly sigR8y: bigint;
  readonly sigS: bigint;
}

export interface TradeSlot {
  readonly enabled: bigint;
  readonly market: bigint;
  readonly qty: bigint;
  readonly price: bigint;
  readonly takerIsBuyer: bigint;
  /** [buy, sell] */
  readonly sides: readonly [TradeSlotSide, TradeSlotSide];
}

export interface SettleTradesInput {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly dataCommitment: bigint;
  /** Poseidon(priceConfigHash, reduceOnly) (domain/breakers.ts tradeBinding). */
  readonly tradeBinding: bigint;
  readonly marketParam: readonly bigint[];
  /** The deployment domain (MarketBinding): every signature names it. */
  readonly domain: bigint;
  /** The insurance fund's floor (MarketBinding): bound through tradeBinding. */
  readonly fundFloor: bigint;
  /** The round\'s margin multipliers, packed (PriceOracle.roundMarginsWord; MarketBinding binds them). */
  readonly margins: bigint;
  readonly mark: readonly bigint[];
  /** The markets' funding indices at the batch's round (signed; MarketBinding binds them). */
  readonly fundingIndex: readonly bigint[];
  /** The round's reduce-only markets (bit j: market j's circuit breaker is on). */
  readonly reduceOnly: bigint;
  readonly slots: readonly TradeSlot[];
  readonly feeLeaf: LeafWitness;
}

/** A circuit signal value: a field element, or an array of them, as decimal strings. */
export type SignalValue = string | SignalValue[];

/** The public signals in the circuit's order. A test checks it against the compiled .sym. */
export const SETTLE_TRADES_PUBLIC = [
  "oldRoot",
  "newRoot",
  "dataCommitment",
  "tradeBinding",
] as const;

export function settleTradesPublicSignals(input: SettleTradesInput): bigint[] {
  return SETTLE_TRADES_PUBLIC.map((k) => input[k]);
}

const str = (x: bigint): string => x.toString();
const strs = (xs: readonly bigint[]): string[] => xs.map(str);
/** A signed value as the field element circuits read (x mod r). */
const signedStr = (x: bigint): string => encodeSigned(x).toString();

/** Serialises the input into the signal names of SettleTrades. */
export function toSettleTradesSignals(input: SettleTradesInput): Record<string, SignalValue> {
  const slots = input.slots;
  const perSide = (f: (s: TradeSlotSide) => SignalValue): SignalValue[] =>
    slots.map((slot) => slot.sides.map(f));
  return {
    oldRoot: str(input.oldRoot),
    newRoot: str(input.newRoot),
    dataCommitment: str(input.dataCommitment),
    tradeBinding: str(input.tradeBinding),
    marketParam: strs(input.marketParam),
    domain: str(input.domain),
    fundFloor: str(input.fundFloor),
    margins: str(input.margins),
    mark: strs(input.mark),
    fundingIndex: input.fundingIndex.map(signedStr),
    reduceOnly: str(input.reduceOnly),
    enabled: slots.map((s) => str(s.enabled)),
    market: slots.map((s) => str(s.market)),
    qty: slots.map((s) => str(s.qty)),
    price: slots.map((s) => str(s.price)),
    takerIsBuyer: slots.map((s) => str(s.takerIsBuyer)),
    orderAccount: perSide((s) => str(s.account)),
    orderNonce: perSide((s) => str(s.nonce)),
    orderMaxFeeBps: perSide((s) => str(s.maxFeeBps)),
    orderAmount: perSide((s) => str(s.amount)),
    orderLimitPrice: perSide((s) => str(s.limitPrice)),
    sigR8x: perSide((s) => str(s.sigR8x)),
    sigR8y: perSide((s) => str(s.sigR8y)),
    sigS: perSide((s) => str(s.sigS)),
    leafAx: perSide((s) => str(s.ax)),
    leafAy: perSide((s) => str(s.ay)),
    leafBalance: perSide((s) => str(s.balance)),
    leafWord: perSide((s) => strs(s.word)),
    leafNotional: perSide((s) => strs(s.notional)),
    siblings: perSide((s) => s.siblings.map(strs)),
    feeAx: str(input.feeLeaf.ax),
    feeAy: str(input.feeLeaf.ay),
    feeBalance: str(input.feeLeaf.balance),
    feeWord: strs(input.feeLeaf.word),
    feeNotional: strs(input.feeLeaf.notional),
    feeSiblings: input.feeLeaf.siblings.map(strs),
  };
}

type Nested = bigint | readonly Nested[];

function nested(x: Nested): SignalValue {
  return typeof x === "bigint" ? x.toString() : x.map(nested);
}

/** Rows of per-slot fields become one signal array per field, in slot order. */
function transpose<T extends Record<string, Nested>>(
  rows: readonly T[],
): Record<string, SignalValue> {
  const out: Record<string, SignalValue[]> = {};
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) (out[k] ??= []).push(nested(v));
  }
  return out;
}

/** The account leaf and its siblings as a deposit or withdrawal slot names them. */
export interface LeafSlotFields {
  readonly [signal: string]: Nested;
  readonly leafAx: bigint;
  readonly leafAy: bigint;
  readonly leafBalance: bigint;
  readonly leafWord: readonly bigint[];
  readonly leafNotional: readonly bigint[];
  readonly siblings: readonly (readonly bigint[])[];
}

/** One deposit slot of ApplyDeposits(K, D, M); field names are the circuit's signals. */
export interface DepositSlotInput extends LeafSlotFields {
  readonly enabled: bigint;
  readonly account: bigint;
  readonly amount: bigint;
  readonly pkX: bigint;
  readonly pkY: bigint;
  readonly isNew: bigint;
  /** A new account's isolation flag from its queue entry: 0, or 1 + market. */
  readonly flag: bigint;
}

export interface ApplyDepositsInput {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly queueFrom: bigint;
  readonly queueTo: bigint;
  readonly slots: readonly DepositSlotInput[];
}

export const APPLY_DEPOSITS_PUBLIC = ["oldRoot", "newRoot", "queueFrom", "queueTo"] as const;

export function applyDepositsPublicSignals(input: ApplyDepositsInput): bigint[] {
  return APPLY_DEPOSITS_PUBLIC.map((k) => input[k]);
}

export function toApplyDepositsSignals(input: ApplyDepositsInput): Record<string, SignalValue> {
  return {
    oldRoot: str(input.oldRoot),
    newRoot: str(input.newRoot),
    queueFrom: str(input.queueFrom),
    queueTo: str(input.queueTo),
    ...transpose(input.slots),
  };
}

/** One withdrawal slot of ProcessWithdrawals(W, D, M). */
export interface WithdrawalSlotInput extends LeafSlotFields, TransferDestinationFields {
  readonly enabled: bigint;
  readonly account: bigint;
  readonly amount: bigint;
  readonly recipient: bigint;
  readonly sigR8x: bigint;
  readonly sigR8y: bigint;
  readonly sigS: bigint;
}

/** WithdrawalSlot's transfer fields (engine/sub-account-transfers.ts fills them). */
export interface TransferDestinationFields {
  readonly [signal: string]: Nested;
  /** 1 for a transfer to another account of the key (`to`, whose flag is `toFlag`). */
  readonly isTransfer: bigint;
  readonly to: bigint;
  readonly toFlag: bigint;
  /** The destination's leaf in the tree after the source's update (zeros without one). */
  readonly toAx: bigint;
  readonly toAy: bigint;
  readonly toBalance: bigint;
  readonly toWord: readonly bigint[];
  readonly toNotional: readonly bigint[];
  readonly toSiblings: readonly (readonly bigint[])[];
}

export interface ProcessWithdrawalsInput {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly priceConfigHash: bigint;
  readonly payout: readonly bigint[];
  readonly marketParam: readonly bigint[];
  readonly domain: bigint;
  /** The insurance fund's floor (MarketBinding): bound through priceConfigHash. */
  readonly fundFloor: bigint;
  /** The round\'s margin multipliers, packed (PriceOracle.roundMarginsWord; MarketBinding binds them). */
  readonly margins: bigint;
  readonly mark: readonly bigint[];
  /** The markets' funding indices at the batch's round (signed; MarketBinding binds them). */
  readonly fundingIndex: readonly bigint[];
  readonly slots: readonly WithdrawalSlotInput[];
}

export const PROCESS_WITHDRAWALS_PUBLIC = [
  "oldRoot",
  "newRoot",
  "priceConfigHash",
  "payout",
] as const;

export function processWithdrawalsPublicSignals(input: ProcessWithdrawalsInput): bigint[] {
  return [input.oldRoot, input.newRoot, input.priceConfigHash, ...input.payout];
}

export function toProcessWithdrawalsSignals(
  input: ProcessWithdrawalsInput,
): Record<string, SignalValue> {
  return {
    oldRoot: str(input.oldRoot),
    newRoot: str(input.newRoot),
    priceConfigHash: str(input.priceConfigHash),
    payout: strs(input.payout),
    marketParam: strs(input.marketParam),
    domain: str(input.domain),
    fundFloor: str(input.fundFloor),
    margins: str(input.margins),
    mark: strs(input.mark),
    fundingIndex: input.fundingIndex.map(signedStr),
    ...transpose(input.slots),
  };
}

/**
 * One slot of LiquidateBatch(L, A, D, M): the liquidated account's leaf, and the liquidator
 * taking some of its positions (takerEnabled 0: none, the taker fields are padding).
 */
export interface LiquidationSlotInput extends LeafSlotFields {
  readonly enabled: bigint;
  readonly account: bigint;
  readonly takerEnabled: bigint;
  readonly taker: bigint;
  /** The taker's leaf in the tree after this slot's account is written. */
  readonly takerAx: bigint;
  readonly takerAy: bigint;
  readonly takerBalance: bigint;
  readonly takerWord: readonly bigint[];
  readonly takerNotional: readonly bigint[];
  readonly takerSiblings: readonly (readonly bigint[])[];
  /** The taker's signed offer (domain/offer.ts): nonce, terms (offerTermWord), signature. */
  readonly offerNonce: bigint;
  readonly offerTerm: readonly bigint[];
  readonly offerSigR8x: bigint;
  readonly offerSigR8y: bigint;
  readonly offerSigS: bigint;
  /** One bit per market: the taker takes that position (0 without a taker). */
  readonly take: readonly bigint[];
}

export interface LiquidateBatchInput {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly dataCommitment: bigint;
  readonly priceConfigHash: bigint;
  readonly marketParam: readonly bigint[];
  readonly domain: bigint;
  /** The insurance fund's floor (MarketBinding): bound through priceConfigHash. */
  readonly fundFloor: bigint;
  /** The round\'s margin multipliers, packed (PriceOracle.roundMarginsWord; MarketBinding binds them). */
  readonly margins: bigint;
  readonly mark: readonly bigint[];
  /** The markets' funding indices at the batch's round (signed; MarketBinding binds them). */
  readonly fundingIndex: readonly bigint[];
  readonly slots: readonly LiquidationSlotInput[];
  readonly fund: LeafWitness;
  /** The fund owner's compartment move the batch carries (all 0 without one). */
  readonly move: CompartmentMoveInput;
  /** The batch's deleveraging (enabled 0 without one). */
  readonly adl: DeleverageInput;
}

/** CompartmentMove(M)'s inputs: market is one-hot (all 0 without a move). */
export interface CompartmentMoveInput {
  readonly enabled: bigint;
  readonly market: readonly bigint[];
  readonly amount: bigint;
  readonly toReserve: bigint;
  readonly sigR8x: bigint;
  readonly sigR8y: bigint;
  readonly sigS: bigint;
}

export const LIQUIDATE_BATCH_PUBLIC = [
  "oldRoot",
  "newRoot",
  "dataCommitment",
  "priceConfigHash",
] as const;

export function toLiquidateBatchSignals(input: LiquidateBatchInput): Record<string, SignalValue> {
  return {
    oldRoot: str(input.oldRoot),
    newRoot: str(input.newRoot),
    dataCommitment: str(input.dataCommitment),
    priceConfigHash: str(input.priceConfigHash),
    marketParam: strs(input.marketParam),
    domain: str(input.domain),
    fundFloor: str(input.fundFloor),
    margins: str(input.margins),
    mark: strs(input.mark),
    fundingIndex: input.fundingIndex.map(signedStr),
    ...transpose(input.slots),
    fundAx: str(input.fund.ax),
    fundAy: str(input.fund.ay),
    fundBalance: str(input.fund.balance),
    fundWord: strs(input.fund.word),
    fundNotional: strs(input.fund.notional),
    fundSiblings: input.fund.siblings.map(strs),
    moveEnabled: str(input.move.enabled),
    moveMarket: strs(input.move.market),
    moveAmount: str(input.move.amount),
    moveToReserve: str(input.move.toReserve),
    moveSigR8x: str(input.move.sigR8x),
    moveSigR8y: str(input.move.sigR8y),
    moveSigS: str(input.move.sigS),
    ...toDeleverageSignals(input.adl),
  };
}

/** One request slot of AnswerForced(F, D, M): the queued request and its account's leaf. */
export interface ForcedSlotInput extends LeafSlotFields {
  readonly enabled: bigint;
  readonly account: bigint;
  readonly amount: bigint;
  readonly recipient: bigint;
  readonly sigR8x: bigint;
  readonly sigR8y: bigint;
  readonly sigS: bigint;
}

export interface AnswerForcedInput {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly priceConfigHash: bigint;
  readonly queueFrom: bigint;
  readonly queueTo: bigint;
  /** sum outcome[i] * 8^i (engine/forced.ts, FORCED_OUTCOMES). */
  readonly outcomes: bigint;
  readonly payout: readonly bigint[];
  readonly marketParam: readonly bigint[];
  readonly domain: bigint;
  /** The insurance fund's floor (MarketBinding): bound through priceConfigHash. */
  readonly fundFloor: bigint;
  /** The round\'s margin multipliers, packed (PriceOracle.roundMarginsWord; MarketBinding binds them). */
  readonly margins: bigint;
  readonly mark: readonly bigint[];
  /** The markets' funding indices at the batch's round (signed; MarketBinding binds them). */
  readonly fundingIndex: readonly bigint[];
  readonly slots: readonly ForcedSlotInput[];
}

export const ANSWER_FORCED_PUBLIC = [
  "oldRoot",
  "newRoot",
  "priceConfigHash",
  "queueFrom",
  "queueTo",
  "outcomes",
  "payout",
] as const;

export function answerForcedPublicSignals(input: AnswerForcedInput): bigint[] {
  return [
    input.oldRoot,
    input.newRoot,
    input.priceConfigHash,
    input.queueFrom,
    input.queueTo,
    input.outcomes,
    ...input.payout,
  ];
}

export function toAnswerForcedSignals(input: AnswerForcedInput): Record<string, SignalValue> {
  return {
    oldRoot: str(input.oldRoot),
    newRoot: str(input.newRoot),
    priceConfigHash: str(input.priceConfigHash),
    queueFrom: str(input.queueFrom),
    queueTo: str(input.queueTo),
    outcomes: str(input.outcomes),
    payout: strs(input.payout),
    marketParam: strs(input.marketParam),
    domain: str(input.domain),
    fundFloor: str(input.fundFloor),
    margins: str(input.margins),
    mark: strs(input.mark),
    fundingIndex: input.fundingIndex.map(signedStr),
    ...transpose(input.slots),
  };
}

/** The input of ExitAccount(D, M): one account's leaf, path and exit signature. */
export interface ExitAccountInput extends LeafSlotFields {
  readonly root: bigint;
  readonly priceConfigHash: bigint;
  readonly account: bigint;
  readonly recipient: bigint;
  readonly payout: bigint;
  /**
   * 0: the leaf's key signs; else Poseidon(signerX, signerY), the pending governed owner key
   * that signs a system account's exit (Vault.exitSigner; accounts 1 and 2 only).
   */
  readonly signer: bigint;
  readonly marketParam: readonly bigint[];
  readonly domain: bigint;
  /** The insurance fund's floor (MarketBinding): bound through priceConfigHash. */
  readonly fundFloor: bigint;
  /** The round\'s margin multipliers, packed (PriceOracle.roundMarginsWord; MarketBinding binds them). */
  readonly margins: bigint;
  readonly mark: readonly bigint[];
  /** The markets' funding indices at the batch's round (signed; MarketBinding binds them). */
  readonly fundingIndex: readonly bigint[];
  readonly sigR8x: bigint;
  readonly sigR8y: bigint;
  readonly sigS: bigint;
  /** The signing key when signer != 0 (0, 0 when the leaf's key signs). */
  readonly signerX: bigint;
  readonly signerY: bigint;
}

export const EXIT_ACCOUNT_PUBLIC = [
  "root",
  "priceConfigHash",
  "account",
  "recipient",
  "payout",
  "signer",
] as const;

export function exitAccountPublicSignals(input: ExitAccountInput): bigint[] {
  return EXIT_ACCOUNT_PUBLIC.map((k) => input[k]);
}

export function toExitAccountSignals(input: ExitAccountInput): Record<string, SignalValue> {
  return {
    root: str(input.root),
    priceConfigHash: str(input.priceConfigHash),
    account: str(input.account),
    recipient: str(input.recipient),
    payout: str(input.payout),
    signer: str(input.signer),
    marketParam: strs(input.marketParam),
    domain: str(input.domain),
    fundFloor: str(input.fundFloor),
    margins: str(input.margins),
    mark: strs(input.mark),
    fundingIndex: input.fundingIndex.map(signedStr),
    leafAx: str(input.leafAx),
    leafAy: str(input.leafAy),
    leafBalance: str(input.leafBalance),
    leafWord: strs(input.leafWord),
    leafNotional: strs(input.leafNotional),
    siblings: input.siblings.map(strs),
    sigR8x: str(input.sigR8x),
    sigR8y: str(input.sigR8y),
    sigS: str(input.sigS),
    signerX: str(input.signerX),
    signerY: str(input.signerY),
  };
}
