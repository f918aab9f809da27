import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { z } from "zod";
import { ZkClearError } from "../domain/errors.ts";
import { httpStatus } from "../domain/error-codes.ts";
import { verify } from "../domain/keys.ts";
import { leafPreimage } from "../domain/account.ts";
import type { SignedOrder } from "../domain/order.ts";
import type { SignedWithdrawal } from "../domain/transfers.ts";
import type { SignedTransfer } from "../domain/sub-accounts.ts";
import type { SignedOffer } from "../domain/offer.ts";
import type { StoredOffer } from "../store/store.ts";
import { toJson } from "../domain/json.ts";
import { type Operator } from "./operator.ts";
import { Intake, type IntakeLimits } from "./intake.ts";
import { dataOf } from "./pipeline.ts";
import type { Publisher } from "./publisher.ts";
import { accountQueryMessage } from "../domain/messages.ts";
import { registerExplorer } from "../explorer/routes.ts";
import type { ExplorerSource } from "../explorer/source.ts";

/** A non-negative integer as a decimal string (JSON numbers lose precision past 2^53). */
const uint = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, "must be a non-negative integer written as a decimal string")
  .transform((s) => BigInt(s));

const signature = z.object({ r8x: uint, r8y: uint, s: uint }).strict();

export const OrderBody = z
  .object({
    account: uint,
    market: z.number().int().min(0).max(255),
    side: z.enum(["buy", "sell"]),
    nonce: uint,
    maxFeeBps: uint,
    amount: uint,
    limitPrice: uint,
    signature,
  })
  .strict();

export const CancelBody = z.object({ signature }).strict();

export const WithdrawalBody = z
  .object({
    account: uint,
    nonce: uint,
    amount: uint,
    recipient: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address"),
    signature,
  })
  .strict();

/**
 * The fund owner's move of the insurance fund's capital between its reserve and market
 * `market`'s compartment (domain/compartment-moves.ts): `toReserve` true moves it out of
 * the compartment.
 */
export const CompartmentMoveBody = z
  .object({
    market: z.number().int().min(0).max(255),
    nonce: uint,
    amount: uint,
    toReserve: z.boolean(),
    signature,
  })
  .strict();

/**
 * A transfer between two accounts of one key (domain/sub-accounts.ts): `isolatedMarket`
 * names the destination's margin mode (absent: cross), as signed.
 */
export const TransferBody = z
  .object({
    from: uint,
    to: uint,
    nonce: uint,
    amount: uint,
    isolatedMarket: z.number().int().min(0).max(255).optional(),
    signature,
  })
  .strict();

/** A liquidator's signed standing offer: one term per market (all maxSize 0: withdrawn). */
export const OfferBody = z
  .object({
    account: uint,
    nonce: uint,
    terms: z
      .array(z.object({ maxSize: uint, discountBps: uint }).strict())
      .min(1)
      .max(255),
    signature,
  })
  .strict();

/** An offer as the API shows it: public, without its signature. */
function offerView(o: StoredOffer) {
  return {
    account: o.account,
    nonce: o.nonce,
    status: o.withdrawn ? "withdrawn" : o.suspended !== undefined ? "suspended" : "standing",
    ...(o.suspended !== undefined ? { suspendedBecause: o.suspended } : {}),
    terms: o.signed.offer.terms,
    acknowledgedAt: o.acknowledgedAt,
    seq: o.seq,
  };
}

/** The default and the largest page of GET /v1/batches. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

export const BatchPage = z
  .object({
    after: uint.optional(),
    limit: uint
      .refine((n) => n >= 1n && n <= BigInt(MAX_PAGE), `must be 1..${MAX_PAGE}`)
      .optional(),
  })
  .strict();

/** How many of the latest funding ticks GET /v1/funding shows. */
const FUNDING_TICKS_SHOWN = 24;

/** GET /v1/forced: ?from=<queue position>&limit=<n>, at most MAX_PAGE. */
export const ForcedPage = z
  .object({
    from: uint.optional(),
    limit: uint
      .refine((n) => n >= 1n && n <= BigInt(MAX_PAGE), `must be 1..${MAX_PAGE}`)
      .optional(),
  })
  .strict();

export const AccountQuery = z.object({ timestamp: uint, r8x: uint, r8y: uint, s: uint }).strict();

/** How long an account-read signature stays valid, seconds. */
const AUTH_WINDOW = 300n;

/** A refusal of the API itself; its status, like every refusal's, comes from its code. */
class HttpError extends ZkClearError {}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const detail = r.error.issues
      .map((i) => `${i.path.join(".") || what}: ${i.message}`)
      .join("; ");
    throw new HttpError("BAD_REQUEST", `invalid ${what}: ${detail}`);
  }
  return r.data;
}

/** JSON with bigints as decimal strings. */
function send(value: unknown): string {
  return toJson(value).replace(/"(-?\d+)n"/g, '"$1"');
}

/**
 * The operator's HTTP JSON API (fastify). Every body and query is validated with zod;
 * errors come back as 4xx { error: CODE, message } and nothing is stored for them. With an
 * explorer source, the explorer page and its JSON are mounted too (explorer/routes.ts).
 */
export function buildApi(
  op: Operator,
  publisher?: Publisher,
  explorer?: ExplorerSource,
  intakeLimits?: Partial<IntakeLimits>,
): FastifyInstance {
  const app = Fastify({ bodyLimit: 64 * 1024, logger: false });
  // orders are answered once their group is on disk (./intake.ts: group commit), at most
  // intakeLimits.maxInFlight at a time (then 503 INTAKE_BUSY)
  const intake = new Intake(op, undefined, intakeLimits);

  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    if (err instanceof ZkClearError)
      return reply.status(httpStatus(err.code)).send({ error: err.code, message: err.message });
    const fe = err as FastifyError;
    if (fe.statusCode && fe.statusCode < 500) {
      return reply
        .status(fe.statusCode)
        .send({ error: fe.code ?? "BAD_REQUEST", message: fe.message });
    }
    return reply
      .status(500)
      .send({ error: "INTERNAL", message: "internal error; the request may be retried" });
  });
  // JSON is UTF-8 (RFC 8259): a body declared in another charset is refused, not misread
  app.addHook("onRequest", async (req) => {
    const type = req.headers["content-type"];
    const charset = type && /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
    if (charset && !/^utf-?8$/i.test(charset))
      throw new HttpError(
        "UNSUPPORTED_CHARSET",
        `the body is declared as ${charset}; send JSON in UTF-8 (or without a charset)`,
      );
  });
  app.addHook("onSend", async (_req, reply, payload) => {
    reply.header("content-type", reply.getHeader("content-type") ?? "application/json");
    return payload;
  });

  app.post("/v1/orders", async (req, reply) => {
    const b = parse(OrderBody, req.body, "order");
    const so: SignedOrder = {
      order: {
        account: b.account,
        market: b.market,
        side: b.side,
        nonce: b.nonce,
        maxFeeBps: b.maxFeeBps,
        amount: b.amount,
        limitPrice: b.limitPrice,
      },
      signature: b.signature,
    };
    const t0 = performance.now();
    const ack = await intake.submit(so);
    op.prometheus.orderIntake(performance.now() - t0);
    return reply.status(201).type("application/json").send(send(ack));
  });

  app.get("/v1/orders/:id", async (req, reply) => {
    const { id } = req.params as { id: string };
    const o = op.getOrder(id);
    if (!o) throw new HttpError("ORDER_NOT_FOUND", `no order ${id}`);
    return reply.type("application/json").send(
      send({
        id: o.id,
        status: o.status,
        remaining: o.remaining,
        reason: o.reason,
        order: o.signed.order,
      }),
    );
  });

  app.delete("/v1/orders/:id", async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = parse(CancelBody, req.body, "cancel request");
    return reply.type("application/json").send(send(op.cancelOrder(id, b.signature)));
  });

  app.post("/v1/withdrawals", async (req, reply) => {
    const b = parse(WithdrawalBody, req.body, "withdrawal");
    const sw: SignedWithdrawal = {
      withdrawal: {
        account: b.account,
        nonce: b.nonce,
        amount: b.amount,
        recipient: BigInt(b.recipient),
      },
      signature: b.signature,
    };
    return reply
      .status(201)
      .type("application/json")
      .send(send({ id: op.requestWithdrawal(sw) }));
  });

  // Transfers between a key's accounts queue with its withdrawals (they spend the same
  // nonces) and are proven in withdrawal batches; GET /v1/withdrawals/:id reads them too.
  app.post("/v1/transfers", async (req, reply) => {
    const b = parse(TransferBody, req.body, "transfer");
    const { signature, isolatedMarket, ...t } = b;
    const st: SignedTransfer = {
      transfer: { ...t, ...(isolatedMarket === undefined ? {} : { isolatedMarket }) },
      signature,
    };
    return reply
      .status(201)
      .type("application/json")
      .send(send({ id: op.requestWithdrawal(st) }));
  });

  // The fund owner's compartment moves queue with the fund's withdrawals (they spend its
  // nonces) and are proven in the next liquidation batch; GET /v1/withdrawals/:id reads them.
  app.post("/v1/fund/moves", async (req, reply) => {
    const { signature, ...move } = parse(CompartmentMoveBody, req.body, "compartment move");
    return reply
      .status(201)
      .type("application/json")
      .send(send({ id: op.requestCompartmentMove({ move, signature }) }));
  });

  // Liquidators' standing offers (service/offer-book.ts): bids to take over liquidated
  // positions, public on this operator (the watcher's rule ranks them in the open).
  app.post("/v1/liquidator-offers", async (req, reply) => {
    const b = parse(OfferBody, req.body, "offer");
    const so: SignedOffer = {
      offer: { account: b.account, nonce: b.nonce, terms: b.terms },
      signature: b.signature,
    };
    return reply
      .status(201)
      .type("application/json")
      .send(send(offerView(op.offers.submit(so))));
  });

  app.get("/v1/liquidator-offers", async (_req, reply) => {
    return reply
      .type("application/json")
      .send(send({ offers: op.offers.standing().map(offerView) }));
  });

  // One liquidator's latest offer (standing or withdrawn) and the nonce its next one needs.
  app.get("/v1/liquidator-offers/:account", async (req, reply) => {
    const account = parse(uint, (req.params as { account: string }).account, "account index");
    if (!op.state.hasAccount(account))
      throw new HttpError("ACCOUNT_NOT_FOUND", `no account ${account}`);
    const o = op.offers.of(account);
    return reply.type("application/json").send(
      send({
        account,
        offer: o ? offerView(o) : null,
        nextNonce: o ? o.nonce + 1n : 1n,
      }),
    );
  });

  app.get("/v1/accounts/:index", async (req, reply) => {
    const index = parse(uint, (req.params as { index: string }).index, "account index");
    const q = parse(AccountQuery, req.query, "query");
    const now = BigInt(Math.floor(Date.now() / 1000));
    if (q.timestamp > now + AUTH_WINDOW || q.timestamp + AUTH_WINDOW < now) {
      throw new HttpError(
        "AUTH_EXPIRED",
        `sign a fresh timestamp (within ${AUTH_WINDOW} s of now)`,
      );
    }
    if (!op.state.hasAccount(index))
      throw new HttpError("ACCOUNT_NOT_FOUND", `no account ${index}`);
    const acct = op.state.getAccount(index);
    if (
      !verify(acct.pubKey, accountQueryMessage(index, q.timestamp, op.state.domain), {
        r8x: q.r8x,
        r8y: q.r8y,
        s: q.s,
      })
    ) {
      throw new HttpError(
        "AUTH_FAILED",
        "only the account's key holder may read it: the signature does not match",
      );
    }
    const proof = op.state.tree.proof(index);
    return reply.type("application/json").send(
      send({
        index,
        account: acct,
        leaf: proof.leaf,
        preimage: leafPreimage(acct),
        siblings: proof.siblings,
        root: op.state.root,
      }),
    );
  });

  // A page of batch summaries (never bodies): ?after=<id>&limit=<n>, at most MAX_PAGE.
  app.get("/v1/batches", async (req, reply) => {
    const q = parse(BatchPage, req.query, "query");
    const limit = Number(q.limit ?? BigInt(DEFAULT_PAGE));
    const rows = op.batchPage(Number(q.after ?? 0n), limit);
    // a full page may have more after it; a short one is the last
    const next = rows.length === limit ? rows[rows.length - 1].id : null;
    return reply.type("application/json").send(send({ batches: rows, next }));
  });

  // Forced withdrawal requests seen on Settlement, from queue position ?from= (default 0),
  // with their deadlines and answers; the freeze once there is one.
  app.get("/v1/forced", async (req, reply) => {
    const q = parse(ForcedPage, req.query, "query");
    const limit = Number(q.limit ?? BigInt(DEFAULT_PAGE));
    const from = Number(q.from ?? 0n);
    const rows = op.forced.page(from, limit, (b) => op.isSettled(b));
    const escape = op.forced.escape;
    return reply.type("application/json").send(
      send({
        forcedDeadline: escape?.forcedDeadline ?? null,
        frozen: escape?.frozen ?? null,
        requests: rows,
        // a full page may have more after it; a short one is the last
        next: rows.length === limit ? rows[rows.length - 1].index + 1 : null,
      }),
    );
  });

  app.get("/v1/batches/:id", async (req, reply) => {
    const id = parse(uint, (req.params as { id: string }).id, "batch id");
    const b = op.batch(Number(id));
    if (!b) throw new HttpError("BATCH_NOT_FOUND", `no batch ${id}`);
    const { tx: _tx, ...rest } = b;
    void _tx;
    return reply.type("application/json").send(send({ ...rest, body: dataOf(b.body) }));
  });

  app.get("/v1/withdrawals/:id", async (req, reply) => {
    const { id } = req.params as { id: string };
    const w = op.withdrawal(id);
    if (!w) throw new HttpError("WITHDRAWAL_NOT_FOUND", `no withdrawal request ${id}`);
    return reply.type("application/json").send(
      send({
        id: w.id,
        account: w.account,
        nonce: w.nonce,
        status: w.status,
        reason: w.reason,
      }),
    );
  });

  // Published batch data for auditors (docs/batch-files.md): the same names as the files
  // the publisher writes, so `zkclear audit --files` takes this URL or a directory.
  app.get("/v1/published/:file", async (req, reply) => {
    const name = (req.params as { file: string }).file;
    if (!publisher) throw new HttpError("NOT_PUBLISHED", "this service publishes nothing");
    const body = publisher.document(name);
    if (body === undefined) throw new HttpError("NOT_PUBLISHED", `${name} is not published (yet)`);
    return reply.type("application/json").send(JSON.stringify(body, null, 2));
  });

  // Funding (service/funding.ts): the contract's interval and cap, the indices in effect for
  // new rounds, the last ticks with their rates, and when the next tick may come.
  app.get("/v1/funding", async (_req, reply) => {
    const f = op.funding;
    if (!f)
      throw new HttpError(
        "FUNDING_NOT_READ",
        "the operator has not read the Funding contract yet; ask again shortly",
      );
    return reply.type("application/json").send(
      send({
        interval: f.interval,
        maxRatePpm: f.maxRatePpm,
        tick: f.current.tick,
        fromRound: f.current.fromRound,
        indices: f.current.indices,
        ratesPpm: f.ticks.at(-1)?.ratesPpm ?? f.current.indices.map(() => 0n),
        nextTickTime: f.nextTickTime,
        chainTime: f.chainTime,
        ticks: f.ticks.slice(-FUNDING_TICKS_SHOWN),
        refused: f.refused,
      }),
    );
  });

  app.get("/health", async (_req, reply) => {
    const status = op.frozen ? "frozen" : op.halted ? "halted" : "ok";
    return reply
      .status(status === "ok" ? 200 : 503)
      .type("application/json")
      .send(
        send({
          status,
          root: op.state.root,
          halted: op.halted ?? null,
          frozen: op.frozen ?? null,
          failing: op.lastFailure ?? null,
        }),
      );
  });

  if (explorer) registerExplorer(app, explorer);

  app.get("/metrics", async (_req, reply) => {
    return reply.type(op.prometheus.contentType).send(await op.prometheus.text());
  });

  return app;
}
