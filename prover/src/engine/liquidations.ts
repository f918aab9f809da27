import { ZkClearError } from "../domain/errors.ts";
import { circuitSiblings } from "../domain/tree.ts";
import {
  BPS_DENOMINATOR,
  INSURANCE_ACCOUNT,
  FIRST_USER_ACCOUNT,
  SIZE_BITS,
  NOTIONAL_BITS,
} from "../domain/constants.ts";
import { fitsSigned } from "../domain/amounts.ts";
import { leafPreimage, type Account, type Position } from "../domain/account.ts";
import { equity, scaledRequirement } from "../domain/margin.ts";
import { packMarketParams, priceConfigHash, type MarketParams } from "../domain/market.ts";
import { marginsWord, oneX, scaledMarkets, type RoundMargins } from "../domain/volatility.ts";
import { liquidationCommitment } from "../domain/batch.ts";
import { settleFunding, settleFundingByMarket, zeroIndices } from "../domain/funding.ts";
import {
  attributeLiquidation,
  compartmentValues,
  penaltiesByMarket,
} from "../domain/compartments.ts";
import { deleverageCommitment, type Deleveraging } from "../domain/deleveraging.ts";
import { PARAM_SETS } from "../domain/params.ts";
import { deleveragedMarkets, deleverageFund, type ForgedDeleverage } from "./deleverage.ts";
import type { ExchangeState } from "./state.ts";
import { emptyLeafWitness, leafWitness } from "./leaf-witness.ts";
import type {
  CompartmentMoveInput,
  LiquidateBatchInput,
  LiquidationSlotInput,
} from "../domain/inputs.ts";
import {
  applyCompartmentMove,
  checkMoveOutAfterBatch,
  CompartmentMoveError,
  verifyCompartmentMove,
  type SignedCompartmentMove,
} from "../domain/compartment-moves.ts";
import {
  checkTaker,
  liquidatorShares,
  noTakerFields,
  takeOver,
  type LiquidationRequest,
  type LiquidationTaken,
  type LiquidationTakerRequest,
} from "./liquidators.ts";

export {
  liquidationRequests,
  liquidatorShare,
  liquidatorShares,
  takePositions,
  LiquidatorError,
  type LiquidationRequest,
  type LiquidationTaken,
  type LiquidationTakerRequest,
} from "./liquidators.ts";

export type LiquidationErrorCode =
  | "BATCH_TOO_LARGE"
  | "LIQUIDATE_SYSTEM_ACCOUNT"
  | "ACCOUNT_NOT_FOUND"
  | "LIQUIDATE_HEALTHY"
  | "FUND_POSITION_OUT_OF_RANGE";

export class LiquidationError extends ZkClearError {
  /** The liquidated account the refusal is about, when it is about one. */
  readonly account?: bigint;
  constructor(code: LiquidationErrorCode, message: string, account?: bigint) {
    super(code, message);
    if (account !== undefined) this.account = account;
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

/**
 * The liquidation penalty: sum_j floor(|size_j| * mark_j * penaltyBps_j / 10^4), each
 * market's penalty rounded on its own since it goes to that market's compartment.
 */
export function liquidationPenalty(
  a: Account,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
): bigint {
  return penaltiesByMarket(a, marks, markets).reduce((s, p) => s + p, 0n);
}

export interface LiquidationResult {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly dataCommitment: bigint;
  readonly priceConfigHash: bigint;
  /**
   * Each liquidation's charges, by market: what the fund's compartment j gained (negative:
   * paid) from it (attributeLiquidation), in the order of the requests.
   */
  readonly charges: readonly (readonly bigint[])[];
  /** The fund's compartments at the marks, after its funding and before the batch. */
  readonly compartmentsBefore: readonly bigint[];
  /** The fund's compartments at the marks after the batch. */
  readonly compartmentsAfter: readonly bigint[];
  /** The batch's deleveraging, market by market (empty: none), as its batch file has it. */
  readonly deleveraged: readonly Deleveraging[];
  /**
   * Funding settled by each liquidated account, each liquidator and the fund, by account
   * (quote units).
   */
  readonly funding: ReadonlyMap<bigint, bigint>;
  /** What each liquidator took, in the order of the liquidations that had one. */
  readonly takers: readonly LiquidationTaken[];
  readonly input: LiquidateBatchInput;
}

/**
 * Liquidates accounts below maintenance: the twin of LiquidateBatch. Each account (and
 * the fund) first settles its accrued funding at `indices`, so whether it is below
 * maintenance is judged after funding, at the round's liquidation multiplier (`margins`:
 * the configured maintenance rate scaled by liqMult). The account keeps max(equity - penalty, 0). A
 * request may name a liquidator (LiquidationRequest.taker) that takes the positions its
 * take flags name under its signed offer (./liquidators.ts: it settles its own funding,
 * takes them at the mark, is paid its share of the penalty and must meet initial margin);
 * the insurance fund takes every other position at the mark and the rest of the equity
 * (or covers the shortfall, and pays the liquidator's share when the equity does not).
 * A bare account index is a request without a liquidator. All-or-nothing.
 */
export function liquidate(
  state: ExchangeState,
  requests: readonly (bigint | LiquidationRequest)[],
  marks: readonly bigint[],
  batchSize: number,
  opts: {
    unchecked?: boolean;
    move?: SignedCompartmentMove | null;
    /** Deleveraging entries per batch, the parameter set's A (default: the test set's). */
    deleverages?: number;
    /** With `unchecked` (adversarial tests only): a dishonest operator's deleveraging. */
    forgeDeleverage?: ForgedDeleverage;
  } = {},
  indices: readonly bigint[] = zeroIndices(marks.length),
  margins: RoundMargins = oneX(marks.length),
): LiquidationResult {
  const checked = !opts.unchecked;
  if (requests.length > batchSize) {
    throw new LiquidationError(
      "BATCH_TOO_LARGE",
      `${requests.length} liquidations do not fit a batch of ${batchSize}`,
    );
  }
  const reqs = requests.map((r) => (typeof r === "bigint" ? { account: r } : r));
  const accounts = reqs.map((r) => r.account);
  const takerRequests: (LiquidationTakerRequest | null)[] = reqs.map((r) => r.taker ?? null);
  const markets = state.markets;
  const binding = priceConfigHash(state, marks, indices, margins);
  // the round's requirements (a liquidator's initial margin) and the maintenance
  // requirement below which an account is liquidatable (a rise reaches it after its grace)
  const required = scaledMarkets(markets, margins);
  const liquidatable = scaledMarkets(markets, margins, "liquidation");
  const oldRoot = state.root;
  const funding = new Map<bigint, bigint>();
  const takers: LiquidationTaken[] = [];
  const undo: [bigint, Account][] = [];
  const write = (i: bigint, a: Account) => {
    undo.push([i, state.getAccount(i)]);
    state.setAccount(i, a, checked);
  };
  try {
    const slots: LiquidationSlotInput[] = [];
    const charges: bigint[][] = [];
    const moved = markets.map(() => ({ size: 0n, notional: 0n }));
    for (const { account: index, taker } of reqs) {
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
      if (checked && !isLiquidatable(a, marks, liquidatable)) {
        throw new LiquidationError(
          "LIQUIDATE_HEALTHY",
          `account ${index} meets its maintenance requirement at these prices`,
        );
      }
      if (taker) checkTaker(state, index, a, taker, checked);
      const sizes = a.positions.map((p) => p.size);
      const shares = taker
        ? liquidatorShares(
            sizes,
            marks,
            taker.take,
            taker.offer.offer.terms.map((t) => t.discountBps),
          )
        : sizes.map(() => 0n);
      // unchecked (adversarial tests only): a share above its market's penalty is refused
      // by the circuit (DiscountWithinPenalty) before it reaches the attribution
      const capped = (penalties: readonly bigint[]) =>
        shares.map((x, j) => (x < penalties[j] ? x : penalties[j]));
      const attribution = attributeLiquidation(
        a,
        marks,
        markets,
        checked ? shares : capped(penaltiesByMarket(a, marks, markets)),
      );
      charges.push([...attribution.charges]);
      const accountFields = { enabled: 1n, account: index, ...leafWitness(state, index) };
      const positions: Position[] = a.positions.map((p) => ({ ...p, size: 0n, notional: 0n }));
      write(index, { ...a, collateral: attribution.kept, positions });
      let takerFields = noTakerFields(state);
      if (taker) {
        const t = takeOver(state, index, a, taker, marks, indices, required, checked);
        takerFields = t.fields;
        if (t.owed) funding.set(t.taken.taker, t.payment);
        takers.push(t.taken);
        write(t.taken.taker, t.newTaker);
      }
      a.positions.forEach((p, j) => {
        if (taker?.take[j]) return;
        moved[j].size += p.size;
        moved[j].notional += p.size * marks[j];
      });
      slots.push({ ...accountFields, ...takerFields });
    }
    const storedFund = state.getAccount(INSURANCE_ACCOUNT);
    const pre = leafPreimage(storedFund);
    const fundSettled = settleFundingByMarket(storedFund, indices);
    const fund = opts.move
      ? moveCompartment(fundSettled.account, opts.move, state.domain, marks, required)
      : fundSettled.account;
    if (fundSettled.owed.some((o) => o !== 0n))
      funding.set(
        INSURANCE_ACCOUNT,
        fundSettled.payments.reduce((s, p) => s + p, 0n),
      );
    const compartmentsBefore = compartmentValues(fund, marks);
    const charged = compartmentsBefore.map((_, j) => charges.reduce((s, c) => s + c[j], 0n));
    const takenIn = (j: number) => takerRequests.some((t) => t?.take[j]);
    const chargedFund: Account = {
      ...fund,
      positions: fund.positions.map((p, j) => ({
        ...p,
        size: p.size + moved[j].size,
        // a gain raises C_j = size_j * mark_j - notional_j: it lowers the notional
        notional: p.notional + moved[j].notional - charged[j],
      })),
    };
    // the circuit reads the fund's size after the slots, before any deleveraging, in
    // SIZE_BITS signed bits (the side a deleveraging closes): a size out of that range is
    // refused there even when the deleveraging would bring it back
    if (checked && chargedFund.positions.some((p) => !fitsSigned(p.size, SIZE_BITS)))
      throw new LiquidationError(
        "FUND_POSITION_OUT_OF_RANGE",
        "the insurance fund's position would overflow when it takes the liquidated positions, before any deleveraging",
      );
    if (checked && opts.move?.move.toReserve)
      checkMoveOutAfterBatch(chargedFund, opts.move.move, marks, required);
    const forge = checked ? undefined : opts.forgeDeleverage;
    const targets = forge
      ? (forge.markets ?? []).map((market) => ({
          market,
          // a forged deleveraging of a market not under water: x = 0 (the circuit refuses)
          deficit: max0(-(compartmentsBefore[market] + charged[market])),
        }))
      : checked
        ? deleveragedMarkets(chargedFund, compartmentsBefore, charges, takenIn, accounts)
        : [];
    const adl = deleverageFund(
      state,
      chargedFund,
      targets,
      marks,
      indices,
      liquidatable,
      opts.deleverages ?? PARAM_SETS.test.deleverages,
      write,
      funding,
      forge,
    );
    // the fund's leaf is read on the tree the deleveraged entries left
    const fundProof = state.tree.proof(INSURANCE_ACCOUNT);
    const commitment = deleverageCommitment(
      liquidationCommitment(accounts, takerRequests, opts.move),
      adl.deleveraged,
    );
    const newFund = adl.fund;
    // unchecked (adversarial tests, and the skip proof's replay of a proven batch, whose
    // fields the circuit kept in range): a field past its width is written as it is (the
    // leaf packs it as the engine does), for the circuit's own range check to refuse
    if (
      checked &&
      newFund.positions.some(
        (p) => !fitsSigned(p.size, SIZE_BITS) || !fitsSigned(p.notional, NOTIONAL_BITS),
      )
    ) {
      throw new LiquidationError(
        "FUND_POSITION_OUT_OF_RANGE",
        "the insurance fund's position would overflow",
      );
    }
    // unchecked (adversarial tests, the skip proof's replay): written as it is
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
      margins: marginsWord(margins),
      mark: [...marks],
      fundingIndex: [...indices],
      slots: [
        ...slots,
        ...Array.from({ length: batchSize - slots.length }, () => ({
          enabled: 0n,
          account: 0n,
          ...emptyLeafWitness(state),
          ...noTakerFields(state),
        })),
      ],
      move: moveInput(opts.move, m),
      adl: adl.input,
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
      charges,
      compartmentsBefore,
      compartmentsAfter: compartmentValues(newFund, marks),
      deleveraged: adl.deleveraged,
      funding,
      takers,
      input,
    };
  } catch (e) {
    // back to the state before the batch, written as it was: an unchecked batch may have
    // written an account past its width and then written it again
    for (const [i, a] of undo.reverse()) state.setAccount(i, a, false);
    throw e;
  }
}

const max0 = (x: bigint) => (x < 0n ? 0n : x);

/** The fund after its owner's move, checked by its signature and the move's rules. */
function moveCompartment(
  fund: Account,
  sm: SignedCompartmentMove,
  domain: bigint,
  marks: readonly bigint[],
  required: readonly MarketParams[],
): Account {
  if (!verifyCompartmentMove(sm, fund.pubKey, domain))
    throw new CompartmentMoveError(
      "COMPARTMENT_BAD_SIGNATURE",
      "the compartment move is not signed by the insurance fund's key for this deployment",
    );
  return applyCompartmentMove(fund, sm.move, marks, required);
}

/** CompartmentMove's inputs: the move, or all 0 without one. */
function moveInput(sm: SignedCompartmentMove | null | undefined, m: number): CompartmentMoveInput {
  return {
    enabled: sm ? 1n : 0n,
    market: Array.from({ length: m }, (_, j) => (sm?.move.market === j ? 1n : 0n)),
    amount: sm?.move.amount ?? 0n,
    toReserve: sm?.move.toReserve ? 1n : 0n,
    sigR8x: sm?.signature.r8x ?? 0n,
    sigR8y: sm?.signature.r8y ?? 0n,
    sigS: sm?.signature.s ?? 0n,
  };
}
