import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import type { Store } from "../../prover/src/store/store.ts";
import type { Operator } from "../../prover/src/service/operator.ts";
import { Publisher } from "../../prover/src/service/publisher.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { batchFileName, parseBatchFile } from "../../prover/src/engine/batch-file.ts";
import { AuditError } from "../../prover/src/audit/auditor.ts";
import {
  fundCompartment,
  rigPublisher,
  startOperator,
  type OperatorRig,
} from "../helpers/operator.ts";
import { serveChain } from "../helpers/chain.ts";
import { audit, auditorOf, codes, P, tempDir } from "./helpers.ts";

const MARKS = [60_000_00n, 3_000_00n];
const ROUND_CHECK = "every priced batch used an admissible oracle round";

/** Runs bin/zkclear without blocking this process (it serves the chain the CLI reads). */
function zkclear(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("bin/zkclear", args, { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * An honest history made by the real operator (real proofs, real chain, files published
 * by the service), audited from the chain and the files: every kind of batch, a price
 * crash and a liquidation. Then the files are tampered with, deleted, served over HTTP,
 * and the audit is resumed from a checkpoint and followed as batches settle.
 */
describe("audit: an honest history from the operator", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let thin: Participant;
  let rig: OperatorRig;
  let store: Store;
  let op: Operator;
  let publisher: Publisher;
  let dir: string;
  let checkpoint: string;
  let app: FastifyInstance | undefined;
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });

  before(async function () {
    rig = await startOperator(3, "zkclear-audit-");
    ({ w, store, op } = rig);
    [alice, bob, thin] = w.participants;
    dir = path.join(rig.dir, "published");
    checkpoint = path.join(rig.dir, "audit.checkpoint.json");
    publisher = rigPublisher(rig, dir);
    // deposits (two batches), the insurance fund, prices, two trade batches
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await deposit(w, thin, 1_000_000n);
    await op.tick();
    await deposit(
      w,
      { signer: bob.signer, keys: bob.keys, account: INSURANCE_ACCOUNT },
      5_000_000n,
    );
    await postRound(w, MARKS);
    await op.tick();
    // the fund owner funds BTC's compartment, which pays the crash's shortfall below
    fundCompartment(rig, 0, 2_000_000n);
    // a liquidation batch carries the move (one liquidation batch in flight at a time)
    await op.tick();
    op.submitOrder(
      order(w, t(alice), { market: 0, side: "sell", nonce: 1n, amount: 3n, limitPrice: MARKS[0] }),
    );
    op.submitOrder(
      order(w, t(bob), { market: 0, side: "buy", nonce: 1n, amount: 2n, limitPrice: MARKS[0] }),
    );
    op.submitOrder(
      order(w, t(thin), { market: 0, side: "buy", nonce: 1n, amount: 1n, limitPrice: MARKS[0] }),
    );
    await op.tick({ flushTrades: true });
    publisher.sync();
  });

  after(async function () {
    await app?.close();
    await rig.close();
  });

  it("publishes one file per settled batch whose records hash to the on-chain commitment", async function () {
    const settled = store.batches().filter((b) => b.status === "settled");
    assert.ok(settled.length >= 4, `${settled.length} batches settled`);
    for (let n = 0; n < settled.length; n++) {
      const f = parseBatchFile(fs.readFileSync(path.join(dir, batchFileName(n)), "utf8"));
      assert.equal(f.meta.batch, n);
      assert.equal(f.data.kind, settled[n].kind);
      assert.equal(f.data.newRoot, settled[n].newRoot);
    }
    assert.ok(fs.existsSync(path.join(dir, "config.json")));
  });

  it("passes on the honest history, replaying every batch and checking solvency after each", async function () {
    const r = await audit(w, dir, { checkpoint });
    assert.deepEqual(codes(r), []);
    assert.equal(r.ok, true);
    assert.equal(r.counts.batches, Number(await w.d.settlement.getFunction("batchCount")()));
    assert.equal(r.counts.proofsVerified, r.counts.batches);
    assert.equal(r.counts.replayed, r.counts.batches);
    assert.ok(
      r.checks.every((c) => c.status === "pass"),
      JSON.stringify(r.checks),
    );
    const check = r.checks.find((c) => c.name === ROUND_CHECK);
    assert.deepEqual(check, { name: ROUND_CHECK, status: "pass", findings: 0 });
    assert.equal(r.head.root, String(op.state.root));
    assert.equal(r.final?.openInterest[0].long, "3");
    assert.equal(r.final?.openInterest[0].short, "3");
    // the accounts are owed exactly what the Vault holds (nothing pending or queued)
    assert.equal(r.final?.owedToAccounts, r.final?.vaultBalance);
  });

  it("resumes from its checkpoint and audits only the batches settled since, through a crash and a liquidation", async function () {
    const before = Number(await w.d.settlement.getFunction("batchCount")());
    const to = BigInt(await alice.signer.getAddress());
    op.requestWithdrawal(
      signWithdrawal(
        { account: alice.account!, nonce: 0n, amount: 1_000_00n, recipient: to },
        alice.keys.privateKey,
        w.domain,
      ),
    );
    await op.tick();
    await postRound(w, [40_000_00n, MARKS[1]]);
    await op.tick();
    assert.ok(op.batches().some((b) => b.kind === "liquidations" && b.status === "settled"));
    publisher.sync();
    // the same checkpoint with a later round as the last one used: the resumed audit must
    // judge the new priced batches against what the checkpoint carries
    const forged = path.join(path.dirname(checkpoint), "later-round.json");
    const carried = fs.readFileSync(checkpoint, "utf8");
    assert.match(carried, /"lastRoundUsed":"1n"/);
    fs.writeFileSync(forged, carried.replace(/"lastRoundUsed":"1n"/, '"lastRoundUsed":"9n"'));
    const r = await audit(w, dir, { checkpoint });
    assert.deepEqual(codes(r), []);
    assert.equal(r.checks.find((c) => c.name === ROUND_CHECK)?.status, "pass");
    assert.match(fs.readFileSync(checkpoint, "utf8"), /"lastRoundUsed":"2n"/);
    const behind = await audit(w, dir, { checkpoint: forged });
    const priced = r.batches.filter((b) => b.batch >= before && b.roundId !== null);
    // the withdrawal goes back from round 9; the liquidation after it, at round 2, does not
    // go back from the withdrawal's round 1
    assert.deepEqual(
      priced.map((b) => b.kind),
      ["withdrawals", "liquidations"],
    );
    assert.deepEqual(codes(behind), [`${priced[0].batch}:ROUND_INADMISSIBLE`]);
    assert.match(
      behind.findings[0].message,
      new RegExp(
        `^batch ${priced[0].batch} \\(withdrawals\\) used oracle round 1, which breaks price rule 1 \\(rounds never go backwards\\): the previous priced batch used round 9$`,
      ),
    );
    assert.equal(behind.checks.find((c) => c.name === ROUND_CHECK)?.status, "fail");
    assert.equal(r.timing.resumedFrom, before);
    const after = Number(await w.d.settlement.getFunction("batchCount")());
    assert.equal(r.timing.batchesThisRun, after - before);
    assert.equal(r.counts.batches, after);
    // the one carrying the fund owner's compartment move, and the crash's
    assert.equal(r.counts.byKind.liquidations, 2);
    assert.equal(r.counts.byKind.withdrawals, 1);
    // pending: the withdrawal is credited in the Vault, not yet claimed
    assert.equal(r.final?.pendingWithdrawals, "100000");
    assert.ok(r.rounds.length === 2 && r.rounds[1].prices[0] === "4000000");
    // the compartments: the owner's move into BTC's (recorded before the checkpoint), then
    // the crash's liquidation charging BTC's alone; ETH's and the reserve untouched by it
    const moved = r.compartments.changes.filter((c) => c.move);
    assert.deepEqual(
      moved.map((c) => [c.move, c.reserveDelta, c.deltas]),
      [[{ market: 0, amount: "2000000", toReserve: false }, "-2000000", ["2000000", "0"]]],
    );
    const crash = r.compartments.changes.filter((c) => c.liquidated > 0);
    assert.equal(crash.length, 1);
    assert.deepEqual(
      [crash[0].roundId, crash[0].reserveDelta, crash[0].deltas?.[1]],
      ["2", "0", "0"],
    );
    assert.notEqual(crash[0].deltas?.[0], "0");
    assert.deepEqual(
      r.compartments.now?.compartments,
      compartmentValues(op.state.getAccount(INSURANCE_ACCOUNT), [40_000_00n, MARKS[1]]).map(String),
    );
    assert.equal(r.checks.find((c) => c.name.startsWith("insurance compartments"))?.status, "pass");
  });

  it("refuses a checkpoint that is not on the chain's history", async function () {
    const c = fs.readFileSync(checkpoint, "utf8");
    const forged = path.join(path.dirname(checkpoint), "forged.json");
    fs.writeFileSync(forged, c.replace(/"lastRoot":"(\d)/, '"lastRoot":"9$1'));
    await assert.rejects(
      () => auditorOf(w, dir, { checkpoint: forged }),
      (e: unknown) => e instanceof AuditError && e.code === "CHECKPOINT_INVALID",
    );
  });

  it("audits the files the service serves over HTTP", async function () {
    app = buildApi(op, publisher);
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    const r = await audit(w, `${url}/v1/published`);
    assert.deepEqual(codes(r), []);
    assert.equal(r.counts.replayed, r.counts.batches);
  });

  it("runs as `zkclear audit` against a JSON-RPC endpoint: terminal, --json and --html, exit codes", async function () {
    const chain = await serveChain();
    const html = path.join(tempDir("zkclear-report-"), "report.html");
    const settlement = w.d.addresses.settlement;
    try {
      const base = ["--rpc", chain.url, "--settlement", settlement];
      const ok = await zkclear(["audit", ...base, "--files", dir, "--html", html]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /✓ every proof verifies locally/);
      assert.match(ok.stdout, /AUDIT PASSED/);
      assert.match(fs.readFileSync(html, "utf8"), /data-chart="prices"/);
      const json = await zkclear(["--json", "audit", ...base, "--files", dir]);
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout) as {
        ok: boolean;
        counts: { replayed: number; batches: number };
      };
      assert.equal(report.ok, true);
      assert.equal(report.counts.replayed, report.counts.batches);
      const empty = tempDir("zkclear-empty-");
      fs.copyFileSync(path.join(dir, "config.json"), path.join(empty, "config.json"));
      const missing = await zkclear(["audit", ...base, "--files", empty]);
      assert.equal(missing.code, 1);
      assert.match(missing.stdout, /FILE_MISSING/);
      assert.match(missing.stdout, /AUDIT FAILED/);
      const usage = await zkclear(["audit", "--rpc", chain.url, "--settlement", "0x123"]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--settlement must be an address/);
    } finally {
      await chain.close();
    }
  });

  it("finds a tampered batch file: its records no longer hash to the commitment", async function () {
    const copy = tempDir("zkclear-tampered-");
    fs.cpSync(dir, copy, { recursive: true });
    const n = store
      .batches()
      .filter((b) => b.status === "settled")
      .findIndex((b) => b.kind === "trades");
    const file = path.join(copy, batchFileName(n));
    const f = JSON.parse(fs.readFileSync(file, "utf8"));
    f.trades[0].price = String(BigInt(f.trades[0].price) + 1n);
    fs.writeFileSync(file, JSON.stringify(f));
    const r = await audit(w, copy);
    const found = r.findings.find((x) => x.code === "FILE_TAMPERED");
    assert.equal(found?.batch, n);
    assert.match(found!.message, /records hash to \d+, the chain recorded commitment \d+/);
    assert.ok(r.notes.some((x) => x.includes(`replay stopped at batch ${n}`)));
    // checks that need the replayed state passed only as far as it went
    assert.equal(r.checks.find((c) => c.name.startsWith("solvency"))?.status, "partial");
    assert.equal(r.ok, false);
  });

  it("finds a missing batch file and says where it looked", async function () {
    const copy = tempDir("zkclear-missing-");
    fs.cpSync(dir, copy, { recursive: true });
    const n = store
      .batches()
      .filter((b) => b.status === "settled")
      .findIndex((b) => b.kind === "liquidations");
    fs.rmSync(path.join(copy, batchFileName(n)));
    const r = await audit(w, copy);
    assert.deepEqual(codes(r), [`${n}:FILE_MISSING`]);
    assert.match(r.findings[0].message, new RegExp(`${batchFileName(n)} is not published at`));
  });

  it("does not carry a missing file past the checkpoint: the next run looks for it again", async function () {
    const copy = tempDir("zkclear-late-");
    fs.cpSync(dir, copy, { recursive: true });
    const last = store.batches().filter((b) => b.status === "settled").length - 1;
    const name = batchFileName(last);
    fs.renameSync(path.join(copy, name), path.join(copy, `${name}.later`));
    const cp = path.join(copy, "audit.checkpoint.json");
    assert.deepEqual(codes(await audit(w, copy, { checkpoint: cp })), [`${last}:FILE_MISSING`]);
    fs.renameSync(path.join(copy, `${name}.later`), path.join(copy, name));
    const r = await audit(w, copy, { checkpoint: cp });
    assert.deepEqual(codes(r), []);
    assert.equal(r.counts.replayed, r.counts.batches);
  });

  it("finds a published configuration that is not the deployment's: markets, and the tree's depth", async function () {
    const config = {
      chainId: w.d.chainId,
      settlement: w.d.addresses.settlement,
      paramSet: P,
      markets: w.markets.map((m, j) => (j === 0 ? { ...m, takerFeeBps: m.takerFeeBps + 1n } : m)),
      fundFloor: w.deployment.fundFloor,
      owners: w.deployment.owners,
    };
    const r = await audit(w, dir, { config });
    const first = (code: string) => r.findings.find((f) => f.code === code);
    assert.match(
      first("CONFIG_MISMATCH")!.message,
      /Settlement's configHash is \d+, the published markets and fund floor 0 with this deployment's domain hash to \d+/,
    );
    assert.match(
      first("BINDING_MISMATCH")!.message,
      /Settlement bound round 1 to \d+; Poseidon\(published configuration, oracle prices \[6000000, 300000\], funding indices \[0, 0\], margin multipliers 1\.00x\/1\.00x, 1\.00x\/1\.00x\) is \d+/,
    );
    const deeper = await audit(w, dir, {
      config: { ...config, markets: w.markets, paramSet: { ...P, depth: P.depth + 2 } },
    });
    assert.equal(codes(deeper)[0], "0:GENESIS_MISMATCH");
    assert.match(
      deeper.findings[0].message,
      /not the genesis root \d+ of the published configuration/,
    );
  });

  it("follows new batches as they settle", async function () {
    const seen: number[] = [];
    const stop = new AbortController();
    const auditorWithHook = await auditorOf(w, dir, {
      fileWaitMs: 20_000,
      onBatch: (b) => seen.push(b.batch),
    });
    await auditorWithHook.catchUp();
    const known = seen.length;
    const following = auditorWithHook.follow(stop.signal, 200);
    await deposit(w, alice, 1_000n);
    await op.tick();
    const expected = Number(await w.d.settlement.getFunction("batchCount")());
    publisher.sync();
    const deadline = Date.now() + 30_000;
    while (seen.length < expected && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    await following;
    assert.equal(seen.length, expected);
    assert.ok(seen.length > known);
    assert.deepEqual(codes(auditorWithHook.report()), []);
  });
});
