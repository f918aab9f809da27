import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toDeploymentFile } from "../../prover/src/domain/deployment.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { loadDeployment } from "../../prover/src/deploy/deploy.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleWithdrawals,
  setupWorld,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, provider, serveChain, signers } from "../helpers/chain.ts";
import { zkclearJson as zkclear } from "../helpers/cli.ts";

const WINDOW = 86_400;
const BOUND = 150_000_00n;
const DELAY = 3600;

/**
 * `zkclear claim` on a real chain with a real withdrawal batch whose second payout is beyond
 * the Vault's bound: it pays what is owed at once, shows and refuses the delayed credit until
 * it matures (CLAIM_NOT_MATURE with the time), then pays it to its recipient, sent by anyone;
 * `--id` refusals have their own codes. And `zkclear deploy`'s rate-limit flags.
 */
describe("zkclear claim: withdrawals owed at once and delayed credits; deploy's rate-limit flags", function () {
  let w: World;
  let chain: { url: string; close(): Promise<void> };
  let dir: string;
  let base: string[];
  let to: string[];

  after(async function () {
    await chain?.close();
    await terminateCurve();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    w = await setupWorld(PARAM_SETS.test, s[0], [s[1], s[2]], {
      deploy: { withdrawalWindow: WINDOW, withdrawalBound: BOUND, withdrawalDelay: DELAY },
    });
    const [alice, bob] = w.participants;
    await deposit(w, alice, 500_000_00n);
    await deposit(w, bob, 500_000_00n);
    await settleDeposits(w);
    const b = (await provider.send("eth_getBlockByNumber", ["latest", false])) as {
      timestamp: string;
    };
    const start = (Math.floor(Number(BigInt(b.timestamp)) / WINDOW) + 1) * WINDOW;
    await provider.send("evm_setNextBlockTimestamp", [start + 10]);
    await provider.send("evm_mine", []);
    await postRound(w, [60_000_00n, 3_000_00n]);
    to = [await alice.signer.getAddress(), await bob.signer.getAddress()];
    // alice's 100,000.00 fits the bound; bob's 100,000.00 more is delayed
    const sw = [alice, bob].map((p, i) =>
      signWithdrawal(
        { account: p.account!, nonce: 0n, amount: 100_000_00n, recipient: BigInt(to[i]) },
        p.keys.privateKey,
        w.domain,
      ),
    );
    await settleWithdrawals(w, sw);
    chain = await serveChain();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkclear-claim-"));
    const file = path.join(dir, "deployment.json");
    fs.writeFileSync(file, JSON.stringify(toDeploymentFile(w.deployment)));
    base = ["--rpc", chain.url, "--deployment", file];
  });

  it("pays what is owed at once; refuses a delayed credit before it matures, with the time; pays it after, sent by a stranger", async function () {
    const a = await zkclear(["claim", ...base, "--to", to[0]]);
    assert.equal(a.code, 0, a.out);
    assert.equal(a.json.paid, "10000000");
    const again = await zkclear(["claim", ...base, "--to", to[0]]);
    assert.equal(again.code, 1, again.out);
    assert.equal(again.json.error, "NOTHING_OWED");

    const list = await zkclear(["claim", ...base, "--to", to[1], "--list"]);
    assert.equal(list.code, 0, list.out);
    const [d] = list.json.delayed as Record<string, unknown>[];
    assert.deepEqual([d.id, d.amount, d.paid], ["0", "10000000", false]);
    const early = await zkclear(["claim", ...base, "--to", to[1]]);
    assert.equal(early.code, 1, early.out);
    assert.equal(early.json.error, "CLAIM_NOT_MATURE");
    assert.equal(early.json.claimableAt, d.claimableAt);
    const earlyId = await zkclear(["claim", ...base, "--id", "0"]);
    assert.equal(earlyId.json.error, "CLAIM_NOT_MATURE", earlyId.out);
    assert.match(String(earlyId.json.message), /matures at/);
    const unknown = await zkclear(["claim", ...base, "--id", "7"]);
    assert.equal(unknown.code, 1, unknown.out);
    assert.equal(unknown.json.error, "CLAIM_UNKNOWN");

    await provider.send("evm_setNextBlockTimestamp", [Number(d.claimableAt)]);
    await provider.send("evm_mine", []);
    const before = BigInt(await w.d.token.getFunction("balanceOf")(to[1]));
    // sent by the node's first account (the deployer, not bob): bob is paid
    const paid = await zkclear(["claim", ...base, "--to", to[1]]);
    assert.equal(paid.code, 0, paid.out);
    assert.equal(paid.json.paid, "10000000");
    assert.equal(BigInt(await w.d.token.getFunction("balanceOf")(to[1])), before + 100_000_00n);
    const twice = await zkclear(["claim", ...base, "--id", "0"]);
    assert.equal(twice.json.error, "CLAIM_PAID", twice.out);
  });

  it("deploy refuses a rate limit the Vault would refuse (BAD_ARGUMENT), and records the one it deploys", async function () {
    for (const [flags, what] of [
      [["--withdrawal-delay", "0"], /withdrawal delay must be 1\.\.604800/],
      [["--withdrawal-delay", "604801"], /withdrawal delay must be 1\.\.604800/],
      [["--withdrawal-window", "0"], /withdrawal window must be .* above 0/],
      [["--withdrawal-bound", "0"], /withdrawal bound must be 1\.\.2\^192 - 1/],
    ] as const) {
      // a port nothing listens on: the refusal comes before any chain is asked
      const r = await zkclear(["deploy", "--rpc", "http://127.0.0.1:9", ...flags]);
      assert.equal(r.code, 2, r.out);
      assert.equal(r.json.error, "BAD_ARGUMENT", r.out);
      assert.match(String(r.json.message), what);
    }
    const out = path.join(dir, "deployed.json");
    const r = await zkclear([
      "deploy",
      "--rpc",
      chain.url,
      "--withdrawal-window",
      "7200",
      "--withdrawal-bound",
      "5000000000",
      "--withdrawal-delay",
      "172800",
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.out);
    const params = r.json.parameters as Record<string, unknown>;
    assert.deepEqual(
      [params.withdrawalWindow, params.withdrawalBound, params.withdrawalDelay],
      [7200, "5000000000", 172800],
    );
    assert.deepEqual(loadDeployment(out).withdrawalLimit, {
      window: 7200,
      bound: 5_000_000_000n,
      delay: 172_800,
    });
  });
});
