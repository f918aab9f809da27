import {
  getAddress,
  TypedDataEncoder,
  verifyTypedData,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { checkUnsigned } from "../domain/amounts.ts";
import { PRICE_BITS } from "../domain/constants.ts";
import { ZkClearError, type CodeOf } from "../domain/errors.ts";

/**
 * Price reports for contracts/PriceOracle.sol: the EIP-712 domain and type, signing,
 * and a TypeScript twin of the contract's aggregation (medians and round timestamp).
 *
 * A report is the typed data `Report(uint64 roundId,uint64 timestamp,uint64[] prices)`
 * under the domain {name: "zkclear PriceOracle", version: "1", chainId, verifyingContract:
 * the oracle}, so a signature is good for one chain, one oracle and one round only.
 */

/** EIP-712 domain name; must equal the PriceOracle constructor's. */
export const ORACLE_DOMAIN_NAME = "zkclear PriceOracle";
/** EIP-712 domain version; must equal the PriceOracle constructor's. */
export const ORACLE_DOMAIN_VERSION = "1";
/** The EIP-712 type string whose keccak256 is PriceOracle.REPORT_TYPEHASH. */
export const REPORT_TYPE_STRING = "Report(uint64 roundId,uint64 timestamp,uint64[] prices)";

/** EIP-712 types of a report, in the shape ethers' signTypedData takes. */
export const REPORT_TYPES: Record<string, TypedDataField[]> = {
  Report: [
    { name: "roundId", type: "uint64" },
    { name: "timestamp", type: "uint64" },
    { name: "prices", type: "uint64[]" },
  ],
};

/** One signer's report (PriceOracle's `Report` struct). */
export interface OracleReport {
  /** The round this report is for (rounds start at 1). */
  readonly roundId: bigint;
  /** When the prices were observed, unix seconds. */
  readonly timestamp: bigint;
  /** One price per market, quote units per lot, each < 2^64. */
  readonly prices: readonly bigint[];
}

/** A report with its signature: `report` goes into submitRound's reports[i], `signature` into signatures[i]. */
export interface SignedReport {
  readonly report: OracleReport;
  /** 65-byte (r, s, v) signature, 0x-hex. */
  readonly signature: string;
  /** Checksummed address of the signer. */
  readonly signer: string;
}

/** The arguments of `PriceOracle.submitRound(roundId, reports, signatures)`, in order. */
export type SubmitRoundArgs = [roundId: bigint, reports: OracleReport[], signatures: string[]];

/**
 * What signReport needs of a wallet: an ethers v6 Wallet or Signer (from the ESM or the
 * CommonJS build of ethers, e.g. one that Hardhat hands out) or anything else that signs
 * EIP-712 typed data.
 */
export interface ReportSigner {
  getAddress(): Promise<string>;
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

export class OracleReportError extends ZkClearError<CodeOf<"chain">> {}

/** The EIP-712 domain of the oracle at `oracleAddress` on chain `chainId`. */
export function oracleDomain(oracleAddress: string, chainId: bigint | number): TypedDataDomain {
  return {
    name: ORACLE_DOMAIN_NAME,
    version: ORACLE_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: getAddress(oracleAddress),
  };
}

/**
 * Checks that a report's fields fit their Solidity types (uint64) and that it has at least
 * one price. It does not check bounds, freshness or the market count: the contract does.
 */
export function checkReport(report: OracleReport): OracleReport {
  checkUnsigned(report.roundId, 64, "report roundId");
  checkUnsigned(report.timestamp, 64, "report timestamp");
  if (report.prices.length === 0) {
    throw new OracleReportError("REPORT_NO_PRICES", "a report needs one price per market");
  }
  report.prices.forEach((p, m) => checkUnsigned(p, PRICE_BITS, `report price of market ${m}`));
  return report;
}

function typedValue(report: OracleReport): Record<string, unknown> {
  return { roundId: report.roundId, timestamp: report.timestamp, prices: [...report.prices] };
}

/** The EIP-712 digest of a report (what PriceOracle.reportDigest returns). */
export function reportDigest(
  oracleAddress: string,
  chainId: bigint | number,
  report: OracleReport,
): string {
  checkReport(report);
  return TypedDataEncoder.hash(
    oracleDomain(oracleAddress, chainId),
    REPORT_TYPES,
    typedValue(report),
  );
}

/** The address that signed `report` with `signature` (checksummed). */
export function recoverReportSigner(
  oracleAddress: string,
  chainId: bigint | number,
  report: OracleReport,
  signature: string,
): string {
  return verifyTypedData(
    oracleDomain(oracleAddress, chainId),
    REPORT_TYPES,
    typedValue(report),
    signature,
  );
}

/**
 * Signs `report` for the oracle at `oracleAddress` on chain `chainId` with `wallet` (an
 * ethers Wallet, or any signer that implements signTypedData). Returns the report, the
 * signature and the signer's address; the signature is checked to recover to the signer.
 */
export async function signReport(
  wallet: ReportSigner,
  oracleAddress: string,
  chainId: bigint | number,
  report: OracleReport,
): Promise<SignedReport> {
  checkReport(report);
  const signature = await wallet.signTypedData(
    oracleDomain(oracleAddress, chainId),
    REPORT_TYPES,
    typedValue(report),
  );
  const signer = getAddress(await wallet.getAddress());
  if (recoverReportSigner(oracleAddress, chainId, report, signature) !== signer) {
    throw new OracleReportError(
      "REPORT_SIGNATURE_MISMATCH",
      `the signature from ${signer} does not recover to it; does the wallet implement EIP-712 signing?`,
    );
  }
  return { report, signature, signer };
}

/**
 * The arguments of submitRound for `signed`, in the given order. The contract accepts
 * reports in any order and refuses a round that breaks a rule; nothing is checked here.
 */
export function submitRoundArgs(roundId: bigint, signed: readonly SignedReport[]): SubmitRoundArgs {
  return [roundId, signed.map((s) => s.report), signed.map((s) => s.signature)];
}

/**
 * The lower median of `values` as PriceOracle computes it: the element at index
 * floor((k - 1) / 2) of the k sorted values (the middle value of an odd count, the lower of
 * the two middle values of an even count), so it is always one of the values.
 */
export function medianPrice(values: readonly bigint[]): bigint {
  if (values.length === 0) {
    throw new OracleReportError("MEDIAN_EMPTY", "the median of no values is undefined");
  }
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** What PriceOracle stores for a round made of `reports`. */
export interface AggregatedRound {
  /** The oldest report timestamp. */
  readonly timestamp: bigint;
  /** The median price of each market. */
  readonly prices: readonly bigint[];
}

/**
 * TypeScript twin of the contract's aggregation: per-market lower medians and the minimum
 * timestamp. The reports must all have the same number of prices.
 */
export function aggregateRound(reports: readonly OracleReport[]): AggregatedRound {
  if (reports.length === 0) {
    throw new OracleReportError("ROUND_EMPTY", "a round needs at least one report");
  }
  const markets = reports[0].prices.length;
  if (reports.some((r) => r.prices.length !== markets)) {
    throw new OracleReportError(
      "ROUND_PRICE_COUNT",
      "all reports must have the same number of prices",
    );
  }
  const timestamp = reports.reduce(
    (t, r) => (r.timestamp < t ? r.timestamp : t),
    reports[0].timestamp,
  );
  const prices = Array.from({ length: markets }, (_, m) =>
    medianPrice(reports.map((r) => r.prices[m])),
  );
  return { timestamp, prices };
}
