import assert from "node:assert/strict";
import http from "node:http";
import { Contract } from "ethers";
import { loadArtifact } from "../../prover/src/chain/artifacts.ts";
import { ServiceRig, freePort, stop, until, type Json } from "../../prover/src/dev/service-rig.ts";

/**
 * Issue 15's scenarios against the real service: `zkclear serve` as its own process, a
 * `hardhat node` as the chain, real proofs; the service is killed with SIGKILL where the
 * scenario says so. Each test would fail on an operator that loses its word.
 */
describe("operator service keeps its word (real processes)", function () {
  let rig: ServiceRig;
  let nonce = 0n;
  const fresh = () => ++nonce;

  /** A crossing pair (trader 0 sells `qty`, trader 1 buys it); returns both acks. */
  async function trade(qty = 1n): Promise<Json[]> {
    const n = fresh();
    const sell = await rig.postOrder(rig.order(0, { side: "sell", nonce: n, amount: qty }));
    assert.equal(sell.status, 201, JSON.stringify(sell.json));
    const buy = await rig.postOrder(rig.order(1, { side: "buy", nonce: n, amount: qty }));
    assert.equal(buy.status, 201, JSON.stringify(buy.json));
    return [sell.json, buy.json];
  }

  const status = async (id: string) => (await rig.get(`/v1/orders/${id}`)).json;

  before(async function () {
    rig = await ServiceRig.start({ traders: 2 });
  });

  after(async function () {
    await rig?.close();
  });

  it("recognises its own transaction after a restart while it waits in the mempool, and submits nothing twice", async function () {
    await rig.provider.send("evm_setAutomine", [false]);
    try {
      await trade();
      await until("a submitted batch", async () =>
        (await rig.batches()).some((b) => b.status === "submitted") ? true : undefined,
      );
      await rig.restart("SIGKILL");
      // the new instance is up while the first transaction is still not mined
      assert.equal((await rig.healthy()).status, 200);
      await new Promise((r) => setTimeout(r, 3000));
      const pending = (await rig.provider.send("eth_getBlockByNumber", ["pending", false])) as {
        transactions: string[];
      };
      assert.equal(pending.transactions.length, 1, "one transaction for the batch, not two");
    } finally {
      await rig.provider.send("evm_setAutomine", [true]);
    }
    await rig.provider.send("evm_mine", []);
    await rig.settledEverything();
    assert.equal((await rig.get("/health")).status, 200);
    const audit = await rig.audit();
    assert.equal(audit.code, 0, audit.out);
  });

  it("keeps a reported fill through SIGKILL right after the answer", async function () {
    const [sell, buy] = await trade(2n);
    assert.equal(buy.status, "filled");
    await rig.restart("SIGKILL");
    await rig.healthy();
    for (const id of [sell.id, buy.id] as string[]) {
      const o = await status(id);
      assert.equal(o.status, "filled", `order ${id} after the restart: ${JSON.stringify(o)}`);
      assert.equal(o.remaining, "0");
    }
    const bs = await rig.settledEverything();
    assert.ok(bs.some((b) => b.kind === "trades"));
  });

  it("refuses at intake a withdrawal it cannot pay, alone: the others are paid and its nonce stays free", async function () {
    const vault = new Contract(rig.d.addresses.vault, loadArtifact("Vault").abi, rig.provider);
    const owed = (i: number) => vault.getFunction("owed")(rig.addresses[i]) as Promise<bigint>;
    const [before0, before1] = [await owed(0), await owed(1)];
    const tooMuch = await rig.send("POST", "/v1/withdrawals", rig.withdrawal(0, 0n, 10n ** 15n));
    assert.equal(tooMuch.status, 400);
    assert.equal(tooMuch.json.error, "WITHDRAW_INSUFFICIENT");
    const ok = await rig.send("POST", "/v1/withdrawals", rig.withdrawal(1, 0n, 1_000n));
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    // the refused request did not use trader 0's nonce 0
    const again = await rig.send("POST", "/v1/withdrawals", rig.withdrawal(0, 0n, 2_000n));
    assert.equal(again.status, 201, JSON.stringify(again.json));
    await until("both withdrawals paid", async () =>
      (await owed(0)) === before0 + 2_000n && (await owed(1)) === before1 + 1_000n
        ? true
        : undefined,
    );
    const w = (await rig.get(`/v1/withdrawals/${again.json.id}`)).json;
    assert.equal(w.status, "batched");
  });

  it("refuses an order its account cannot margin, and a body in another charset, storing nothing", async function () {
    const n = fresh();
    const huge = await rig.postOrder(rig.order(0, { side: "buy", nonce: n, amount: 1_000_000n }));
    assert.equal(huge.status, 400);
    assert.equal(huge.json.error, "MARGIN_INSUFFICIENT");
    assert.match(String(huge.json.message), /below its margin/);
    const body = JSON.stringify(rig.order(0, { side: "buy", nonce: n, amount: 1n }), (_k, v) =>
      typeof v === "bigint" ? v.toString() : v,
    );
    const latin = await rig.send("POST", "/v1/orders", body, "application/json; charset=latin1");
    assert.equal(latin.status, 415);
    assert.equal(latin.json.error, "UNSUPPORTED_CHARSET");
    // the same order in UTF-8 is taken: nothing of the refused ones was kept
    assert.equal((await rig.postOrder(JSON.parse(body) as Json)).status, 201);
  });

  it("rides out a node that fails for a while: transient faults are retried, nothing halts", async function () {
    // a proxy in front of the node that answers 503 while `down`
    let down = false;
    const target = new URL(rig.rpc);
    const proxy = http.createServer((req, res) => {
      if (down) {
        req.resume();
        res.writeHead(503).end("node unavailable");
        return;
      }
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => res.writeHead(502).end());
      req.pipe(up);
    });
    const port = await freePort();
    await new Promise<void>((r) => proxy.listen(port, "127.0.0.1", () => r()));
    try {
      await stop(rig.service, "SIGKILL");
      rig.service = rig.startService(["--rpc", `http://127.0.0.1:${port}`]);
      await rig.healthy();
      await rig.settledEverything();
      down = true;
      await trade();
      await until("a failing step reported", async () =>
        (await rig.get("/health")).json.failing ? true : undefined,
      );
      down = false;
      await rig.settledEverything();
      const h = await rig.get("/health");
      assert.equal(h.status, 200);
      assert.equal(h.json.halted, null);
    } finally {
      await rig.restart("SIGKILL");
      proxy.close();
    }
    await rig.healthy();
  });

  it("waits out a pause instead of halting, and settles once it ends", async function () {
    const guardian = rig.settlement().connect(await rig.provider.getSigner(0)) as Contract;
    await (await guardian.getFunction("pause")(3600n)).wait();
    try {
      await trade();
      await until("the paused submission reported", async () =>
        /paused/.test(String((await rig.get("/health")).json.failing ?? "")) ? true : undefined,
      );
      assert.equal((await rig.get("/health")).status, 200, "a pause is not a halt");
    } finally {
      await (await guardian.getFunction("unpause")()).wait();
    }
    await rig.settledEverything();
  });

  it("halts loudly when governance revokes its role, and then refuses orders with 503", async function () {
    const s = rig.settlement();
    const role = (await s.getFunction("OPERATOR_ROLE")()) as string;
    const operator = await (await rig.provider.getSigner(0)).getAddress();
    await rig.govern(
      rig.d.addresses.settlement,
      s.interface.encodeFunctionData("revokeRole", [role, operator]),
    );
    await trade();
    const h = await until("the halt", async () => {
      const r = await rig.get("/health");
      return r.status === 503 ? r : undefined;
    });
    assert.match(String(h.json.halted), /AccessControlUnauthorizedAccount/);
    const n = fresh();
    const refused = await rig.postOrder(rig.order(0, { side: "sell", nonce: n, amount: 1n }));
    assert.equal(refused.status, 503);
    assert.equal(refused.json.error, "OPERATOR_HALTED");
    // the halt survives a restart: it is the store's, not the process's
    await rig.restart("SIGKILL");
    assert.equal((await rig.healthy()).status, 503);
  });
});
