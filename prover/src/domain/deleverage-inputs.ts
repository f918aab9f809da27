import type { LeafWitness, SignalValue } from "./inputs.ts";

/**
 * LiquidateBatch's deleveraging inputs (Deleverage(A, D, M) in
 * circuits/src/auto-deleverage.circom): the deleveraged markets (one bit each), and A
 * entries, the enabled ones first, each with its market (one-hot) and its account's leaf
 * at the root the previous entry left.
 */
export interface DeleverageEntryInput extends LeafWitness {
  readonly enabled: bigint;
  readonly market: readonly bigint[];
  readonly account: bigint;
}

export interface DeleverageInput {
  readonly market: readonly bigint[];
  readonly entries: readonly DeleverageEntryInput[];
}

const strs = (xs: readonly bigint[]): string[] => xs.map(String);

/** The `adl*` signals of LiquidateBatch. */
export function toDeleverageSignals(d: DeleverageInput): Record<string, SignalValue> {
  const field = (f: (e: DeleverageEntryInput) => bigint) => d.entries.map((e) => String(f(e)));
  return {
    adlMarket: strs(d.market),
    adlEntryEnabled: field((e) => e.enabled),
    adlEntryMarket: d.entries.map((e) => strs(e.market)),
    adlAccount: field((e) => e.account),
    adlAx: field((e) => e.ax),
    adlAy: field((e) => e.ay),
    adlBalance: field((e) => e.balance),
    adlWord: d.entries.map((e) => strs(e.word)),
    adlNotional: d.entries.map((e) => strs(e.notional)),
    adlSiblings: d.entries.map((e) => e.siblings.map(strs)),
  };
}
