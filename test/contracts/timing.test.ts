import assert from "node:assert/strict";
import type { Contract } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { signReport, submitRoundArgs } from "../../prover/src/chain/oracle-reports.ts";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { marketsHash } from "../../prover/src/domain/market.ts";
import {
  deposit,
  postRound,
  setupWorld,
  type World,
  devAttestationsFor,
} from "../../prover/src/dev/onchain.ts";
import { increaseTime, prepareTestContracts, provider, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];
const DEADLINE = 3600;
const ZERO_PROOF = {
  a: [0n, 0n],
  b: [
    [0n, 0n],
    [0n, 0n],
  ],
  c: [0n, 0n],
};

/** The latest block's timestamp, asked raw (ethers answers "latest" from a 250 ms cache). */
async function now(): Promise<bigint> {
  const b = (await provider.send("eth_getBlockByNumber", ["latest", false])) as {
    timestamp: string;
  };
  return BigInt(b.timestamp);
}

/** Posts round w.round + 1 from the chosen signers' reports, each with its own timestamp. */
async function postReports(
  w: World,
  reports: readonly { signer: number; prices: readonly bigint[]; timestamp: bigint }[],
): Promise<void> {
  const oracle = w.d.oracle;
  const chainId = (await provider.getNetwork()).chainId;
  const roundId = w.round + 1n;
  const signed = await Promise.all(
    reports.map((r) =>
      signReport(w.oracleWallets[r.signer], oracle.target as string, chainId, {
        roundId,
        timestamp: r.timestamp,
        prices: [...r.prices],
      }),
    ),
  );
  // explicit gas: Hardhat estimates at a timestamp behind the latest block after evm_increaseTime
  await (
    await oracle.getFunction("submitRound")(...submitRoundArgs(roundId, signed), {
      gasLimit: 3_000_000n,
    })
  ).wait();
  w.round = roundId;
}

/**
 * What Settlement says of a trade batch at `round`: the price rule runs before the proof is
 * checked, so a zero proof that gets as far as InvalidProof passed the price rule.
 */
async function tradeVerdict(w: World, round: bigint): Promise<string> {
  const s = w.d.settlement;
  const root = (await s.getFunction("stateRoot")()) as bigint;
  const r = await refusal(
    s,
    s
      .getFunction("submitTrades")
      .staticCall(
        ZERO_PROOF,
        root,
        root + 1n,
        0n,
        round,
        await devAttestationsFor(w.d, "trades", root, root + 1n, 0n, round),
      ),
  );
  return r.name;
}

/**
 * Timing rules found wanting by the review of issue 14: the grace of a superseded round runs
 * from when the next round was POSTED (not from its oldest report), the timing parameters
 * are consistent, and a pause extends a reclaim deadline by its length, never more.
 */
describe("timing: the round grace, the timing parameters and the reclaim deadline across pauses", function () {
  let w: World;

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]], { deploy: { depositDeadline: DEADLINE } });
  });

  describe("the grace runs from when the next round was posted", function () {
    it("a round built on old reports does not cut the previous round's grace short", async function () {
      const grace = Number(await w.d.settlement.getFunction("roundGrace")());
      const maxReportAge = Number(await w.d.oracle.getFunction("maxAge")());
      assert.equal(grace, DEPLOY_DEFAULTS.roundGrace);
      await postRound(w, MARKS);
      const r = w.round;
      await increaseTime(maxReportAge + 30);
      assert.equal(await tradeVerdict(w, r), "InvalidProof");
      // the attack: round r + 1 made of a report as old as the oracle admits (honest, but
      // kept back and posted late by anyone), so its timestamp is maxReportAge in the past
      const t = await now();
      await postReports(w, [
        { signer: 0, prices: MARKS, timestamp: t - BigInt(maxReportAge) + 5n },
        { signer: 1, prices: MARKS, timestamp: t },
        { signer: 2, prices: MARKS, timestamp: t },
      ]);
      const postedAt = BigInt(await w.d.settlement.getFunction("roundPostedAt")(r + 1n));
      const stamped = BigInt(await w.d.oracle.getFunction("roundTimestamp")(r + 1n));
      assert.ok(postedAt - stamped >= BigInt(maxReportAge) - 5n);
      // measured from its timestamp the grace would be mostly gone; from its posting it is not
      await increaseTime(grace - 20);
      assert.ok((await now()) - stamped >= BigInt(grace));
      assert.equal(await tradeVerdict(w, r), "InvalidProof");
      // and once the grace has run from the posting, round r is superseded
      await increaseTime(20);
      assert.equal(await tradeVerdict(w, r), "RoundSuperseded");
      assert.equal(await tradeVerdict(w, r + 1n), "InvalidProof");
    });

    it("an older round's grace also runs from the posting of the round after it", async function () {
      const grace = Number(await w.d.settlement.getFunction("roundGrace")());
      await postRound(w, MARKS);
      const r = w.round;
      await postRound(w, MARKS);
      await postRound(w, MARKS);
      // r + 1 was posted seconds ago: r is still within its grace, though two rounds behind
      assert.equal(await tradeVerdict(w, r), "InvalidProof");
      await increaseTime(grace);
      assert.equal(await tradeVerdict(w, r), "RoundSuperseded");
    });
  });

  describe("the timing parameters", function () {
    it("deploy refuses maxPriceAge 0, a grace above it, and an oracle report age at or above it", async function () {
      const s = await signers(1);
      for (const [deploy, maxReportAge, why] of [
        [{ maxPriceAge: 0 }, 1, /maxPriceAge must be above 0/],
        [
          { maxPriceAge: 600, roundGrace: 601 },
          120,
          /roundGrace 601 s is more than maxPriceAge 600 s/,
        ],
        [{ maxPriceAge: 600 }, 600, /maxReportAge 600 s must be below maxPriceAge 600 s/],
      ] as const) {
        await assert.rejects(
          setupWorld(P, s[0], [], { deploy, maxReportAge }),
          (e: Error & { code?: string }) => {
            assert.equal(e.code, "DEPLOY_INVALID");
            assert.match(e.message, why);
            return true;
          },
        );
      }
    });

    it("Settlement's constructor refuses them too (BadTiming)", async function () {
      const a = w.d.addresses;
      const [deployer] = await signers(1);
      const me = await deployer.getAddress();
      const reportAge = BigInt(await w.d.oracle.getFunction("maxAge")());
      const deploy = (maxPriceAge: bigint, roundGrace: bigint) =>
        factory("Settlement", deployer, a.libraries).deploy({
          tradeVerifier: a.verifiers.settle_trades,
          depositVerifier: a.verifiers.apply_deposits,
          withdrawalVerifier: a.verifiers.process_withdrawals,
          liquidationVerifier: a.verifiers.liquidate_batch,
          forcedVerifier: a.verifiers.answer_forced,
          exitVerifier: a.verifiers.exit_account,
          skipVerifier: a.verifiers.skipped_deleverage,
          oracle: a.oracle,
          committee: a.committee,
          vault: a.vault,
          marketsHash: marketsHash(w.markets, 0n),
          marketCount: 2,
          withdrawalSlots: P.withdrawals,
          maxPriceAge,
          roundGrace,
          forcedDeadline: DEPLOY_DEFAULTS.forcedDeadline,
          forcedRequestFee: DEPLOY_DEFAULTS.forcedRequestFee,
          exitWindow: DEPLOY_DEFAULTS.exitWindow,
          genesisRoot: 1n,
          admin: me,
          operator: me,
          guardian: me,
          fundingInterval: DEPLOY_DEFAULTS.fundingInterval,
          maxFundingRatePpm: DEPLOY_DEFAULTS.maxFundingRatePpm,
        }) as Promise<Contract>;
      const settlement = w.d.settlement;
      for (const [age, grace] of [
        [0n, 0n],
        [600n, 601n],
        [reportAge, 1n],
        [reportAge - 1n, 1n],
      ])
        assert.deepEqual(await refusal(settlement, deploy(age, grace)), {
          name: "BadTiming",
          args: [age, grace, reportAge],
        });
      await (await deploy(reportAge + 1n, reportAge + 1n)).waitForDeployment();
    });
  });

  describe("a pause extends a pending reclaim deadline by its length, and never postpones one already due", function () {
    const reclaimArgs = async (who: World["participants"][number], amount: bigint) => {
      await deposit(w, who, amount);
      const index = BigInt(await w.d.vault.getFunction("depositCount")()) - 1n;
      const pk = who.keys.publicKey;
      // a first deposit carries the key; the Deposited event reported it so
      const first = w.pending[w.pending.length - 1].pubKey.x !== 0n;
      return [index, who.account!, amount, first ? pk.x : 0n, first ? pk.y : 0n] as const;
    };

    it("a 1-second pause after the deadline does not postpone a reclaim already due", async function () {
      const alice = w.participants[0];
      const args = await reclaimArgs(alice, 1_000n);
      await increaseTime(DEADLINE + 10);
      // the attack: the guardian pauses for one second once the reclaim is due
      await (await w.d.settlement.getFunction("pause")(1n)).wait();
      await increaseTime(5);
      assert.equal(await w.d.settlement.getFunction("paused")(), false);
      const vault = w.d.vault.connect(alice.signer) as Contract;
      const before = await w.d.token.getFunction("balanceOf")(await alice.signer.getAddress());
      await (await vault.getFunction("reclaimDeposit")(...args, { gasLimit: 500_000n })).wait();
      assert.equal(
        await w.d.token.getFunction("balanceOf")(await alice.signer.getAddress()),
        before + 1_000n,
      );
    });

    it("a pause before the deadline delays it by exactly the time paused (renewed, or ended early)", async function () {
      // the queue closed at the reclaim above: a new world for a pending deposit
      const s = await signers(3);
      const v = await setupWorld(P, s[0], [s[1], s[2]], { deploy: { depositDeadline: DEADLINE } });
      const [bob] = v.participants;
      await deposit(v, bob, 2_000n);
      const index = BigInt(await v.d.vault.getFunction("depositCount")()) - 1n;
      const [, made] = (await v.d.vault.getFunction("depositEntry")(index)) as [string, bigint];
      const pk = bob.keys.publicKey;
      const args = [index, bob.account!, 2_000n, pk.x, pk.y] as const;
      const settlement = v.d.settlement;
      const vault = v.d.vault.connect(bob.signer) as Contract;
      await increaseTime(1000);
      // a 1-second pause, then a pause of 600 s renewed once and ended early
      await (await settlement.getFunction("pause")(1n)).wait();
      await increaseTime(100);
      const at = async (tx: Promise<{ wait(): Promise<{ blockNumber: number }> }>) =>
        BigInt((await provider.getBlock((await (await tx).wait()).blockNumber))!.timestamp);
      const start = await at(settlement.getFunction("pause")(600n));
      await increaseTime(300);
      await (await settlement.getFunction("pause")(600n)).wait();
      await increaseTime(200);
      const end = await at(settlement.getFunction("unpause")());
      const paused = BigInt(await settlement.getFunction("pausedTime")());
      assert.equal(paused, 1n + (end - start));
      assert.ok(paused > 500n && paused < 600n);
      const due = made + BigInt(DEADLINE) + paused;
      await increaseTime(Number(due - (await now())) - 3);
      const r = await refusal(v.d.vault, vault.getFunction("reclaimDeposit").staticCall(...args));
      assert.equal(r.name, "DeadlineNotReached");
      assert.equal(r.args[1], due);
      await increaseTime(3);
      await (await vault.getFunction("reclaimDeposit")(...args, { gasLimit: 500_000n })).wait();
    });
  });
});
