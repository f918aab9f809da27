// The API's order intake (service/intake.ts): signatures checked natively in batches, orders
// sequenced in arrival order in groups under one commit, each answer after its commit.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import type { SignedOrder } from "../../prover/src/domain/order.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { Intake, INTAKE_LIMITS, type IntakeTarget } from "../../prover/src/service/intake.ts";
import type { OperatorError } from "../../prover/src/service/context.ts";
import { nativeSignatures } from "../../prover/src/proving/signatures.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];

describe("order intake (group commit, native signature checks)", function () {
  let w: World;
  let rig: OperatorRig;
  let app: FastifyInstance;
  let alice: Participant;
  let bob: Participant;
  let carol: Participant;
  /** A second connection to the store file: it sees committed transactions only (WAL). */
  let reader: Database.Database;
  const nonces = new Map<string, bigint>();

  const trader = (p: Participant) => ({ index: p.account!, keys: p.keys });
  const next = (p: Participant, market: number) => {
    const k = `${p.account}:${market}`;
    const n = (nonces.get(k) ?? 0n) + 1n;
    nonces.set(k, n);
    return n;
  };
  const make = (
    p: Participant,
    market: number,
    side: "buy" | "sell",
    limitPrice: bigint,
    amount = 1n,
  ) => order(w, trader(p), { market, side, nonce: next(p, market), amount, limitPrice });
  const body = (so: SignedOrder) => ({
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
  const post = (payload: object) => app.inject({ method: "POST", url: "/v1/orders", payload });
  const committed = (id: string) =>
    reader.prepare("SELECT status FROM orders WHERE id = ?").get(id) as
      | { status: string }
      | undefined;

  before(async function () {
    rig = await startOperator(3, "zkclear-intake-");
    w = rig.w;
    [alice, bob, carol] = w.participants as [Participant, Participant, Participant];
    app = buildApi(rig.op);
    for (const p of w.participants) await deposit(w, p, 1_000_000_00n);
    await postRound(w, MARKS);
    await rig.op.tick();
    reader = new Database(rig.storeFile, { readonly: true });
  });

  after(async function () {
    reader.close();
    await app.close();
    await rig.close();
  });

  it("checks signatures natively here", function () {
    assert.ok(
      nativeSignatures(),
      "the native addon is built with its verifier (npm run build:native)",
    );
  });

  it("acknowledges each order only once its group is committed and on disk, several orders to a commit", async function () {
    const store = rig.store;
    const original = store.commitGroup.bind(store);
    /** Per group commit: its orders' ids, and whether its fsync has completed. */
    const groups: { ids: Set<string>; synced: boolean }[] = [];
    store.commitGroup = <T>(fn: () => T) => {
      const g = { ids: new Set<string>(), synced: false };
      groups.push(g);
      const r = original(fn);
      // the orders this group committed: those no earlier group did
      for (const { id } of reader.prepare("SELECT id FROM orders").all() as { id: string }[])
        if (!groups.some((o) => o.ids.has(id))) g.ids.add(id);
      return { value: r.value, durable: r.durable.then(() => void (g.synced = true)) };
    };
    try {
      const orders = [alice, bob, carol].flatMap((p) =>
        // resting, none crossing: bob sells high, the others buy low
        [0, 1].map((m) =>
          p === bob ? make(p, m, "sell", MARKS[m]! * 2n) : make(p, m, "buy", MARKS[m]! / 2n),
        ),
      );
      const acked: string[] = [];
      await Promise.all(
        orders.map((so) =>
          post(body(so)).then((r) => {
            assert.equal(r.statusCode, 201, r.body);
            const { id } = r.json() as { id: string };
            // another connection sees it: its transaction was committed before the answer
            assert.ok(committed(id), `order ${id} was acknowledged before its commit`);
            // and the fsync of its group had completed
            const group = groups.find((g) => g.ids.has(id));
            assert.ok(group?.synced, `order ${id} was acknowledged before its group's fsync`);
            acked.push(id);
          }),
        ),
      );
      assert.equal(acked.length, orders.length);
      assert.ok(groups.length >= 1 && groups.length < orders.length, `${groups.length} commits`);
      assert.ok(groups.every((g) => g.synced));
    } finally {
      store.commitGroup = original;
    }
  });

  it("refuses a bad signature with ORDER_BAD_SIGNATURE, storing nothing, beside good orders of its group", async function () {
    const good = make(alice, 0, "buy", MARKS[0]! / 2n);
    const bad = make(bob, 0, "sell", MARKS[0]! * 2n);
    const tampered = {
      ...body(bad),
      signature: { ...body(bad).signature, s: (bad.signature.s + 1n).toString() },
    };
    const before = (reader.prepare("SELECT COUNT(*) AS n FROM orders").get() as { n: number }).n;
    const [g, b] = await Promise.all([post(body(good)), post(tampered)]);
    assert.equal(g.statusCode, 201, g.body);
    assert.equal(b.statusCode, 400, b.body);
    assert.equal((b.json() as { error: string }).error, "ORDER_BAD_SIGNATURE");
    const after = (reader.prepare("SELECT COUNT(*) AS n FROM orders").get() as { n: number }).n;
    assert.equal(after, before + 1);
    // the bad one's nonce is still free: its owner may sign it properly
    const fixed = await post(body(bad));
    assert.equal(fixed.statusCode, 201, fixed.body);
  });

  it("sequences orders in arrival order: price-time priority is unchanged", async function () {
    const market = 1;
    const price = MARKS[market]! + 7n;
    // two sells at the same price, then a buy crossing one of them, sent without waiting
    const first = make(bob, market, "sell", price);
    const second = make(carol, market, "sell", price);
    const taker = make(alice, market, "buy", price);
    const [r1, r2, r3] = await Promise.all([first, second, taker].map((so) => post(body(so))));
    const [a1, a2, a3] = [r1!, r2!, r3!].map((r) => {
      assert.equal(r.statusCode, 201, r.body);
      return r.json() as { id: string; status: string };
    });
    assert.equal(a1!.status, "open");
    assert.equal(a2!.status, "open");
    assert.equal(a3!.status, "filled");
    // the earlier sell is the one that filled; the later still rests
    assert.equal(rig.store.getOrder(a1!.id)!.status, "filled");
    assert.equal(rig.store.getOrder(a2!.id)!.status, "open");
    const seqs = [a1!, a2!, a3!].map((a) => rig.store.getOrder(a.id)!.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      "stored in arrival order",
    );
  });
  it("holds at most maxInFlight orders unanswered: one more is refused at once with INTAKE_BUSY", async function () {
    assert.equal(INTAKE_LIMITS.maxInFlight, 4096);
    const intake = new Intake(rig.op, undefined, { maxInFlight: 2 });
    const [a, b, c] = [alice, bob, carol].map((p) => make(p, 0, "buy", MARKS[0]! / 3n));
    const first = intake.submit(a!);
    const second = intake.submit(b!);
    await assert.rejects(intake.submit(c!), (e: OperatorError) => e.code === "INTAKE_BUSY");
    assert.equal(intake.pending, 2);
    assert.equal((await first).status, "open");
    assert.equal((await second).status, "open");
    assert.equal(intake.pending, 0);
    // refused without a trace: its nonce is still free once the line has room
    assert.equal(committed((await intake.submit(c!)).id)?.status, "open");
  });

  it("answers 503 INTAKE_BUSY through the API when the intake is full, storing nothing for it", async function () {
    const small = buildApi(rig.op, undefined, undefined, { maxInFlight: 1 });
    try {
      const orders = [alice, bob, carol].map((p) => make(p, 1, "buy", MARKS[1]! / 3n));
      const rs = await Promise.all(
        orders.map((so) => small.inject({ method: "POST", url: "/v1/orders", payload: body(so) })),
      );
      const busy = rs.filter((r) => r.statusCode === 503);
      assert.ok(busy.length >= 1, rs.map((r) => r.statusCode).join(","));
      for (const r of busy) assert.equal((r.json() as { error: string }).error, "INTAKE_BUSY");
      for (const r of rs.filter((r) => r.statusCode !== 503))
        assert.equal(r.statusCode, 201, r.body);
      // the refused ones were not stored: sent again, one at a time, they are taken
      for (const [i, r] of rs.entries())
        if (r.statusCode === 503) {
          const again = await small.inject({
            method: "POST",
            url: "/v1/orders",
            payload: body(orders[i]!),
          });
          assert.equal(again.statusCode, 201, again.body);
        }
    } finally {
      await small.close();
    }
  });

  it("sequences at most maxGroup orders under one commit, in arrival order", async function () {
    assert.equal(INTAKE_LIMITS.maxGroup, 512);
    const sizes: number[] = [];
    const target: IntakeTarget = {
      get state() {
        return rig.op.state;
      },
      submitOrders: (orders) => {
        sizes.push(orders.length);
        return rig.op.submitOrders(orders);
      },
    };
    const intake = new Intake(target, undefined, { maxGroup: 2 });
    const orders = [alice, bob, carol].flatMap((p) =>
      [0, 1].map((m) =>
        make(p, m, p === bob ? "sell" : "buy", p === bob ? MARKS[m]! * 3n : MARKS[m]! / 4n),
      ),
    );
    orders.push(make(alice, 0, "buy", MARKS[0]! / 4n));
    const acks = await Promise.all(orders.map((so) => intake.submit(so)));
    assert.ok(
      sizes.every((n) => n >= 1 && n <= 2),
      `group sizes ${sizes.join(",")}`,
    );
    assert.equal(
      sizes.reduce((x, y) => x + y, 0),
      orders.length,
    );
    assert.ok(sizes.includes(2), "orders are still grouped");
    const seqs = acks.map((a) => rig.store.getOrder(a.id)!.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      "stored in arrival order",
    );
  });

  // last: it halts the operator
  it("answers ORDER_OUTCOME_UNKNOWN, naming the order, when the group was committed but its fsync failed", async function () {
    const store = rig.store;
    const original = store.commitGroup.bind(store);
    store.commitGroup = <T>(fn: () => T) => {
      const r = original(fn);
      // the disk fails the sync after the commit (EIO)
      const failed = r.durable.then(() => {
        throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
      });
      return { value: r.value, durable: failed };
    };
    try {
      const orders = [alice, carol].map((p) => make(p, 0, "buy", MARKS[0]! / 5n));
      const rs = await Promise.all(orders.map((so) => post(body(so))));
      for (const [i, r] of rs.entries()) {
        assert.equal(r.statusCode, 500, r.body);
        const { error, message } = r.json() as { error: string; message: string };
        assert.equal(error, "ORDER_OUTCOME_UNKNOWN");
        const o = orders[i]!.order;
        assert.match(message, new RegExp(`account ${o.account}, market 0, nonce ${o.nonce}\\)`));
        assert.match(message, /EIO/);
        // it is committed: after a restart it stands and may trade
        const id = /order ([0-9a-f]+) /.exec(message)![1]!;
        assert.equal(committed(id)?.status, "open");
      }
      // and the operator halted: nothing more is taken
      const next = await post(body(make(bob, 0, "sell", MARKS[0]! * 5n)));
      assert.equal(next.statusCode, 503, next.body);
      assert.equal((next.json() as { error: string }).error, "OPERATOR_HALTED");
    } finally {
      store.commitGroup = original;
    }
  });
});
