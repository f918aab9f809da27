import assert from "node:assert/strict";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { parseDeployment, toDeploymentFile } from "../../prover/src/domain/deployment.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { genesisRoot } from "../../prover/src/domain/genesis.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { configHash } from "../../prover/src/domain/market.ts";
import { devOwners, type Owners } from "../../prover/src/domain/owners.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { readSettlement } from "../../prover/src/audit/chain.ts";
import { deploymentFindings } from "../../prover/src/audit/deployment-checks.ts";
import { checkDeployment } from "../../prover/src/service/startup.ts";
import { readVerificationKeys } from "../../prover/src/proving/key-sets.ts";
import { setupWorld, type World } from "../../prover/src/dev/onchain.ts";
import { prepareTestContracts, signers } from "../helpers/chain.ts";
import { uncached } from "./funding-helpers.ts";

const P = PARAM_SETS.test;
const FLOOR = 1_000n;
const OWNERS: Owners = {
  fee: devKeyPair("a treasury's fee owner").publicKey,
  fund: devKeyPair("a risk desk's fund owner").publicKey,
};

/**
 * Issue 18: deploy puts the owners' keys in the genesis leaves and the fund floor in the
 * configuration hash; the deployment file, the service's startup check and the auditor
 * refuse owners or a floor that do not match what Settlement holds.
 */
describe("owners and fund floor in a deployment: genesis root, configuration hash, file and audit", function () {
  let w: World;

  before(async function () {
    await prepareTestContracts();
    const [s0, s1] = await signers(2);
    w = await setupWorld(P, s0, [s1], { deploy: { owners: OWNERS, fundFloor: FLOOR } });
  });

  it("starts Settlement at the genesis root of the owners' keys, the engine's too", async function () {
    const root = BigInt(await w.d.settlement.getFunction("stateRoot")());
    assert.equal(root, genesisRoot(P.depth, P.markets, OWNERS));
    assert.equal(root, w.deployment.genesisRoot);
    assert.equal(root, ExchangeState.genesis(P.depth, w.markets, w.domain, OWNERS, FLOOR).root);
    assert.equal(root, w.state.root);
    assert.notEqual(root, genesisRoot(P.depth, P.markets, devOwners()));
    assert.deepEqual(w.deployment.owners, OWNERS);
  });

  it("binds the fund floor in Settlement's configuration hash", async function () {
    const onChain = BigInt(await w.d.settlement.getFunction("configHash")());
    const bound = { markets: w.markets, fundFloor: FLOOR, domain: w.domain };
    assert.equal(onChain, configHash(bound));
    assert.equal(onChain, configHash(w.state));
    assert.notEqual(onChain, configHash({ ...bound, fundFloor: 0n }));
  });

  it("records owners and floor in the deployment file, and refuses a file whose owners or floor are not its hashes'", function () {
    const text = JSON.stringify(toDeploymentFile(w.deployment));
    const back = parseDeployment(text);
    assert.deepEqual(back.owners, OWNERS);
    assert.equal(back.fundFloor, FLOOR);
    const tampered = (f: (x: Record<string, Record<string, unknown>>) => void) => {
      const x = JSON.parse(text) as Record<string, Record<string, unknown>>;
      f(x);
      return JSON.stringify(x);
    };
    const dev = devOwners();
    for (const [bad, what] of [
      [
        tampered((x) => (x.owners.fund = { x: `${dev.fund.x}`, y: `${dev.fund.y}` })),
        /genesisRoot: \d+ is not the genesis root of its owners' keys/,
      ],
      [
        tampered((x) => (x.owners.fee = { x: "0", y: "1" })),
        /the fee owner's key \(0, 1\) is not a usable Baby Jubjub point/,
      ],
      [tampered((x) => (x.fundFloor = "0" as never)), /is not the hash of its markets, fund floor/],
      [tampered((x) => (x.fundFloor = `${1n << 127n}` as never)), /fundFloor/],
      [tampered((x) => delete x.owners), /owners/],
    ] as const) {
      assert.throws(
        () => parseDeployment(bad),
        (e: unknown) => e instanceof ZkClearError && what.test(e.message),
      );
    }
  });

  it("the service refuses to start with another fund floor (CONFIG_MISMATCH)", async function () {
    const d = w.deployment;
    const fundFloor = 0n;
    await assert.rejects(
      checkDeployment(
        { ...d, fundFloor, configHash: configHash({ ...d, fundFloor }) },
        uncached,
        w.keys,
      ),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "CONFIG_MISMATCH" &&
        /its markets and fund floor hash to/.test(e.message),
    );
  });

  it("the auditor finds owners that are not the genesis root's (GENESIS_MISMATCH) and another floor (CONFIG_MISMATCH)", async function () {
    const info = await readSettlement(uncached, w.d.addresses.settlement);
    const vkeys = readVerificationKeys(w.keys);
    const config = {
      chainId: w.d.chainId,
      settlement: w.d.addresses.settlement,
      paramSet: P,
      markets: w.markets,
      fundFloor: FLOOR,
      owners: OWNERS,
    };
    const find = async (c: typeof config) =>
      (await deploymentFindings(info, c, vkeys, uncached, w.deployment.funding)).map(
        (f) => `${f.code}: ${f.message}`,
      );
    assert.deepEqual(await find(config), []);
    const others = await find({ ...config, owners: devOwners() });
    assert.equal(others.length, 1);
    assert.match(
      others[0],
      /^GENESIS_MISMATCH: Settlement's root before any batch is \d+, the genesis root of the published owners' keys is \d+/,
    );
    const floor = await find({ ...config, fundFloor: 0n });
    assert.equal(floor.length, 1);
    assert.match(floor[0], /^CONFIG_MISMATCH: .*published markets and fund floor 0/);
  });
});
