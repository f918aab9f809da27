import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { httpStatus } from "../domain/error-codes.ts";
import { ZkClearError } from "../domain/errors.ts";
import { toExitDataFile } from "../domain/exit-data.ts";
import { toJson } from "../domain/json.ts";
import { CONFIG_FILE_NAME, INDEX_FILE_NAME, batchFileName } from "../engine/batch-file.ts";
import { replicaExitData } from "./exit.ts";
import type { Replica } from "./replica.ts";
import { replicaExplorerSource } from "./explorer-source.ts";
import { registerExplorer } from "../explorer/routes.ts";

/** A refusal of the replica's HTTP layer; its status comes from its code. */
class HttpError extends ZkClearError {}

/** JSON with bigints as decimal strings (as the operator's API writes them). */
function send(value: unknown): string {
  return toJson(value).replace(/"(-?\d+)n"/g, '"$1"');
}

/** The published index: every settled file the replica holds, with its transaction. */
export function replicaIndex(r: Replica): Record<string, unknown> {
  return {
    format: "zkclear-index/1",
    config: CONFIG_FILE_NAME,
    batches: r.db.settledList().map((b) => ({
      batch: b.batch,
      kind: b.kind,
      file: batchFileName(b.batch),
      txHash: b.txHash,
    })),
  };
}

/**
 * A replica's HTTP API (fastify; errors as { error, message } with the status of the
 * code, like the operator's): its copy of the published files under the operator's names,
 * any account's exit data, attestations, its status and health, and the explorer page. Other replicas and
 * `zkclear exit-data --from <url>/v1/published` read it as they read the operator.
 */
export function buildReplicaApi(r: Replica): FastifyInstance {
  // an attest request carries a whole batch file (B trades with signatures) and a proof
  const app = Fastify({ bodyLimit: 8 * 1024 * 1024, logger: false });

  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    if (err instanceof ZkClearError)
      return reply.status(httpStatus(err.code)).send({ error: err.code, message: err.message });
    const fe = err as FastifyError;
    if (fe.statusCode && fe.statusCode < 500)
      return reply
        .status(fe.statusCode)
        .send({ error: fe.code ?? "BAD_REQUEST", message: fe.message });
    return reply.status(500).send({ error: "INTERNAL", message: (err as Error).message });
  });

  // the explorer page (GET /explorer, /v1/explorer): the replica's own copy, no operator
  const params = (JSON.parse(r.configText) as { paramSet?: { name?: string } }).paramSet?.name;
  registerExplorer(app, replicaExplorerSource(r, params ?? ""));

  app.get("/v1/published/:file", async (req, reply) => {
    const name = (req.params as { file: string }).file;
    let text: string | undefined;
    if (name === CONFIG_FILE_NAME) text = r.configText;
    else if (name === INDEX_FILE_NAME) text = JSON.stringify(replicaIndex(r), null, 2);
    else {
      const m = /^batch-([0-9]{1,9})\.json$/.exec(name);
      text = m ? r.db.settled(Number(m[1]))?.text : undefined;
    }
    if (text === undefined)
      throw new HttpError("NOT_PUBLISHED", `${name} is not held by this replica (yet)`);
    return reply.type("application/json").send(text);
  });

  app.get("/v1/exit-data/:account", async (req, reply) => {
    const raw = (req.params as { account: string }).account;
    if (!/^[0-9]{1,20}$/.test(raw))
      throw new HttpError("BAD_REQUEST", `account must be a decimal integer, got ${raw}`);
    const data = await replicaExitData(r, BigInt(raw));
    return reply.type("application/json").send(toExitDataFile(data));
  });

  app.post("/v1/attest", async (req, reply) => {
    const body = req.body as { file?: unknown; proof?: unknown } | null;
    if (!body || typeof body !== "object" || !("file" in body) || !("proof" in body))
      throw new HttpError(
        "BAD_REQUEST",
        "the body must be { file: <zkclear-batch/1 object>, proof: <Groth16 proof> }",
      );
    return reply.type("application/json").send(send(await r.attest(body.file, body.proof)));
  });

  app.get("/v1/replica", async (_req, reply) =>
    reply.type("application/json").send(send(r.status())),
  );

  app.get("/health", async (_req, reply) => {
    const s = r.status();
    const status = s.halted ? "halted" : s.waiting ? "waiting" : "ok";
    return reply
      .status(s.halted ? 503 : 200)
      .type("application/json")
      .send(send({ status, batches: s.batches, root: s.root, reason: s.halted ?? s.waiting }));
  });

  return app;
}
