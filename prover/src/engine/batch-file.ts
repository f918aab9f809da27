import { getAddress } from "ethers";
import { FUNDING_INDEX_BITS } from "../domain/constants.ts";
import { configHash, type BoundConfig, type MarketParams } from "../domain/market.ts";
import type { Owners } from "../domain/owners.ts";
import type { ParamSet } from "../domain/params.ts";
import type { BatchData, BatchKind } from "../domain/batch.ts";
import { BATCH_KIND_NAMES, BATCH_KINDS, batchCommitment } from "../domain/batch-kinds.ts";
import {
  BATCH_CODECS,
  BatchFileError,
  dec,
  type BatchCodec,
  type BatchHead,
} from "./batch-codecs.ts";
import { Reader } from "../domain/json-reader.ts";
import { deploymentDomain } from "../domain/messages.ts";
import {
  marketsJson,
  ownersJson,
  readConfigHash,
  readFundFloor,
  readMarkets,
  readOwners,
  readParamSet,
} from "../domain/config-json.ts";

/**
 * The published file of a settled batch (format zkclear-batch/1, docs/batch-files.md): the
 * batch's data (prover/src/domain/batch.ts) with the chain, Settlement and batch number it
 * belongs to, written and read back with every field checked.
 */
export const BATCH_FILE_FORMAT = "zkclear-batch/1";

/** Published file names, the same in a directory and under the API's /v1/published/. */
export const batchFileName = (n: number) => `batch-${String(n).padStart(6, "0")}.json`;
export const CONFIG_FILE_NAME = "config.json";
export const INDEX_FILE_NAME = "index.json";

/** Where a published batch belongs: the chain, the Settlement contract, the batch number. */
export interface BatchFileMeta {
  readonly chainId: bigint;
  readonly settlement: string;
  readonly batch: number;
}

export { BatchFileError };

// ---------------------------------------------------------------- writing

/** The published file of a settled batch (format zkclear-batch/1, docs/batch-files.md). */
export function toBatchFile(d: BatchData, meta: BatchFileMeta): Record<string, unknown> {
  const priced = BATCH_KINDS[d.kind].priced && "marks" in d;
  const codec = BATCH_CODECS[d.kind] as BatchCodec<BatchKind>;
  return {
    format: BATCH_FILE_FORMAT,
    chainId: dec(meta.chainId),
    settlement: getAddress(meta.settlement),
    batch: meta.batch,
    kind: d.kind,
    oldRoot: dec(d.oldRoot),
    newRoot: dec(d.newRoot),
    commitment: dec(batchCommitment(d)),
    roundId: priced ? dec(d.round) : null,
    prices: priced ? d.marks.map(dec) : null,
    fundingIndices: priced ? d.fundingIndices.map(dec) : null,
    margins: priced ? { mult: d.margins.mult.map(dec), liqMult: d.margins.liqMult.map(dec) } : null,
    funding: priced
      ? d.funding.map((f) => ({ account: dec(f.account), payment: dec(f.payment) }))
      : null,
    ...codec.write(d as never),
  };
}

// ---------------------------------------------------------------- reading

const HEAD = [
  "format",
  "chainId",
  "settlement",
  "batch",
  "kind",
  "oldRoot",
  "newRoot",
  "commitment",
  "roundId",
  "prices",
  "fundingIndices",
  "margins",
  "funding",
];

/** A published batch file, read back: where it belongs, its data, and what it claims. */
export interface ParsedBatchFile {
  readonly meta: BatchFileMeta;
  readonly data: BatchData;
  /** The commitment the file states (the auditor recomputes it from the records). */
  readonly statedCommitment: bigint;
}

/**
 * Parses and validates a batch file (zkclear-batch/1). Throws BatchFileError naming the
 * field that is wrong; it does not check signatures or the state (replay does that).
 */
export function parseBatchFile(text: string, name = "batch file"): ParsedBatchFile {
  const r = Reader.parse(text, name, (m) => new BatchFileError(m));
  const json = r.value;
  const format = r.field("format");
  if (format.isNull() || (json as { format: unknown }).format !== BATCH_FILE_FORMAT)
    throw new BatchFileError(
      `${name}.format: expected "${BATCH_FILE_FORMAT}", got ${JSON.stringify((json as { format: unknown }).format)}`,
    );
  const kind = r.field("kind").oneOf<BatchKind>(BATCH_KIND_NAMES);
  const meta: BatchFileMeta = {
    chainId: r.field("chainId").uint(),
    settlement: getAddress(`0x${r.field("settlement").address().toString(16).padStart(40, "0")}`),
    batch: r.field("batch").int(),
  };
  const priced = BATCH_KINDS[kind].priced;
  const roundR = r.field("roundId");
  const pricesR = r.field("prices");
  const indicesR = r.field("fundingIndices");
  const fundingR = r.field("funding");
  const marginsR = r.field("margins");
  if (
    !priced &&
    !(
      roundR.isNull() &&
      pricesR.isNull() &&
      indicesR.isNull() &&
      marginsR.isNull() &&
      fundingR.isNull()
    )
  )
    throw new BatchFileError(
      `${name}: a ${kind} batch has no roundId, prices, fundingIndices, margins or funding (null)`,
    );
  if (priced) marginsR.only(["mult", "liqMult"]);
  const head: BatchHead = {
    oldRoot: r.field("oldRoot").uint(),
    newRoot: r.field("newRoot").uint(),
    commitment: r.field("commitment").uint(),
    round: priced ? roundR.uint(64) : 0n,
    marks: priced ? pricesR.array().map((x) => x.uint(64)) : [],
    fundingIndices: priced ? indicesR.array().map((x) => x.sint(FUNDING_INDEX_BITS)) : [],
    margins: priced
      ? {
          mult: marginsR
            .field("mult")
            .array()
            .map((x) => x.uint(16)),
          liqMult: marginsR
            .field("liqMult")
            .array()
            .map((x) => x.uint(16)),
        }
      : { mult: [], liqMult: [] },
    funding: priced
      ? fundingR.array().map((f) => {
          f.only(["account", "payment"]);
          return { account: f.field("account").uint(64), payment: f.field("payment").sint(256) };
        })
      : [],
  };
  const codec = BATCH_CODECS[kind] as BatchCodec<BatchKind>;
  r.only([...HEAD, ...codec.fields]);
  const data = codec.read(r, head, name);
  return { meta, data, statedCommitment: head.commitment };
}

// ---------------------------------------------------------------- the configuration

export const CONFIG_FILE_FORMAT = "zkclear-config/2";

/**
 * What an auditor needs besides the batches: the parameter set, the markets, the
 * insurance fund's floor and the system accounts' owners (the genesis leaves' keys).
 */
export interface PublishedConfig {
  readonly chainId: bigint;
  readonly settlement: string;
  readonly paramSet: ParamSet;
  readonly markets: readonly MarketParams[];
  readonly fundFloor: bigint;
  readonly owners: Owners;
}

/** The configuration the circuits bind (MarketBinding) of a published configuration. */
export function boundConfigOf(c: PublishedConfig): BoundConfig {
  return {
    markets: c.markets,
    fundFloor: c.fundFloor,
    domain: deploymentDomain(c.chainId, c.settlement),
  };
}

/** The published configuration file (zkclear-config/2, docs/batch-files.md). */
export function toConfigFile(c: PublishedConfig): Record<string, unknown> {
  return {
    format: CONFIG_FILE_FORMAT,
    chainId: dec(c.chainId),
    settlement: getAddress(c.settlement),
    paramSet: { ...c.paramSet },
    markets: marketsJson(c.markets),
    fundFloor: dec(c.fundFloor),
    owners: ownersJson(c.owners),
    configHash: dec(configHash(boundConfigOf(c))),
  };
}

export function parseConfigFile(text: string, name = "config file"): PublishedConfig {
  const r = Reader.parse(text, name, (m) => new BatchFileError(m));
  r.only([
    "format",
    "chainId",
    "settlement",
    "paramSet",
    "markets",
    "fundFloor",
    "owners",
    "configHash",
  ]);
  r.field("format").oneOf([CONFIG_FILE_FORMAT]);
  const paramSet = readParamSet(r.field("paramSet"));
  const markets = readMarkets(r.field("markets"));
  const chainId = r.field("chainId").uint();
  const settlement = getAddress(
    `0x${r.field("settlement").address().toString(16).padStart(40, "0")}`,
  );
  const domain = deploymentDomain(chainId, settlement);
  const fundFloor = readFundFloor(r.field("fundFloor"));
  const owners = readOwners(r.field("owners"));
  readConfigHash(
    r.field("configHash"),
    { markets, fundFloor, domain },
    (m) => new BatchFileError(m),
  );
  return { chainId, settlement, paramSet, markets, fundFloor, owners };
}
