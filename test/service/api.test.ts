import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { AccountTree } from "../../prover/src/domain/tree.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import type { Store } from "../../prover/src/store/store.ts";
import { Operator } from "../../prover/src/service/operator.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";
import { accountQueryMessage } from "../../prover/src/domain/messages.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];

describe("HTTP API", function () {
  let w: World;
  let alice: Participant;
  let rig: OperatorRig;
  let store: Store;
  let op: Operator;
  let app: FastifyInstance;

  const body = (so: ReturnType<typeof order>) => ({
    account: so.order.account.toString(),
    market: so.order.market,
    side: so.order.side,
    nonce: so.order.nonce.toString(),
    maxFeeBps: so.order.maxFeeBps.toString(),
    amount: so.order.amount.toString(),
    limitPrice: so.order.limitPrice.toString(),
    signature: {
      r8x: so.signature.r8x.toString(),
      r8y: so.signature.r8y.toString(),
      s: so.signature.s.toString(),
    },
  });
  const post = (payload: unknown) =>
    app.inject({ method: "POST", url: "/v1/orders", payload: payload as object });
  const stored = () => store.openOrders().length;

  before(async function () {
    rig = await startOperator(2, "zkclear-api-");
    ({ w, store, op } = rig);
    [alice] = w.participants;
    app = buildApi(op);
    for (const p of w.participants) await deposit(w, p, 1_000_000_00n);
    await postRound(w, MARKS);
    await op.tick();
  });

  after(async function () {
    await app.close();
    await rig.close();
  });

  it("accepts a signed order, stores it, and reports its status", async function () {
    const so = order(
      w,
      { index: alice.account!, keys: alice.keys },
      { market: 0, side: "sell", nonce: 1n, amount: 2n, limitPrice: MARKS[0] },
    );
    const r = await post(body(so));
    assert.equal(r.statusCode, 201, r.body);
    const { id, status } = r.json();
    assert.equal(status, "open");
    const g = await app.inject({ method: "GET", url: `/v1/orders/${id}` });
    assert.equal(g.json().remaining, "2");
    assert.equal((await app.inject({ method: "GET", url: "/v1/orders/nope" })).statusCode, 404);
  });

  it("refuses malformed JSON, wrong types, huge or negative numbers, bad signatures and replays, storing nothing", async function () {
    const before = stored();
    const so = order(
      w,
      { index: alice.account!, keys: alice.keys },
      { market: 0, side: "sell", nonce: 2n, amount: 1n, limitPrice: MARKS[0] },
    );
    const good = body(so);
    const cases: [
      string,
      () => Promise<{ statusCode: number; json: () => { error: string; message: string } }>,
      number,
      RegExp,
    ][] = [
      [
        "malformed JSON",
        () =>
          app.inject({
            method: "POST",
            url: "/v1/orders",
            payload: "{not json",
            headers: { "content-type": "application/json" },
          }),
        400,
        /JSON|json/,
      ],
      ["number as amount", () => post({ ...good, amount: 1 }), 400, /amount/],
      ["string as market", () => post({ ...good, market: "0" }), 400, /market/],
      ["negative amount", () => post({ ...good, amount: "-1" }), 400, /amount/],
      [
        "amount of 2^64",
        () => post({ ...good, amount: (1n << 64n).toString() }),
        400,
        /order amount/,
      ],
      [
        "an 80-digit number",
        () => post({ ...good, limitPrice: "9".repeat(80) }),
        400,
        /limitPrice/,
      ],
      ["unknown field", () => post({ ...good, extra: 1 }), 400, /extra|Unrecognized/i],
      ["missing signature", () => post({ ...good, signature: undefined }), 400, /signature/],
      [
        "bad signature",
        () => post({ ...good, signature: { ...good.signature, s: "1" } }),
        400,
        /signature/,
      ],
      ["unknown market", () => post({ ...good, market: 7 }), 400, /market 7/],
    ];
    for (const [what, call, status, message] of cases) {
      const r = await call();
      assert.equal(r.statusCode, status, what);
      assert.match(r.json().message, message, what);
      assert.equal(stored(), before, `${what}: nothing stored`);
    }
    assert.equal((await post(good)).statusCode, 201);
    const replay = await post(good);
    assert.equal(replay.statusCode, 409);
    assert.equal(replay.json().error, "ORDER_NONCE_USED");
  });

  it("shows an account and its Merkle proof only to its key holder", async function () {
    const ts = BigInt(Math.floor(Date.now() / 1000));
    const q = (key: Uint8Array, t: bigint) => {
      const sig = sign(key, accountQueryMessage(alice.account!, t, w.domain));
      return `/v1/accounts/${alice.account}?timestamp=${t}&r8x=${sig.r8x}&r8y=${sig.r8y}&s=${sig.s}`;
    };
    const ok = await app.inject({ method: "GET", url: q(alice.keys.privateKey, ts) });
    assert.equal(ok.statusCode, 200, ok.body);
    const v = ok.json();
    const siblings = (v.siblings as string[][]).map(
      (t) => t.map(BigInt) as [bigint, bigint, bigint],
    );
    assert.equal(
      AccountTree.computeRoot(BigInt(v.leaf), alice.account!, siblings, P.depth),
      BigInt(v.root),
    );
    const bob = w.participants[1];
    assert.equal(
      (await app.inject({ method: "GET", url: q(bob.keys.privateKey, ts) })).statusCode,
      401,
    );
    assert.equal(
      (await app.inject({ method: "GET", url: q(alice.keys.privateKey, ts - 3600n) })).statusCode,
      401,
    );
  });

  it("serves batches, health and Prometheus metrics", async function () {
    const b = await app.inject({ method: "GET", url: "/v1/batches" });
    assert.deepEqual(
      b.json().batches.map((x: { kind: string; status: string }) => [x.kind, x.status]),
      [["deposits", "settled"]],
    );
    assert.equal(b.json().next, null);
    assert.equal((await app.inject({ method: "GET", url: "/health" })).json().status, "ok");
    const m = await app.inject({ method: "GET", url: "/metrics" });
    assert.match(m.headers["content-type"] as string, /text\/plain/);
    assert.match(m.body, /zkclear_orders_accepted_total 2/);
    assert.match(m.body, /zkclear_batches_settled_total\{kind="deposits"\} 1/);
    // prom-client's process metrics and the latency histograms are there too
    assert.match(m.body, /zkclear_process_cpu_seconds_total \d/);
    assert.match(m.body, /zkclear_order_intake_seconds_bucket\{le="0.01"\} \d+/);
    assert.match(m.body, /zkclear_prove_seconds_count\{kind="deposits"\} 1/);
  });
});
