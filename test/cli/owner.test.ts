import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { formatPublicKey } from "../../prover/src/domain/owners.ts";
import { saveDeployment } from "../../prover/src/deploy/deploy.ts";
import {
  deposit,
  setupWorld,
  WORLD_TIMELOCK_DELAY,
  type World,
} from "../../prover/src/dev/onchain.ts";
import type { Contract } from "ethers";
import { devWallet } from "../../prover/src/service/serve.ts";
import { increaseTime, prepareTestContracts, serveChain, signers } from "../helpers/chain.ts";

interface Run {
  code: number;
  json: Record<string, unknown>;
  out: string;
}

/** Runs bin/zkclear; `json` is its last output line parsed (the answer of a --json run). */
function zkclear(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile("bin/zkclear", args, { timeout: 300_000 }, (err, stdout, stderr) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Record<string, unknown>;
      } catch {
        // human output, or the assertion on the exit code shows it
      }
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, json, out: `${stdout}\n${stderr}` });
    });
  });
}

/**
 * `zkclear owner rotate` schedules Vault.queueOwnerKey on the governance timelock, refuses to
 * execute before the delay, executes after it; `zkclear owner show` reads the keys and the
 * rotations from the chain.
 */
describe("cli: zkclear owner rotate and show", function () {
  let chain: { url: string; close(): Promise<void> };
  let dir: string;
  let file: string;
  let w: World;
  const key = formatPublicKey(devKeyPair("cli rotated fund owner").publicKey);
  const on = () => ["--rpc", chain.url, "--deployment", file];

  before(async function () {
    await prepareTestContracts();
    const s = await signers(2);
    w = await setupWorld(PARAM_SETS.test, s[0], [s[1]]);
    chain = await serveChain();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-cli-owner-"));
    file = saveDeployment(path.join(dir, "deployment.json"), w.deployment);
  });

  after(async function () {
    await chain?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a sender that is not the timelock's proposer, and a key off the curve", async function () {
    const stranger = await zkclear([
      "--json",
      "owner",
      "rotate",
      "--role",
      "fund",
      "--key",
      key,
      "--eth-key",
      devWallet(7).privateKey,
      ...on(),
    ]);
    assert.equal(stranger.code, 1, stranger.out);
    assert.equal(stranger.json.reason, "AccessControlUnauthorizedAccount", stranger.out);
    const bad = await zkclear([
      "--json",
      "owner",
      "rotate",
      "--role",
      "fund",
      "--key",
      "5,7",
      ...on(),
    ]);
    assert.equal(bad.code, 2, bad.out);
    assert.equal(bad.json.error, "OWNER_BAD_KEY", bad.out);
    const role = await zkclear([
      "--json",
      "owner",
      "rotate",
      "--role",
      "trader",
      "--key",
      key,
      ...on(),
    ]);
    assert.equal(role.code, 2, role.out);
    assert.equal(role.json.error, "BAD_ARGUMENT", role.out);
  });

  it("schedules, refuses to execute before the delay, executes after it, and shows the rotation", async function () {
    const args = ["--json", "owner", "rotate", "--role", "fund", "--key", key, ...on()];
    const scheduled = await zkclear(args);
    assert.equal(scheduled.code, 0, scheduled.out);
    assert.match(String(scheduled.json.operation), /^0x[0-9a-f]{64}$/);
    const readyAt = BigInt(String(scheduled.json.readyAt));
    const early = await zkclear([...args, "--execute"]);
    assert.equal(early.code, 1, early.out);
    assert.match(String(early.json.message), /is not ready: executable from /);
    assert.equal(early.json.readyAt, String(readyAt));

    await increaseTime(WORLD_TIMELOCK_DELAY);
    const done = await zkclear([...args, "--execute"]);
    assert.equal(done.code, 0, done.out);
    const [count] = (await w.d.vault.getFunction("depositQueue")()) as bigint[];
    assert.equal(done.json.queueIndex, String(count - 1n));
    const again = await zkclear([...args, "--execute"]);
    assert.equal(again.code, 1, again.out);
    assert.match(String(again.json.message), /was already executed/);

    const shown = await zkclear(["--json", "owner", "show", ...on()]);
    assert.equal(shown.code, 0, shown.out);
    const owners = shown.json.owners as Record<string, { x: string; y: string }>;
    // no deposit batch has credited it yet: the fund's key is still the genesis one
    assert.equal(`${owners.fund.x},${owners.fund.y}`, formatPublicKey(w.deployment.owners.fund));
    const rotations = shown.json.rotations as {
      role: string;
      applied: boolean;
      index: string;
      state: string;
      freezeDueAt: string;
    }[];
    assert.deepEqual(
      rotations.map((r) => [r.role, r.applied, r.index, r.state]),
      [["fund", false, String(count - 1n), "waiting"]],
    );
    // uncredited, it makes a freeze due forcedDeadline after it was queued
    const [, , , queuedAt] = (await w.d.vault.getFunction("ownerRotation")(2n)) as bigint[];
    const deadline = (await w.d.settlement.getFunction("forcedDeadline")()) as bigint;
    assert.equal(rotations[0].freezeDueAt, String(queuedAt + deadline));
    const human = await zkclear(["owner", "show", ...on()]);
    assert.equal(human.code, 0, human.out);
    assert.match(human.out, /fund owner \(account 2\): \d+,\d+ \(INSECURE development key\)/);
    assert.match(
      human.out,
      new RegExp(
        `rotation at queue position ${count - 1n}: fund -> ${key} \\(waiting for a deposit batch; makes a freeze due from \\d{4}-`,
      ),
    );
  });

  it("records a rotation behind a closed queue as stranded, and says when it makes a freeze due", async function () {
    // a deposit the operator never credits, reclaimed after the deadline: the queue closes
    const [puppet] = w.participants;
    await deposit(w, puppet, 1_000n);
    const [count] = (await w.d.vault.getFunction("depositQueue")()) as bigint[];
    await increaseTime(Number(await w.d.vault.getFunction("depositDeadline")()));
    const pk = puppet.keys.publicKey;
    await (
      await (w.d.vault.connect(puppet.signer) as Contract).getFunction("reclaimDeposit")(
        count - 1n,
        puppet.account!,
        1_000n,
        pk.x,
        pk.y,
      )
    ).wait();
    const fee = formatPublicKey(devKeyPair("cli rotated fee owner").publicKey);
    const args = ["--json", "owner", "rotate", "--role", "fee", "--key", fee, ...on()];
    assert.equal((await zkclear(args)).code, 0);
    await increaseTime(WORLD_TIMELOCK_DELAY);
    const done = await zkclear([...args, "--execute"]);
    assert.equal(done.code, 0, done.out);
    assert.deepEqual([done.json.stranded, done.json.queueIndex], [true, null]);
    const [, , , at] = (await w.d.vault.getFunction("ownerRotation")(1n)) as bigint[];
    const due = at + ((await w.d.settlement.getFunction("forcedDeadline")()) as bigint);
    assert.equal(done.json.freezeDueAt, String(due));
    const shown = await zkclear(["--json", "owner", "show", ...on()]);
    const rotations = shown.json.rotations as { role: string; state: string; index: unknown }[];
    assert.deepEqual(
      rotations.map((r) => [r.role, r.state, r.index]),
      [
        // the fund's rotation, queued before the reclaimed position, can still be credited
        ["fund", "waiting", String(count - 2n)],
        ["fee", "stranded", null],
      ],
    );
    const human = await zkclear(["owner", "show", ...on()]);
    assert.match(
      human.out,
      new RegExp(
        `rotation recorded without a queue entry: fee -> ${fee} \\(stranded: the deposit queue is closed`,
      ),
    );
  });
});
