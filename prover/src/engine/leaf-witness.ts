import { circuitSiblings, emptyCircuitSiblings } from "../domain/tree.ts";
import { SIZE_BITS } from "../domain/constants.ts";
import { pow2 } from "../domain/amounts.ts";
import { leafPreimage } from "../domain/account.ts";
import type { LeafSlotFields, LeafWitness } from "../domain/inputs.ts";
import type { ExchangeState } from "./state.ts";

/** The leaf witness of an account (or zeros for an empty leaf) before it changes. */
export function leafWitness(state: ExchangeState, index: bigint) {
  const m = state.marketCount;
  const pre = state.hasAccount(index)
    ? leafPreimage(state.getAccount(index))
    : Array<bigint>(3 + 2 * m).fill(0n);
  return {
    leafAx: pre[0],
    leafAy: pre[1],
    leafBalance: pre[2],
    leafWord: Array.from({ length: m }, (_, j) => pre[3 + 2 * j]),
    leafNotional: Array.from({ length: m }, (_, j) => pre[4 + 2 * j]),
    siblings: circuitSiblings(state.tree.proof(index).siblings),
  };
}

/** The leaf fields of a padding slot: an all-empty leaf with zero siblings. */
export function emptyLeafWitness(state: ExchangeState): LeafSlotFields {
  const m = state.marketCount;
  return {
    leafAx: 0n,
    leafAy: 0n,
    leafBalance: 0n,
    leafWord: Array<bigint>(m).fill(pow2(SIZE_BITS)),
    leafNotional: Array<bigint>(m).fill(0n),
    siblings: emptyCircuitSiblings(state.depth),
  };
}

/** A leaf witness in the circuits' plain names (ax, ay, balance, word, notional, siblings). */
export function plainLeaf(w: LeafSlotFields): LeafWitness {
  return {
    ax: w.leafAx,
    ay: w.leafAy,
    balance: w.leafBalance,
    word: w.leafWord,
    notional: w.leafNotional,
    siblings: w.siblings,
  };
}
