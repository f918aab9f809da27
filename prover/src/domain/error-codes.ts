/**
 * Every code a ZkClearError can carry, once: its area (which part of zkclear refuses) and
 * the HTTP status the API answers with. A code crosses process and HTTP boundaries as is
 * (the proving process sends it with the message; the API puts it in `error`), and the
 * status comes from this table, never from matching strings. The audit's findings are a
 * vocabulary of their own (audit/findings.ts): they describe a history, not a refusal.
 */
type Area =
  | "value" // ranges and encodings of plain values
  | "market"
  | "order"
  | "transfer" // deposits and withdrawals
  | "tree"
  | "state" // the engine's exchange state
  | "trade" // the trading rules
  | "liquidation"
  | "offer" // liquidators' standing offers
  | "batch" // batch kinds, files and deployment files
  | "keystore"
  | "operator" // the service's intake and pipeline
  | "store"
  | "http"
  | "build" // circuits and contracts
  | "verify" // the circuits' own verification (determinism, mutants)
  | "dev" // development rigs, the chaos run
  | "keys" // development keys, ceremonies and key sets
  | "prove"
  | "chain"
  | "startup"
  | "audit"
  | "committee" // the data availability committee: attestations and replicas
  | "cli";

const BAD = 400;
const AUTH = 401;
const MISSING = 404;
const CONFLICT = 409;
const GONE = 410;
const UNAVAILABLE = 503;
const INTERNAL = 500;

export const ERROR_CODES = {
  VALUE_OUT_OF_RANGE: { area: "value", http: BAD },
  VALUE_NOT_INTEGER: { area: "value", http: BAD },
  FORMAT_INVALID: { area: "value", http: BAD },
  UNKNOWN_PARAM_SET: { area: "value", http: BAD },
  OWNER_BAD_KEY: { area: "value", http: BAD },

  MARKET_COUNT: { area: "market", http: BAD },
  MARKET_MARGINS: { area: "market", http: BAD },
  MARK_COUNT: { area: "market", http: BAD },
  MARK_ZERO: { area: "market", http: BAD },
  FUNDING_INDEX_COUNT: { area: "market", http: BAD },
  REDUCE_ONLY_MASK: { area: "market", http: BAD },
  MARGIN_RULE: { area: "market", http: BAD },

  OFFER_SYSTEM_ACCOUNT: { area: "offer", http: BAD },
  OFFER_TERM_COUNT: { area: "offer", http: BAD },
  OFFER_NOT_BACKED: { area: "offer", http: BAD },

  ORDER_SYSTEM_ACCOUNT: { area: "order", http: BAD },
  ORDER_BAD_MARKET: { area: "order", http: BAD },
  ORDER_BAD_SIDE: { area: "order", http: BAD },
  ORDER_ZERO_AMOUNT: { area: "order", http: BAD },
  ORDER_ZERO_PRICE: { area: "order", http: BAD },

  DEPOSIT_BAD_ACCOUNT: { area: "transfer", http: BAD },
  DEPOSIT_BAD_ISOLATION: { area: "transfer", http: BAD },
  WITHDRAW_ZERO: { area: "transfer", http: BAD },
  WITHDRAW_NO_RECIPIENT: { area: "transfer", http: BAD },
  TRANSFER_ZERO: { area: "transfer", http: BAD },
  TRANSFER_SELF: { area: "transfer", http: BAD },
  TRANSFER_SYSTEM_ACCOUNT: { area: "transfer", http: BAD },
  TRANSFER_BAD_MARKET: { area: "transfer", http: BAD },
  COMPARTMENT_MOVE_ZERO: { area: "transfer", http: BAD },
  COMPARTMENT_BAD_MARKET: { area: "transfer", http: BAD },
  COMPARTMENT_MOVE_NONCE: { area: "transfer", http: CONFLICT },
  COMPARTMENT_RESERVE_SHORT: { area: "transfer", http: BAD },
  COMPARTMENT_BELOW_REQUIREMENT: { area: "transfer", http: BAD },
  COMPARTMENT_BAD_SIGNATURE: { area: "transfer", http: BAD },

  TREE_BAD_DEPTH: { area: "tree", http: BAD },
  TREE_BAD_PROOF: { area: "tree", http: BAD },
  TREE_BAD_VALUE: { area: "tree", http: BAD },
  TREE_INDEX_OUT_OF_RANGE: { area: "tree", http: BAD },

  ACCOUNT_BAD_KEY: { area: "state", http: BAD },
  ACCOUNT_BAD_ISOLATION: { area: "state", http: BAD },
  ACCOUNT_EXISTS: { area: "state", http: CONFLICT },
  ACCOUNT_MARKETS: { area: "state", http: BAD },
  ACCOUNT_NOT_FOUND: { area: "state", http: MISSING },
  ACCOUNT_RESERVED: { area: "state", http: BAD },

  BATCH_TOO_LARGE: { area: "trade", http: BAD },
  TRADE_BAD_SIDE: { area: "trade", http: BAD },
  TRADE_MARKET_MISMATCH: { area: "trade", http: BAD },
  TRADE_SELF: { area: "trade", http: BAD },
  TRADE_BAD_QTY: { area: "trade", http: BAD },
  TRADE_BAD_PRICE: { area: "trade", http: BAD },
  ORDER_BAD_SIGNATURE: { area: "trade", http: BAD },
  ORDER_REPLAYED: { area: "trade", http: CONFLICT },
  ORDER_OVERFILLED: { area: "trade", http: CONFLICT },
  PRICE_OUTSIDE_LIMIT: { area: "trade", http: BAD },
  FEE_ABOVE_MAX: { area: "trade", http: BAD },
  POSITION_OUT_OF_RANGE: { area: "trade", http: BAD },
  MARGIN_INSUFFICIENT: { area: "trade", http: BAD },
  MARKET_REDUCE_ONLY: { area: "trade", http: CONFLICT },
  TRADE_OUTSIDE_ISOLATED_MARKET: { area: "trade", http: BAD },
  DEPOSIT_BAD_KEY: { area: "trade", http: BAD },
  DEPOSIT_OVERFLOW: { area: "trade", http: BAD },
  DEPOSIT_KEY_ON_TOP_UP: { area: "trade", http: BAD },
  OWNER_ROTATION_BAD_KEY: { area: "trade", http: BAD },
  WITHDRAW_EMPTY_ACCOUNT: { area: "trade", http: BAD },
  FUND_BELOW_FLOOR: { area: "trade", http: BAD },
  FUND_TRADE_OUTSIDE_BAND: { area: "trade", http: BAD },
  FUND_COMPARTMENT_BELOW_REQUIREMENT: { area: "trade", http: BAD },
  FUND_RESERVE_NEGATIVE: { area: "trade", http: BAD },
  WITHDRAW_BAD_NONCE: { area: "trade", http: CONFLICT },
  WITHDRAW_BAD_SIGNATURE: { area: "trade", http: BAD },
  WITHDRAW_INSUFFICIENT: { area: "trade", http: BAD },
  TRANSFER_BAD_DESTINATION: { area: "trade", http: BAD },
  EXIT_UNSIGNED: { area: "trade", http: BAD },
  EXIT_SIGNER_NOT_SYSTEM: { area: "trade", http: BAD },

  LIQUIDATE_SYSTEM_ACCOUNT: { area: "liquidation", http: BAD },
  LIQUIDATE_HEALTHY: { area: "liquidation", http: BAD },
  FUND_POSITION_OUT_OF_RANGE: { area: "liquidation", http: BAD },
  LIQUIDATOR_SHARE_ABOVE_PENALTY: { area: "liquidation", http: BAD },
  LIQUIDATOR_SYSTEM_ACCOUNT: { area: "liquidation", http: BAD },
  LIQUIDATOR_IS_ACCOUNT: { area: "liquidation", http: BAD },
  LIQUIDATOR_NOT_FOUND: { area: "liquidation", http: BAD },
  LIQUIDATOR_BAD_SIGNATURE: { area: "liquidation", http: BAD },
  OFFER_NOT_COVERING: { area: "liquidation", http: BAD },
  LIQUIDATOR_OUTSIDE_ISOLATED_MARKET: { area: "liquidation", http: BAD },
  OFFER_DISCOUNT_ABOVE_PENALTY: { area: "liquidation", http: BAD },
  LIQUIDATOR_MARGIN: { area: "liquidation", http: BAD },
  LIQUIDATOR_POSITION_OUT_OF_RANGE: { area: "liquidation", http: BAD },
  LIQUIDATION_TAKER_COUNT: { area: "liquidation", http: BAD },
  LIQUIDATOR_IN_DELEVERAGED_MARKET: { area: "liquidation", http: BAD },
  // a skip proof (engine/skip-proof.ts): what keeps an account from being a skipped one
  SKIP_NOT_DELEVERAGED: { area: "liquidation", http: BAD },
  SKIP_REPLAY_MISMATCH: { area: "liquidation", http: BAD },
  SKIP_NOT_ELIGIBLE: { area: "liquidation", http: BAD },
  SKIP_LISTED: { area: "liquidation", http: BAD },
  SKIP_RANKED_BELOW: { area: "liquidation", http: BAD },

  BATCH_VIEW_INCOMPLETE: { area: "batch", http: INTERNAL },
  BATCH_FILE_INVALID: { area: "batch", http: BAD },
  DEPLOYMENT_INVALID: { area: "batch", http: BAD },
  DEPLOYMENT_UNREADABLE: { area: "batch", http: BAD },
  EXIT_DATA_INVALID: { area: "batch", http: BAD },
  EXIT_DATA_MISMATCH: { area: "batch", http: BAD },

  KEYSTORE_FORMAT: { area: "keystore", http: BAD },
  KEYSTORE_MISMATCH: { area: "keystore", http: BAD },
  KEYSTORE_PASSPHRASE: { area: "keystore", http: AUTH },
  KEYSTORE_WEAK_PASSPHRASE: { area: "keystore", http: BAD },

  NO_PRICES: { area: "operator", http: UNAVAILABLE },
  OPERATOR_HALTED: { area: "operator", http: UNAVAILABLE },
  INTAKE_BUSY: { area: "operator", http: UNAVAILABLE },
  ORDER_OUTCOME_UNKNOWN: { area: "operator", http: INTERNAL },
  FUNDING_NOT_READ: { area: "operator", http: UNAVAILABLE },
  ANOMALY_THRESHOLD_INVALID: { area: "operator", http: BAD },
  FUNDING_WINDOW_UNKNOWN: { area: "operator", http: INTERNAL },
  EXCHANGE_FROZEN: { area: "operator", http: GONE },
  ACCOUNT_IN_LIQUIDATION: { area: "operator", http: CONFLICT },
  ACCOUNT_TAKING_LIQUIDATION: { area: "operator", http: CONFLICT },
  ACCOUNT_KEY_ROTATING: { area: "operator", http: CONFLICT },
  OFFER_NONCE_USED: { area: "operator", http: CONFLICT },
  OFFER_BAD_SIGNATURE: { area: "operator", http: BAD },
  ORDER_NONCE_USED: { area: "operator", http: CONFLICT },
  ORDER_NOT_FOUND: { area: "operator", http: MISSING },
  ORDER_NOT_OPEN: { area: "operator", http: CONFLICT },
  CANCEL_BAD_SIGNATURE: { area: "operator", http: BAD },
  MATCH_REFUSED: { area: "operator", http: BAD },
  REPLAY_MISMATCH: { area: "operator", http: INTERNAL },
  BOOK_EMPTY_ORDER: { area: "operator", http: BAD },
  BOOK_WRONG_MARKET: { area: "operator", http: BAD },

  ORDER_DUPLICATE_NONCE: { area: "store", http: CONFLICT },
  WITHDRAWAL_DUPLICATE: { area: "store", http: CONFLICT },
  BATCH_NOT_FOUND: { area: "store", http: MISSING },
  STORE_SCHEMA: { area: "store", http: INTERNAL },
  STORE_NOT_DURABLE: { area: "store", http: INTERNAL },

  BAD_REQUEST: { area: "http", http: BAD },
  AUTH_EXPIRED: { area: "http", http: AUTH },
  AUTH_FAILED: { area: "http", http: AUTH },
  NOT_PUBLISHED: { area: "http", http: MISSING },
  UNSUPPORTED_CHARSET: { area: "http", http: 415 },
  WITHDRAWAL_NOT_FOUND: { area: "http", http: MISSING },
  EXIT_DATA_UNAVAILABLE: { area: "http", http: CONFLICT },

  CIRCOM_FAILED: { area: "build", http: INTERNAL },
  CIRCOM_OUTPUT: { area: "build", http: INTERNAL },
  CIRCUIT_NOT_BUILT: { area: "build", http: INTERNAL },
  SOLC_FAILED: { area: "build", http: INTERNAL },
  ARTIFACT_MISSING: { area: "build", http: INTERNAL },
  LIBRARY_MISSING: { area: "build", http: INTERNAL },
  VERIFIER_TEMPLATE_CHANGED: { area: "build", http: INTERNAL },
  RIG_TIMEOUT: { area: "dev", http: INTERNAL },
  RIG_MISMATCH: { area: "dev", http: INTERNAL },
  RIG_SERVER_START: { area: "dev", http: INTERNAL },
  RIG_REFUSED: { area: "dev", http: INTERNAL },
  DEMO_STEP_FAILED: { area: "dev", http: INTERNAL },
  CHAOS_INVARIANT: { area: "dev", http: INTERNAL },
  MUTANT_UNKNOWN: { area: "verify", http: BAD },
  MUTATION_BASELINE_FAILS: { area: "verify", http: INTERNAL },
  MUTATION_BAD_TESTS: { area: "verify", http: BAD },
  MUTATION_OTHER_SOURCES: { area: "verify", http: BAD },
  SMT_KNOWN_TARGET: { area: "verify", http: INTERNAL },
  SMTCHECKER_COMPILE: { area: "verify", http: BAD },
  SMT_SOLVER_START: { area: "verify", http: INTERNAL },
  R1CS_BAD_FILE: { area: "build", http: BAD },
  R1CS_INCONSISTENT: { area: "build", http: BAD },
  R1CS_WITNESS_SIZE: { area: "build", http: BAD },

  CIRCUIT_TOO_LARGE: { area: "keys", http: BAD },
  R1CS_CUSTOM_GATES: { area: "keys", http: BAD },
  R1CS_MALFORMED: { area: "keys", http: BAD },
  R1CS_READ_FAILED: { area: "keys", http: BAD },
  R1CS_WRONG_CURVE: { area: "keys", http: BAD },
  WASM_FAILURE: { area: "keys", http: INTERNAL },
  ZKEY_WRITE_FAILED: { area: "keys", http: INTERNAL },
  INVALID_OPTIONS: { area: "keys", http: BAD },
  PTAU_READ_FAILED: { area: "keys", http: BAD },
  PTAU_WRONG_CURVE: { area: "keys", http: BAD },
  PTAU_NOT_PREPARED: { area: "keys", http: BAD },
  PTAU_TOO_SMALL: { area: "keys", http: BAD },
  ZKEY_NEW_FAILED: { area: "keys", http: INTERNAL },
  CONTRIBUTION_FAILED: { area: "keys", http: INTERNAL },
  BEACON_FAILED: { area: "keys", http: INTERNAL },
  VERIFY_FAILED: { area: "keys", http: BAD },
  EXPORT_FAILED: { area: "keys", http: INTERNAL },
  KEY_MISSING: { area: "keys", http: INTERNAL },
  KEYSET_INVALID: { area: "keys", http: BAD },
  KEYSET_PARAMS: { area: "keys", http: BAD },
  KEYSET_UNREADABLE: { area: "keys", http: BAD },

  WITNESS_CONSTRAINT_FAILED: { area: "prove", http: BAD },
  PROVE_BAD_KEY: { area: "prove", http: BAD },
  PROVE_BAD_WITNESS: { area: "prove", http: BAD },
  PROVE_TOO_LARGE: { area: "prove", http: BAD },
  PROVE_WITNESS_MISMATCH: { area: "prove", http: BAD },
  PROVE_FAILED: { area: "prove", http: INTERNAL },
  PROVE_NATIVE_FAILED: { area: "prove", http: INTERNAL },
  PROVE_NATIVE_UNAVAILABLE: { area: "prove", http: INTERNAL },
  PROVE_BAD_ENGINE: { area: "prove", http: BAD },
  WITNESS_NATIVE_FAILED: { area: "prove", http: INTERNAL },
  PROVER_EXITED: { area: "prove", http: UNAVAILABLE },
  PROOF_REJECTED: { area: "prove", http: INTERNAL },
  PROVE_QUEUE_FAILED: { area: "prove", http: UNAVAILABLE },

  NO_RECEIPT: { area: "chain", http: UNAVAILABLE },
  NO_PROVIDER: { area: "chain", http: INTERNAL },
  BATCH_REFUSED: { area: "chain", http: INTERNAL },
  SETTLEMENT_PAUSED: { area: "chain", http: UNAVAILABLE },
  SETTLEMENT_FROZEN: { area: "chain", http: GONE },
  BATCH_LATE: { area: "chain", http: INTERNAL },
  BATCH_UNATTESTED: { area: "chain", http: UNAVAILABLE },
  MEDIAN_EMPTY: { area: "chain", http: BAD },
  REPORT_NO_PRICES: { area: "chain", http: BAD },
  REPORT_SIGNATURE_MISMATCH: { area: "chain", http: BAD },
  ROUND_EMPTY: { area: "chain", http: BAD },
  ROUND_PRICE_COUNT: { area: "chain", http: BAD },
  BATCH_CALL_UNREADABLE: { area: "chain", http: BAD },
  DEPLOY_INVALID: { area: "chain", http: BAD },
  // Funding.sol refuses a tick (chain/funding.ts; frozen and paused are SETTLEMENT_*)
  FUNDING_NOT_OPERATOR: { area: "chain", http: AUTH },
  FUNDING_RATE_COUNT: { area: "chain", http: BAD },
  FUNDING_RATE_ABOVE_CAP: { area: "chain", http: BAD },
  FUNDING_TOO_SOON: { area: "chain", http: CONFLICT },
  FUNDING_STALE_PRICES: { area: "chain", http: UNAVAILABLE },
  FUNDING_NO_ROUND: { area: "chain", http: CONFLICT },
  FUNDING_INDEX_OUT_OF_RANGE: { area: "chain", http: BAD },
  FUNDING_REFUSED: { area: "chain", http: INTERNAL },

  DEPLOYMENT_CHAIN_MISMATCH: { area: "startup", http: INTERNAL },
  DEPLOYMENT_NOT_FOUND: { area: "startup", http: INTERNAL },
  CONFIG_MISMATCH: { area: "startup", http: INTERNAL },
  VERIFIER_MISMATCH: { area: "startup", http: INTERNAL },
  KEY_MISMATCH: { area: "startup", http: INTERNAL },
  OPERATOR_KEY_MISSING: { area: "startup", http: INTERNAL },

  RPC_FAILED: { area: "audit", http: UNAVAILABLE },
  NOT_SETTLEMENT: { area: "audit", http: BAD },
  CHECKPOINT_INVALID: { area: "audit", http: BAD },
  CONFIG_INVALID: { area: "audit", http: BAD },
  CONFIG_MISSING: { area: "audit", http: BAD },
  VKEY_MISSING: { area: "audit", http: BAD },
  VKEY_INVALID: { area: "audit", http: BAD },
  FILES_UNREADABLE: { area: "audit", http: BAD },
  REPLICA_INCOMPLETE: { area: "audit", http: BAD },
  REPLICA_ROOT_MISMATCH: { area: "audit", http: BAD },

  // a replica refuses to attest a batch (each says why; the operator collects elsewhere)
  ATTEST_KIND: { area: "committee", http: BAD },
  ATTEST_FOREIGN: { area: "committee", http: BAD },
  ATTEST_NOT_NEXT: { area: "committee", http: CONFLICT },
  ATTEST_FILE_INVALID: { area: "committee", http: BAD },
  ATTEST_TAMPERED: { area: "committee", http: BAD },
  ATTEST_PRICES: { area: "committee", http: BAD },
  ATTEST_BAD_PROOF: { area: "committee", http: BAD },
  ATTEST_REPLAY_REFUSED: { area: "committee", http: BAD },
  ATTEST_ROOT_MISMATCH: { area: "committee", http: BAD },
  ATTEST_INSOLVENT: { area: "committee", http: BAD },
  ATTEST_HALTED: { area: "committee", http: UNAVAILABLE },
  // the operator could not gather k signatures
  COMMITTEE_UNREACHED: { area: "committee", http: UNAVAILABLE },
  COMMITTEE_SHORT: { area: "committee", http: UNAVAILABLE },
  REPLICA_DB_INVALID: { area: "committee", http: INTERNAL },

  BAD_ARGUMENT: { area: "cli", http: BAD },
  OWNER_MISSING: { area: "cli", http: BAD },
  API_UNREACHABLE: { area: "cli", http: UNAVAILABLE },
  API_REFUSED: { area: "cli", http: BAD },
  RPC_UNREACHABLE: { area: "cli", http: UNAVAILABLE },
  FILE_EXISTS: { area: "cli", http: CONFLICT },
  KEYSTORE_READ: { area: "cli", http: BAD },
  LEAF_MISMATCH: { area: "cli", http: BAD },
  PROOF_MISMATCH: { area: "cli", http: BAD },
  NOT_PROVED: { area: "cli", http: CONFLICT },
  NO_PASSPHRASE: { area: "cli", http: BAD },
  NO_VKEY: { area: "cli", http: BAD },
  ROOTS_MISMATCH: { area: "cli", http: BAD },
  CHAIN_REFUSED: { area: "cli", http: BAD },
  NOT_FROZEN: { area: "cli", http: CONFLICT },
  NONCE_UNKNOWN: { area: "cli", http: BAD },
  RECEIPT_MISSING: { area: "cli", http: MISSING },
  RECEIPT_STALE: { area: "cli", http: CONFLICT },
  RECEIPT_INVALID: { area: "cli", http: BAD },
  DEPOSIT_NOT_FOUND: { area: "cli", http: MISSING },
  // zkclear claim: the Vault owes nothing, or a delayed credit is unknown, paid or not mature
  NOTHING_OWED: { area: "cli", http: MISSING },
  CLAIM_UNKNOWN: { area: "cli", http: MISSING },
  CLAIM_PAID: { area: "cli", http: CONFLICT },
  CLAIM_NOT_MATURE: { area: "cli", http: CONFLICT },
  // zkclear prove-skip: the batch is not a liquidation batch, or its deleveraging skipped nobody
  NOT_A_LIQUIDATION_BATCH: { area: "cli", http: BAD },
  NOTHING_SKIPPED: { area: "cli", http: CONFLICT },
} as const satisfies Record<string, { area: Area; http: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes of one area: an error class of that area takes only these. */
export type CodeOf<A extends Area> = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K]["area"] extends A ? K : never;
}[ErrorCode];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** The HTTP status the API answers a refusal with (500 for a code it does not know). */
export function httpStatus(code: string): number {
  return isErrorCode(code) ? ERROR_CODES[code].http : INTERNAL;
}
