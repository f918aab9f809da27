import { poseidon } from "./hash.ts";
import { abs, checkUnsigned } from "./amounts.ts";
import {
  BPS_DENOMINATOR,
  COMPARTMENT_DIRECTION_SHIFT,
  COMPARTMENT_MARKET_SHIFT,
  COMPARTMENT_TAG,
  NONCE_BITS,
  TRANSFER_BITS,
  WITHDRAW_AMOUNT_SHIFT,
  WITHDRAW_NONCE_SHIFT,
} from "./constants.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import { sign, verify, type EdDSASignature } from "./keys.ts";
import type { Account, PublicKey } from "./account.ts";
import type { MarketParams } from "./market.ts";
import { compartmentValues } from "./compartments.ts";

/**
 * Compartment moves (docs/isolation.md, section 4): the fund owner moves capital between
 * the insurance fund's reserve (its collateral) and one market's compartment (its ledger in
 * that market, C_j = size_j * mark_j - notional_j). Into a compartment: the reserve pays,
 * and notional_j falls by the amount. Out of one: only what the compartment holds above its
 * position's maintenance requirement and its floor. The fund owner's key signs the move
 * under its own tag, spending the fund's withdrawal nonce, so a move is used once and can
 * never be read as a withdrawal or a transfer. At the upgrade every compartment is empty;
 * the owner's first moves fund them.
 */
export interface CompartmentMove {
  readonly market: number;
  /** The fund's withdrawal nonce. */
  readonly nonce: bigint;
  readonly amount: bigint;
  /** true: from the compartment to the reserve; false: into the compartment. */
  readonly toReserve: boolean;
}

export interface SignedCompartmentMove {
  readonly move: CompartmentMove;
  readonly signature: EdDSASignature;
}

export class CompartmentMoveError extends ZkClearError<CodeOf<"transfer">> {}

/** Range-checks a move and refuses what no batch could carry; `markets`: M. */
export function validateCompartmentMove(m: CompartmentMove, markets: number): CompartmentMove {
  if (!(Number.isInteger(m.market) && m.market >= 0 && m.market < markets))
    throw new CompartmentMoveError(
      "COMPARTMENT_BAD_MARKET",
      `market ${String(m.market)} is not one of the ${markets} markets`,
    );
  checkUnsigned(m.nonce, NONCE_BITS, "compartment move nonce");
  checkUnsigned(m.amount, TRANSFER_BITS, "compartment move amount");
  if (m.amount === 0n)
    throw new CompartmentMoveError(
      "COMPARTMENT_MOVE_ZERO",
      "a compartment move's amount must be positive",
    );
  return m;
}

/**
 * The move's first word: COMPARTMENT_TAG | market << 4 | nonce << 36 | amount << 68
 * | toReserve << 160. LiquidateBatch commits it (domain/batch.ts, liquidationCommitment).
 */
export function compartmentMoveHead(m: CompartmentMove): bigint {
  return (
    COMPARTMENT_TAG |
    (BigInt(m.market) << BigInt(COMPARTMENT_MARKET_SHIFT)) |
    (m.nonce << BigInt(WITHDRAW_NONCE_SHIFT)) |
    (m.amount << BigInt(WITHDRAW_AMOUNT_SHIFT)) |
    ((m.toReserve ? 1n : 0n) << BigInt(COMPARTMENT_DIRECTION_SHIFT))
  );
}

/**
 * What the fund owner's key signs, for the deployment `domain`:
 * Poseidon(compartmentMoveHead(m), domain). Twin of CompartmentMove's message
 * (circuits/src/compartment-move.circom).
 */
export function compartmentMoveMessage(m: CompartmentMove, domain: bigint): bigint {
  return poseidon([compartmentMoveHead(m), domain]);
}

export function signCompartmentMove(
  m: CompartmentMove,
  markets: number,
  privateKey: Uint8Array,
  domain: bigint,
): SignedCompartmentMove {
  validateCompartmentMove(m, markets);
  return { move: m, signature: sign(privateKey, compartmentMoveMessage(m, domain)) };
}

export function verifyCompartmentMove(
  sm: SignedCompartmentMove,
  pubKey: PublicKey,
  domain: bigint,
): boolean {
  return verify(pubKey, compartmentMoveMessage(sm.move, domain), sm.signature);
}

/**
 * The fund after a move, at `marks` (its funding settled market by market first:
 * settleFundingByMarket). Refuses a move out of turn (the fund's withdrawal nonce), one into
 * a compartment the reserve cannot pay, and one out of a compartment that would leave it
 * below its position's maintenance requirement plus `floor` (market j's part of the fund
 * floor): 10^4 * (C_j - amount - floor) >= |size_j| * mark_j * mmBps_j.
 */
export function applyCompartmentMove(
  fund: Account,
  m: CompartmentMove,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
  floor = 0n,
): Account {
  validateCompartmentMove(m, markets.length);
  if (m.nonce !== fund.withdrawNonce)
    throw new CompartmentMoveError(
      "COMPARTMENT_MOVE_NONCE",
      `the move names nonce ${m.nonce}; the fund's next withdrawal nonce is ${fund.withdrawNonce}`,
    );
  const j = m.market;
  if (!m.toReserve && fund.collateral < m.amount)
    throw new CompartmentMoveError(
      "COMPARTMENT_RESERVE_SHORT",
      `the reserve holds ${fund.collateral}, less than the ${m.amount} to move into market ${j}'s compartment`,
    );
  if (m.toReserve)
    requireCompartment(
      fund,
      j,
      compartmentValues(fund, marks)[j] - m.amount,
      marks,
      markets,
      floor,
      "",
    );
  const sign_ = m.toReserve ? 1n : -1n;
  return {
    ...fund,
    collateral: fund.collateral + sign_ * m.amount,
    withdrawNonce: fund.withdrawNonce + 1n,
    positions: fund.positions.map((p, k) =>
      k === j ? { ...p, notional: p.notional + sign_ * m.amount } : p,
    ),
  };
}

/**
 * A move out of compartment j must also leave it its requirement after the liquidation
 * batch that carries it, at the fund's position after the batch's liquidations
 * (LiquidateBatch, section D): a move cannot take out what the batch's losses need, which
 * deleveraging would take from the ranked traders. `fund` is the fund after the move, the
 * liquidations' positions and their charges.
 */
export function checkMoveOutAfterBatch(
  fund: Account,
  m: CompartmentMove,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
): void {
  if (!m.toReserve) return;
  const j = m.market;
  requireCompartment(
    fund,
    j,
    compartmentValues(fund, marks)[j],
    marks,
    markets,
    0n,
    " after the batch's liquidations",
  );
}

/**
 * A move out leaves compartment j holding `left`: at least its position's maintenance
 * requirement at `marks` plus `floor` (COMPARTMENT_BELOW_REQUIREMENT otherwise). `when`
 * says at what point in the refusal.
 */
function requireCompartment(
  fund: Account,
  j: number,
  left: bigint,
  marks: readonly bigint[],
  markets: readonly MarketParams[],
  floor: bigint,
  when: string,
): void {
  const required = abs(fund.positions[j].size) * marks[j] * markets[j].maintenanceMarginBps;
  if (BPS_DENOMINATOR * (left - floor) < required)
    throw new CompartmentMoveError(
      "COMPARTMENT_BELOW_REQUIREMENT",
      `market ${j}'s compartment would hold ${left}${when}, below its position's maintenance requirement (${required} / 10^4) plus its floor of ${floor}: the move out waits`,
    );
}
