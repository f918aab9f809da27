import assert from "node:assert/strict";
import { Contract } from "ethers";
import type { FastifyInstance } from "fastify";
import { forceWithdrawArgs, signForcedRequest } from "../../prover/src/domain/forced.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { increaseTime, provider } from "../helpers/chain.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];
const TO = 0xf0f0000000000000000000000000000000000002n;
const DEADLINE = DEPLOY_DEFAULTS.forcedDeadline;

/** A metric's value in Prometheus text. */
function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  assert.ok(m, `${name} is exported`);
  return Number(m[1]);
}

/**
 * The service shows forced requests and their deadlines (GET /v1/forced, /metrics) and
 * stops cleanly once Settlement is frozen (real chain, real proofs): a request waits while
 * there are no prices (pending, with its age), is answered first once there are (paid, in
 * its batch), survives a restart, and after a freeze (an uncredited deposit left past the
 * deadline) the operator cuts and sends nothing more, refuses intake with EXCHANGE_FROZEN
 * and says so on /health and /metrics.
 */
describe("service: forced requests, their deadlines and the freeze (real chain, real proofs)", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let rig: OperatorRig;
  let app: FastifyInstance;
  const lines: string[] = [];

  before(async function () {
    rig = await startOperator(2, "zkclear-forced-api-", { log: (l) => lines.push(l) });
    ({ w } = rig);
    [alice, bob] = w.participants;
    await deposit(w, alice, 1_000_000n);
    await deposit(w, bob, 1_000_000n);
    // no oracle round yet: deposits are credited, forced requests cannot be answered
    await rig.op.tick();
    app = buildApi(rig.op);
  });

  after(async function () {
    await app?.close();
    await rig.close();
  });

  const get = async (url: string) => {
    const r = await app.inject({ method: "GET", url });
    const json = (r.headers["content-type"] ?? "").toString().startsWith("application/json");
    return { status: r.statusCode, body: json ? r.json() : undefined, text: r.body };
  };

  async function request(who: Participant, amount: bigint): Promise<number> {
    const r = signForcedRequest(
      { account: who.account!, amount, recipient: TO },
      rig.op.state.getAccount(who.account!).withdrawNonce,
      who.keys.privateKey,
      w.domain,
    );
    const fee = BigInt(await w.d.settlement.getFunction("forcedRequestFee")());
    const s = w.d.settlement.connect(who.signer) as Contract;
    const receipt = await (
      await s.getFunction("forceWithdraw")(...forceWithdrawArgs(r), { value: fee })
    ).wait();
    return (await provider.getBlock(receipt.blockNumber))!.timestamp;
  }

  it("lists a request pending with its deadline, then answered (paid) in its batch, also after a restart", async function () {
    const at = await request(alice, 250n);
    await rig.op.tick();
    let page = await get("/v1/forced");
    assert.equal(page.status, 200);
    assert.equal(page.body.forcedDeadline, DEADLINE);
    assert.equal(page.body.frozen, null);
    assert.deepEqual(page.body.requests, [
      {
        index: 0,
        account: String(alice.account),
        amount: "250",
        recipient: `0x${TO.toString(16)}`,
        requester: await alice.signer.getAddress(),
        requestedAt: at,
        dueAt: at + DEADLINE,
        status: "pending",
        overdue: false,
        batch: null,
        outcome: null,
      },
    ]);
    let m = (await get("/metrics")).text;
    assert.equal(metric(m, "zkclear_forced_pending"), 1);
    assert.equal(metric(m, "zkclear_forced_deadline_seconds"), DEADLINE);
    assert.ok(metric(m, "zkclear_forced_oldest_pending_age_seconds") >= 0);
    assert.equal(metric(m, "zkclear_frozen"), 0);

    // an hour later (chain time) the age shows it
    await increaseTime(3600);
    await rig.op.tick();
    m = (await get("/metrics")).text;
    assert.ok(metric(m, "zkclear_forced_oldest_pending_age_seconds") >= 3600);

    await postRound(w, MARKS);
    await rig.op.tick();
    const forced = rig.store.batches().filter((b) => b.kind === "forced");
    assert.equal(forced.length, 1);
    page = await get("/v1/forced");
    assert.deepEqual(
      [page.body.requests[0].status, page.body.requests[0].outcome, page.body.requests[0].batch],
      ["answered", "paid", forced[0].id],
    );
    assert.equal(metric((await get("/metrics")).text, "zkclear_forced_pending"), 0);

    // pages: from a queue position, and refused out of range
    assert.deepEqual((await get("/v1/forced?from=1")).body.requests, []);
    assert.equal((await get("/v1/forced?from=0&limit=1")).body.next, 1);
    assert.equal((await get("/v1/forced?limit=0")).status, 400);

    // a restart reads the requests from the chain again and their answers from its batches
    await app.close();
    rig.restart();
    app = buildApi(rig.op);
    await rig.op.tick();
    page = await get("/v1/forced");
    assert.deepEqual(
      [page.body.requests.length, page.body.requests[0].status, page.body.requests[0].outcome],
      [1, "answered", "paid"],
    );
  });

  it("stops cleanly once Settlement is frozen: nothing cut or sent, intake refused with EXCHANGE_FROZEN, said on /health and /metrics", async function () {
    // a deposit the operator never credits (it does not tick) lets anyone freeze
    await deposit(w, bob, 5_000n);
    await increaseTime(DEADLINE + 5);
    await (await w.d.settlement.getFunction("freeze")()).wait();
    // orders matched before the operator noticed the freeze
    const t = (p: Participant) => ({ index: p.account!, keys: p.keys });
    const fields = { market: 1, nonce: 1n, amount: 1n, limitPrice: MARKS[1] };
    rig.op.submitOrder(order(w, t(alice), { ...fields, side: "buy" }));
    rig.op.submitOrder(order(w, t(bob), { ...fields, side: "sell" }));
    const before = rig.store.batches().length;
    await rig.op.tick({ flushTrades: true });
    await rig.op.tick({ flushTrades: true });
    assert.equal(rig.store.batches().length, before, "no batch cut after the freeze");
    assert.equal(rig.op.halted, undefined);
    assert.equal(rig.op.lastFailure, undefined, "no step failed (nothing is retried)");
    assert.match(rig.op.frozen!, /Settlement was frozen at .* after \d+ batches/);
    assert.equal(lines.filter((l) => l.startsWith("FROZEN: ")).length, 1, "said once");

    const refused = (() => {
      try {
        rig.op.submitOrder(order(w, t(alice), { ...fields, nonce: 2n, side: "buy" }));
      } catch (e) {
        return e as ZkClearError;
      }
    })();
    assert.equal(refused?.code, "EXCHANGE_FROZEN");
    const http = await app.inject({
      method: "POST",
      url: "/v1/withdrawals",
      payload: {
        account: String(alice.account),
        nonce: "1",
        amount: "1",
        recipient: `0x${TO.toString(16)}`,
        signature: { r8x: "0", r8y: "1", s: "0" },
      },
    });
    assert.deepEqual([http.statusCode, http.json().error], [410, "EXCHANGE_FROZEN"]);
    const health = await get("/health");
    assert.deepEqual([health.status, health.body.status], [503, "frozen"]);
    assert.equal(metric((await get("/metrics")).text, "zkclear_frozen"), 1);
    const page = await get("/v1/forced");
    const root = BigInt(await w.d.settlement.getFunction("frozenRoot")());
    assert.equal(page.body.frozen.root, root.toString());
    assert.equal(root, rig.op.state.root, "the operator's state is the frozen one");
  });
});
