import { getAddress, keccak256 } from "ethers";
import { ZkClearError } from "../domain/errors.ts";
import type { EdDSASignature } from "../domain/keys.ts";
import type { Side, SignedOrder } from "../domain/order.ts";
import { configHash, type MarketParams } from "../domain/market.ts";
import type { ParamSet } from "../domain/params.ts";
import {
  depositQueueHash,
  payoutWord,
  type Deposit,
  type SignedWithdrawal,
} from "../domain/transfers.ts";
import { liquidationCommitment } from "./liquidations.ts";
import { tradeCommitment, type Trade } from "./trades.ts";

/**
 * A settled batch's private data, as the operator keeps it and publishes it for auditors
 * (docs/batch-files.md): enough to replay the batch in the engine from the state before
 * it, and to recompute the commitment the chain recorded for it.
 */
/** Every batch moves the tree from one root to the next. */
interface Roots {
  oldRoot: bigint;
  newRoot: bigint;
}

/** Trades, liquidations and withdrawals are proven at an oracle round's prices. */
interface Priced extends Roots {
  marks: bigint[];
  round: bigint;
}

export type BatchData =
  | (Priced & { kind: "trades"; trades: Trade[]; dataCommitment: bigint })
  | (Roots & { kind: "deposits"; deposits: Deposit[]; queueFrom: bigint; queueTo: bigint })
  | (Priced & { kind: "liquidations"; accounts: bigint[]; dataCommitment: bigint })
  | (Priced & { kind: "withdrawals"; withdrawals: SignedWithdrawal[]; payouts: bigint[] });

export type BatchDataKind = BatchData["kind"];

/** Settlement's BatchSettled kind numbers. */
export const KIND_NUMBER: Record<BatchDataKind, number> = {
  trades: 1,
  deposits: 2,
  withdrawals: 3,
  liquidations: 4,
};

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

export class BatchFileError extends ZkClearError {
  constructor(message: string) {
    super("BATCH_FILE_INVALID", message);
  }
}

/** keccak256(abi.encode(uint256[] payouts)): what Settlement records for a withdrawal batch. */
export function payoutsCommitment(payouts: readonly bigint[]): bigint {
  const words = [0x20n, BigInt(payouts.length), ...payouts];
  const hex = words.map((w) => w.toString(16).padStart(64, "0")).join("");
  return BigInt(keccak256(`0x${hex}`));
}

/**
 * The commitment the chain records for a batch (BatchSettled.dataCommitment), computed
 * from the batch's records alone: the Poseidon chain over trades or liquidated accounts,
 * the deposit queue hash reached from queueFrom, or the keccak of the payouts.
 */
export function batchCommitment(d: BatchData): bigint {
  switch (d.kind) {
    case "trades":
      return tradeCommitment(d.trades);
    case "liquidations":
      return liquidationCommitment(d.accounts);
    case "deposits":
      return d.deposits.reduce((h, dep) => depositQueueHash(h, dep), d.queueFrom);
    case "withdrawals":
      return payoutsCommitment(d.payouts);
  }
}

// ---------------------------------------------------------------- writing

const dec = (v: bigint) => v.toString();
const sig = (s: EdDSASignature) => ({ r8x: dec(s.r8x), r8y: dec(s.r8y), s: dec(s.s) });
const orderJson = (so: SignedOrder) => ({
  account: dec(so.order.account),
  market: so.order.market,
  side: so.order.side,
  nonce: dec(so.order.nonce),
  maxFeeBps: dec(so.order.maxFeeBps),
  amount: dec(so.order.amount),
  limitPrice: dec(so.order.limitPrice),
  signature: sig(so.signature),
});
const address = (v: bigint) => getAddress(`0x${v.toString(16).padStart(40, "0")}`);

/** The published file of a settled batch (format zkclear-batch/1, docs/batch-files.md). */
export function toBatchFile(d: BatchData, meta: BatchFileMeta): Record<string, unknown> {
  const priced = d.kind !== "deposits";
  const head = {
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
  };
  switch (d.kind) {
    case "trades":
      return {
        ...head,
        trades: d.trades.map((t) => ({
          buy: orderJson(t.buy),
          sell: orderJson(t.sell),
          qty: dec(t.qty),
          price: dec(t.price),
          takerIsBuyer: t.takerIsBuyer,
        })),
      };
    case "deposits":
      return {
        ...head,
        queueFrom: dec(d.queueFrom),
        queueTo: dec(d.queueTo),
        deposits: d.deposits.map((x) => ({
          account: dec(x.account),
          amount: dec(x.amount),
          pkX: dec(x.pubKey.x),
          pkY: dec(x.pubKey.y),
        })),
      };
    case "withdrawals":
      return {
        ...head,
        withdrawals: d.withdrawals.map((w) => ({
          account: dec(w.withdrawal.account),
          nonce: dec(w.withdrawal.nonce),
          amount: dec(w.withdrawal.amount),
          recipient: address(w.withdrawal.recipient),
          signature: sig(w.signature),
        })),
        payouts: d.payouts.map(dec),
      };
    case "liquidations":
      return { ...head, accounts: d.accounts.map(dec) };
  }
}

// ---------------------------------------------------------------- reading

/** Reads one JSON value with the path it came from, so every error names its field. */
class Reader {
  constructor(
    readonly value: unknown,
    readonly path: string,
  ) {}

  static parse(text: string, name: string): Reader {
    try {
      return new Reader(JSON.parse(text), name);
    } catch (e) {
      throw new BatchFileError(`${name}: not JSON (${(e as Error).message})`);
    }
  }

  str(): string {
    if (typeof this.value !== "string") this.fail("must be a string");
    return this.value;
  }

  private fail(what: string): never {
    throw new BatchFileError(`${this.path}: ${what}`);
  }

  field(name: string): Reader {
    const v = this.value;
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail("is not an object");
    if (!(name in v)) this.fail(`has no field "${name}"`);
    return new Reader((v as Record<string, unknown>)[name], `${this.path}.${name}`);
  }

  /** Refuses fields the format does not define (a typo must not pass unnoticed). */
  only(names: readonly string[]): this {
    const extra = Object.keys(this.value as object).filter((k) => !names.includes(k));
    if (extra.length) this.fail(`has unknown field(s) ${extra.join(", ")}`);
    return this;
  }

  array(): Reader[] {
    if (!Array.isArray(this.value)) this.fail("is not an array");
    return (this.value as unknown[]).map((x, i) => new Reader(x, `${this.path}[${i}]`));
  }

  /** A non-negative integer written as a decimal string (no sign, no leading zeros). */
  uint(bits = 256): bigint {
    const v = this.value;
    if (typeof v !== "string" || !/^(0|[1-9][0-9]*)$/.test(v))
      this.fail(`must be a non-negative integer as a decimal string, got ${JSON.stringify(v)}`);
    const n = BigInt(v);
    if (n >> BigInt(bits) !== 0n) this.fail(`${v} does not fit ${bits} bits`);
    return n;
  }

  int(): number {
    const v = this.value;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      this.fail(`must be a non-negative integer, got ${JSON.stringify(v)}`);
    return v;
  }

  bool(): boolean {
    if (typeof this.value !== "boolean") this.fail("must be true or false");
    return this.value;
  }

  oneOf<T extends string>(values: readonly T[]): T {
    if (!values.includes(this.value as T))
      this.fail(`must be one of ${values.join(", ")}, got ${JSON.stringify(this.value)}`);
    return this.value as T;
  }

  address(): bigint {
    const v = this.value;
    if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v))
      this.fail(`must be a 0x-prefixed 20-byte address, got ${JSON.stringify(v)}`);
    return BigInt(v);
  }

  isNull(): boolean {
    return this.value === null;
  }
}

const readSig = (r: Reader): EdDSASignature => {
  r.only(["r8x", "r8y", "s"]);
  return { r8x: r.field("r8x").uint(), r8y: r.field("r8y").uint(), s: r.field("s").uint() };
};

const readOrder = (r: Reader): SignedOrder => {
  r.only(["account", "market", "side", "nonce", "maxFeeBps", "amount", "limitPrice", "signature"]);
  return {
    order: {
      account: r.field("account").uint(64),
      market: r.field("market").int(),
      side: r.field("side").oneOf<Side>(["buy", "sell"]),
      nonce: r.field("nonce").uint(64),
      maxFeeBps: r.field("maxFeeBps").uint(16),
      amount: r.field("amount").uint(64),
      limitPrice: r.field("limitPrice").uint(64),
    },
    signature: readSig(r.field("signature")),
  };
};

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
  const r = Reader.parse(text, name);
  const json = r.value;
  const format = r.field("format");
  if (format.isNull() || (json as { format: unknown }).format !== BATCH_FILE_FORMAT)
    throw new BatchFileError(
      `${name}.format: expected "${BATCH_FILE_FORMAT}", got ${JSON.stringify((json as { format: unknown }).format)}`,
    );
  const kind = r
    .field("kind")
    .oneOf<BatchDataKind>(["trades", "deposits", "withdrawals", "liquidations"]);
  const meta: BatchFileMeta = {
    chainId: r.field("chainId").uint(),
    settlement: getAddress(`0x${r.field("settlement").address().toString(16).padStart(40, "0")}`),
    batch: r.field("batch").int(),
  };
  const oldRoot = r.field("oldRoot").uint();
  const newRoot = r.field("newRoot").uint();
  const statedCommitment = r.field("commitment").uint();
  const priced = kind !== "deposits";
  const roundR = r.field("roundId");
  const pricesR = r.field("prices");
  if (!priced && !(roundR.isNull() && pricesR.isNull()))
    throw new BatchFileError(`${name}: a deposit batch has no roundId or prices (null)`);
  const round = priced ? roundR.uint(64) : 0n;
  const marks = priced ? pricesR.array().map((x) => x.uint(64)) : [];

  let data: BatchData;
  if (kind === "trades") {
    r.only([...HEAD, "trades"]);
    const trades = r
      .field("trades")
      .array()
      .map((t) => {
        t.only(["buy", "sell", "qty", "price", "takerIsBuyer"]);
        return {
          buy: readOrder(t.field("buy")),
          sell: readOrder(t.field("sell")),
          qty: t.field("qty").uint(64),
          price: t.field("price").uint(64),
          takerIsBuyer: t.field("takerIsBuyer").bool(),
        };
      });
    data = { kind, trades, marks, round, oldRoot, newRoot, dataCommitment: statedCommitment };
  } else if (kind === "liquidations") {
    r.only([...HEAD, "accounts"]);
    const accounts = r
      .field("accounts")
      .array()
      .map((a) => a.uint(64));
    data = { kind, accounts, marks, round, oldRoot, newRoot, dataCommitment: statedCommitment };
  } else if (kind === "deposits") {
    r.only([...HEAD, "queueFrom", "queueTo", "deposits"]);
    const deposits = r
      .field("deposits")
      .array()
      .map((d) => {
        d.only(["account", "amount", "pkX", "pkY"]);
        return {
          account: d.field("account").uint(64),
          amount: d.field("amount").uint(),
          pubKey: { x: d.field("pkX").uint(), y: d.field("pkY").uint() },
        };
      });
    data = {
      kind,
      deposits,
      queueFrom: r.field("queueFrom").uint(),
      queueTo: r.field("queueTo").uint(),
      oldRoot,
      newRoot,
    };
  } else {
    r.only([...HEAD, "withdrawals", "payouts"]);
    const withdrawals = r
      .field("withdrawals")
      .array()
      .map((w) => {
        w.only(["account", "nonce", "amount", "recipient", "signature"]);
        return {
          withdrawal: {
            account: w.field("account").uint(64),
            nonce: w.field("nonce").uint(64),
            amount: w.field("amount").uint(),
            recipient: w.field("recipient").address(),
          },
          signature: readSig(w.field("signature")),
        };
      });
    const payouts = r
      .field("payouts")
      .array()
      .map((p) => p.uint());
    withdrawals.forEach((w, i) => {
      if (payouts[i] !== payoutWord(w.withdrawal))
        throw new BatchFileError(`${name}.payouts[${i}]: does not pay withdrawal ${i}`);
    });
    payouts.slice(withdrawals.length).forEach((p, i) => {
      if (p !== 0n)
        throw new BatchFileError(
          `${name}.payouts[${withdrawals.length + i}]: a slot without a withdrawal pays nothing (0)`,
        );
    });
    data = { kind, withdrawals, payouts, marks, round, oldRoot, newRoot };
  }
  return { meta, data, statedCommitment };
}

// ---------------------------------------------------------------- the configuration

export const CONFIG_FILE_FORMAT = "zkclear-config/1";

/** What an auditor needs besides the batches: the parameter set and the markets. */
export interface PublishedConfig {
  readonly chainId: bigint;
  readonly settlement: string;
  readonly paramSet: ParamSet;
  readonly markets: readonly MarketParams[];
}

/** The published configuration file (zkclear-config/1, docs/batch-files.md). */
export function toConfigFile(c: PublishedConfig): Record<string, unknown> {
  return {
    format: CONFIG_FILE_FORMAT,
    chainId: dec(c.chainId),
    settlement: getAddress(c.settlement),
    paramSet: { ...c.paramSet },
    markets: c.markets.map((m) => ({
      symbol: m.symbol,
      initialMarginBps: dec(m.initialMarginBps),
      maintenanceMarginBps: dec(m.maintenanceMarginBps),
      makerFeeBps: dec(m.makerFeeBps),
      takerFeeBps: dec(m.takerFeeBps),
      liquidationPenaltyBps: dec(m.liquidationPenaltyBps),
    })),
    configHash: dec(configHash(c.markets)),
  };
}

export function parseConfigFile(text: string, name = "config file"): PublishedConfig {
  const r = Reader.parse(text, name);
  r.only(["format", "chainId", "settlement", "paramSet", "markets", "configHash"]);
  r.field("format").oneOf([CONFIG_FILE_FORMAT]);
  const ps = r.field("paramSet");
  ps.only(["name", "depth", "batch", "markets", "deposits", "withdrawals", "liquidations"]);
  const paramSet: ParamSet = {
    name: ps.field("name").str(),
    depth: ps.field("depth").int(),
    batch: ps.field("batch").int(),
    markets: ps.field("markets").int(),
    deposits: ps.field("deposits").int(),
    withdrawals: ps.field("withdrawals").int(),
    liquidations: ps.field("liquidations").int(),
  };
  const markets = r
    .field("markets")
    .array()
    .map((m) => {
      m.only([
        "symbol",
        "initialMarginBps",
        "maintenanceMarginBps",
        "makerFeeBps",
        "takerFeeBps",
        "liquidationPenaltyBps",
      ]);
      return {
        symbol: m.field("symbol").str(),
        initialMarginBps: m.field("initialMarginBps").uint(16),
        maintenanceMarginBps: m.field("maintenanceMarginBps").uint(16),
        makerFeeBps: m.field("makerFeeBps").uint(16),
        takerFeeBps: m.field("takerFeeBps").uint(16),
        liquidationPenaltyBps: m.field("liquidationPenaltyBps").uint(16),
      };
    });
  const stated = r.field("configHash").uint();
  const computed = configHash(markets);
  if (stated !== computed)
    throw new BatchFileError(
      `${name}.configHash: ${stated} is not the hash of its markets (${computed})`,
    );
  return {
    chainId: r.field("chainId").uint(),
    settlement: getAddress(`0x${r.field("settlement").address().toString(16).padStart(40, "0")}`),
    paramSet,
    markets,
  };
}
