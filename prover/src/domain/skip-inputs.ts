import type { LeafWitness, LiquidateBatchInput, SignalValue } from "./inputs.ts";
import { encodeSigned } from "./amounts.ts";

/** The liquidation batch's commitment and price binding, as its own input has them. */
export type SkipBatchBinding = Pick<
  LiquidateBatchInput,
  | "dataCommitment"
  | "priceConfigHash"
  | "marketParam"
  | "domain"
  | "fundFloor"
  | "margins"
  | "mark"
  | "fundingIndex"
>;

/**
 * The input of SkippedDeleverage(A, D, M) (circuits/src/skip-deleverage.circom): a skip
 * proof that a liquidation batch's deleveraging left out `account` in `market`. The leaf
 * is the account's on the root the market's entries started from (its head's `root`).
 */
export interface SkippedDeleverageInput extends LeafWitness, SkipBatchBinding {
  readonly account: bigint;
  readonly market: bigint;
  /** The batch's chain before its deleveraging (its slots' and move's). */
  readonly chainIn: bigint;
  /** M heads, one per market (enabled 0: not deleveraged). */
  readonly heads: readonly SkipHead[];
  /** A entries, the published ones first (enabled 0: padding). */
  readonly entries: readonly SkipEntry[];
}

export interface SkipHead {
  readonly enabled: bigint;
  readonly lots: bigint;
  readonly long: bigint;
  readonly price: bigint;
  readonly root: bigint;
}

export interface SkipEntry {
  readonly enabled: bigint;
  /** One-hot, all 0 for padding. */
  readonly market: readonly bigint[];
  readonly account: bigint;
  readonly lots: bigint;
  /** Signed. */
  readonly score: bigint;
}

/** The public inputs, in order (Settlement's skip verifier takes them so). */
export const SKIPPED_DELEVERAGE_PUBLIC = [
  "dataCommitment",
  "priceConfigHash",
  "account",
  "market",
] as const;

export function skippedDeleveragePublicSignals(input: SkippedDeleverageInput): bigint[] {
  return SKIPPED_DELEVERAGE_PUBLIC.map((k) => input[k]);
}

const strs = (xs: readonly bigint[]): string[] => xs.map(String);
const signed = (xs: readonly bigint[]): string[] => xs.map((x) => String(encodeSigned(x)));

export function toSkippedDeleverageSignals(
  input: SkippedDeleverageInput,
): Record<string, SignalValue> {
  const heads = <K extends keyof SkipHead>(k: K) => input.heads.map((h) => String(h[k]));
  return {
    dataCommitment: String(input.dataCommitment),
    priceConfigHash: String(input.priceConfigHash),
    account: String(input.account),
    market: String(input.market),
    marketParam: strs(input.marketParam),
    domain: String(input.domain),
    fundFloor: String(input.fundFloor),
    margins: String(input.margins),
    mark: strs(input.mark),
    fundingIndex: signed(input.fundingIndex),
    chainIn: String(input.chainIn),
    headEnabled: heads("enabled"),
    headLots: heads("lots"),
    headLong: heads("long"),
    headPrice: heads("price"),
    headRoot: heads("root"),
    entryEnabled: input.entries.map((e) => String(e.enabled)),
    entryMarket: input.entries.map((e) => strs(e.market)),
    entryAccount: input.entries.map((e) => String(e.account)),
    entryLots: input.entries.map((e) => String(e.lots)),
    entryScore: signed(input.entries.map((e) => e.score)),
    ax: String(input.ax),
    ay: String(input.ay),
    balance: String(input.balance),
    word: strs(input.word),
    notional: strs(input.notional),
    siblings: input.siblings.map(strs),
  };
}
