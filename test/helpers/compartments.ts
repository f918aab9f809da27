import type { MarketParams } from "../../prover/src/domain/market.ts";

/** A market whose only parameter that matters to the compartment rules is its penalty. */
export const penaltyMarket = (penaltyBps: bigint): MarketParams => ({
  symbol: "X",
  initialMarginBps: 1000n,
  maintenanceMarginBps: 500n,
  makerFeeBps: 0n,
  takerFeeBps: 0n,
  liquidationPenaltyBps: penaltyBps,
});
