import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadDeployment } from "../../prover/src/deploy/deploy.ts";
import { FundingClient } from "../../prover/src/chain/funding.ts";
import { prepareTestContracts, provider, serveChain } from "../helpers/chain.ts";
import { zkclearJson as zkclear } from "../helpers/cli.ts";

/**
 * `zkclear deploy --funding-interval <s> --max-funding-rate <ppm>`: refused out of bounds
 * before anything is deployed, and what it deploys with them is what the file records.
 */
describe("deploy: the funding interval and the cap on the funding rate", function () {
  let chain: { url: string; close(): Promise<void> };
  let dir: string;

  before(async function () {
    await prepareTestContracts();
    chain = await serveChain();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-deploy-funding-"));
  });

  after(async function () {
    await chain?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an interval of 0 and a cap of 0, above 100000 ppm or not a number (BAD_ARGUMENT)", async function () {
    for (const [flags, what] of [
      [["--funding-interval", "0"], /--funding-interval 0.*above 0/],
      [["--max-funding-rate", "0"], /--max-funding-rate 0.*1\.\.100000 ppm/],
      [["--max-funding-rate", "100001"], /--max-funding-rate 100001.*1\.\.100000 ppm/],
      [["--max-funding-rate", "1%"], /--max-funding-rate must be a non-negative integer/],
    ] as const) {
      // a port nothing listens on: the refusal comes before any chain is asked
      const r = await zkclear(["deploy", "--rpc", "http://127.0.0.1:9", ...flags]);
      assert.equal(r.code, 2, r.out);
      assert.equal(r.json.error, "BAD_ARGUMENT", r.out);
      assert.match(String(r.json.message), what);
    }
  });

  it("deploys Funding with them and records them in the deployment file", async function () {
    const out = path.join(dir, "deployment.json");
    const r = await zkclear([
      "deploy",
      "--rpc",
      chain.url,
      "--funding-interval",
      "7200",
      "--max-funding-rate",
      "250",
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.out);
    const params = r.json.parameters as Record<string, unknown>;
    assert.equal(params.fundingInterval, 7200);
    assert.equal(params.maxFundingRatePpm, 250);
    const d = loadDeployment(out);
    assert.deepEqual(d.funding, { interval: 7200, maxRatePpm: 250 });
    assert.equal(r.json.funding, d.addresses.funding);
    const onChain = await new FundingClient(d.addresses.funding, provider).params();
    assert.equal(onChain.interval, 7200n);
    assert.equal(onChain.maxRatePpm, 250n);
  });
});
