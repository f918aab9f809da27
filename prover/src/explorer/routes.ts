import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { toExitDataFile } from "../domain/exit-data.ts";
import { toJson } from "../domain/json.ts";
import { EXPLORER_CLIENT_JS } from "./client.ts";
import { renderExplorerPage } from "./page.ts";
import type { ExplorerSource, SignedAccountQuery } from "./source.ts";
import { ExplorerError } from "./views.ts";

const uint = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, "must be a non-negative integer written as a decimal string")
  .transform((s) => BigInt(s));

const QueryParams = z.object({ timestamp: uint, r8x: uint, r8y: uint, s: uint }).strict();

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new ExplorerError(
      "BAD_REQUEST",
      `invalid ${what}: ${r.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}

/** JSON with bigints as decimal strings (as the service's API writes them). */
export function explorerJson(value: unknown): string {
  return toJson(value).replace(/"(-?\d+)n"/g, '"$1"');
}

function signedQuery(params: unknown, query: unknown): SignedAccountQuery {
  const account = parse(uint, (params as { index: string }).index, "account index");
  return { account, ...parse(QueryParams, query, "query") };
}

/**
 * Mounts the explorer on a fastify app (the service's, a replica's):
 * - GET /explorer: the page (HTML), GET /explorer/app.js: its script;
 * - GET /v1/explorer: the snapshot the page is rendered from (JSON);
 * - GET /v1/explorer/accounts/:index?timestamp&r8x&r8y&s: the account for its key holder;
 * - GET /v1/explorer/accounts/:index/exit-data?timestamp&r8x&r8y&s: its exit data file.
 * Refusals are ZkClearErrors: the app's error handler answers { error, message } with the
 * code's status (AUTH_FAILED: 401).
 */
export function registerExplorer(app: FastifyInstance, source: ExplorerSource): void {
  app.get("/explorer", async (_req, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .send(renderExplorerPage(await source.snapshot())),
  );
  app.get("/explorer/app.js", async (_req, reply) =>
    reply.type("text/javascript; charset=utf-8").send(EXPLORER_CLIENT_JS),
  );
  app.get("/v1/explorer", async (_req, reply) =>
    reply.type("application/json").send(explorerJson(await source.snapshot())),
  );
  app.get("/v1/explorer/accounts/:index", async (req, reply) => {
    const q = signedQuery(req.params, req.query);
    return reply
      .type("application/json")
      .header("cache-control", "no-store")
      .send(explorerJson(await source.account(q.account, q)));
  });
  app.get("/v1/explorer/accounts/:index/exit-data", async (req, reply) => {
    const q = signedQuery(req.params, req.query);
    const data = await source.exitData(q.account, q);
    return reply
      .type("application/json")
      .header("cache-control", "no-store")
      .header("content-disposition", `attachment; filename="exit-data-${q.account}.json"`)
      .send(toExitDataFile(data));
  });
}
