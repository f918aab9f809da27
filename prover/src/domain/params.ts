import { ZkClearError } from "./errors.ts";

/**
 * Circuit parameter sets: the one table the build, the tests, the demo and the
 * benchmarks read.
 * - depth D: binary depth of the account tree (2^D accounts; the tree is 4-ary, D/2 levels)
 * - batch B: trade slots per SettleTrades proof
 * - markets M: markets per account leaf
 * - deposits K: deposit slots per ApplyDeposits proof
 * - withdrawals W: withdrawal slots per ProcessWithdrawals proof
 * - liquidations L: liquidation slots per LiquidateBatch proof
 */
export interface ParamSet {
  readonly name: string;
  readonly depth: number;
  readonly batch: number;
  readonly markets: number;
  readonly deposits: number;
  readonly withdrawals: number;
  readonly liquidations: number;
}

export const PARAM_SETS = {
  test: {
    name: "test",
    depth: 8,
    batch: 2,
    markets: 2,
    deposits: 2,
    withdrawals: 2,
    liquidations: 2,
  },
  demo: {
    name: "demo",
    depth: 16,
    batch: 4,
    markets: 2,
    deposits: 4,
    withdrawals: 2,
    liquidations: 2,
  },
  bench: {
    name: "bench",
    depth: 24,
    batch: 16,
    markets: 4,
    deposits: 16,
    withdrawals: 4,
    liquidations: 8,
  },
} as const satisfies Record<string, ParamSet & { name: string }>;

export type ParamSetName = keyof typeof PARAM_SETS;

export class ParamSetError extends ZkClearError {}

export function paramSet(name: string): ParamSet {
  if (!(name in PARAM_SETS)) {
    throw new ParamSetError(
      "UNKNOWN_PARAM_SET",
      `unknown parameter set "${name}"; choose one of ${Object.keys(PARAM_SETS).join(", ")}`,
    );
  }
  return PARAM_SETS[name as ParamSetName];
}
