import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { encryptKey } from "../../prover/src/domain/keystore.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { toDeploymentFile } from "../../prover/src/domain/deployment.ts";
import { exitPayout } from "../../prover/src/domain/exit.ts";
import { parseExitDataFile } from "../../prover/src/domain/exit-data.ts";
import { forcedQueueHash, signForcedRequest } from "../../prover/src/domain/forced.ts";
import { batchFileName } from "../../prover/src/engine/batch-file.ts";
import { exitDataOf } from "../../prover/src/engine/exit-data.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  WORLD_TIMELOCK_DELAY,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { ZeroHash, id } from "ethers";
import { Publisher } from "../../prover/src/service/publisher.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import { devWallet } from "../../prover/src/service/serve.ts";
import type { Operator } from "../../prover/src/service/operator.ts";
import { rigPublisher, startOperator, type OperatorRig } from "../helpers/operator.ts";
import { increaseTime, provider, serveChain } from "../helpers/chain.ts";
import { tempDir } from "../audit/helpers.ts";

const MARKS = [60_000_00n, 3_000_00n];
const PASS = "correct horse battery";
const TO = "0x00000000000000000000000000000000000a11ce";
const TREASURY = "0x0000000000000000000000000000000000007ea5";
/** The fee owner's key the governance rotates to and the gone operator never credits. */
const NEW_FEE_OWNER = devKeyPair("escape cli: rotated fee owner");

interface Run {
  code: number;
  json: Record<string, unknown>;
  stdout: string;
  stderr: string;
}

/** Runs bin/zkclear --json without blocking this process (it serves the chain the CLI reads). */
function zkclear(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      "bin/zkclear",
      ["--json", ...args],
      { timeout: 300_000, env: { ...process.env, ZKCLEAR_PASSPHRASE: PASS } },
      (err, stdout, stderr) => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          // not JSON: the assertion on code shows stdout and stderr
        }
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          json,
          stdout,
          stderr,
        });
      },
    );
  });
}

function ok(r: Run): Record<string, unknown> {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.json;
}

function refused(r: Run, code: number, error: string, message?: RegExp): Record<string, unknown> {
  assert.equal(r.code, code, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.json.error, error, r.stdout);
  if (message) assert.match(String(r.json.message), message);
  return r.json;
}

/**
 * The user's side of the escape hatch, run as the `zkclear` command against the real
 * operator (real proofs, the service's published files and API) on a real chain that the
 * operator then abandons: receipts kept by `zkclear account`, a forced withdrawal, a freeze
 * refused before the deadline and accepted after it, a deposit reclaimed, and exit data
 * rebuilt from a replica (a directory and the operator's URL) or taken from a receipt.
 */
describe("zkclear escape commands: force-withdraw, freeze, reclaim-deposit, exit-data, exit, settle-exit", function () {
  let rig: OperatorRig;
  let w: World;
  let op: Operator;
  let publisher: Publisher;
  let alice: Participant;
  let bob: Participant;
  let carol: Participant;
  let app: FastifyInstance;
  let chain: { url: string; close(): Promise<void> };
  let dir: string;
  let published: string;
  let api: string;
  let carolDeposit: bigint;
  let base: string[];
  const keyFile = (name: string) => path.join(dir, `${name}.key.json`);
  const receipts = () => ["--receipts", path.join(dir, "receipts")];
  const t = (x: Participant) => ({ index: x.account!, keys: x.keys });

  before(async function () {
    rig = await startOperator(3, "zkclear-escape-cli-");
    ({ w, op } = rig);
    [alice, bob, carol] = w.participants;
    dir = tempDir("zkclear-escape-cli-files-");
    published = path.join(dir, "published");
    publisher = rigPublisher(rig, published);
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await op.tick();
    await postRound(w, MARKS);
    await op.tick();
    op.submitOrder(
      order(w, t(alice), { market: 0, side: "sell", nonce: 1n, amount: 2n, limitPrice: MARKS[0] }),
    );
    op.submitOrder(
      order(w, t(bob), { market: 0, side: "buy", nonce: 1n, amount: 2n, limitPrice: MARKS[0] }),
    );
    await op.tick({ flushTrades: true });
    publisher.sync();
    app = buildApi(op, publisher);
    api = await app.listen({ host: "127.0.0.1", port: 0 });
    chain = await serveChain();
    const deploymentFile = path.join(dir, "deployment.json");
    fs.writeFileSync(deploymentFile, JSON.stringify(toDeploymentFile(w.deployment)));
    for (const [name, p] of [
      ["alice", alice],
      ["bob", bob],
      ["carol", carol],
    ] as const)
      fs.writeFileSync(keyFile(name), JSON.stringify(encryptKey(p.keys, PASS)));
    base = ["--rpc", chain.url, "--deployment", deploymentFile];
  });

  after(async function () {
    await app?.close();
    await chain?.close();
    await rig?.close();
  });

  const settlement = () => w.d.settlement;
  const stateRoot = async () => BigInt(await settlement().getFunction("stateRoot")());
  const batchCount = async () => Number(await settlement().getFunction("batchCount")());

  it("zkclear account keeps the receipt it checked (leaf, path, root and the batch it settled in)", async function () {
    const r = ok(
      await zkclear([
        "account",
        "--key",
        keyFile("bob"),
        "--account",
        String(bob.account),
        "--api",
        api,
        ...base,
        ...receipts(),
      ]),
    );
    assert.equal(r.root, String(await stateRoot()));
    assert.equal(r.batch, await batchCount());
    const book = JSON.parse(fs.readFileSync(String(r.receipt), "utf8"));
    assert.equal(
      r.receipt,
      path.join(
        dir,
        "receipts",
        `31337-${w.d.addresses.settlement.toLowerCase()}`,
        `account-${bob.account}.json`,
      ),
    );
    assert.equal(book.format, "zkclear-receipts/1");
    assert.equal(book.receipts.length, 1);
    assert.equal(book.receipts[0].root, `${await stateRoot()}n`);

    // another batch moves the root on: bob's receipt is now stale, alice checks hers after it
    op.submitOrder(
      order(w, t(alice), { market: 1, side: "sell", nonce: 2n, amount: 1n, limitPrice: MARKS[1] }),
    );
    op.submitOrder(
      order(w, t(bob), { market: 1, side: "buy", nonce: 2n, amount: 1n, limitPrice: MARKS[1] }),
    );
    await op.tick({ flushTrades: true });
    publisher.sync();
    const a = ok(
      await zkclear([
        "account",
        "--key",
        keyFile("alice"),
        "--account",
        String(alice.account),
        "--api",
        api,
        ...base,
        ...receipts(),
      ]),
    );
    assert.equal(a.root, String(await stateRoot()));
    assert.notEqual(a.root, r.root);
  });

  it("force-withdraw signs at the receipt's nonce, pays the fee and prints the queue position and the deadline", async function () {
    const r = ok(
      await zkclear([
        "force-withdraw",
        "--key",
        keyFile("alice"),
        "--account",
        String(alice.account),
        "--amount",
        "1000",
        "--to",
        TO,
        ...base,
        ...receipts(),
      ]),
    );
    assert.equal(r.queueIndex, "0");
    assert.equal(r.nonce, "0");
    assert.match(String(r.nonceSource), /^receipt of /);
    const deadline = BigInt(await settlement().getFunction("forcedDeadline")());
    assert.equal(BigInt(String(r.deadline)), BigInt(String(r.requestedAt)) + deadline);
    assert.equal(
      BigInt(String(r.fee)),
      BigInt(await settlement().getFunction("forcedRequestFee")()),
    );
    // the queue holds exactly alice's request signed by her key at nonce 0
    const expected = signForcedRequest(
      { account: alice.account!, amount: 1000n, recipient: BigInt(TO) },
      0n,
      alice.keys.privateKey,
      w.domain,
    );
    assert.equal(
      BigInt(await settlement().getFunction("forcedHashAt")(1n)),
      forcedQueueHash(0n, expected),
    );
  });

  it("force-withdraw refuses a system account, an unknown nonce, and another key's account, each for its reason", async function () {
    const args = (who: string, account: bigint, extra: string[] = []) => [
      "force-withdraw",
      "--key",
      keyFile(who),
      "--account",
      String(account),
      "--amount",
      "5",
      "--to",
      TO,
      ...base,
      ...receipts(),
      ...extra,
    ];
    refused(
      await zkclear(args("alice", 2n, ["--nonce", "0"])),
      2,
      "BAD_ARGUMENT",
      /system account/,
    );
    refused(await zkclear(args("carol", 9n)), 2, "NONCE_UNKNOWN", /give --nonce/);
    refused(
      await zkclear(args("carol", alice.account!)),
      2,
      "KEYSTORE_MISMATCH",
      /belongs to another key/,
    );
    // the nonce from a replica's tree (rebuilt up to the live root): the key is checked there too
    refused(
      await zkclear(args("carol", alice.account!, ["--from", published])),
      2,
      "KEYSTORE_MISMATCH",
      /published: account 3 belongs to another key/,
    );
    // an account the Vault never opened: the chain's refusal, decoded
    const r = refused(await zkclear(args("carol", 9n, ["--nonce", "0"])), 1, "CHAIN_REFUSED");
    assert.equal(r.reason, "BadForcedRequest");
  });

  it("freeze is refused before the deadline, saying when it becomes possible; reclaim-deposit says when the deposit is reclaimable", async function () {
    // the operator has gone: carol's deposit is never credited
    await deposit(w, carol, 500_000n);
    carolDeposit = BigInt((await w.d.vault.getFunction("depositQueue")())[0] as bigint) - 1n;
    const r = refused(await zkclear(["freeze", ...base]), 1, "CHAIN_REFUSED", /possible from/);
    assert.equal(r.reason, "NothingOverdue");
    const forcedDueAt = BigInt(String(r.forcedDueAt));
    const depositDueAt = BigInt(String(r.depositDueAt));
    assert.ok(forcedDueAt > 0n && depositDueAt > 0n);
    assert.equal(
      BigInt(String(r.freezableAt)),
      forcedDueAt < depositDueAt ? forcedDueAt : depositDueAt,
    );
    const carolKey = devWallet(3).privateKey;
    const early = refused(
      await zkclear([
        "reclaim-deposit",
        "--index",
        String(carolDeposit),
        "--eth-key",
        carolKey,
        ...base,
      ]),
      1,
      "CHAIN_REFUSED",
      /reclaimable from/,
    );
    assert.equal(early.reason, "DeadlineNotReached");
    // exit data is for after a freeze
    refused(
      await zkclear([
        "exit-data",
        "--account",
        String(alice.account),
        "--from",
        published,
        ...base,
      ]),
      1,
      "NOT_FROZEN",
    );
  });

  it("the governance rotates the fee owner's key; the gone operator never credits it", async function () {
    const vault = w.d.vault;
    const k = NEW_FEE_OWNER.publicKey;
    const data = vault.interface.encodeFunctionData("queueOwnerKey", [1n, k.x, k.y]);
    const to = await vault.getAddress();
    const tl = w.d.timelock;
    const salt = id("escape cli rotation");
    await (
      await tl.getFunction("schedule")(to, 0n, data, ZeroHash, salt, WORLD_TIMELOCK_DELAY)
    ).wait();
    await increaseTime(WORLD_TIMELOCK_DELAY);
    await (await tl.getFunction("execute")(to, 0n, data, ZeroHash, salt)).wait();
    const [x, y] = (await vault.getFunction("ownerRotation")(1n)) as bigint[];
    assert.deepEqual([x, y], [k.x, k.y]);
  });

  it("freeze succeeds once the forced request is overdue, recording the root of the last batch", async function () {
    const deadline = Number(await settlement().getFunction("forcedDeadline")());
    await increaseTime(deadline);
    const root = await stateRoot();
    const batches = await batchCount();
    const r = ok(await zkclear(["freeze", ...base]));
    assert.equal(r.root, String(root));
    assert.equal(r.batches, String(batches));
    assert.equal(BigInt(await settlement().getFunction("frozenRoot")()), root);
    refused(await zkclear(["freeze", ...base]), 1, "CHAIN_REFUSED", /already frozen/);
  });

  it("reclaim-deposit returns the uncredited deposit to its depositor once, and refuses others for their reason", async function () {
    const carolKey = devWallet(3).privateKey;
    const args = (index: bigint, key: string) => [
      "reclaim-deposit",
      "--index",
      String(index),
      "--eth-key",
      key,
      ...base,
    ];
    const balance = async () =>
      BigInt(await w.d.token.getFunction("balanceOf")(await carol.signer.getAddress()));
    const before = await balance();
    const r = ok(await zkclear(args(carolDeposit, carolKey)));
    assert.equal(r.amount, "500000");
    assert.equal(await balance(), before + 500_000n);
    assert.equal(
      refused(await zkclear(args(carolDeposit, carolKey)), 1, "CHAIN_REFUSED").reason,
      "AlreadyReclaimed",
    );
    assert.equal(
      refused(await zkclear(args(0n, devWallet(1).privateKey)), 1, "CHAIN_REFUSED").reason,
      "DepositCredited",
    );
    assert.equal(
      refused(await zkclear(args(0n, carolKey)), 1, "CHAIN_REFUSED").reason,
      "NotDepositor",
    );
    refused(await zkclear(args(99n, carolKey)), 1, "DEPOSIT_NOT_FOUND");
  });

  it("exit-data rebuilds the frozen tree from a replica (directory or URL) and gives each account's leaf, path and payout", async function () {
    const marks = (await w.d.oracle.getFunction("roundPrices")(w.round)) as bigint[];
    for (const [who, from] of [
      [alice, published],
      [bob, `${api}/v1/published`],
    ] as const) {
      const file = path.join(dir, `exit-${who.account}.json`);
      const r = ok(
        await zkclear([
          "exit-data",
          "--account",
          String(who.account),
          "--from",
          from,
          "--out",
          file,
          ...base,
        ]),
      );
      const data = parseExitDataFile(fs.readFileSync(file, "utf8"));
      const expected = exitDataOf(
        op.state,
        who.account!,
        {
          chainId: w.d.chainId,
          settlement: w.d.addresses.settlement,
          batches: await batchCount(),
          roundId: w.round,
          marks: [...marks],
          fundingIndices: w.fundingIndices,
          margins: w.margins,
        },
        data.source,
      );
      assert.deepEqual(data, expected);
      assert.equal(
        data.payout,
        exitPayout(op.state.getAccount(who.account!), [...marks], w.fundingIndices),
      );
      assert.equal(r.payout, String(data.payout));
      assert.match(data.source, /^replica /);
    }
  });

  it("exit-data refuses a replica that does not rebuild the frozen root: a tampered or missing batch file", async function () {
    const copy = tempDir("zkclear-escape-tampered-");
    fs.cpSync(published, copy, { recursive: true });
    const trades = path.join(copy, batchFileName(1));
    fs.writeFileSync(trades, fs.readFileSync(trades, "utf8").replace(/"qty": "2"/, '"qty": "1"'));
    const args = ["exit-data", "--account", String(alice.account), "--from", copy, ...base];
    refused(await zkclear(args), 1, "REPLICA_INCOMPLETE", /batch 1/);
    fs.rmSync(trades);
    refused(await zkclear(args), 1, "REPLICA_INCOMPLETE", /batch-000001\.json is not published/);
  });

  it("exit-data takes the receipt at the frozen root, and says a stale or missing receipt needs a replica", async function () {
    const file = path.join(dir, "exit-receipt.json");
    const r = ok(
      await zkclear([
        "exit-data",
        "--account",
        String(alice.account),
        "--from",
        "receipt",
        "--out",
        file,
        ...base,
        ...receipts(),
      ]),
    );
    const fromReceipt = parseExitDataFile(fs.readFileSync(file, "utf8"));
    const fromReplica = parseExitDataFile(
      fs.readFileSync(path.join(dir, `exit-${alice.account}.json`), "utf8"),
    );
    assert.deepEqual({ ...fromReceipt, source: "" }, { ...fromReplica, source: "" });
    assert.match(String(r.source), /^receipt /);
    refused(
      await zkclear([
        "exit-data",
        "--account",
        String(bob.account),
        "--from",
        "receipt",
        ...base,
        ...receipts(),
      ]),
      1,
      "RECEIPT_STALE",
      /stale: use a replica/,
    );
    refused(
      await zkclear([
        "exit-data",
        "--account",
        String(carol.account ?? 9n),
        "--from",
        "receipt",
        ...base,
        ...receipts(),
      ]),
      1,
      "RECEIPT_MISSING",
    );
  });

  it("exit proves the account's exit on this machine and Settlement records the claim within the window; a second exit and another key are refused", async function () {
    const data = path.join(dir, `exit-${alice.account}.json`);
    const args = (who: string, file = data) => [
      "exit",
      "--key",
      keyFile(who),
      "--account",
      String(alice.account),
      "--to",
      TO,
      "--data",
      file,
      ...base,
    ];
    refused(await zkclear(args("bob")), 2, "KEYSTORE_MISMATCH", /not account 3's key/);
    const r = ok(await zkclear(args("alice")));
    const payout = parseExitDataFile(fs.readFileSync(data, "utf8")).payout;
    assert.equal(r.status, "claimed");
    assert.equal(r.payout, String(payout));
    assert.ok(Number(r.proveMs) > 0);
    console.log(`      exit proved by the CLI in ${r.proveMs} ms (${r.engine}, test parameters)`);
    const [status, recipient, claimed] = (await settlement().getFunction("exitOf")(
      alice.account!,
    )) as [bigint, string, bigint];
    assert.deepEqual([status, recipient.toLowerCase(), claimed], [1n, TO, payout]);
    refused(await zkclear(args("alice")), 1, "CHAIN_REFUSED", /exited already \(claimed\)/);
    // settling is for after the window
    const early = refused(
      await zkclear(["settle-exit", "--account", String(alice.account), ...base]),
      1,
      "CHAIN_REFUSED",
      /open until/,
    );
    assert.equal(early.reason, "ExitWindowOpen");
  });

  it("after the window: settle-exit pays the claim and claims it from the Vault; a late exit is paid at once", async function () {
    const [, , , windowEnd] = (await settlement().getFunction("exitInfo")()) as bigint[];
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    await increaseTime(Number(windowEnd - now) + 1);
    const balance = async (a: string) => BigInt(await w.d.token.getFunction("balanceOf")(a));
    const before = await balance(TO);
    const payout = parseExitDataFile(
      fs.readFileSync(path.join(dir, `exit-${alice.account}.json`), "utf8"),
    ).payout;
    const s = ok(await zkclear(["exit", "--settle", "--account", String(alice.account), ...base]));
    assert.equal(s.paid, String(payout));
    assert.equal(s.claimedFromVault, String(payout));
    assert.equal(await balance(TO), before + payout);
    refused(
      await zkclear(["settle-exit", "--account", String(alice.account), ...base]),
      1,
      "CHAIN_REFUSED",
      /no claim to settle/,
    );
    // bob exits late: paid at once from what is left, and claimed for his address
    const bobTo = await bob.signer.getAddress();
    const bobData = path.join(dir, `exit-${bob.account}.json`);
    const bobPayout = parseExitDataFile(fs.readFileSync(bobData, "utf8")).payout;
    const bobBefore = await balance(bobTo);
    const r = ok(
      await zkclear([
        "exit",
        "--key",
        keyFile("bob"),
        "--account",
        String(bob.account),
        "--to",
        bobTo,
        "--data",
        bobData,
        ...base,
      ]),
    );
    assert.equal(r.status, "paid");
    assert.equal(r.paid, String(bobPayout));
    assert.equal(await balance(bobTo), bobBefore + bobPayout);
  });

  it("the fee and fund owners sign their accounts' exits to a treasury, after the second window, fees first", async function () {
    const owners = devOwnerKeys();
    fs.writeFileSync(keyFile("fee-owner"), JSON.stringify(encryptKey(owners.fee, PASS)));
    fs.writeFileSync(keyFile("fund-owner"), JSON.stringify(encryptKey(owners.fund, PASS)));
    fs.writeFileSync(keyFile("new-fee-owner"), JSON.stringify(encryptKey(NEW_FEE_OWNER, PASS)));
    const data = (account: number) => path.join(dir, `exit-${account}.json`);
    for (const account of [1, 2])
      ok(
        await zkclear([
          "exit-data",
          "--account",
          String(account),
          "--from",
          published,
          "--out",
          data(account),
          ...base,
        ]),
      );
    const exit = (account: number, key?: string, ...more: string[]) =>
      zkclear([
        "exit",
        ...(key ? ["--key", keyFile(key)] : []),
        "--account",
        String(account),
        "--to",
        TREASURY,
        "--data",
        data(account),
        ...more,
        ...base,
      ]);
    // every exit is signed: no key, or another key than the one in the leaf, is refused here
    refused(await exit(1), 2, "BAD_ARGUMENT", /signed by the fee owner's key: give --key/);
    refused(await exit(2, "alice"), 2, "KEYSTORE_MISMATCH", /the fund owner's key/);
    // the fee owner's rotation was never credited: the NEW key signs, the old one (in the
    // leaf) is refused, as is any other
    for (const wrong of ["fee-owner", "fund-owner"])
      refused(
        await exit(1, wrong),
        2,
        "KEYSTORE_MISMATCH",
        /not the owner key the governance queued for account 1/,
      );
    // in the second window (late traders first) Settlement refuses it, saying when it may
    const early = refused(await exit(1, "new-fee-owner"), 1, "CHAIN_REFUSED", /second window/);
    assert.equal(early.reason, "SystemExit");
    assert.doesNotMatch(String(early.message), /admin/);

    const [, , , windowEnd] = (await settlement().getFunction("exitInfo")()) as bigint[];
    const exitWindow = BigInt(await settlement().getFunction("exitWindow")());
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    await increaseTime(Number(windowEnd + exitWindow - now) + 1);
    // after it: the fund not before the fees
    const fundFirst = refused(await exit(2, "fund-owner"), 1, "CHAIN_REFUSED", /fee account/);
    assert.equal(fundFirst.reason, "SystemExit");

    const balance = async (a: string) => BigInt(await w.d.token.getFunction("balanceOf")(a));
    // the fee owner's exit, sent like a trader's: paid at once to the treasury it signed
    const feePayout = parseExitDataFile(fs.readFileSync(data(1), "utf8")).payout;
    assert.ok(feePayout > 0n, "the fee account collected the trades' fees");
    const fee = ok(await exit(1, "new-fee-owner"));
    assert.deepEqual(
      [fee.status, fee.paid, fee.claimedFromVault],
      ["paid", String(feePayout), String(feePayout)],
    );
    assert.equal(await balance(TREASURY), feePayout);
    // the fund owner's exit, proved here and printed as calldata that anyone sends
    const fund = ok(await exit(2, "fund-owner", "--calldata"));
    const call = settlement().interface.parseTransaction({ data: String(fund.calldata) })!;
    assert.equal(call.name, "exit");
    const fundPayout = parseExitDataFile(fs.readFileSync(data(2), "utf8")).payout;
    assert.deepEqual(
      [call.args[1], call.args[2].toLowerCase(), call.args[3], call.args[4]],
      [2n, TREASURY, fundPayout, 0n],
    );
    const stranger = await provider.getSigner(7);
    await (
      await stranger.sendTransaction({
        to: w.d.addresses.settlement,
        data: String(fund.calldata),
      })
    ).wait();
    const [status, recipient] = (await settlement().getFunction("exitOf")(2n)) as [bigint, string];
    assert.deepEqual([status, recipient.toLowerCase()], [2n, TREASURY]);
  });
});
