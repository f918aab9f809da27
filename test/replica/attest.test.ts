import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, type Contract } from "ethers";
import type { FastifyInstance } from "fastify";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  devAttestationsFor,
  postRound,
  proveTrades,
  settleDeposits,
  setupWorld,
  writeBatchFile,
  type Participant,
  type ProvenBatch,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { devCommitteeWallets } from "../../prover/src/chain/committee.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import { batchCommitment } from "../../prover/src/domain/batch-kinds.ts";
import {
  attestationDigest,
  attestationSigner,
  packAttestations,
} from "../../prover/src/domain/committee.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import {
  CONFIG_FILE_NAME,
  parseBatchFile,
  toBatchFile,
  toConfigFile,
} from "../../prover/src/engine/batch-file.ts";
import { batchFileSource } from "../../prover/src/audit/sources.ts";
import { Replica } from "../../prover/src/replica/replica.ts";
import { buildReplicaApi } from "../../prover/src/replica/http.ts";
import { prepareTestContracts, provider, serveChain, signers } from "../helpers/chain.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
const MEMBER = new Wallet(`0x${"a1".repeat(32)}`);

type Json = Record<string, unknown>;

/**
 * A replica asked to attest trade batches on a real chain with real proofs: it signs a
 * valid batch (the signature recovers to its member over attestationDigest, and the file,
 * proof and signature are in its database before it answers), and refuses every kind of
 * bad request with its own code, each with a message that says what was wrong.
 */
describe("replica: attestations", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let dir: string;
  let replica: Replica;
  let app: FastifyInstance;
  let batch: ProvenBatch<"trades">;
  let depositsFile: Json;
  let depositsProof: unknown;
  let signature: string;
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });

  function trade(qty: bigint, nonce: bigint): Trade {
    return {
      buy: order(w, t(alice), {
        market: 0,
        side: "buy",
        nonce,
        amount: qty,
        limitPrice: MARKS[0],
      }),
      sell: order(w, t(bob), {
        market: 0,
        side: "sell",
        nonce,
        amount: qty,
        limitPrice: MARKS[0],
      }),
      qty,
      price: MARKS[0],
      takerIsBuyer: true,
    };
  }

  const fileOf = (n: number, b: ProvenBatch): Json =>
    toBatchFile(b.data, { chainId: w.d.chainId, settlement: w.d.addresses.settlement, batch: n });

  async function ask(file: unknown, proof: unknown) {
    const res = await app.inject({ method: "POST", url: "/v1/attest", payload: { file, proof } });
    return { status: res.statusCode, body: res.json() as Json };
  }

  async function refused(file: unknown, proof: unknown, code: string, status = 400) {
    const r = await ask(file, proof);
    assert.equal(r.body.error, code, JSON.stringify(r.body));
    assert.equal(r.status, status);
    return String(r.body.message);
  }

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    // the committee is this replica's member alone: its signature is what Settlement takes
    w = await setupWorld(P, s[0], [s[1], s[2]], {
      deploy: { committee: { members: [MEMBER.address], threshold: 1 } },
    });
    [alice, bob] = w.participants;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-replica-attest-"));
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    const d = await settleDeposits(w); // batch 0: the replica replays it from the chain
    depositsFile = fileOf(0, d);
    depositsProof = d.proof.proof;
    await postRound(w, MARKS);
    replica = await Replica.open({
      provider,
      settlement: w.d.addresses.settlement,
      db: path.join(dir, "replica.db"),
      upstream: batchFileSource(dir),
      wallet: MEMBER,
      params: P.name,
      fromBlock: w.deployment.block,
      fileWaitMs: 0,
    });
    app = buildReplicaApi(replica);
    batch = await proveTrades(w, [trade(2n, 1n)]);
  });

  after(async function () {
    await app?.close();
    replica?.close();
  });

  it("refuses a deposits batch: its data is on-chain (ATTEST_KIND)", async function () {
    const m = await refused(depositsFile, depositsProof, "ATTEST_KIND");
    assert.match(m, /deposits batch/);
  });

  it("refuses a batch of another deployment (ATTEST_FOREIGN)", async function () {
    const other = { ...fileOf(1, batch), settlement: MEMBER.address };
    assert.match(await refused(other, batch.proof.proof, "ATTEST_FOREIGN"), /Settlement/);
    const chain = { ...fileOf(1, batch), chainId: "1" };
    assert.match(await refused(chain, batch.proof.proof, "ATTEST_FOREIGN"), /chain 1 /);
  });

  it("refuses a batch that is not the chain's next (ATTEST_NOT_NEXT, 409)", async function () {
    const m = await refused({ ...fileOf(2, batch) }, batch.proof.proof, "ATTEST_NOT_NEXT", 409);
    assert.match(m, /next batch is 1/);
    const old = { ...fileOf(1, batch), oldRoot: "12345" };
    assert.match(
      await refused(old, batch.proof.proof, "ATTEST_NOT_NEXT", 409),
      /starts from root 12345/,
    );
  });

  it("refuses an unparsable file (ATTEST_FILE_INVALID)", async function () {
    const f = { ...fileOf(1, batch), format: "zkclear-batch/0" };
    assert.match(await refused(f, batch.proof.proof, "ATTEST_FILE_INVALID"), /format/);
  });

  it("refuses a file whose records do not hash to its commitment (ATTEST_TAMPERED)", async function () {
    const f = fileOf(1, batch) as { trades: Json[] };
    const tampered = { ...f, trades: [{ ...f.trades[0], price: String(MARKS[0] - 1n) }] };
    const m = await refused(tampered, batch.proof.proof, "ATTEST_TAMPERED");
    assert.match(m, /records hash to \d+, the file states commitment/);
  });

  it("refuses marks other than the oracle round's (ATTEST_PRICES)", async function () {
    const f = { ...fileOf(1, batch), prices: ["1", "2"] };
    assert.match(await refused(f, batch.proof.proof, "ATTEST_PRICES"), /oracle round 1 published/);
  });

  it("refuses margin multipliers or reduce-only markets other than the oracle round's (ATTEST_PRICES)", async function () {
    const raised = {
      ...fileOf(1, batch),
      margins: { mult: ["20000", "10000"], liqMult: ["10000", "10000"] },
    };
    assert.match(
      await refused(raised, batch.proof.proof, "ATTEST_PRICES"),
      /margin multipliers 2\.00x\/1\.00x, 1\.00x\/1\.00x; oracle round 1 has 1\.00x\/1\.00x, 1\.00x\/1\.00x/,
    );
    const masked = { ...fileOf(1, batch), reduceOnly: "1" };
    assert.match(
      await refused(masked, batch.proof.proof, "ATTEST_PRICES"),
      /reduce-only markets 1; oracle round 1 has 0/,
    );
  });

  it("refuses a batch the engine refuses to replay (ATTEST_REPLAY_REFUSED)", async function () {
    // more than the orders allow, with the commitment restated to match the records
    const f = fileOf(1, batch) as { trades: Json[] };
    const over: Json = { ...f, trades: [{ ...f.trades[0], qty: "3" }] };
    over.commitment = String(batchCommitment(parseBatchFile(JSON.stringify(over)).data));
    const m = await refused(over, batch.proof.proof, "ATTEST_REPLAY_REFUSED");
    assert.match(m, /engine refuses batch 1/);
    assert.equal(replica.status().root, batch.data.oldRoot, "rolled back");
  });

  it("refuses a batch whose replay does not give its root (ATTEST_ROOT_MISMATCH)", async function () {
    const f = { ...fileOf(1, batch), newRoot: String(batch.data.newRoot + 1n) };
    const m = await refused(f, batch.proof.proof, "ATTEST_ROOT_MISMATCH");
    assert.match(m, new RegExp(`replaying batch 1 gives root ${batch.data.newRoot}`));
    assert.equal(replica.status().root, batch.data.oldRoot, "rolled back");
  });

  it("refuses a forged proof (ATTEST_BAD_PROOF)", async function () {
    // a valid proof of another statement (the deposits batch), and a proof with a moved point
    let m = await refused(fileOf(1, batch), depositsProof, "ATTEST_BAD_PROOF");
    assert.match(m, /does not verify under the settle_trades key/);
    const p = batch.proof.proof;
    const moved = { ...p, pi_c: [p.pi_a[0], p.pi_a[1], "1"] };
    m = await refused(fileOf(1, batch), moved, "ATTEST_BAD_PROOF");
    assert.match(m, /settle_trades/);
    assert.equal(replica.db.attestations().length, 0, "nothing signed so far");
  });

  it("signs a valid batch: the signature recovers to its member over attestationDigest, stored before the answer", async function () {
    const r = await ask(fileOf(1, batch), batch.proof.proof);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.member, MEMBER.address);
    const at = {
      batch: 1,
      kind: "trades" as const,
      oldRoot: batch.data.oldRoot,
      newRoot: batch.data.newRoot,
      dataCommitment: batch.data.dataCommitment,
      roundId: batch.data.round,
    };
    const sig = String(r.body.signature);
    signature = sig;
    assert.match(sig, /^0x[0-9a-f]{130}$/);
    assert.equal(attestationSigner(w.d.chainId, w.d.addresses.settlement, at, sig), MEMBER.address);
    const [stored] = replica.db.attestations();
    assert.equal(stored.batch, 1);
    assert.equal(stored.signature, sig);
    assert.equal(stored.digest, attestationDigest(w.d.chainId, w.d.addresses.settlement, at));
    assert.equal(
      replica.status().root,
      batch.data.oldRoot,
      "the state is not moved by a signature",
    );
    // signed for batch 1 only: a signature over another batch number recovers to someone else
    assert.notEqual(
      attestationSigner(w.d.chainId, w.d.addresses.settlement, { ...at, batch: 2 }, sig),
      MEMBER.address,
    );
  });

  it("follows the batch it signed from its own attested file once it settles with its signature (the upstream has none)", async function () {
    await submitBatch(w.d.settlement, batch.data, batch.proof.proof, packAttestations([signature]));
    assert.equal(fs.existsSync(path.join(dir, "batch-000001.json")), false);
    await replica.catchUp();
    const s = replica.status();
    assert.equal(s.halted, null);
    assert.equal(s.waiting, null);
    assert.equal(s.batches, 2);
    assert.equal(s.root, w.state.root);
    const held = replica.db.settled(1);
    assert.ok(held?.txHash, "settled with its transaction");
    const res = await app.inject({ method: "GET", url: "/v1/published/index.json" });
    const index = res.json() as { batches: { batch: number; kind: string; txHash: string }[] };
    assert.deepEqual(
      index.batches.map((b) => `${b.batch}:${b.kind}`),
      ["0:deposits", "1:trades"],
    );
    // the deposits batch was rendered from the chain (no upstream file), the trades one kept
    const f0 = await app.inject({ method: "GET", url: "/v1/published/batch-000000.json" });
    assert.equal(parseBatchFile(f0.body).data.kind, "deposits");
    const f1 = await app.inject({ method: "GET", url: "/v1/published/batch-000001.json" });
    assert.equal(parseBatchFile(f1.body).data.newRoot, batch.data.newRoot);
  });

  it("takes a published file that is not the chain's batch for no file: it waits, says why, attests nothing, and recovers from the true file", async function () {
    // the next batch settles with a tampered published file: the replica has not signed it
    const next = await proveTrades(w, [trade(1n, 2n)]);
    // signed by the member's key outside the replica (as if the replica had been bypassed)
    const sigs = await devAttestationsFor(
      w.d,
      "trades",
      next.data.oldRoot,
      next.data.newRoot,
      next.data.dataCommitment,
      next.data.round,
      [MEMBER],
    );
    await submitBatch(w.d.settlement, next.data, next.proof.proof, sigs);
    const tampered = { ...next.data, trades: [{ ...next.data.trades[0], qty: 5n }] };
    writeBatchFile(w, dir, 2, tampered);
    await replica.catchUp();
    // a malicious upstream cannot stop the replica for good: the file is "not there"
    assert.equal(replica.status().halted, null);
    assert.match(String(replica.status().waiting), /batch-000002\.json is not the chain's batch/);
    const after = await proveTrades(w, [trade(1n, 3n)]);
    const m = await refused(fileOf(3, after), after.proof.proof, "ATTEST_HALTED", 503);
    assert.match(m, /behind the chain/);
    const st = (await app.inject({ method: "GET", url: "/v1/replica" })).json() as Json;
    assert.match(String(st.waiting), /not the chain's batch/);
    // the operator publishes the true file: the replica catches up
    writeBatchFile(w, dir, 2, next.data);
    await replica.catchUp();
    assert.equal(replica.status().waiting, null);
    assert.equal(replica.status().halted, null);
    assert.equal(replica.status().batches, 3);
    // batch 3 lands and its file is never published: the next test bootstraps up to it
    await submitBatch(
      w.d.settlement,
      after.data,
      after.proof.proof,
      await devAttestationsFor(
        w.d,
        "trades",
        after.data.oldRoot,
        after.data.newRoot,
        after.data.dataCommitment,
        after.data.round,
        [MEMBER],
      ),
    );
  });

  it("refuses a configuration that is not Settlement's before its database keeps it (CONFIG_INVALID)", async function () {
    const forged = toConfigFile({
      chainId: w.d.chainId,
      settlement: w.d.addresses.settlement,
      paramSet: P,
      markets: w.markets.map((m, i) => (i === 0 ? { ...m, takerFeeBps: m.takerFeeBps + 1n } : m)),
      fundFloor: w.deployment.fundFloor,
      owners: w.deployment.owners,
    });
    const upstream = {
      describe: "a forged upstream",
      read: async (name: string) =>
        name === CONFIG_FILE_NAME ? JSON.stringify(forged) : undefined,
    };
    const db = path.join(dir, "forged-config.db");
    await assert.rejects(
      Replica.open({
        provider,
        settlement: w.d.addresses.settlement,
        db,
        upstream,
        wallet: MEMBER,
      }),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "CONFIG_INVALID" &&
        /Settlement's configHash is/.test(e.message),
    );
    // nothing was bound: the same database opens with the honest configuration
    const honest = await Replica.open({
      provider,
      settlement: w.d.addresses.settlement,
      db,
      upstream: batchFileSource(dir),
      wallet: MEMBER,
      params: P.name,
      fromBlock: w.deployment.block,
      fileWaitMs: 0,
    });
    honest.close();
  });

  it("zkclear replica: bootstraps from this replica, one log line per batch, the status over HTTP, a clean stop on SIGTERM", async function () {
    const chain = await serveChain();
    // this replica holds batches 0 to 2 (batch 3's file is published nowhere)
    const source = `${await app.listen({ host: "127.0.0.1", port: 0 })}/v1/published`;
    const proc = spawn(
      "bin/zkclear",
      [
        "replica",
        ...["--rpc", chain.url, "--settlement", w.d.addresses.settlement],
        ...["--source", source, "--db", path.join(dir, "cli.db"), "--key", "dev:0"],
        ...["--params", P.name, "--from-block", String(w.deployment.block)],
        ...["--file-wait", "0", "--interval", "300", "--port", "0"],
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    proc.stdout.on("data", (b: Buffer) => (output += b.toString()));
    proc.stderr.on("data", (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (c) => resolve(c)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/waiting: /.test(output) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      const url = /serving (http:\/\/[0-9.:]+)/.exec(output)?.[1];
      assert.ok(url, output);
      assert.match(output, /batch 0 \(deposits\): replayed/);
      assert.match(output, /batch 1 \(trades\): replayed/);
      assert.match(output, /batch 2 \(trades\): replayed/);
      assert.match(output, /waiting: batch-000003.json is not published at/);
      const st = (await (await fetch(`${url}/v1/replica`)).json()) as Json;
      assert.equal(st.member, devCommitteeWallets(1)[0].address);
      assert.equal(st.halted, null);
      assert.match(String(st.waiting), /batch-000003.json/);
      await new Promise((r) => setTimeout(r, 1000)); // more steps: nothing logged again
      assert.equal(output.match(/batch 1 \(trades\)/g)?.length, 1, output);
      assert.equal(output.match(/waiting: /g)?.length, 1, output);
    } finally {
      proc.kill("SIGTERM");
      assert.equal(await exited, 0, output);
      await chain.close();
    }
    assert.match(output, /stopping/);
  });
});

/**
 * Tokens taken from the Vault (a token whose issuer seizes) after the deposits were
 * credited: the next batch is honest and proven, but after it the accounts would be owed
 * more than the Vault holds, so the replica refuses to attest it.
 */
describe("replica: attestations with the Vault short", function () {
  it("refuses a batch after which the books do not balance (ATTEST_INSOLVENT)", async function () {
    await prepareTestContracts();
    const s = await signers(3);
    const token = await (factory("SeizableToken", s[0]).deploy() as Promise<Contract>);
    const w = await setupWorld(P, s[0], [s[1], s[2]], {
      deploy: {
        committee: { members: [MEMBER.address], threshold: 1 },
        token: await token.getAddress(),
      },
    });
    const [a, b] = w.participants;
    await deposit(w, a, 1_000_000_00n);
    await deposit(w, b, 1_000_000_00n);
    await settleDeposits(w);
    await postRound(w, MARKS);
    await (await token.getFunction("seize")(w.d.addresses.vault, 5_000n)).wait();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-replica-short-"));
    const replica = await Replica.open({
      provider,
      settlement: w.d.addresses.settlement,
      db: path.join(dir, "replica.db"),
      wallet: MEMBER,
      params: P.name,
      fromBlock: w.deployment.block,
      fileWaitMs: 0,
    });
    try {
      const k = (x: Participant) => ({ index: x.account!, keys: x.keys });
      const o = (x: Participant, side: "buy" | "sell") =>
        order(w, k(x), { market: 0, side, nonce: 1n, amount: 1n, limitPrice: MARKS[0] });
      const next = await proveTrades(w, [
        { buy: o(a, "buy"), sell: o(b, "sell"), qty: 1n, price: MARKS[0], takerIsBuyer: true },
      ]);
      const file = toBatchFile(next.data, {
        chainId: w.d.chainId,
        settlement: w.d.addresses.settlement,
        batch: 1,
      });
      await assert.rejects(replica.attest(file, next.proof.proof), (e: unknown) => {
        assert.ok(e instanceof ZkClearError, String(e));
        assert.equal(e.code, "ATTEST_INSOLVENT");
        assert.match(e.message, /after batch 1: the accounts are owed \d+ .* short by 5000$/);
        return true;
      });
      assert.equal(replica.status().halted, null, "a refusal, not a finding of the history");
      assert.equal(replica.db.attestations().length, 0);
    } finally {
      replica.close();
    }
  });
});
