import assert from "node:assert/strict";
import { ServiceRig, until } from "../../prover/src/dev/service-rig.ts";

/**
 * The real service, as separate processes (prover/src/dev/service-rig.ts): killed with
 * SIGKILL while it proves, then restarted. The other crash points (a transaction in the
 * mempool, a fill just reported) are in operator-word.test.ts; random ones in chaos.test.ts.
 */
describe("operator service: crash recovery with SIGKILL (real processes)", function () {
  let rig: ServiceRig;

  before(async function () {
    rig = await ServiceRig.start({ traders: 2 });
  });

  after(async function () {
    await rig?.close();
  });

  it("resumes after being killed while proving", async function () {
    const acked: string[] = [];
    for (const [i, side] of [
      [0, "sell"],
      [1, "buy"],
    ] as const) {
      const r = await rig.postOrder(rig.order(i, { side, nonce: 1n, amount: 1n }));
      assert.equal(r.status, 201, JSON.stringify(r.json));
      acked.push(r.json.id as string);
    }
    await until("a batch being proved", async () =>
      (await rig.batches()).some((b) => b.status === "built") ? true : undefined,
    );
    await rig.restart("SIGKILL");
    const bs = await rig.settledEverything();
    assert.ok(bs.some((b) => b.kind === "trades"));
    for (const id of acked) assert.equal((await rig.get(`/v1/orders/${id}`)).json.status, "filled");
    assert.equal((await rig.get("/health")).json.status, "ok");
    const audit = await rig.audit();
    assert.equal(audit.code, 0, audit.out);
  });
});
