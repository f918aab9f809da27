/**
 * The input shape of SettleTrades(B, D, M), defined once: the engine fills it, the
 * prover serialises it (toSettleTradesSignals), the tests and the CLI reuse it.
 */
export interface LeafWitness {
  readonly ax: bigint;
  readonly ay: bigint;
  /** The packed balance word: (collateral + 2^128) | withdrawNonce << 129. */
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
  readonly priceConfigHash: bigint;
  readonly marketParam: readonly bigint[];
  readonly mark: readonly bigint[];
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
  "priceConfigHash",
] as const;

export function settleTradesPublicSignals(input: SettleTradesInput): bigint[] {
  return SETTLE_TRADES_PUBLIC.map((k) => input[k]);
}

const str = (x: bigint): string => x.toString();
const strs = (xs: readonly bigint[]): string[] => xs.map(str);

/** Serialises the input into the signal names of SettleTrades. */
export function toSettleTradesSignals(input: SettleTradesInput): Record<string, SignalValue> {
  const slots = input.slots;
  const perSide = (f: (s: TradeSlotSide) => SignalValue): SignalValue[] =>
    slots.map((slot) => slot.sides.map(f));
  return {
    oldRoot: str(input.oldRoot),
    newRoot: str(input.newRoot),
    dataCommitment: str(input.dataCommitment),
    priceConfigHash: str(input.priceConfigHash),
    marketParam: strs(input.marketParam),
    mark: strs(input.mark),
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
