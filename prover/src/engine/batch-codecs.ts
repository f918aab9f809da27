import { getAddress } from "ethers";
import type { EdDSASignature } from "../domain/keys.ts";
import type { Side, SignedOrder } from "../domain/order.ts";
import { payoutWord } from "../domain/transfers.ts";
import { isTransfer, type Debit } from "../domain/sub-accounts.ts";
import type {
  BatchDataOf,
  BatchKind,
  FundingPayment,
  LiquidationTakerRequest,
} from "../domain/batch.ts";
import type { SignedOffer } from "../domain/offer.ts";
import type { SignedCompartmentMove } from "../domain/compartment-moves.ts";
import type { Deleveraging } from "../domain/deleveraging.ts";
import {
  BPS_BITS,
  MAX_MARKETS,
  NONCE_BITS,
  SIZE_BITS,
  PRICE_BITS,
  TRANSFER_BITS,
} from "../domain/constants.ts";
import { ZkClearError } from "../domain/errors.ts";
import type { Reader } from "../domain/json-reader.ts";
import type { RoundMargins } from "../domain/volatility.ts";

/** A published file (batch, configuration) that does not follow its format. */
export class BatchFileError extends ZkClearError {
  constructor(message: string) {
    super("BATCH_FILE_INVALID", message);
  }
}

/**
 * How each batch kind's records are written to and read from its published file
 * (zkclear-batch/1, docs/batch-files.md), beside the head every file has (./batch-file.ts).
 * One codec per kind: the type below makes a new batch kind add its own.
 */
export interface BatchHead {
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  /** The commitment the file states (the auditor recomputes it from the records). */
  readonly commitment: bigint;
  /** For priced kinds: the oracle round, its prices and its funding indices. */
  readonly round: bigint;
  readonly marks: readonly bigint[];
  readonly fundingIndices: readonly bigint[];
  /** For priced kinds: the round's margin multipliers (the oracle's). */
  readonly margins: RoundMargins;
  /** For priced kinds: the funding the batch settled, by account. */
  readonly funding: readonly FundingPayment[];
}

export interface BatchCodec<K extends BatchKind> {
  /** The kind's own fields, beside the head. */
  readonly fields: readonly string[];
  write(d: BatchDataOf<K>): Record<string, unknown>;
  /** Reads the kind's fields (each checked, naming its path on error) into the batch's data. */
  read(r: Reader, head: BatchHead, name: string): BatchDataOf<K>;
}

export const dec = (v: bigint) => v.toString();
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

const offerJson = (so: SignedOffer) => ({
  account: dec(so.offer.account),
  nonce: dec(so.offer.nonce),
  terms: so.offer.terms.map((t) => ({ maxSize: dec(t.maxSize), discountBps: dec(t.discountBps) })),
  signature: sig(so.signature),
});

const readOffer = (r: Reader): SignedOffer => {
  r.only(["account", "nonce", "terms", "signature"]);
  return {
    offer: {
      account: r.field("account").uint(32),
      nonce: r.field("nonce").uint(NONCE_BITS),
      terms: r
        .field("terms")
        .array()
        .map((t) => {
          t.only(["maxSize", "discountBps"]);
          return {
            maxSize: t.field("maxSize").uint(SIZE_BITS),
            discountBps: t.field("discountBps").uint(BPS_BITS),
          };
        }),
    },
    signature: readSig(r.field("signature")),
  };
};

/** The fund owner's compartment move a liquidation batch carries. */
const moveJson = (sm: SignedCompartmentMove) => ({
  market: sm.move.market,
  nonce: dec(sm.move.nonce),
  amount: dec(sm.move.amount),
  toReserve: sm.move.toReserve,
  signature: sig(sm.signature),
});

const readMove = (r: Reader): SignedCompartmentMove => {
  r.only(["market", "nonce", "amount", "toReserve", "signature"]);
  return {
    move: {
      market: r.field("market").int(),
      nonce: r.field("nonce").uint(NONCE_BITS),
      amount: r.field("amount").uint(TRANSFER_BITS),
      toReserve: r.field("toReserve").bool(),
    },
    signature: readSig(r.field("signature")),
  };
};

/** A liquidation's taker: its signed offer and what it took (null: the fund took it all). */
const takerJson = (t: LiquidationTakerRequest | null) =>
  t && { offer: offerJson(t.offer), take: [...t.take] };

const readLiquidated = (
  r: Reader,
  name: string,
): { accounts: bigint[]; takers?: (LiquidationTakerRequest | null)[] } => {
  const accounts = r
    .field("accounts")
    .array()
    .map((a) => a.uint(64));
  if (!r.has("takers")) return { accounts };
  const takers = r
    .field("takers")
    .array()
    .map((t) => readTaker(t));
  if (takers.length !== accounts.length)
    throw new BatchFileError(
      `${name}.takers: one entry (or null) per account: ${accounts.length} accounts, ${takers.length} takers`,
    );
  return { accounts, takers };
};

/** One market's deleveraging (docs/isolation.md section 3): market, price, the fund's lots, the root its entries start from, entries in order. */
const deleveragedJson = (d: Deleveraging) => ({
  market: d.market,
  price: dec(d.price),
  fundSize: dec(d.fundSize),
  root: dec(d.root),
  entries: d.entries.map((e) => ({
    account: dec(e.account),
    score: dec(e.score),
    lots: dec(e.lots),
  })),
});

const readDeleveraged = (r: Reader): Deleveraging => {
  r.only(["market", "price", "fundSize", "root", "entries"]);
  return {
    market: r.field("market").int(),
    price: r.field("price").uint(PRICE_BITS),
    fundSize: r.field("fundSize").sint(SIZE_BITS),
    root: r.field("root").uint(),
    entries: r
      .field("entries")
      .array()
      .map((e) => {
        e.only(["account", "score", "lots"]);
        return {
          account: e.field("account").uint(32),
          score: e.field("score").sint(63),
          lots: e.field("lots").uint(SIZE_BITS),
        };
      }),
  };
};

const readTaker = (r: Reader): LiquidationTakerRequest | null => {
  if (r.isNull()) return null;
  r.only(["offer", "take"]);
  return {
    offer: readOffer(r.field("offer")),
    take: r
      .field("take")
      .array()
      .map((x) => x.bool()),
  };
};

export const BATCH_CODECS: { readonly [K in BatchKind]: BatchCodec<K> } = {
  trades: {
    fields: ["reduceOnly", "trades"],
    write: (d) => ({
      reduceOnly: dec(d.reduceOnly),
      trades: d.trades.map((t) => ({
        buy: orderJson(t.buy),
        sell: orderJson(t.sell),
        qty: dec(t.qty),
        price: dec(t.price),
        takerIsBuyer: t.takerIsBuyer,
      })),
    }),
    read: (r, h) => ({
      kind: "trades",
      reduceOnly: r.field("reduceOnly").uint(MAX_MARKETS),
      trades: r
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
        }),
      marks: h.marks,
      round: h.round,
      fundingIndices: h.fundingIndices,
      margins: h.margins,
      funding: h.funding,
      oldRoot: h.oldRoot,
      newRoot: h.newRoot,
      dataCommitment: h.commitment,
    }),
  },
  deposits: {
    fields: ["queueFrom", "queueTo", "deposits"],
    write: (d) => ({
      queueFrom: dec(d.queueFrom),
      queueTo: dec(d.queueTo),
      deposits: d.deposits.map((x) => ({
        account: dec(x.account),
        amount: dec(x.amount),
        pkX: dec(x.pubKey.x),
        pkY: dec(x.pubKey.y),
        ...(x.isolatedMarket === undefined ? {} : { isolatedMarket: x.isolatedMarket }),
      })),
    }),
    read: (r, h) => ({
      kind: "deposits",
      deposits: r
        .field("deposits")
        .array()
        .map((d) => {
          d.only(["account", "amount", "pkX", "pkY", "isolatedMarket"]);
          return {
            account: d.field("account").uint(64),
            amount: d.field("amount").uint(),
            pubKey: { x: d.field("pkX").uint(), y: d.field("pkY").uint() },
            ...(d.has("isolatedMarket") ? { isolatedMarket: d.field("isolatedMarket").int() } : {}),
          };
        }),
      queueFrom: r.field("queueFrom").uint(),
      queueTo: r.field("queueTo").uint(),
      oldRoot: h.oldRoot,
      newRoot: h.newRoot,
    }),
  },
  withdrawals: {
    fields: ["withdrawals", "payouts"],
    write: (d) => ({
      withdrawals: d.withdrawals.map((w) =>
        isTransfer(w)
          ? {
              account: dec(w.transfer.from),
              nonce: dec(w.transfer.nonce),
              amount: dec(w.transfer.amount),
              to: dec(w.transfer.to),
              ...(w.transfer.isolatedMarket === undefined
                ? {}
                : { isolatedMarket: w.transfer.isolatedMarket }),
              signature: sig(w.signature),
            }
          : {
              account: dec(w.withdrawal.account),
              nonce: dec(w.withdrawal.nonce),
              amount: dec(w.withdrawal.amount),
              recipient: address(w.withdrawal.recipient),
              signature: sig(w.signature),
            },
      ),
      payouts: d.payouts.map(dec),
    }),
    read: (r, h, name) => {
      const withdrawals = r
        .field("withdrawals")
        .array()
        .map((w): Debit => {
          // a transfer names an account (`to`), a withdrawal an address (`recipient`)
          if (w.has("to")) {
            w.only(["account", "nonce", "amount", "to", "isolatedMarket", "signature"]);
            return {
              transfer: {
                from: w.field("account").uint(64),
                to: w.field("to").uint(64),
                nonce: w.field("nonce").uint(64),
                amount: w.field("amount").uint(),
                ...(w.has("isolatedMarket")
                  ? { isolatedMarket: w.field("isolatedMarket").int() }
                  : {}),
              },
              signature: readSig(w.field("signature")),
            };
          }
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
        if (payouts[i] !== (isTransfer(w) ? 0n : payoutWord(w.withdrawal)))
          throw new BatchFileError(
            `${name}.payouts[${i}]: does not pay ${isTransfer(w) ? "transfer" : "withdrawal"} ${i}${isTransfer(w) ? " (a transfer pays nothing out: 0)" : ""}`,
          );
      });
      payouts.slice(withdrawals.length).forEach((p, i) => {
        if (p !== 0n)
          throw new BatchFileError(
            `${name}.payouts[${withdrawals.length + i}]: a slot without a withdrawal pays nothing (0)`,
          );
      });
      return {
        kind: "withdrawals",
        withdrawals,
        payouts,
        marks: h.marks,
        round: h.round,
        fundingIndices: h.fundingIndices,
        margins: h.margins,
        funding: h.funding,
        oldRoot: h.oldRoot,
        newRoot: h.newRoot,
      };
    },
  },
  liquidations: {
    // takers (optional: files from before liquidators have none) is aligned with accounts;
    // compartmentMove (optional) is the fund owner's move the batch carries;
    // deleveraged (optional) what the engine derived: the batch's deleveraging
    fields: ["accounts", "takers", "compartmentMove", "deleveraged"],
    write: (d) => ({
      accounts: d.accounts.map(dec),
      ...(d.takers ? { takers: d.takers.map(takerJson) } : {}),
      ...(d.compartmentMove ? { compartmentMove: moveJson(d.compartmentMove) } : {}),
      ...(d.deleveraged?.length ? { deleveraged: d.deleveraged.map(deleveragedJson) } : {}),
    }),
    read: (r, h, name) => ({
      kind: "liquidations",
      ...readLiquidated(r, name),
      ...(r.has("compartmentMove")
        ? { compartmentMove: readMove(r.field("compartmentMove")) }
        : {}),
      ...(r.has("deleveraged")
        ? { deleveraged: r.field("deleveraged").array().map(readDeleveraged) }
        : {}),
      marks: h.marks,
      round: h.round,
      fundingIndices: h.fundingIndices,
      margins: h.margins,
      funding: h.funding,
      oldRoot: h.oldRoot,
      newRoot: h.newRoot,
      dataCommitment: h.commitment,
    }),
  },
  forced: {
    fields: ["queueFrom", "queueTo", "requests", "outcomes", "payouts"],
    write: (d) => ({
      queueFrom: dec(d.queueFrom),
      queueTo: dec(d.queueTo),
      requests: d.requests.map((q) => ({
        account: dec(q.account),
        amount: dec(q.amount),
        recipient: address(q.recipient),
        signature: sig(q.signature),
      })),
      outcomes: dec(d.outcomes),
      payouts: d.payouts.map(dec),
    }),
    // the outcomes and payouts are what the engine re-derives on replay (the auditor
    // compares them with the call's): the file states them for readers
    read: (r, h) => ({
      kind: "forced",
      requests: r
        .field("requests")
        .array()
        .map((q) => {
          q.only(["account", "amount", "recipient", "signature"]);
          return {
            account: q.field("account").uint(32),
            amount: q.field("amount").uint(),
            recipient: q.field("recipient").address(),
            signature: readSig(q.field("signature")),
          };
        }),
      queueFrom: r.field("queueFrom").uint(),
      queueTo: r.field("queueTo").uint(),
      outcomes: r.field("outcomes").uint(),
      payouts: r
        .field("payouts")
        .array()
        .map((p) => p.uint()),
      marks: h.marks,
      round: h.round,
      fundingIndices: h.fundingIndices,
      margins: h.margins,
      funding: h.funding,
      oldRoot: h.oldRoot,
      newRoot: h.newRoot,
    }),
  },
};
