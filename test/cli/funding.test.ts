import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { indexStep } from "../../prover/src/domain/funding-rate.ts";
import { saveDeployment } from "../../prover/src/deploy/deploy.ts";
import { FundingClient } from "../../prover/src/chain/funding.ts";
import { postRound, setupWorld, type World } from "../../prover/src/dev/onchain.ts";
import { prepareTestContracts, serveChain, signers } from "../helpers/chain.ts";
import { mineAt, uncached } from "../contracts/funding-helpers.ts";
import { runZkclear as zkclear } from "../helpers/cli.ts";

/** `zkclear funding`: rates, indices and the next tick, from the chain alone. */
describe("cli: zkclear funding", function () {
  let chain: { url: string; close(): Promise<void> };
  let dir: string;
  let file: string;
  let w: World;
  let client: FundingClient;

  before(async function () {
    await prepareTestContracts();
    const s = await signers(2);
    w = await setupWorld(PARAM_SETS.test, s[0], [s[1]]);
    client = await FundingClient.of(w.d.settlement, await uncached.getSigner(0));
    chain = await serveChain();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-cli-funding-"));
    file = saveDeployment(path.join(dir, "deployment.json"), w.deployment);
  });

  after(async function () {
    await chain?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows tick 0, then a tick's rates and indices and the next tick time", async function () {
    const before = await zkclear(["--json", "funding", "--rpc", chain.url, "--deployment", file]);
    assert.equal(before.code, 0, before.out);
    assert.equal(before.json.tick, 0);
    assert.deepEqual(before.json.indices, ["0", "0"]);
    assert.deepEqual(before.json.ticks, []);
    assert.equal(before.json.nextTickTime, String(await client.nextTickTime()));

    await mineAt(await client.nextTickTime());
    await postRound(w, [60_000_00n, 3_000_00n]);
    await client.tick([700n, -300n]);
    const after = await zkclear(["--json", "funding", "--rpc", chain.url, "--deployment", file]);
    assert.equal(after.code, 0, after.out);
    const indices = [indexStep(700n, w.marks[0]), indexStep(-300n, w.marks[1])].map(String);
    assert.equal(after.json.tick, 1);
    assert.deepEqual(after.json.ratesPpm, ["700", "-300"]);
    assert.deepEqual(after.json.indices, indices);
    assert.equal(after.json.fromRound, String(w.round + 1n));
    assert.equal(after.json.nextTickTime, String(await client.nextTickTime()));
    assert.equal((after.json.ticks as unknown[]).length, 1);

    const human = await zkclear(["funding", "--rpc", chain.url, "--deployment", file]);
    assert.equal(human.code, 0, human.out);
    assert.match(human.out, /market 0: last rate 700 ppm/);
    assert.match(human.out, /market 1: last rate -300 ppm/);
    assert.match(human.out, /next tick: from /);
  });

  it("refuses a node it cannot reach (RPC_UNREACHABLE, exit 1)", async function () {
    const r = await zkclear([
      "--json",
      "funding",
      "--rpc",
      "http://127.0.0.1:9",
      "--deployment",
      file,
    ]);
    assert.equal(r.code, 1, r.out);
    assert.equal(r.json.error, "RPC_UNREACHABLE", r.out);
  });
});
