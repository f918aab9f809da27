import { ZkClearError, type CodeOf } from "./errors.ts";

/**
 * Circuit parameter sets: the one table the build, the tests, the demo and the
 * benchmarks read.
 * - depth D: binary depth of the account tree (2^D accounts; 8-ary levels, see treeShape)
 * - batch B: trade slots per SettleTrades proof
 * - markets M: markets per account leaf
 * - deposits K: deposit slots per ApplyDeposits proof
 * - withdrawals W: withdrawal slots per ProcessWithdrawals proof
 * - liquidations L: liquidation slots per LiquidateBatch proof
 * - deleverages A: ranked entries one LiquidateBatch proof may deleverage
 */
export interface ParamSet {
  readonly name: string;
  readonly depth: number;
  readonly batch: number;
  readonly markets: number;
  readonly deposits: number;
  readonly withdrawals: number;
  readonly liquidations: number;
  readonly deleverages: number;
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
    deleverages: 2,
  },
  demo: {
    name: "demo",
    depth: 16,
    batch: 4,
    markets: 2,
    deposits: 4,
    withdrawals: 2,
    liquidations: 2,
    deleverages: 2,
  },
  bench: {
    name: "bench",
    depth: 24,
    batch: 16,
    markets: 4,
    deposits: 16,
    withdrawals: 4,
    liquidations: 8,
    deleverages: 4,
  },
} as const satisfies Record<string, ParamSet & { name: string }>;

export type ParamSetName = keyof typeof PARAM_SETS;

export class ParamSetError extends ZkClearError<CodeOf<"value">> {}

/** Largest trade batch a derived parameter set may ask for. */
export const MAX_DERIVED_BATCH = 256;

/**
 * A parameter set by name: one of PARAM_SETS, or a derived set `<set>-b<B>`, which is
 * `<set>` with B trade slots per SettleTrades proof (the benchmarks sweep B this way;
 * its other circuits are the base set's, and share their builds and keys).
 */
export function paramSet(name: string): ParamSet {
  if (name in PARAM_SETS) return PARAM_SETS[name as ParamSetName];
  const derived = /^([a-z]+)-b(\d+)$/.exec(name);
  if (derived && derived[1] in PARAM_SETS) {
    const batch = Number(derived[2]);
    if (!Number.isSafeInteger(batch) || batch < 1 || batch > MAX_DERIVED_BATCH) {
      throw new ParamSetError(
        "UNKNOWN_PARAM_SET",
        `parameter set "${name}": the trade batch must be 1..${MAX_DERIVED_BATCH}, got ${derived[2]}`,
      );
    }
    return withBatch(PARAM_SETS[derived[1] as ParamSetName], batch);
  }
  throw new ParamSetError(
    "UNKNOWN_PARAM_SET",
    `unknown parameter set "${name}"; choose one of ${Object.keys(PARAM_SETS).join(", ")}, ` +
      `or <set>-b<B> for a set with B trade slots`,
  );
}

/** `base` with `batch` trade slots, named `<base>-b<batch>` (the base itself when equal). */
export function withBatch(base: ParamSet, batch: number): ParamSet {
  if (batch === base.batch && base.name in PARAM_SETS) return base;
  const root = base.name.replace(/-b\d+$/, "");
  return { ...base, name: `${root}-b${batch}`, batch };
}
