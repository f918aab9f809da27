import type { ParamSet } from "../../domain/params.ts";
import { compileProbe } from "../../proving/build.ts";

/**
 * Where a trade's constraints go: each building block of SettleTrades compiled on its
 * own (circom2 --O2) at the parameter set's depth and markets, and the batch circuit at
 * B = 1 and B = 2, whose difference is the marginal cost of one trade.
 */
export interface TradeBudget {
  readonly depth: number;
  readonly markets: number;
  /** SettleTrades(1, D, M) and SettleTrades(2, D, M). */
  readonly batchOf1: number;
  readonly batchOf2: number;
  /** batchOf2 - batchOf1: what one more trade costs. */
  readonly perTrade: number;
  /** batchOf1 - perTrade: paid once per batch (price binding, the fee account's update). */
  readonly perBatch: number;
  /** Constraints of each block on its own. */
  readonly blocks: {
    readonly signature: number;
    readonly leafUpdate: number;
    readonly leafHash: number;
    readonly leafUnpack: number;
    readonly margin: number;
    readonly buySide: number;
    readonly sellSide: number;
    readonly commitmentHash: number;
    readonly marketBinding: number;
  };
  /** The per-trade cost split into the blocks (sums to perTrade). */
  readonly rows: readonly { readonly item: string; readonly constraints: number }[];
}

export async function measureTradeBudget(
  p: ParamSet,
  log: (s: string) => void,
): Promise<TradeBudget> {
  const D = p.depth;
  const M = p.markets;
  const probe = async (name: string, source: string, expr: string) => {
    const r = await compileProbe(name, source, expr);
    log(`budget: ${expr} = ${r.constraints} constraints`);
    return r.constraints;
  };
  const blocks = {
    signature: await probe("signature", "order.circom", "OrderSignature()"),
    leafUpdate: await probe("leaf_update", "merkle.circom", `LeafUpdate(${D})`),
    leafHash: await probe("leaf_hash", "account-leaf.circom", `LeafHash(${M})`),
    leafUnpack: await probe("leaf_unpack", "account-leaf.circom", `AccountLeafUnpack(${M})`),
    margin: await probe("margin", "margin.circom", `MarginRequirement(${M})`),
    buySide: await probe("buy_side", "trade.circom", `TradeSide(0, ${D}, ${M})`),
    sellSide: await probe("sell_side", "trade.circom", `TradeSide(1, ${D}, ${M})`),
    commitmentHash: await probe("commitment_hash", "sparse-poseidon.circom", "SparsePoseidon(4)"),
    marketBinding: await probe("market_binding", "market-binding.circom", `MarketBinding(${M})`),
  };
  const batchOf1 = await probe("batch_1", "settle-trades.circom", `SettleTrades(1, ${D}, ${M})`);
  const batchOf2 = await probe("batch_2", "settle-trades.circom", `SettleTrades(2, ${D}, ${M})`);
  const perTrade = batchOf2 - batchOf1;
  const b = blocks;
  const sides = b.buySide + b.sellSide;
  const rules = sides - 2 * (b.signature + b.leafUpdate + 2 * b.leafHash + b.leafUnpack + b.margin);
  const rows = [
    { item: "2 order signatures (EdDSA-Poseidon)", constraints: 2 * b.signature },
    { item: "4 Merkle paths (old and new root of 2 leaves)", constraints: 2 * b.leafUpdate },
    { item: "4 account-leaf hashes", constraints: 4 * b.leafHash },
    { item: "2 leaf reads, every field range-checked", constraints: 2 * b.leafUnpack },
    { item: "2 margin checks", constraints: 2 * b.margin },
    {
      item: "order rules, fill, fee, new position (both sides)",
      constraints: rules,
    },
    {
      item: "the trade itself: market, quantity, price, rates, commitment",
      constraints: perTrade - sides,
    },
  ];
  return {
    depth: D,
    markets: M,
    batchOf1,
    batchOf2,
    perTrade,
    perBatch: batchOf1 - perTrade,
    blocks,
    rows,
  };
}
