import { poseidon } from "./hash.ts";
import { ZkClearError, type CodeOf } from "./errors.ts";
import {
  AMOUNT_BITS,
  BALANCE_FLAG_SHIFT,
  BALANCE_NONCE_SHIFT,
  FLAG_BITS,
  COLLATERAL_BITS,
  FUNDING_INDEX_BITS,
  NONCE_BITS,
  NOTIONAL_BITS,
  SIZE_BITS,
  WORD_FILLED_SHIFT,
  WORD_FUNDING_SHIFT,
  WORD_NONCE_SHIFT,
} from "./constants.ts";
import { checkSigned, checkUnsigned, decodeSigned, encodeSigned, pow2 } from "./amounts.ts";
import { isFieldElement } from "./field.ts";

/** A Baby Jubjub public key (affine twisted-Edwards coordinates). */
export interface PublicKey {
  readonly x: bigint;
  readonly y: bigint;
}

/**
 * One market's slot in an account.
 * - size: signed position in lots (long > 0), |size| < 2^64.
 * - notional: signed open notional (entry cost) in quote units, |.| < 2^128: a buy adds
 *   qty * price, a sell subtracts it; it is realised into collateral when size returns to 0.
 * - nonce, filled: the working order on this market, its nonce and how much has filled.
 * - fundingIndex: the market's cumulative funding index when this position last paid or
 *   received funding (domain/funding.ts), signed, |.| <= 2^63.
 */
export interface Position {
  readonly size: bigint;
  readonly notional: bigint;
  readonly nonce: bigint;
  readonly filled: bigint;
  readonly fundingIndex: bigint;
}

/**
 * An account leaf: owner key, signed collateral, the nonce its next withdrawal must carry,
 * and one position per market. `isolatedMarket` names the one market an isolated
 * sub-account trades (its collateral backs that market alone); absent for a cross-margin
 * account. The leaf carries it as the balance word's flag, 1 + market (0: cross).
 */
export interface Account {
  readonly pubKey: PublicKey;
  readonly collateral: bigint;
  readonly withdrawNonce: bigint;
  readonly isolatedMarket?: number;
  readonly positions: readonly Position[];
}

export class AccountError extends ZkClearError<CodeOf<"state">> {}

export const EMPTY_POSITION: Position = {
  size: 0n,
  notional: 0n,
  nonce: 0n,
  filled: 0n,
  fundingIndex: 0n,
};

/**
 * A fresh account holding `collateral` and no positions; a sub-account isolated to
 * `isolatedMarket` if one is given.
 */
export function newAccount(
  pubKey: PublicKey,
  markets: number,
  collateral = 0n,
  isolatedMarket?: number,
): Account {
  return {
    pubKey,
    collateral,
    withdrawNonce: 0n,
    ...(isolatedMarket === undefined ? {} : { isolatedMarket }),
    positions: Array.from({ length: markets }, () => EMPTY_POSITION),
  };
}

/** The balance word's flag: 0 for a cross-margin account, 1 + market for an isolated one. */
export function isolationFlag(a: Pick<Account, "isolatedMarket">): bigint {
  return a.isolatedMarket === undefined ? 0n : BigInt(a.isolatedMarket) + 1n;
}

/** Whether `a` may hold a position in `market`: a cross account anywhere, an isolated one in its own (the twin of TradesIn, circuits/src/account-leaf.circom). */
export function tradesIn(a: Pick<Account, "isolatedMarket">, market: number): boolean {
  return a.isolatedMarket === undefined || a.isolatedMarket === market;
}

/** Range-checks every field of an account; throws AccountError naming the field. */
export function validateAccount(a: Account): Account {
  if (!isFieldElement(a.pubKey.x) || !isFieldElement(a.pubKey.y)) {
    throw new AccountError(
      "ACCOUNT_BAD_KEY",
      "account public key coordinates must be field elements",
    );
  }
  checkSigned(a.collateral, COLLATERAL_BITS, "collateral");
  checkUnsigned(a.withdrawNonce, NONCE_BITS, "withdrawal nonce");
  if (
    a.isolatedMarket !== undefined &&
    !(
      Number.isInteger(a.isolatedMarket) &&
      a.isolatedMarket >= 0 &&
      a.isolatedMarket < a.positions.length
    )
  ) {
    throw new AccountError(
      "ACCOUNT_BAD_ISOLATION",
      `isolated market ${String(a.isolatedMarket)} is not one of the ${a.positions.length} markets`,
    );
  }
  a.positions.forEach((p, j) => {
    if (!tradesIn(a, j) && p.size !== 0n) {
      throw new AccountError(
        "ACCOUNT_BAD_ISOLATION",
        `a sub-account isolated to market ${a.isolatedMarket} holds a position in market ${j}`,
      );
    }
  });
  a.positions.forEach((p, j) => {
    checkSigned(p.size, SIZE_BITS, `position size (market ${j})`);
    checkSigned(p.notional, NOTIONAL_BITS, `open notional (market ${j})`);
    checkUnsigned(p.nonce, NONCE_BITS, `working-order nonce (market ${j})`);
    checkUnsigned(p.filled, AMOUNT_BITS, `working-order filled amount (market ${j})`);
    checkSigned(p.fundingIndex, FUNDING_INDEX_BITS, `funding index paid to (market ${j})`);
  });
  return a;
}

/** (size + 2^64) | nonce << 65 | filled << 97 | (fundingIndex + 2^63) << 161 */
export function packPositionWord(p: Position): bigint {
  return (
    (p.size + pow2(SIZE_BITS)) |
    (p.nonce << BigInt(WORD_NONCE_SHIFT)) |
    (p.filled << BigInt(WORD_FILLED_SHIFT)) |
    ((p.fundingIndex + pow2(FUNDING_INDEX_BITS)) << BigInt(WORD_FUNDING_SHIFT))
  );
}

/** Inverse of packPositionWord (notional is stored separately). */
export function unpackPositionWord(word: bigint, notional: bigint): Position {
  const sizeMask = pow2(WORD_NONCE_SHIFT) - 1n;
  return {
    size: (word & sizeMask) - pow2(SIZE_BITS),
    nonce: (word >> BigInt(WORD_NONCE_SHIFT)) & (pow2(NONCE_BITS) - 1n),
    filled: (word >> BigInt(WORD_FILLED_SHIFT)) & (pow2(AMOUNT_BITS) - 1n),
    fundingIndex: (word >> BigInt(WORD_FUNDING_SHIFT)) - pow2(FUNDING_INDEX_BITS),
    notional: decodeSigned(notional),
  };
}

/**
 * (collateral + 2^128) | withdrawNonce << 129 | flag << 161: the twin of PackBalance
 * (circuits/src/account-leaf.circom).
 */
export function packBalance(collateral: bigint, withdrawNonce: bigint, flag = 0n): bigint {
  return (
    (collateral + pow2(COLLATERAL_BITS)) |
    (withdrawNonce << BigInt(BALANCE_NONCE_SHIFT)) |
    (flag << BigInt(BALANCE_FLAG_SHIFT))
  );
}

/** Inverse of packBalance. */
export function unpackBalance(balance: bigint): {
  collateral: bigint;
  withdrawNonce: bigint;
  flag: bigint;
} {
  return {
    collateral: (balance & (pow2(BALANCE_NONCE_SHIFT) - 1n)) - pow2(COLLATERAL_BITS),
    withdrawNonce: (balance >> BigInt(BALANCE_NONCE_SHIFT)) & (pow2(NONCE_BITS) - 1n),
    flag: (balance >> BigInt(BALANCE_FLAG_SHIFT)) & (pow2(FLAG_BITS) - 1n),
  };
}

/** The leaf preimage, in the order LeafHash(M) hashes it. */
export function leafPreimage(a: Account): bigint[] {
  const out = [
    a.pubKey.x,
    a.pubKey.y,
    packBalance(a.collateral, a.withdrawNonce, isolationFlag(a)),
  ];
  for (const p of a.positions) out.push(packPositionWord(p), encodeSigned(p.notional));
  return out;
}

/** Poseidon(3 + 2M) of the preimage: the TypeScript twin of LeafHash(M). */
export function leafHash(a: Account): bigint {
  return poseidon(leafPreimage(a));
}
