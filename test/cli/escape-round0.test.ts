import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { deposit, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { toDeploymentFile } from "../../prover/src/domain/deployment.ts";
import { parseExitDataFile } from "../../prover/src/domain/exit-data.ts";
import { encryptKey } from "../../prover/src/domain/keystore.ts";
import type { Operator } from "../../prover/src/service/operator.ts";
import { rigPublisher, startOperator, type OperatorRig } from "../helpers/operator.ts";
import { increaseTime, serveChain } from "../helpers/chain.ts";
import { tempDir } from "../audit/helpers.ts";
import { zkclearJson } from "../helpers/cli.ts";

const PASS = "correct horse battery";
const TO = "0x00000000000000000000000000000000000a11ce";

/** `zkclear --json <args>` with the keystores' passphrase; the run must succeed. */
async function ok(args: string[]): Promise<Record<string, unknown>> {
  const r = await zkclearJson(args, { ZKCLEAR_PASSPHRASE: PASS });
  assert.equal(r.code, 0, r.out);
  return r.json;
}

/**
 * The escape hatch when the operator is gone before the oracle ever posted a round: the
 * freeze records round 0, whose binding Settlement makes at zero marks (_frozenBinding(0)).
 * A trader whose deposit was credited rebuilds the frozen tree from the published files
 * and proves its exit with the CLI alone. (The replica tree used to read round 0's prices
 * from the oracle, which has none, and the engine refused zero marks: the trader could not
 * leave with the project's own commands.)
 */
describe("zkclear exit-data and exit after a freeze at round 0 (no oracle round ever posted)", function () {
  let rig: OperatorRig;
  let w: World;
  let op: Operator;
  let alice: Participant;
  let bob: Participant;
  let chain: { url: string; close(): Promise<void> };
  let dir: string;
  let published: string;
  let base: string[];

  before(async function () {
    rig = await startOperator(2, "zkclear-escape-round0-");
    ({ w, op } = rig);
    [alice, bob] = w.participants;
    dir = tempDir("zkclear-escape-round0-files-");
    published = path.join(dir, "published");
    const publisher = rigPublisher(rig, published);
    await deposit(w, alice, 1_000_000n);
    await op.tick(); // a real deposit proof: deposits need no round
    publisher.sync();
    chain = await serveChain();
    const deploymentFile = path.join(dir, "deployment.json");
    fs.writeFileSync(deploymentFile, JSON.stringify(toDeploymentFile(w.deployment)));
    fs.writeFileSync(
      path.join(dir, "alice.key.json"),
      JSON.stringify(encryptKey(alice.keys, PASS)),
    );
    base = ["--rpc", chain.url, "--deployment", deploymentFile];
  });

  after(async function () {
    await chain?.close();
    await rig?.close();
  });

  it("rebuilds the frozen tree at round 0's zero marks, proves the exit, and Settlement records the claim", async function () {
    const settlement = w.d.settlement;
    // the operator is gone: bob's deposit is never credited, and the freeze becomes due
    await deposit(w, bob, 5_000n);
    await increaseTime(Number(await settlement.getFunction("forcedDeadline")()));
    await ok(["freeze", ...base]);
    const [, roundId] = (await settlement.getFunction("freezeInfo")()) as bigint[];
    assert.equal(roundId, 0n, "no oracle round was ever posted");

    const file = path.join(dir, "exit-alice.json");
    await ok([
      "exit-data",
      "--account",
      String(alice.account),
      "--from",
      published,
      "--out",
      file,
      ...base,
    ]);
    const data = parseExitDataFile(fs.readFileSync(file, "utf8"));
    assert.equal(data.roundId, 0n);
    assert.deepEqual(data.marks, [0n, 0n]);
    assert.equal(data.payout, 1_000_000n);

    const r = await ok([
      "exit",
      "--key",
      path.join(dir, "alice.key.json"),
      "--account",
      String(alice.account),
      "--to",
      TO,
      "--data",
      file,
      ...base,
    ]);
    assert.equal(r.status, "claimed");
    const [status, recipient, payout] = (await settlement.getFunction("exitOf")(
      alice.account!,
    )) as [bigint, string, bigint];
    assert.deepEqual([status, recipient.toLowerCase(), payout], [1n, TO, 1_000_000n]);
  });
});
