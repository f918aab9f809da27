pragma circom 2.1.9;

// Bit widths and layouts shared by every zkclear circuit. The TypeScript twin is
// prover/src/domain/constants.ts; a test checks that both agree.

// |position size| < 2^64 (signed, in lots)
function SIZE_BITS() { return 64; }
// working-order nonce per (account, market)
function NONCE_BITS() { return 32; }
// order amount, fill quantity and filled amount, in lots
function AMOUNT_BITS() { return 64; }
// prices (limit, execution, mark), quote units per lot
function PRICE_BITS() { return 64; }
// |open notional| < 2^128 (signed)
function NOTIONAL_BITS() { return 128; }
// |collateral| < 2^128 (signed: realised losses may take it below zero)
function COLLATERAL_BITS() { return 128; }
// basis-point parameters (margins, fee rates)
function BPS_BITS() { return 16; }
function BPS_DENOMINATOR() { return 10000; }
// a fee is at most notional * 2^16 / 10^4 < 2^131
function FEE_BITS() { return 131; }
// |10^4 * equity - requirement| < 2^148 for M <= 6
function MARGIN_DIFF_BITS() { return 150; }
// account indices are packed into 32 bits (the tree depth D is at most 32)
function ACCOUNT_BITS() { return 32; }

// account leaf balance word: (collateral + 2^128) | withdrawNonce << 129 | flag << 161;
// flag: 0 for a cross-margin account, 1 + market for a sub-account isolated to that market
function BALANCE_NONCE_SHIFT() { return 129; }
function BALANCE_FLAG_SHIFT() { return 161; }
function FLAG_BITS() { return 3; }
function BALANCE_BITS() { return 164; }

// account leaf position word: (size + 2^64) | nonce << 65 | filled << 97
//   | (fundingIndex + 2^63) << 161
function WORD_NONCE_SHIFT() { return 65; }
function WORD_FILLED_SHIFT() { return 97; }
function WORD_FUNDING_SHIFT() { return 161; }
function WORD_BITS() { return 225; }

// funding index: signed, -2^63 <= index < 2^63, in 2^-20 quote units per lot; a payment
// is ceil(size * (index - lastIndex) / 2^20) quote units (prover/src/domain/funding.ts)
function FUNDING_INDEX_BITS() { return 63; }
function FUNDING_SCALE_BITS() { return 20; }
// |owed| = |sum_j size_j * (index_j - lastIndex_j)| < 6 * 2^128 < 2^131 (M <= 6); the
// payment is read from the bits of owed + 2^20 - 1 + 2^132 (133 bits)
function FUNDING_OWED_BITS() { return 132; }

// signed order message: tag | account << 4 | market << 36 | side << 44 | nonce << 45
//                       | maxFeeBps << 77 | amount << 93 | limitPrice << 157   (221 bits)
function ORDER_TAG() { return 1; }
function ORDER_ACCOUNT_SHIFT() { return 4; }
function ORDER_MARKET_SHIFT() { return 36; }
function ORDER_SIDE_SHIFT() { return 44; }
function ORDER_NONCE_SHIFT() { return 45; }
function ORDER_MAXFEE_SHIFT() { return 77; }
function ORDER_AMOUNT_SHIFT() { return 93; }
function ORDER_LIMIT_SHIFT() { return 157; }

// trade word in the batch commitment: qty | price << 64 | takerIsBuyer << 128
function TRADE_PRICE_SHIFT() { return 64; }
function TRADE_TAKER_SHIFT() { return 128; }

// market parameter word: imBps | mmBps << 16 | makerFeeBps << 32 | takerFeeBps << 48
//   | liquidationPenaltyBps << 64
function MARKET_PARAM_BITS() { return 80; }

// deposits and withdrawals move at most 2^92 - 1 collateral units at a time
function TRANSFER_BITS() { return 92; }
// deposit queue entry: account | amount << 32 | flag << 124, then the public key
function DEPOSIT_AMOUNT_SHIFT() { return 32; }
// a new sub-account's isolation flag (1 + market) in its entry: account | amount << 32
// | flag << 124 (Vault.depositIsolated)
function DEPOSIT_FLAG_SHIFT() { return 124; }
// withdrawal message: WITHDRAW_TAG | account << 4 | nonce << 36 | amount << 68, with the
// recipient as a second hash input
function WITHDRAW_TAG() { return 2; }
function WITHDRAW_ACCOUNT_SHIFT() { return 4; }
function WITHDRAW_NONCE_SHIFT() { return 36; }
function WITHDRAW_AMOUNT_SHIFT() { return 68; }
// forced withdrawal request: the withdrawal's layout under its own tag
function FORCED_TAG() { return 5; }
// exit message: EXIT_TAG | account << 4, with the recipient as a second hash input
function EXIT_TAG() { return 6; }
// liquidator's standing offer: OFFER_TAG | account << 4 | nonce << 36, then the domain and
// one term per market: maxSize | discountBps << 64 (80 bits)
function OFFER_TAG() { return 7; }
function OFFER_ACCOUNT_SHIFT() { return 4; }
function OFFER_NONCE_SHIFT() { return 36; }
function OFFER_DISCOUNT_SHIFT() { return 64; }
function OFFER_TERM_BITS() { return 80; }
// transfer between two leaves of one key: TRANSFER_TAG | from << 4 | nonce << 36
// | amount << 68 (the withdrawal's layout under its own tag), then to | flag << 32 (the
// destination, an existing account, and the margin mode it has), then the domain
function TRANSFER_TAG() { return 8; }
function TRANSFER_FLAG_SHIFT() { return 32; }
// the insurance fund's move between its reserve and one market's compartment:
// COMPARTMENT_TAG | market << 4 | nonce << 36 | amount << 68 | toReserve << 160 (the
// withdrawal's nonce and amount fields), then the domain; signed by the fund owner's key
function COMPARTMENT_TAG() { return 9; }
function COMPARTMENT_MARKET_SHIFT() { return 4; }
function COMPARTMENT_DIRECTION_SHIFT() { return 160; }
// liquidation taker word in LiquidateBatch's commitment:
//   taker | takeBits << 32 | (sum_j take_j * discountBps_j << 16j) << (32 + M)
function LIQUIDATION_TAKE_SHIFT() { return 32; }
// public withdrawal word: recipient (160 bits) | amount << 160
function ADDRESS_BITS() { return 160; }

// system accounts
function FEE_ACCOUNT() { return 1; }
function INSURANCE_ACCOUNT() { return 2; }
