import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { CIRCUITS } from "../../prover/src/domain/circuits.ts";
import { toDeploymentFile } from "../../prover/src/domain/deployment.ts";
import type { BatchData, BatchDataOf } from "../../prover/src/domain/batch.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  writeBatchFile,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { submitProven } from "../../prover/src/service/pipeline.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, serveChain, signers } from "../helpers/chain.ts";
import { tempDir } from "../audit/helpers.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
const CRASH = [40_000_00n, 3_000_00n];

interface Run {
  code: number;
  json: Record<string, unknown>;
  stdout: string;
  stderr: string;
}

/** Runs bin/zkclear --json without blocking this process (it serves the chain the CLI reads). */
function zkclear(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile("bin/zkclear", ["--json", ...args], { timeout: 300_000 }, (err, stdout, stderr) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout.trim().split("\n").pop() ?? "") as Record<string, unknown>;
      } catch {
        // not JSON: the assertion on code shows stdout and stderr
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, json, stdout, stderr });
    });
  });
}

function expect(r: Run, code: number, error?: string): Record<string, unknown> {
  assert.equal(r.code, code, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  if (error) assert.equal(r.json.error, error, r.stdout);
  return r.json;
}

/**
 * `zkclear prove-skip` against a real chain: the operator settles a liquidation batch whose
 * deleveraging leaves the top-ranked short out; a stranger rebuilds the state from the
 * replica's batch files, proves the skip and freezes the exchange.
 */
describe("zkclear prove-skip: a skip proof from a replica's batch files freezes the exchange", function () {
  let w: World;
  let chain: { url: string; close(): Promise<void> };
  let dir: string;
  let base: string[];
  let liquidation: bigint;
  let tradeBatch: bigint;
  let leveredShort: bigint;
  const settled: BatchData[] = [];
  const batchCount = async () => (await w.d.settlement.getFunction("batchCount")()) as bigint;
  after(async function () {
    await chain?.close();
    await terminateCurve();
  });

  before(async function () {
    await prepareTestContracts();
    const s = await signers(4);
    w = await setupWorld(P, s[0], [s[1], s[2], s[3]], { breakerMoveBps: 10_000 });
    const [thin, richShort, levered] = w.participants;
    await deposit(w, thin, 1_300_000n);
    await deposit(w, richShort, 100_000_000n);
    await deposit(w, levered, 2_000_000n);
    while (w.pending.length > 0) settled.push((await settleDeposits(w)).data);
    await postRound(w, MARKS);
    const t = (x: typeof thin) => ({ index: x.account!, keys: x.keys });
    tradeBatch = await batchCount();
    const trades = await settleTradeBatch(
      w,
      [richShort, levered].map((seller, i) => ({
        buy: order(w, t(thin), {
          market: 0,
          side: "buy",
          nonce: 1n,
          amount: 2n,
          limitPrice: MARKS[0],
        }),
        sell: order(w, t(seller), {
          market: 0,
          side: "sell",
          nonce: 1n + BigInt(i),
          amount: 1n,
          limitPrice: MARKS[0],
        }),
        qty: 1n,
        price: MARKS[0],
        takerIsBuyer: true,
      })),
    );
    settled.push(trades.data);
    await postRound(w, CRASH);
    // the operator's forged deleveraging: the ranking without its first (the levered short)
    leveredShort = levered.account!;
    const r = liquidate(
      w.state,
      [thin.account!],
      w.marks,
      P.liquidations,
      {
        unchecked: true,
        deleverages: P.deleverages,
        forgeDeleverage: { markets: [0], ranking: (rk) => rk.slice(1) },
      },
      w.fundingIndices,
      w.margins,
    );
    const data: BatchDataOf<"liquidations"> = {
      kind: "liquidations",
      accounts: [thin.account!],
      takers: [null],
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
      oldRoot: r.oldRoot,
      newRoot: r.newRoot,
      dataCommitment: r.dataCommitment,
      deleveraged: r.deleveraged,
      funding: [],
    };
    const proof = await w.prover.prove(
      "liquidate_batch",
      CIRCUITS.liquidate_batch.toSignals(r.input),
    );
    liquidation = await batchCount();
    await submitProven(w.chain, data, proof);
    settled.push(data);
    // the replica: every batch's file as the operator published it
    dir = tempDir("zkclear-prove-skip-");
    const files = path.join(dir, "batches");
    fs.mkdirSync(files);
    settled.forEach((d, n) => writeBatchFile(w, files, n, d));
    const deploymentFile = path.join(dir, "deployment.json");
    fs.writeFileSync(deploymentFile, JSON.stringify(toDeploymentFile(w.deployment)));
    chain = await serveChain();
    base = [
      "--from",
      files,
      "--params",
      "test",
      "--rpc",
      chain.url,
      "--deployment",
      deploymentFile,
    ];
  });

  it("refuses a batch that is not a liquidation batch, and half a target", async function () {
    expect(
      await zkclear(["prove-skip", "--batch", String(tradeBatch), ...base]),
      1,
      "NOT_A_LIQUIDATION_BATCH",
    );
    expect(
      await zkclear(["prove-skip", "--batch", String(liquidation), "--account", "5", ...base]),
      2,
      "BAD_ARGUMENT",
    );
  });

  it("refuses an account that was not left out, with the reason", async function () {
    const [thin] = w.participants;
    const r = await zkclear([
      "prove-skip",
      "--batch",
      String(liquidation),
      "--account",
      String(thin.account),
      "--market",
      "0",
      ...base,
    ]);
    expect(r, 1, "SKIP_NOT_ELIGIBLE");
  });

  it("finds the account left out, proves it and freezes the exchange; a second proof is refused", async function () {
    const json = expect(await zkclear(["prove-skip", "--batch", String(liquidation), ...base]), 0);
    assert.equal(json.frozen, true);
    assert.equal(json.account, String(leveredShort));
    assert.equal(json.market, 0);
    assert.equal(await w.d.settlement.getFunction("frozen")(), true);
    const again = expect(
      await zkclear(["prove-skip", "--batch", String(liquidation), ...base]),
      1,
      "CHAIN_REFUSED",
    );
    assert.equal(again.reason, "ExchangeFrozen");
  });
});
