import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { CIRCUIT_IDS } from "../../prover/src/domain/circuits.ts";
import { ARTIFACTS } from "../../prover/src/domain/paths.ts";
import { configHash, defaultMarkets } from "../../prover/src/domain/market.ts";
import { toDeploymentFile, type Deployment } from "../../prover/src/domain/deployment.ts";
import { signOrder } from "../../prover/src/domain/order.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { deposit, postRound, setupWorld, type World } from "../../prover/src/dev/onchain.ts";
import { loadDeployment, saveDeployment } from "../../prover/src/deploy/deploy.ts";
import { readManifest } from "../../prover/src/proving/build.ts";
import { runCeremonyKeySet } from "../../prover/src/proving/ceremony-key-set.ts";
import { ceremonyKeySet, type KeySet } from "../../prover/src/proving/key-sets.ts";
import { circuitFiles } from "../../prover/src/proving/paths.ts";
import { readVerificationKey, terminateCurve, verify } from "../../prover/src/proving/prover.ts";
import { writeRehearsalPtau } from "../../prover/src/proving/rehearsal-ptau.ts";
import { startService, type RunningService } from "../../prover/src/service/serve.ts";
import { prepareTestContracts, provider, serveChain, signers } from "../helpers/chain.ts";
import { tempDir } from "../audit/helpers.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
/** The ceremony is slow (minutes): reuse its keys while the circuits are unchanged. */
const CACHE = path.join(ARTIFACTS, "test-fixtures", "ceremony", P.name);

/**
 * A ceremony key set for the `test` circuits: an INSECURE rehearsal ptau (tau known here),
 * then snarkjs's phase 2 for every circuit (zkey new, a contribution), cached under
 * artifacts/ by the circuits' hashes.
 */
async function ceremonyKeys(): Promise<KeySet> {
  const stamp = JSON.stringify(
    CIRCUIT_IDS.map((id) => readManifest(circuitFiles(id, P))?.sourceHash),
  );
  const stampFile = path.join(CACHE, "stamp.json");
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp)
    return ceremonyKeySet(CACHE);
  fs.rmSync(CACHE, { recursive: true, force: true });
  fs.mkdirSync(CACHE, { recursive: true });
  const ptau = path.join(CACHE, "rehearsal-16.insecure.ptau");
  await writeRehearsalPtau(ptau, 16);
  const keys = await runCeremonyKeySet({
    params: P,
    ptau,
    outDir: CACHE,
    // one contribution, no beacon and no verifyFromR1cs: each would be another pass over
    // every key (minutes here); test/proving/dev-zkey.test.ts runs them on a small circuit,
    // and these keys are checked by what follows: Settlement's verifiers accept their proofs
    contributions: 1,
    verify: false,
  });
  fs.rmSync(ptau);
  fs.writeFileSync(stampFile, stamp);
  return keys;
}

async function until<T>(what: string, f: () => T | undefined, ms = 300_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("production keys: a ceremony key set deployed, served and settled (test parameters)", function () {
  let keys: KeySet;
  let w: World;
  let chain: { url: string; close(): Promise<void> };
  let dir: string;
  let file: string;
  let service: RunningService | undefined;
  const operatorKey = Wallet.createRandom().privateKey;

  const start = (deployment: Deployment) =>
    startService({
      rpc: chain.url,
      deployment,
      db: path.join(dir, `op-${Date.now()}.db`),
      port: 0,
      operatorKey,
      tickMs: 200,
      batchTimeoutMs: 300,
      log: (s) => process.env.ZKCLEAR_TEST_LOG && console.log(s),
    });

  /** startService's refusal: its code and message. */
  async function refusal(d: Deployment): Promise<ZkClearError> {
    try {
      const s = await start(d);
      await s.stop();
    } catch (e) {
      assert.ok(e instanceof ZkClearError, `expected a ZkClearError, got ${String(e)}`);
      return e;
    }
    assert.fail("the service started");
  }

  before(async function () {
    // the ceremony takes minutes (about six on a quiet 2-core machine), once per checkout
    this.timeout(45 * 60_000);
    await prepareTestContracts();
    keys = await ceremonyKeys();
    const s = await signers(4);
    // the service submits with its own key: the deployment names it the operator
    w = await setupWorld(P, s[0], [s[1], s[2]], {
      keys,
      deploy: { operator: new Wallet(operatorKey).address },
    });
    await provider.send("hardhat_setBalance", [
      new Wallet(operatorKey).address,
      "0x56BC75E2D63100000",
    ]);
    chain = await serveChain();
    dir = tempDir("zkclear-ceremony-");
    file = saveDeployment(path.join(dir, "deployment.json"), w.deployment);
  });

  after(async function () {
    await service?.stop();
    await chain?.close();
    await terminateCurve();
  });

  it("records the ceremony keys and their hashes in the deployment file", function () {
    const d = loadDeployment(file);
    assert.equal(d.keys.kind, "ceremony");
    assert.equal(d.keys.source, path.resolve(CACHE));
    for (const id of CIRCUIT_IDS) assert.match(d.keys.circuits[id].zkeySha256, /^[0-9a-f]{64}$/);
  });

  it("serves and settles deposits and trades proven with the ceremony keys", async function () {
    service = await start(loadDeployment(file));
    const op = service.operator;
    const [alice, bob] = w.participants;
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await postRound(w, MARKS);
    await until("the deposits settled", () =>
      op.batches().some((b) => b.kind === "deposits" && b.status === "settled") ? true : undefined,
    );
    // the operator may credit the deposits in two batches, and learns of the round on a
    // later tick than the one that saw the deposits: wait for both accounts, and below,
    // offer the orders again while it has no prices yet
    await until("both accounts credited", () =>
      op.state.hasAccount(alice.account!) && op.state.hasAccount(bob.account!) ? true : undefined,
    );
    for (const [who, side] of [
      [alice, "buy"],
      [bob, "sell"],
    ] as const) {
      const so = signOrder(
        {
          account: who.account!,
          market: 0,
          side,
          nonce: 1n,
          maxFeeBps: 10n,
          amount: 2n,
          limitPrice: MARKS[0],
        },
        who.keys.privateKey,
        P.markets,
        w.domain,
      );
      const post = () =>
        fetch(`${service!.url}/v1/orders`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...so.order, signature: so.signature }, (_k, v) =>
            typeof v === "bigint" ? v.toString() : v,
          ),
        });
      let r: Response = await post();
      for (let i = 0; i < 50 && r.status === 503; i++) {
        assert.match(await r.text(), /NO_PRICES/);
        await new Promise((ok) => setTimeout(ok, 200));
        r = await post();
      }
      assert.equal(r.status, 201, await r.text());
    }
    const trades = await until("the trade batch settled", () =>
      op.batches().find((b) => b.kind === "trades" && b.status === "settled"),
    );
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);
    // the proof the chain accepted verifies under the ceremony's verification key
    const proof = trades.proof as { proof: never; publicSignals: string[] };
    assert.ok(
      await verify(
        readVerificationKey(keys.circuits.settle_trades.vkey),
        proof.publicSignals,
        proof.proof,
      ),
    );
    await service.stop();
    service = undefined;
  });

  it("refuses to start when the chain's configuration is not the deployment's", async function () {
    const d = loadDeployment(file);
    const markets = defaultMarkets(P.markets).map((m, j) =>
      j === 0 ? { ...m, initialMarginBps: m.initialMarginBps + 1n } : m,
    );
    const e = await refusal({ ...d, markets, configHash: configHash({ ...d, markets }) });
    assert.equal(e.code, "CONFIG_MISMATCH");
    assert.match(e.message, /Settlement's configHash is \d+; the deployment file says \d+/);
  });

  it("refuses to start against verifiers of other keys", async function () {
    // the same file, pointed at a deployment whose verifiers were made from development keys
    const s = await signers(2);
    const dev = await setupWorld(P, s[0], [s[1]]);
    const e = await refusal({
      ...loadDeployment(file),
      addresses: dev.deployment.addresses,
      domain: dev.deployment.domain,
      configHash: dev.deployment.configHash,
    });
    assert.equal(e.code, "VERIFIER_MISMATCH");
    assert.match(e.message, /is not the verifier of the ceremony key the service would prove with/);
  });

  it("refuses keys other than the recorded ones, a missing key and another chain, naming what to do", async function () {
    const d = loadDeployment(file);
    const circuits = {
      ...d.keys.circuits,
      settle_trades: { ...d.keys.circuits.settle_trades, zkeySha256: "0".repeat(64) },
    };
    const wrongKey = await refusal({ ...d, keys: { ...d.keys, circuits } });
    assert.equal(wrongKey.code, "KEY_MISMATCH");

    const moved = path.join(dir, "keys-moved");
    fs.mkdirSync(moved);
    for (const f of fs.readdirSync(CACHE))
      fs.copyFileSync(path.join(CACHE, f), path.join(moved, f));
    fs.rmSync(path.join(moved, "apply_deposits.zkey"));
    const missing = await refusal({ ...d, keys: { ...d.keys, source: moved } });
    assert.equal(missing.code, "KEY_MISSING");
    assert.match(missing.message, /npm run keys:ceremony -- --params test/);

    const otherChain = await refusal({ ...d, chainId: d.chainId + 1n });
    assert.equal(otherChain.code, "DEPLOYMENT_CHAIN_MISMATCH");
  });

  it("writes and reads the deployment file without loss, and refuses a tampered one", function () {
    const d = loadDeployment(file);
    assert.deepEqual(
      JSON.parse(JSON.stringify(toDeploymentFile(d))),
      JSON.parse(fs.readFileSync(file, "utf8")),
    );
    const tampered = JSON.parse(fs.readFileSync(file, "utf8"));
    tampered.markets[0].initialMarginBps = "999";
    const bad = path.join(dir, "tampered.json");
    fs.writeFileSync(bad, JSON.stringify(tampered));
    assert.throws(
      () => loadDeployment(bad),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "DEPLOYMENT_INVALID" &&
        /configHash: \d+ is not the hash of its markets/.test(e.message),
    );
  });
});
