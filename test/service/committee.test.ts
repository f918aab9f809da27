import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { Contract, Wallet, type HDNodeWallet } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import {
  deposit,
  postRound,
  proveTrades,
  settleDeposits,
  setupWorld,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { attestationSigner, type Attestation } from "../../prover/src/domain/committee.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { forceWithdrawArgs, signForcedRequest } from "../../prover/src/domain/forced.ts";
import { devCommitteeWallets, signAttestation } from "../../prover/src/chain/committee.ts";
import { ChainClient } from "../../prover/src/chain/client.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { ReplicaAttestor } from "../../prover/src/service/committee.ts";
import { Operator } from "../../prover/src/service/operator.ts";
import { devWallet } from "../../prover/src/service/serve.ts";
import { Store } from "../../prover/src/store/store.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, provider, signers } from "../helpers/chain.ts";

/**
 * How the operator gathers the committee's signatures (service/committee.ts) and what it
 * does when the committee withholds them (operator.ts redoUnattested). The replicas here are
 * small HTTP stand-ins that sign, refuse or misbehave: what is tested is the operator; the
 * replica itself is tested in test/replica/.
 */
const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];

type Mode = "sign" | "refuse" | "null" | "cut" | "silent" | "huge";

async function standIn(
  w: World,
  key: Wallet | HDNodeWallet,
  mode: Mode,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      void (async () => {
        if (mode === "silent") return;
        if (mode === "null") return void res.writeHead(200).end("null");
        if (mode === "huge") return void res.writeHead(200).end(`"${"x".repeat(200_000)}"`);
        if (mode === "cut") {
          res.writeHead(200, { "content-length": "1000" });
          res.write('{"signature":"0x');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        if (mode === "refuse")
          return void res
            .writeHead(409)
            .end(JSON.stringify({ error: "ATTEST_NOT_NEXT", message: "behind" }));
        // a stand-in signs what the file states (a replica checks it first)
        const f = (JSON.parse(body) as { file: Record<string, string> }).file;
        const a: Attestation = {
          batch: Number(f.batch),
          kind: f.kind as Attestation["kind"],
          oldRoot: BigInt(f.oldRoot),
          newRoot: BigInt(f.newRoot),
          dataCommitment: BigInt(f.commitment),
          roundId: BigInt(f.roundId),
        };
        const signature = await signAttestation(key, w.d.chainId, w.d.addresses.settlement, a);
        res.writeHead(200).end(JSON.stringify({ signature }));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("operator: gathering the data committee's signatures", function () {
  let w: World;
  const members = devCommitteeWallets(DEPLOY_DEFAULTS.devCommitteeMembers);
  const servers: { url: string; close(): Promise<void> }[] = [];
  const serve = async (key: Wallet | HDNodeWallet, mode: Mode) => {
    const s = await standIn(w, key, mode);
    servers.push(s);
    return s.url;
  };

  after(async function () {
    await Promise.all(servers.map((s) => s.close()));
    await terminateCurve();
  });

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]]);
    const [alice, bob] = w.participants;
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await settleDeposits(w);
    await postRound(w, MARKS);
  });

  let nonce = 100n;
  const request = async () => {
    nonce++;
    const [alice, bob] = w.participants;
    const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
    const { data, proof } = await proveTrades(w, [
      {
        buy: order(w, t(alice), {
          market: 0,
          side: "buy",
          nonce,
          amount: 1n,
          limitPrice: MARKS[0],
        }),
        sell: order(w, t(bob), {
          market: 0,
          side: "sell",
          nonce,
          amount: 1n,
          limitPrice: MARKS[0],
        }),
        qty: 1n,
        price: MARKS[0],
        takerIsBuyer: true,
      },
    ]);
    const batch = Number(await w.d.settlement.getFunction("batchCount")());
    return { batch, data, proof: proof.proof };
  };
  const attestor = (urls: string[], timeoutMs?: number) =>
    new ReplicaAttestor(
      urls,
      provider,
      { chainId: w.d.chainId, settlement: w.d.addresses.settlement },
      timeoutMs,
    );

  it("ignores a replica answering garbage, too much, a cut body or nothing, and stops waiting once k members signed", async function () {
    const r = await request();
    const good = [await serve(members[0], "sign"), await serve(members[1], "sign")];
    for (const bad of ["null", "huge", "cut", "silent"] as const) {
      const urls = [await serve(Wallet.createRandom(), bad), ...good];
      const t0 = performance.now();
      const packed = await attestor(urls, 20_000).attest(r);
      assert.ok(performance.now() - t0 < 10_000, `${bad}: not held up by the bad replica`);
      assert.equal(packed.length, 2 + 2 * 65 * 2, bad);
    }
  });

  it("counts only members, once each; fewer than k is COMMITTEE_SHORT naming every answer", async function () {
    const r = await request();
    const stranger = Wallet.createRandom();
    const urls = [
      await serve(members[0], "sign"),
      await serve(members[0], "sign"),
      await serve(stranger, "sign"),
      await serve(members[1], "refuse"),
    ];
    await assert.rejects(attestor(urls).attest(r), (e: unknown) => {
      assert.ok(e instanceof ZkClearError && e.code === "COMMITTEE_SHORT", String(e));
      assert.match(e.message, /1 of the 2/);
      assert.match(e.message, new RegExp(`signed by ${stranger.address}, not a committee member`));
      assert.match(e.message, /a second signature of member/);
      assert.match(e.message, /ATTEST_NOT_NEXT: behind/);
      return true;
    });
    // with the second member's signature, the two go into the call, recovering to members
    const packed = await attestor([...urls, await serve(members[1], "sign")]).attest(r);
    const a = {
      batch: r.batch,
      kind: "trades" as const,
      oldRoot: r.data.oldRoot,
      newRoot: r.data.newRoot,
      dataCommitment: r.data.dataCommitment,
      roundId: r.data.round,
    };
    const signers_ = [0, 1].map((i) =>
      attestationSigner(
        w.d.chainId,
        w.d.addresses.settlement,
        a,
        "0x" + packed.slice(2 + i * 130, 2 + (i + 1) * 130),
      ),
    );
    assert.deepEqual(new Set(signers_), new Set(members.map((m) => m.address)));
  });

  it("when the committee withholds, gives way after the wait: forced answers and deposits land, trading is tried again", async function () {
    const [alice, bob] = w.participants;
    const urls = [await serve(members[0], "refuse"), await serve(members[1], "refuse")];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-committee-"));
    const store = new Store(path.join(dir, "op.db"));
    const s = await signers(1);
    const chain = new ChainClient(w.d.addresses, devWallet(0).connect(s[0].provider), {
      pollMs: 100,
      attestor: attestor(urls),
    });
    const logs: string[] = [];
    const op = Operator.open({
      params: P,
      markets: w.markets,
      domain: w.domain,
      owners: w.deployment.owners,
      fundFloor: w.deployment.fundFloor,
      store,
      chain,
      prover: w.prover,
      committeeWaitMs: 1500,
      log: (l) => logs.push(l),
    });
    try {
      // catch up with the chain (its deposits batch), then a fill the committee will not attest
      const tickUntil = async (done: () => Promise<boolean>, what: string) => {
        for (let i = 0; i < 40 && !(await done()); i++) {
          await op.tick({ flushTrades: true }).catch(() => {});
          await new Promise((r) => setTimeout(r, 300));
        }
        assert.ok(await done(), `${what}; log: ${logs.slice(-5).join(" | ")}`);
      };
      const chainRoot = async () => BigInt(await w.d.settlement.getFunction("stateRoot")());
      await tickUntil(async () => op.state.root === (await chainRoot()), "the operator caught up");
      const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
      op.submitOrder(
        order(w, t(alice), {
          market: 0,
          side: "sell",
          nonce: 21n,
          amount: 1n,
          limitPrice: MARKS[0],
        }),
      );
      const fill = op.submitOrder(
        order(w, t(bob), { market: 0, side: "buy", nonce: 21n, amount: 1n, limitPrice: MARKS[0] }),
      );
      assert.equal(fill.status, "filled");
      // a forced request and a deposit: neither needs the committee
      const settlement = w.d.settlement;
      const fee = BigInt(await settlement.getFunction("forcedRequestFee")());
      const req = signForcedRequest(
        {
          account: alice.account!,
          amount: 250n,
          recipient: BigInt(await alice.signer.getAddress()),
        },
        0n,
        alice.keys.privateKey,
        w.domain,
      );
      await (
        await (settlement.connect(alice.signer) as Contract).getFunction("forceWithdraw")(
          ...forceWithdrawArgs(req),
          { value: fee },
        )
      ).wait();
      await deposit(w, bob, 5n);
      const processed = BigInt(await settlement.getFunction("depositsProcessed")());
      await tickUntil(async () => {
        const [, answered] = [...(await settlement.getFunction("forcedQueue")())].map(BigInt);
        const credited = BigInt(await settlement.getFunction("depositsProcessed")());
        return answered === 1n && credited === processed + 1n;
      }, "the forced request is answered and the deposit credited");
      assert.ok(logs.some((l) => /has not attested it/.test(l)));
      // the fill is pending again, not lost: it is cut again once the hold is over
      assert.ok(store.batches().some((b) => b.kind === "trades" && b.status === "dropped"));
      await new Promise((r) => setTimeout(r, 1600));
      await op.tick({ flushTrades: true }).catch(() => {});
      assert.ok(
        store
          .batches()
          .some((b) => b.kind === "trades" && b.status !== "dropped" && b.status !== "settled"),
        "trading is tried again",
      );
    } finally {
      store.close();
    }
  });
});
