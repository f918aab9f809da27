import assert from "node:assert/strict";
import { Contract, Interface, type JsonRpcSigner } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import {
  MAX_FUNDING_RATE_CAP_PPM,
  parseDeployment,
  toDeploymentFile,
} from "../../prover/src/domain/deployment.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { marketsHash } from "../../prover/src/domain/market.ts";
import { factory, loadArtifact } from "../../prover/src/chain/artifacts.ts";
import {
  DEPLOY_DEFAULTS,
  deployContracts,
  devCommittee,
  type DeployOptions,
} from "../../prover/src/chain/deploy.ts";
import { FundingClient } from "../../prover/src/chain/funding.ts";
import { readSettlement } from "../../prover/src/audit/chain.ts";
import { deploymentFindings, fundingFindings } from "../../prover/src/audit/deployment-checks.ts";
import { checkDeployment } from "../../prover/src/service/startup.ts";
import { readVerificationKeys } from "../../prover/src/proving/key-sets.ts";
import type { CircuitId } from "../../prover/src/domain/circuits.ts";
import { setupWorld, type World } from "../../prover/src/dev/onchain.ts";
import { prepareTestContracts, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";
import { codeOf, postUnbound, uncached } from "./funding-helpers.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
/** EIP-170: the largest runtime code a contract may have. */
const MAX_CODE_SIZE = 24_576;

/**
 * How a deployment makes and records its Funding contract: the parameters Settlement's
 * constructor and `deploy` refuse, the deployment file's funding fields, the checks of the
 * service at startup and of the auditor, Settlement's code size, and that looking up the
 * tick of an old round costs O(log ticks), not O(ticks).
 */
describe("Funding in a deployment: parameters, the deployment file, the startup and audit checks", function () {
  let w: World;
  let deployer: JsonRpcSigner;
  // read once the contracts are compiled (a fresh clone has no artifacts at load time)
  let fundingIface: Interface;

  before(async function () {
    await prepareTestContracts();
    fundingIface = new Interface(loadArtifact("Funding").abi);
    const [s0] = await signers(1);
    deployer = await uncached.getSigner(0);
    w = await setupWorld(P, s0, [], {
      deploy: { fundingInterval: 7200, maxFundingRatePpm: MAX_FUNDING_RATE_CAP_PPM },
    });
  });

  /** A Settlement of the world's contracts with these funding parameters (deployed directly). */
  function settlementConfig(fundingInterval: number, maxFundingRatePpm: number) {
    const a = w.d.addresses;
    return {
      tradeVerifier: a.verifiers.settle_trades,
      depositVerifier: a.verifiers.apply_deposits,
      withdrawalVerifier: a.verifiers.process_withdrawals,
      liquidationVerifier: a.verifiers.liquidate_batch,
      forcedVerifier: a.verifiers.answer_forced,
      exitVerifier: a.verifiers.exit_account,
      skipVerifier: a.verifiers.skipped_deleverage,
      oracle: a.oracle,
      vault: a.vault,
      committee: a.committee,
      marketsHash: marketsHash(w.markets, 0n),
      marketCount: 2,
      withdrawalSlots: P.withdrawals,
      maxPriceAge: 3600,
      roundGrace: 60,
      forcedDeadline: DEPLOY_DEFAULTS.forcedDeadline,
      forcedRequestFee: 0n,
      exitWindow: DEPLOY_DEFAULTS.exitWindow,
      genesisRoot: 1n,
      admin: deployer.address,
      operator: deployer.address,
      guardian: deployer.address,
      fundingInterval,
      maxFundingRatePpm,
    };
  }

  it("keeps Settlement's runtime code under EIP-170's 24,576 bytes (Funding's creation code is in its initcode only)", async function () {
    const code = await uncached.getCode(await w.d.settlement.getAddress());
    const size = (code.length - 2) / 2;
    console.log(`      Settlement runtime code: ${size} bytes (${MAX_CODE_SIZE - size} to spare)`);
    assert.ok(size > 0 && size < MAX_CODE_SIZE, `${size} bytes`);
    const funding = await uncached.getCode(w.deployment.addresses.funding);
    assert.ok(!code.includes(funding.slice(2, 2 + 2000)), "Funding's code in Settlement's");
  });

  it("Settlement's constructor refuses an interval of 0 and a cap of 0 or above 100,000 ppm (BadFundingConfig); the bounds are taken", async function () {
    const f = factory("Settlement", deployer, w.d.addresses.libraries);
    const deploy = (interval: number, cap: number) =>
      f
        .getDeployTransaction(settlementConfig(interval, cap))
        .then((tx) => deployer.sendTransaction(tx));
    for (const [interval, cap] of [
      [0, 1000],
      [3600, 0],
      [3600, MAX_FUNDING_RATE_CAP_PPM + 1],
    ]) {
      assert.deepEqual(await refusal({ interface: fundingIface }, deploy(interval, cap)), {
        name: "BadFundingConfig",
        args: [BigInt(interval), BigInt(cap)],
      });
    }
    const c = (await f.deploy(settlementConfig(1, MAX_FUNDING_RATE_CAP_PPM))) as Contract;
    await c.waitForDeployment();
    const funding = await FundingClient.of(c, deployer);
    const params = await funding.params();
    assert.equal(params.interval, 1n);
    assert.equal(params.maxRatePpm, BigInt(MAX_FUNDING_RATE_CAP_PPM));
    assert.equal(
      BigInt(await funding.contract.getFunction("MAX_RATE_CAP_PPM")()),
      BigInt(MAX_FUNDING_RATE_CAP_PPM),
    );
  });

  /** Options deploy would take, to break one at a time. */
  const validOptions = (): DeployOptions => ({
    params: P,
    markets: w.markets,
    oracle: {
      signers: w.oracleWallets.map((x) => x.address),
      quorum: 3,
      maxReportAge: 60,
      bounds: w.markets.map(() => [1n, 2n ** 64n - 1n] as const),
    },
    committee: devCommittee(),
    verifiers: {} as Record<CircuitId, string>,
  });

  it("deploy refuses them before deploying anything (DEPLOY_INVALID)", async function () {
    const opts = validOptions();
    const block = await uncached.getBlockNumber();
    for (const [bad, what] of [
      [{ fundingInterval: 0 }, /funding interval must be a whole number of seconds above 0/],
      [{ maxFundingRatePpm: 0 }, /maximum funding rate must be 1..100000 ppm/],
      [{ maxFundingRatePpm: 100_001 }, /maximum funding rate must be 1..100000 ppm/],
      [{ fundingInterval: 1.5 }, /funding interval/],
    ] as const) {
      await assert.rejects(
        deployContracts(deployer, { ...opts, ...bad }),
        (e: unknown) =>
          e instanceof ZkClearError && e.code === "DEPLOY_INVALID" && what.test(e.message),
      );
    }
    assert.equal(await uncached.getBlockNumber(), block);
  });

  it("deploy refuses an oracle rule before deploying anything (DEPLOY_INVALID): a breaker out of range, a margin ceiling no batch could be proven at", async function () {
    const opts = validOptions();
    // a 140 % initial margin (as a market may set for a token that swings wildly) at 5x
    // would be 70,000 bps: beyond MarketBinding's 16 bits
    const wide = w.markets.map((m, j) => (j === 1 ? { ...m, initialMarginBps: 14_000n } : m));
    const ceiling = { ...DEPLOY_DEFAULTS.marginRule, ceilBps: 50_000 };
    const block = await uncached.getBlockNumber();
    for (const [bad, what] of [
      [{ oracle: { ...opts.oracle, breakerMoveBps: 0 } }, /bound must be 1\.\.10000/],
      [
        { oracle: { ...opts.oracle, bounds: [[1n, 2n]] as const } },
        /one \[min, max\] price range per market: 1 for 2/,
      ],
      [
        { markets: wide, oracle: { ...opts.oracle, marginRule: ceiling } },
        /market 1 \(.*\): a margin rate of 14000 bps at the ceiling 50000 would be 70000 bps/,
      ],
    ] as const) {
      await assert.rejects(
        deployContracts(deployer, { ...opts, ...bad } as DeployOptions),
        (e: unknown) =>
          e instanceof ZkClearError && e.code === "DEPLOY_INVALID" && what.test(e.message),
      );
    }
    assert.equal(await uncached.getBlockNumber(), block);
  });

  it("records the Funding address, interval and cap in the deployment file, and refuses a file that states others", function () {
    const d = w.deployment;
    assert.deepEqual(d.funding, { interval: 7200, maxRatePpm: MAX_FUNDING_RATE_CAP_PPM });
    const text = JSON.stringify(toDeploymentFile(d));
    const back = parseDeployment(text);
    assert.deepEqual(back.funding, d.funding);
    assert.equal(back.addresses.funding, d.addresses.funding);
    assert.deepEqual(toDeploymentFile(back), JSON.parse(text));
    const tampered = (f: (x: Record<string, Record<string, unknown>>) => void) => {
      const x = JSON.parse(text) as Record<string, Record<string, unknown>>;
      f(x);
      return JSON.stringify(x);
    };
    for (const [bad, what] of [
      [tampered((x) => (x.funding.interval = 0)), /funding: the funding interval/],
      [tampered((x) => (x.funding.maxRatePpm = 100_001)), /funding: the maximum funding rate/],
      [tampered((x) => (x.funding.maxRatePpm = "1000")), /maxRatePpm/],
      [tampered((x) => (x.funding.delay = 1)), /delay/],
      [tampered((x) => delete x.funding), /funding/],
      [tampered((x) => delete x.addresses.funding), /funding/],
    ] as const) {
      assert.throws(
        () => parseDeployment(bad),
        (e: unknown) =>
          e instanceof ZkClearError && e.code === "DEPLOYMENT_INVALID" && what.test(e.message),
      );
    }
  });

  it("the service refuses to start when Settlement's Funding or its parameters are not the file's (CONFIG_MISMATCH)", async function () {
    const d = w.deployment;
    await checkDeployment(d, uncached, w.keys);
    for (const bad of [
      { ...d, addresses: { ...d.addresses, funding: d.addresses.vault } },
      { ...d, funding: { ...d.funding, interval: 3600 } },
      { ...d, funding: { ...d.funding, maxRatePpm: 1000 } },
    ]) {
      await assert.rejects(
        checkDeployment(bad, uncached, w.keys),
        (e: unknown) =>
          e instanceof ZkClearError && e.code === "CONFIG_MISMATCH" && /Funding/.test(e.message),
      );
    }
  });

  it("the auditor checks that Funding is Settlement's, with its oracle, markets and price age, and the stated interval and cap", async function () {
    const info = await readSettlement(uncached, w.d.addresses.settlement);
    assert.deepEqual(await fundingFindings(info, uncached, w.deployment.funding), []);
    const config = {
      chainId: w.d.chainId,
      settlement: w.d.addresses.settlement,
      paramSet: P,
      markets: w.markets,
      fundFloor: w.deployment.fundFloor,
      owners: w.deployment.owners,
    };
    const vkeys = readVerificationKeys(w.keys);
    assert.deepEqual(
      await deploymentFindings(info, config, vkeys, uncached, w.deployment.funding),
      [],
    );
    const other = await fundingFindings(info, uncached, { interval: 3600, maxRatePpm: 1000 });
    assert.deepEqual(
      other.map((f) => f.code),
      ["CONFIG_MISMATCH"],
    );
    assert.match(other[0].message, /at most every 7200 s .* the deployment states 3600 s/);
    for (const bad of [{ marketCount: 3 }, { maxPriceAge: 1n }, { oracle: w.d.addresses.vault }]) {
      const found = await fundingFindings({ ...info, ...bad }, uncached);
      assert.deepEqual(
        found.map((f) => f.code),
        ["CONFIG_MISMATCH"],
      );
      assert.match(found[0].message, /names Settlement/);
    }
    const vaultAsSettlement = { ...info, address: w.d.addresses.vault };
    assert.match(
      (await fundingFindings(vaultAsSettlement, uncached))[0].message,
      /Settlement has no Funding contract/,
    );
  });

  it("finds the tick of an old round in O(log ticks): 64 ticks cost a few storage reads more than 2, the latest round's lookup none", async function () {
    // a Funding that ticks every second, on the world's oracle
    const f = factory("Settlement", deployer, w.d.addresses.libraries);
    const s = (await f.deploy(settlementConfig(1, 1000))) as Contract;
    await s.waitForDeployment();
    const funding = await FundingClient.of(s, deployer);
    const hashOf = funding.contract.getFunction("hashOf");
    const gasOf = async (r: bigint) => hashOf.estimateGas(r);
    const measure = async () => {
      const ticks = await funding.ticks();
      return { old: await gasOf(ticks[1].fromRound), latest: await gasOf(w.round + 1n) };
    };
    let at2 = { old: 0n, latest: 0n };
    for (let k = 1; k <= 64; k++) {
      await postUnbound(w, MARKS);
      await funding.tick([1n, -1n]);
      if (k === 2) at2 = await measure();
    }
    const at64 = await measure();
    console.log(
      `      hashOf gas: a round of tick 1 with 2 ticks ${at2.old}, with 64 ticks ${at64.old}; the latest round ${at2.latest}, ${at64.latest}`,
    );
    assert.equal(await funding.tickCount(), 65);
    // a linear scan would read 62 more ticks (2,100 gas each, cold); 6 probes of a binary search
    assert.ok(at64.old - at2.old < 6n * 2_600n, `${at64.old - at2.old} gas more`);
    assert.equal(at64.latest, at2.latest);
    assert.equal(await codeOf(funding.tick([1n, -1n])), "FUNDING_NO_ROUND");
  });
});
