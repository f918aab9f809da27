/**
 * Bit widths and layouts shared with the circuits (circuits/src/constants.circom).
 * A test reads the circom file and checks that both agree.
 */
export const SIZE_BITS = 64;
export const NONCE_BITS = 32;
export const AMOUNT_BITS = 64;
export const PRICE_BITS = 64;
export const NOTIONAL_BITS = 128;
export const COLLATERAL_BITS = 128;
export const BPS_BITS = 16;
export const BPS_DENOMINATOR = 10_000n;
export const FEE_BITS = 131;
export const MARGIN_DIFF_BITS = 150;
export const ACCOUNT_BITS = 32;

export const BALANCE_NONCE_SHIFT = 129;
/** 0 for a cross-margin account, 1 + market for a sub-account isolated to that market. */
export const BALANCE_FLAG_SHIFT = 161;
export const FLAG_BITS = 3;
export const BALANCE_BITS = 164;

export const WORD_NONCE_SHIFT = 65;
export const WORD_FILLED_SHIFT = 97;
/** The funding index the position last paid at, biased by 2^63 (domain/funding.ts). */
export const WORD_FUNDING_SHIFT = 161;
export const WORD_BITS = 225;

/** |funding index| <= 2^63 (signed; an int64 on-chain), in 2^-20 quote units per lot. */
export const FUNDING_INDEX_BITS = 63;
/** Funding indices count 2^-20 quote units per lot (rates count parts per million). */
export const FUNDING_SCALE_BITS = 20;
export const FUNDING_SCALE = 1n << 20n;
/** |owed| < 2^131 for M <= 6; SettleFunding reads the payment from 133 bits. */
export const FUNDING_OWED_BITS = 132;
/** Funding rates count parts per million of the oracle price per interval. */
export const RATE_DENOMINATOR = 1_000_000n;

export const ORDER_TAG = 1n;
export const ORDER_ACCOUNT_SHIFT = 4;
export const ORDER_MARKET_SHIFT = 36;
export const ORDER_SIDE_SHIFT = 44;
export const ORDER_NONCE_SHIFT = 45;
export const ORDER_MAXFEE_SHIFT = 77;
export const ORDER_AMOUNT_SHIFT = 93;
export const ORDER_LIMIT_SHIFT = 157;

export const TRADE_PRICE_SHIFT = 64;
export const TRADE_TAKER_SHIFT = 128;

export const MARKET_PARAM_BITS = 80;

export const TRANSFER_BITS = 92;
export const DEPOSIT_AMOUNT_SHIFT = 32;
/** A new isolated sub-account's flag in its deposit queue entry (Vault.depositIsolated). */
export const DEPOSIT_FLAG_SHIFT = 124;
export const WITHDRAW_TAG = 2n;
/** A forced withdrawal request (on-chain, answered in a proven batch); same layout as a withdrawal. */
export const FORCED_TAG = 5n;
/** The exit after a freeze names its recipient (domain/exit.ts); same layout as a withdrawal's account. */
export const EXIT_TAG = 6n;
/** A liquidator's standing offer (domain/offer.ts): OFFER_TAG | account << 4 | nonce << 36. */
export const OFFER_TAG = 7n;
export const OFFER_ACCOUNT_SHIFT = 4;
export const OFFER_NONCE_SHIFT = 36;
/** One offer term per market: maxSize | discountBps << 64 (80 bits). */
export const OFFER_DISCOUNT_SHIFT = 64;
export const OFFER_TERM_BITS = 80;
/**
 * A transfer between two leaves of one key (domain/sub-accounts.ts): the withdrawal's
 * layout under its own tag, then to | flag << 32, then the domain.
 */
export const TRANSFER_TAG = 8n;
export const TRANSFER_FLAG_SHIFT = 32;
/**
 * A move of the insurance fund's capital between its reserve and one market's compartment
 * (domain/compartment-moves.ts): COMPARTMENT_TAG | market << 4 | nonce << 36 | amount << 68
 * | toReserve << 160, then the domain; signed by the fund owner's key.
 */
export const COMPARTMENT_TAG = 9n;
export const COMPARTMENT_MARKET_SHIFT = 4;
export const COMPARTMENT_DIRECTION_SHIFT = 160;
/**
 * A liquidation's taker word in LiquidateBatch's commitment (domain/batch.ts
 * liquidationTakerWord): taker | takeBits << 32 | discounts << (32 + M).
 */
export const LIQUIDATION_TAKE_SHIFT = 32;
export const WITHDRAW_ACCOUNT_SHIFT = 4;
export const WITHDRAW_NONCE_SHIFT = 36;
export const WITHDRAW_AMOUNT_SHIFT = 68;
export const ADDRESS_BITS = 160;

/** Index 0 is the empty leaf; 1 and 2 are the system accounts. Traders start at 3. */
export const FEE_ACCOUNT = 1n;
export const INSURANCE_ACCOUNT = 2n;
export const FIRST_USER_ACCOUNT = 3n;

/** Largest number of markets a leaf can hold (Poseidon takes at most 16 inputs). */
export const MAX_MARKETS = 6;
