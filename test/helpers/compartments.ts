import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import type { MarketParams } from "../../prover/src/domain/market.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";

/** A market whose only parameter that matters to the compartment rules is its penalty. */
export const penaltyMarket = (penaltyBps: bigint): MarketParams => ({
  symbol: "X",
  initialMarginBps: 1000n,
  maintenanceMarginBps: 500n,
  makerFeeBps: 0n,
  takerFeeBps: 0n,
  liquidationPenaltyBps: penaltyBps,
});

/**
 * Gives the insurance fund `compartments[j]` in market j's compartment (a flat position's
 * notional of -C_j) and `reserve` in collateral.
 */
export function fundWithCompartments(
  s: ExchangeState,
  compartments: readonly bigint[],
  reserve = 1_000_000n,
): void {
  const fund = s.getAccount(INSURANCE_ACCOUNT);
  s.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    collateral: reserve,
    positions: fund.positions.map((p, j) => ({ ...p, notional: -compartments[j] })),
  });
}
