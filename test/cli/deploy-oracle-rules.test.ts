import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadDeployment } from "../../prover/src/deploy/deploy.ts";
import { Contract } from "ethers";
import { loadArtifact } from "../../prover/src/chain/artifacts.ts";
import { prepareTestContracts, provider, serveChain } from "../helpers/chain.ts";
import { zkclearJson as zkclear } from "../helpers/cli.ts";

/**
 * `zkclear deploy`'s oracle rules, immutable in PriceOracle: the circuit breaker
 * (--breaker-move-bps, --breaker-cooldown) and the volatility margins (--vol-span,
 * --vol-ref-bps, --margin-floor-bps, --margin-ceil-bps, --margin-grace). Each is refused out
 * of its range before anything is deployed, and what is deployed is what the file records.
 */
describe("deploy: the oracle's circuit breaker and volatility margin rule", function () {
  let chain: { url: string; close(): Promise<void> };
  let dir: string;

  before(async function () {
    await prepareTestContracts();
    chain = await serveChain();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-deploy-oracle-"));
  });

  after(async function () {
    await chain?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses each rule's parameter out of its range (BAD_ARGUMENT), naming it", async function () {
    this.timeout(300_000);
    for (const [flags, what] of [
      [["--breaker-move-bps", "0"], /--breaker-move-bps 0.*bound must be 1\.\.10000/],
      [["--breaker-cooldown", "86401"], /--breaker-cooldown 86401.*cool-down must be 1\.\.86400/],
      [["--vol-span", "0"], /--vol-span 0.*span must be 1\.\.1000 rounds/],
      [["--vol-ref-bps", "10001"], /reference move must be 1\.\.10000/],
      [["--margin-floor-bps", "9999"], /margin floor must be at least 10000/],
      [["--margin-ceil-bps", "50001"], /margin ceiling must be 10000\.\.50000/],
      [["--margin-grace", "604801"], /margin grace must be 1\.\.604800 seconds/],
    ] as const) {
      // a port nothing listens on: the refusal comes before any chain is asked
      const r = await zkclear(["deploy", "--rpc", "http://127.0.0.1:9", ...flags]);
      assert.equal(r.code, 2, r.out);
      assert.equal(r.json.error, "BAD_ARGUMENT", r.out);
      assert.match(String(r.json.message), what);
    }
  });

  it("deploys the oracle with them and records them in the deployment file", async function () {
    this.timeout(300_000);
    const out = path.join(dir, "deployment.json");
    const rule = { span: 8, refBps: 250, floorBps: 12_000, ceilBps: 40_000, grace: 1800 };
    const r = await zkclear([
      "deploy",
      "--rpc",
      chain.url,
      "--breaker-move-bps",
      "1500",
      "--vol-span",
      String(rule.span),
      "--vol-ref-bps",
      String(rule.refBps),
      "--margin-floor-bps",
      String(rule.floorBps),
      "--margin-ceil-bps",
      String(rule.ceilBps),
      "--margin-grace",
      String(rule.grace),
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.out);
    const params = r.json.parameters as Record<string, unknown>;
    assert.deepEqual(params.marginRule, rule);
    assert.equal(params.breakerMoveBps, 1500);
    const d = loadDeployment(out);
    assert.deepEqual(d.oracle.marginRule, rule);
    assert.equal(d.oracle.breakerMoveBps, 1500);
    const oracle = new Contract(d.addresses.oracle, loadArtifact("PriceOracle").abi, provider);
    const read = async (f: string) => Number(await oracle.getFunction(f)());
    assert.deepEqual(
      {
        span: await read("volSpan"),
        refBps: await read("volRefBps"),
        floorBps: await read("marginFloorBps"),
        ceilBps: await read("marginCeilBps"),
        grace: await read("marginGrace"),
      },
      rule,
    );
    assert.equal(await read("breakerMoveBps"), 1500);
  });
});
