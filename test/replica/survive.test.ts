import assert from "node:assert/strict";
import path from "node:path";
import { Wallet } from "ethers";
import { withPage, type Page } from "../helpers/browser.ts";
import { accountQueryJson, signAccountQuery } from "../../prover/src/explorer/query.ts";
import type { FastifyInstance } from "fastify";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { signExit } from "../../prover/src/domain/exit.ts";
import { parseExitDataFile, toExitDataFile } from "../../prover/src/domain/exit-data.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { exitDataOf, exitInputFromData } from "../../prover/src/engine/exit-data.ts";
import { exitCallArgs } from "../../prover/src/chain/exit.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { oracleRound } from "../../prover/src/audit/chain.ts";
import { readFreeze } from "../../prover/src/audit/replica-tree.ts";
import { batchFileSource } from "../../prover/src/audit/sources.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { ReplicaAttestor } from "../../prover/src/service/committee.ts";
import { Replica } from "../../prover/src/replica/replica.ts";
import { buildReplicaApi } from "../../prover/src/replica/http.ts";
import { rigPublisher, startOperator, type OperatorRig } from "../helpers/operator.ts";
import { increaseTime, provider } from "../helpers/chain.ts";

const MARKS = [60_000_00n, 3_000_00n];
const KEYS = { a: 0xa1, b: 0xb2, c: 0xc3 };
const member = (key: number) => new Wallet(`0x${key.toString(16).padStart(64, "0")}`);

interface Running {
  replica: Replica;
  app: FastifyInstance;
  url: string;
}

/**
 * Replicas outlive the operator: two replicas follow the real operator's published files
 * over HTTP; one is stopped and restarted from its database while batches settle (and its
 * database is refused for another deployment); the operator is frozen out and its HTTP
 * server closed; both replicas then serve every account's exit data (the engine's, at the
 * frozen root, good for a real exit proof), and a third replica bootstraps from one of them.
 */
describe("replica: survives the operator", function () {
  let rig: OperatorRig;
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let thin: Participant;
  let opApp: FastifyInstance;
  let opUrl: string;
  const running: Running[] = [];
  const dbOf = (name: string) => path.join(rig.dir, `${name}.db`);
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });

  async function start(name: keyof typeof KEYS, upstream: string): Promise<Running> {
    const replica = await Replica.open({
      provider,
      settlement: w.d.addresses.settlement,
      db: dbOf(name),
      upstream: batchFileSource(upstream),
      wallet: member(KEYS[name]),
      fromBlock: w.deployment.block,
      fileWaitMs: 500,
      log: (line) => process.env.ZKCLEAR_TEST_LOG && console.log(`replica ${name}: ${line}`),
    });
    const app = buildReplicaApi(replica);
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    const r = { replica, app, url };
    running.push(r);
    return r;
  }

  async function stop(r: Running): Promise<void> {
    await r.app.close();
    r.replica.close();
    running.splice(running.indexOf(r), 1);
  }

  async function trade(nonce: bigint, qty: bigint): Promise<void> {
    const o = (x: Participant, side: "buy" | "sell") =>
      order(w, t(x), { market: 0, side, nonce, amount: qty, limitPrice: MARKS[0] });
    rig.op.submitOrder(o(alice, "sell"));
    rig.op.submitOrder(o(bob, "buy"));
    await rig.op.tick({ flushTrades: true });
  }

  const chainBatches = async () => Number(await w.d.settlement.getFunction("batchCount")());

  before(async function () {
    // the committee is replicas a and b (one signature of the two is enough: batches settle
    // while one of them is stopped); the operator asks the running replicas over HTTP
    rig = await startOperator(3, "zkclear-replica-", {
      deploy: {
        committee: { members: [member(KEYS.a).address, member(KEYS.b).address], threshold: 1 },
      },
      attestor: {
        attest: (r) =>
          new ReplicaAttestor(
            running.map((x) => x.url),
            provider,
            { chainId: rig.w.d.chainId, settlement: rig.w.d.addresses.settlement },
            30_000,
          ).attest(r),
      },
    });
    w = rig.w;
    [alice, bob, thin] = w.participants;
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await deposit(w, thin, 1_000_000n);
    await rig.op.tick();
    await deposit(
      w,
      { signer: bob.signer, keys: bob.keys, account: INSURANCE_ACCOUNT },
      5_000_000n,
    );
    await postRound(w, MARKS);
    await rig.op.tick();
    const publisher = rigPublisher(rig);
    opApp = buildApi(rig.op, publisher);
    opUrl = `${await opApp.listen({ host: "127.0.0.1", port: 0 })}/v1/published`;
  });

  after(async function () {
    for (const r of [...running]) await stop(r);
    await opApp?.close();
    await rig?.close();
  });

  it("two replicas follow the operator's published files and sign its trade batches", async function () {
    const a = await start("a", opUrl);
    const b = await start("b", opUrl);
    await trade(1n, 2n);
    assert.equal(rig.store.countBatches("settled"), await chainBatches(), "the trades settled");
    assert.equal(a.replica.db.attestations().length, 1);
    assert.equal(b.replica.db.attestations().length, 1);
    await a.replica.catchUp();
    await b.replica.catchUp();
    const n = await chainBatches();
    assert.ok(n >= 3, `${n} batches`);
    for (const r of [a, b]) {
      const s = r.replica.status();
      assert.equal(s.halted, null);
      assert.equal(s.waiting, null);
      assert.equal(s.batches, n);
      assert.equal(s.root, rig.op.state.root);
      assert.equal(r.replica.db.countSettled(), n, "every file held");
      assert.equal(r.replica.db.journalMode(), "wal");
    }
    // the replica's copy is the operator's, byte for byte
    const mine = await batchFileSource(`${a.url}/v1/published`).read("batch-000002.json");
    const theirs = await batchFileSource(opUrl).read("batch-000002.json");
    assert.equal(mine, theirs);
  });

  it("a replica stopped and restarted from its database catches up with the batches settled meanwhile", async function () {
    const a = running[0];
    const before = a.replica.status();
    await stop(a);
    await trade(2n, 1n);
    await trade(3n, 1n);
    const n = await chainBatches();
    assert.equal(n, before.batches + 2);
    const again = await start("a", opUrl);
    // resumed from the database (not from genesis), then caught up
    assert.equal(again.replica.status().batches, before.batches);
    assert.equal(again.replica.status().root, before.root);
    await again.replica.catchUp();
    assert.equal(again.replica.status().batches, n);
    assert.equal(again.replica.status().root, rig.op.state.root);
    assert.equal(again.replica.db.countSettled(), n);
  });

  it("refuses its database for another deployment (REPLICA_DB_INVALID)", async function () {
    // another Settlement address on the same chain: the database names this one
    await assert.rejects(
      Replica.open({
        provider,
        settlement: w.d.addresses.oracle,
        db: dbOf("b"),
        upstream: batchFileSource(opUrl),
        wallet: new Wallet(`0x${"b2".padStart(64, "0")}`),
        fileWaitMs: 0,
      }),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "REPLICA_DB_INVALID" &&
        /belongs to another deployment \(settlement 0x[0-9a-fA-F]{40}, expected/.test(e.message),
    );
  });

  it("with the operator frozen out and its server closed, both replicas serve every account's exit data", async function () {
    // a deposit the operator never credits: the exchange freezes once it is overdue
    await deposit(w, thin, 1_000n);
    w.pending.length = 0;
    await increaseTime(DEPLOY_DEFAULTS.forcedDeadline + 1);
    await postRound(w, [MARKS[0] / 2n, MARKS[1]]);
    await (await w.d.settlement.getFunction("freeze")()).wait();
    for (const r of running) await r.replica.catchUp();
    await opApp.close();
    const freeze = await readFreeze(provider, w.d.addresses.settlement);
    const marks = (await oracleRound(provider, w.d.addresses.oracle, freeze.roundId)).prices;
    const engine = rig.op.state;
    assert.equal(freeze.root, engine.root);
    const accounts = [...engine.entries()].map(([i]) => i);
    assert.ok(accounts.length >= 5, `${accounts.length} accounts`);
    for (const r of running) {
      await r.replica.catchUp(); // nothing new: the operator's server is no longer needed
      assert.equal(r.replica.status().halted, null);
      assert.equal(r.replica.status().waiting, null);
      for (const account of accounts) {
        const res = await fetch(`${r.url}/v1/exit-data/${account}`);
        assert.equal(res.status, 200, await res.clone().text());
        const served = parseExitDataFile(await res.text());
        const expected = exitDataOf(
          engine,
          account,
          {
            chainId: w.d.chainId,
            settlement: w.d.addresses.settlement,
            batches: freeze.batches,
            roundId: freeze.roundId,
            marks,
            fundingIndices: w.fundingIndices,
            margins: w.margins,
          },
          served.source,
        );
        assert.equal(toExitDataFile(served), toExitDataFile(expected), `account ${account}`);
        assert.equal(served.root, freeze.root);
      }
    }
    // usable for an exit: a real proof from the served data, and Settlement takes it
    const res = await fetch(`${running[1].url}/v1/exit-data/${alice.account}`);
    const data = parseExitDataFile(await res.text());
    const to = BigInt(`0x${"e1".repeat(20)}`);
    const input = exitInputFromData(
      data,
      w.state,
      to,
      signExit(alice.account!, to, alice.keys.privateKey, w.domain),
    );
    const proof = await w.prover.prove("exit_account", CIRCUITS.exit_account.toSignals(input));
    await w.d.settlement.getFunction("exit").staticCall(...exitCallArgs(input, proof.proof));
    const missing = await fetch(`${running[0].url}/v1/exit-data/999`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: string }).error, "ACCOUNT_NOT_FOUND");
  });

  it("its explorer page works with the operator stopped: the freeze, the engine's figures, an account for its key holder only", async function () {
    const r = running[0];
    const engine = rig.op.state;
    const value = (page: Page, k: string, scope = "body") =>
      page.$eval(`${scope} [data-k="${k}"]`, (e) => e.getAttribute("data-value"));
    const now = BigInt(Math.floor(Date.now() / 1000));
    const mine = accountQueryJson(
      signAccountQuery(alice.keys.privateKey, alice.account!, now, w.domain),
    );
    // bob signs a query for alice's account: refused
    const forged = accountQueryJson(
      signAccountQuery(bob.keys.privateKey, alice.account!, now, w.domain),
    );
    await withPage({ url: `${r.url}/explorer` }, async (page, seen) => {
      assert.equal(await page.$eval("#freeze", (e) => e.getAttribute("data-frozen")), "true");
      assert.equal(await value(page, "batch-count"), String(r.replica.status().batches));
      assert.equal(await value(page, "insurance-fund"), String(engine.getAccount(2n).collateral));
      assert.equal(await value(page, "fee-account"), String(engine.getAccount(1n).collateral));
      const ask = async (q: string) => {
        await page.$eval("#query", (e, v) => ((e as HTMLTextAreaElement).value = v), q);
        await page.click("#account-show");
        await page.waitForSelector("#account-view:not([hidden]), #account-error:not([hidden])");
      };
      await ask(forged);
      assert.match(await page.$eval("#account-error", (e) => e.textContent ?? ""), /AUTH_FAILED/);
      await ask(mine);
      assert.equal(await page.$eval("#account-error", (e) => (e as HTMLElement).hidden), true);
      assert.equal(
        await value(page, "collateral"),
        String(engine.getAccount(alice.account!).collateral),
      );
      assert.deepEqual(
        seen.errors.filter((e) => !/401/.test(e)),
        [],
        "no console error but the refusal",
      );
      assert.deepEqual(
        seen.requests.filter((u) => !u.startsWith(`${r.url}/`) && !u.startsWith("data:")),
        [],
        "nothing from another origin (the operator is gone)",
      );
    });
  });

  it("a new replica bootstraps from another replica, without the operator", async function () {
    const from = running[0];
    const c = await start("c", `${from.url}/v1/published`);
    await c.replica.catchUp();
    const s = c.replica.status();
    assert.equal(s.halted, null);
    assert.equal(s.waiting, null);
    assert.equal(s.root, from.replica.status().root);
    assert.equal(s.batches, from.replica.status().batches);
    const index = async (url: string) => (await fetch(`${url}/v1/published/index.json`)).text();
    assert.equal(await index(c.url), await index(from.url));
    const res = await fetch(`${c.url}/v1/exit-data/${bob.account}`);
    assert.equal(parseExitDataFile(await res.text()).root, rig.op.state.root);
  });
});
