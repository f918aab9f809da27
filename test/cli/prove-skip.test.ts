import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { toDeploymentFile } from "../../prover/src/domain/deployment.ts";
import { writeBatchFile } from "../../prover/src/dev/onchain.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, serveChain } from "../helpers/chain.ts";
import {
  crashWorld,
  settleForgedDeleveraging,
  type CrashWorld,
} from "../helpers/forged-deleveraging.ts";
import { tempDir } from "../audit/helpers.ts";
import { zkclearJson as zkclear, type CliRun } from "../helpers/cli.ts";

function expect(r: CliRun, code: number, error?: string): Record<string, unknown> {
  assert.equal(r.code, code, `exit ${r.code}\n${r.out}`);
  if (error) assert.equal(r.json.error, error, r.out);
  return r.json;
}

/**
 * `zkclear prove-skip` against a real chain: the operator settles a liquidation batch whose
 * deleveraging leaves the top-ranked short out; a stranger rebuilds the state from the
 * replica's batch files, proves the skip and freezes the exchange.
 */
describe("zkclear prove-skip: a skip proof from a replica's batch files freezes the exchange", function () {
  let cw: CrashWorld;
  let chain: { url: string; close(): Promise<void> };
  let base: string[];
  let liquidation: bigint;
  after(async function () {
    await chain?.close();
    await terminateCurve();
  });

  before(async function () {
    await prepareTestContracts();
    cw = await crashWorld();
    liquidation = (await settleForgedDeleveraging(cw)).n;
    // the replica: every batch's file as the operator published it
    const dir = tempDir("zkclear-prove-skip-");
    const files = path.join(dir, "batches");
    fs.mkdirSync(files);
    cw.settled.forEach((d, n) => writeBatchFile(cw.w, files, n, d));
    const deploymentFile = path.join(dir, "deployment.json");
    fs.writeFileSync(deploymentFile, JSON.stringify(toDeploymentFile(cw.w.deployment)));
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
      await zkclear(["prove-skip", "--batch", String(cw.tradeBatch), ...base]),
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
    const r = await zkclear([
      "prove-skip",
      "--batch",
      String(liquidation),
      "--account",
      String(cw.thin),
      "--market",
      "0",
      ...base,
    ]);
    expect(r, 1, "SKIP_NOT_ELIGIBLE");
  });

  it("finds the account left out, proves it and freezes the exchange; a second proof is refused", async function () {
    const json = expect(await zkclear(["prove-skip", "--batch", String(liquidation), ...base]), 0);
    assert.equal(json.frozen, true);
    assert.equal(json.account, String(cw.leveredShort));
    assert.equal(json.market, 0);
    assert.equal(await cw.w.d.settlement.getFunction("frozen")(), true);
    const again = expect(
      await zkclear(["prove-skip", "--batch", String(liquidation), ...base]),
      1,
      "CHAIN_REFUSED",
    );
    assert.equal(again.reason, "ExchangeFrozen");
  });
});
