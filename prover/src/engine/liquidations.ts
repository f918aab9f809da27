import { ZkClearError } from "../domain/errors.ts";
import { circuitSiblings } from "../domain/tree.ts";
import {
  BPS_DENOMINATOR,
  COLLATERAL_BITS,
  INSURANCE_ACCOUNT,
  FIRST_USER_ACCOUNT,
  SIZE_BITS,
  NOTIONAL_BITS,
} from "../domain/constants.ts";
import { abs, fitsSigned } from "../domain/amounts.ts";
import { leafPreimage, type Account, type Position } from "../domain/account.ts";
import { equity, scaledRequirement } from "../domain/margin.ts";
import { packMarketParams, priceConfigHash, type MarketParams } from "../domain/market.ts";
import { liquidationCommitment } from "../domain/batch.ts";
import { settleFunding, zeroIndices } from "../domain/funding.ts";
import type { ExchangeState } from "./state.ts";
import { emptyLeafWitness, leafWitness } from "./transfers.ts";
import type { LiquidateBatchInput, LiquidationSlotInput } from "../domain/inputs.ts";

export type LiquidationErrorCode =
  | "BATCH_TOO_LARGE"
  | "LIQUIDATE_SYSTEM_ACCOUNT"
  | "ACCOUNT_NOT_FOUND"
  | "LIQUIDATE_HEALTHY"
  | "FUND_INSUFFICIENT"
  | "FUND_POSITION_OUT_OF_RANGE";

export class LiquidationError extends ZkClearError {
  constructor(code: LiquidationErrorCode, message: string) {
    super(code, message);
  }
}

/** Whether an account is below maintenance (strictly) at `marks`: liquidatable. */
export function isLiquidatable(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
): boolean {
  return BPS_DENOMINATOR * equity(a, marks) < scaledRequirement(a, marks, markets, "maintenance");
}

/** The liquidation penalty: floor(sum_j |size_j| * mark_j * penaltyBps_j / 10^4). */
export function liquidationPenalty(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
): bigint {
  let base = 0n;
  a.positions.forEach((p, j) => {
    base += abs(p.size) * marks[j] * markets[j].liquidationPenaltyBps;
  });
  return base / BPS_DENOMINATOR;
}

export interface LiquidationResult {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly dataCommitment: bigint;
  readonly priceConfigHash: bigint;
  /** What the insurance fund gained (negative: paid) in collateral, funding aside. */
  readonly fundDelta: bigint;
  /** Funding settled by each liquidated account and the fund, by account (quote units). */
  readonly funding: ReadonlyMap<bigint, bigint>;
  readonly input: LiquidateBatchInput;
}

/**
 * Liquidates accounts below maintenance: the twin of LiquidateBatch. Each account (and
 * the fund) first settles its accrued funding at `indices`, so whether it is below
 * maintenance is judged after funding. Each account's positions move to the insurance fund at the mark price, it keeps max(equity - penalty,
 * 0) and the fund takes the rest (or covers the shortfall). All-or-nothing.
 */
export function liquidate(
  state: ExchangeState,
  accounts: readonly bigint[],
  marks: readonly bigint[],
  batchSize: number,
  opts: { unchecked?: boolean } = {},
  indices: readonly bigint[] = zeroIndices(marks.length),
): LiquidationResult {
  const checked = !opts.unchecked;
  if (accounts.length > batchSize) {
    throw new LiquidationError(
      "BATCH_TOO_LARGE",
      `${accounts.length} liquidations do not fit a batch of ${batchSize}`,
    );
  }
  const markets = state.markets;
  const binding = priceConfigHash(state, marks, indices);
  const oldRoot = state.root;
  const funding = new Map<bigint, bigint>();
  const undo: [bigint, Account][] = [];
  const write = (i: bigint, a: Account) => {
    undo.push([i, state.getAccount(i)]);
    state.setAccount(i, a);
  };
  try {
    const slots: LiquidationSlotInput[] = [];
    let fundDelta = 0n;
    const moved = markets.map(() => ({ size: 0n, notional: 0n }));
    for (const index of accounts) {
      if (index < FIRST_USER_ACCOUNT)
        throw new LiquidationError(
          "LIQUIDATE_SYSTEM_ACCOUNT",
          `account ${index} is a system account`,
        );
      if (!state.hasAccount(index))
        throw new LiquidationError("ACCOUNT_NOT_FOUND", `account ${index} does not exist`);
      const settled = settleFunding(state.getAccount(index), indices);
      const a = settled.account;
      if (settled.owed !== 0n) funding.set(index, settled.payment);
      if (checked && !isLiquidatable(a, marks, markets)) {
        throw new LiquidationError(
          "LIQUIDATE_HEALTHY",
          `account ${index} meets its maintenance requirement at these prices`,
        );
      }
      const e = equity(a, marks);
      const kept =
        e - liquidationPenalty(a, marks, markets) > 0n
          ? e - liquidationPenalty(a, marks, markets)
          : 0n;
      fundDelta += e - kept;
      a.positions.forEach((p, j) => {
        moved[j].size += p.size;
        moved[j].notional += p.size * marks[j];
      });
      slots.push({ enabled: 1n, account: index, ...leafWitness(state, index) });
      const positions: Position[] = a.positions.map((p) => ({ ...p, size: 0n, notional: 0n }));
      write(index, { ...a, collateral: kept, positions });
    }
    const commitment = liquidationCommitment(accounts);
    const storedFund = state.getAccount(INSURANCE_ACCOUNT);
    const fundProof = state.tree.proof(INSURANCE_ACCOUNT);
    const pre = leafPreimage(storedFund);
    const fundSettled = settleFunding(storedFund, indices);
    const fund = fundSettled.account;
    if (fundSettled.owed !== 0n) funding.set(INSURANCE_ACCOUNT, fundSettled.payment);
    const newFund: Account = {
      ...fund,
      collateral: fund.collateral + fundDelta,
      positions: fund.positions.map((p, j) => ({
        ...p,
        size: p.size + moved[j].size,
        notional: p.notional + moved[j].notional,
      })),
    };
    if (checked && (newFund.collateral < 0n || !fitsSigned(newFund.collateral, COLLATERAL_BITS))) {
      throw new LiquidationError(
        "FUND_INSUFFICIENT",
        `the insurance fund would end at ${newFund.collateral}: the batch is invalid`,
      );
    }
    if (
      newFund.positions.some(
        (p) => !fitsSigned(p.size, SIZE_BITS) || !fitsSigned(p.notional, NOTIONAL_BITS),
      )
    ) {
      throw new LiquidationError(
        "FUND_POSITION_OUT_OF_RANGE",
        "the insurance fund's position would overflow",
      );
    }
    // unchecked (adversarial tests only): write what a dishonest operator would
    if (checked) write(INSURANCE_ACCOUNT, newFund);
    else {
      undo.push([INSURANCE_ACCOUNT, storedFund]);
      state.setAccount(INSURANCE_ACCOUNT, newFund, false);
    }
    const m = markets.length;
    const input: LiquidateBatchInput = {
      oldRoot,
      newRoot: state.root,
      dataCommitment: commitment,
      priceConfigHash: binding,
      marketParam: markets.map(packMarketParams),
      domain: state.domain,
      fundFloor: state.fundFloor,
      mark: [...marks],
      fundingIndex: [...indices],
      slots: [
        ...slots,
        ...Array.from({ length: batchSize - slots.length }, () => ({
          enabled: 0n,
          account: 0n,
          ...emptyLeafWitness(state),
        })),
      ],
      fund: {
        ax: pre[0],
        ay: pre[1],
        balance: pre[2],
        word: Array.from({ length: m }, (_, j) => pre[3 + 2 * j]),
        notional: Array.from({ length: m }, (_, j) => pre[4 + 2 * j]),
        siblings: circuitSiblings(fundProof.siblings),
      },
    };
    return {
      oldRoot,
      newRoot: state.root,
      dataCommitment: commitment,
      priceConfigHash: binding,
      fundDelta,
      funding,
      input,
    };
  } catch (e) {
    for (const [i, a] of undo.reverse()) state.setAccount(i, a);
    throw e;
  }
}
