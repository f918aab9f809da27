import assert from "node:assert/strict";
import { BATCH_KIND_NAMES, BATCH_KINDS } from "../../prover/src/domain/batch-kinds.ts";
import { deploymentDomain } from "../../prover/src/domain/messages.ts";
import { Contract, type JsonRpcSigner } from "ethers";
import { FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { order } from "../../prover/src/dev/sample.ts";

import { toSolidityProof } from "../../prover/src/chain/calldata.ts";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { DEPLOY_DEFAULTS } from "../../prover/src/chain/deploy.ts";
import { configHash, marketsHash } from "../../prover/src/domain/market.ts";
import {
  deposit,
  devAttestationsFor,
  postRound,
  proveDeposits,
  proveTrades as proveTradeBatch,
  proveWithdrawals,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";

import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, revertName, signers } from "../helpers/chain.ts";
import { payoutsCommitment, type BatchKind, type Trade } from "../../prover/src/domain/batch.ts";
import { type ProofResult } from "../../prover/src/domain/ports.ts";

const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];

async function reverts(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.equal(revertName(e), name);
    return true;
  });
}

describe("Settlement, Vault and PriceOracle with real proofs (test parameters)", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let deployer: JsonRpcSigner;
  let guardian: JsonRpcSigner;
  const deposited = new Map<string, bigint>();

  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s = await signers(4);
    [deployer, guardian] = [s[0], s[0]];
    w = await setupWorld(P, deployer, [s[1], s[2], s[3]]);
    [alice, bob] = w.participants;
  });

  const proveTrades = async (trades: Trade[]) => {
    const { data: r, proof } = await proveTradeBatch(w, trades);
    return { r, proof };
  };

  /** The development committee's signatures of what the call submits. */
  const att = (
    kind: BatchKind,
    oldRoot: bigint,
    newRoot: bigint,
    dataCommitment: bigint,
    roundId: bigint,
  ) => devAttestationsFor(w.d, kind, oldRoot, newRoot, dataCommitment, roundId);

  async function submitTradesRaw(
    proof: ProofResult,
    args: { oldRoot: bigint; newRoot: bigint; dataCommitment: bigint },
    round = w.round,
    sp = toSolidityProof(proof.proof),
  ) {
    return w.d.settlement
      .getFunction("submitTrades")
      .staticCall(
        sp,
        args.oldRoot,
        args.newRoot,
        args.dataCommitment,
        round,
        await att("trades", args.oldRoot, args.newRoot, args.dataCommitment, round),
      );
  }

  it("numbers batch kinds as the kind table does", async function () {
    for (const k of BATCH_KIND_NAMES)
      assert.equal(
        await w.d.settlement.getFunction(`KIND_${k.toUpperCase()}`)(),
        BigInt(BATCH_KINDS[k].number),
        k,
      );
  });

  describe("deposits", function () {
    it("credits deposits in order through proven deposit batches, creating accounts on first deposit", async function () {
      for (const [who, amount] of [
        [alice, 5_000_000_00n],
        [bob, 5_000_000_00n],
        [alice, 1_000_000_00n],
      ] as const) {
        await deposit(w, who, amount);
        const addr = await who.signer.getAddress();
        deposited.set(addr, (deposited.get(addr) ?? 0n) + amount);
      }
      assert.equal(alice.account, 3n);
      assert.equal(bob.account, 4n);
      assert.equal(w.pending.length, 3);
      // the first two (K = 2): a proof for two deposits cannot credit one or none
      const first = await proveDeposits(w);
      const sp = toSolidityProof(first.proof.proof);
      const submitDeps = w.d.settlement.getFunction("submitDeposits");
      await reverts(
        submitDeps.staticCall(sp, first.data.oldRoot, first.data.newRoot, 1),
        "InvalidProof",
      );
      // no deposit batch credits nothing: it would take a batch number for nothing
      await reverts(
        submitDeps.staticCall(sp, first.data.oldRoot, first.data.newRoot, 0),
        "EmptyBatch",
      );
      await reverts(
        submitDeps.staticCall(sp, first.data.oldRoot, first.data.newRoot + 1n, 2),
        "InvalidProof",
      );
      await (await submitDeps(sp, first.data.oldRoot, first.data.newRoot, 2)).wait();
      await settleDeposits(w); // the third deposit
      assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
      assert.equal(await w.d.settlement.getFunction("depositsProcessed")(), 3n);
      assert.equal(w.state.getAccount(3n).collateral, 6_000_000_00n);
      // nothing left to credit: asking for one more deposit is refused
      const proofless = {
        a: [0n, 0n],
        b: [
          [0n, 0n],
          [0n, 0n],
        ],
        c: [0n, 0n],
      };
      await reverts(
        w.d.settlement
          .getFunction("submitDeposits")
          .staticCall(proofless, w.state.root, w.state.root, 1),
        "NotEnoughDeposits",
      );
    });
  });

  describe("a trade batch", function () {
    let proof: ProofResult;
    let batch: { oldRoot: bigint; newRoot: bigint; dataCommitment: bigint };

    before(async function () {
      await postRound(w, MARKS);
      const trade: Trade = {
        buy: order(
          w,
          { index: alice.account!, keys: alice.keys },
          { market: 0, side: "buy", nonce: 1n, amount: 3n, limitPrice: MARKS[0] },
        ),
        sell: order(
          w,
          { index: bob.account!, keys: bob.keys },
          { market: 0, side: "sell", nonce: 1n, amount: 2n, limitPrice: MARKS[0] },
        ),
        qty: 2n,
        price: MARKS[0],
        takerIsBuyer: true,
      };
      const made = await proveTrades([trade]);
      proof = made.proof;
      batch = made.r;
    });

    it("verifies with the verifier the build generated", async function () {
      await submitTradesRaw(proof, batch);
    });

    it("refuses a wrong old root", async function () {
      await reverts(submitTradesRaw(proof, { ...batch, oldRoot: batch.oldRoot + 1n }), "StaleRoot");
    });

    it("refuses each public input tampered with, and at or above the field modulus", async function () {
      await reverts(
        submitTradesRaw(proof, { ...batch, newRoot: batch.newRoot + 1n }),
        "InvalidProof",
      );
      await reverts(
        submitTradesRaw(proof, { ...batch, dataCommitment: batch.dataCommitment + 1n }),
        "InvalidProof",
      );
      await reverts(
        submitTradesRaw(proof, { ...batch, newRoot: batch.newRoot + FIELD_MODULUS }),
        "InvalidProof",
      );
      await reverts(
        submitTradesRaw(proof, { ...batch, dataCommitment: batch.dataCommitment + FIELD_MODULUS }),
        "InvalidProof",
      );
    });

    it("refuses each proof element tampered with", async function () {
      const sp = toSolidityProof(proof.proof);
      const flat = [
        sp.a[0],
        sp.a[1],
        sp.b[0][0],
        sp.b[0][1],
        sp.b[1][0],
        sp.b[1][1],
        sp.c[0],
        sp.c[1],
      ];
      for (let i = 0; i < flat.length; i++) {
        const t = [...flat];
        t[i] = t[i] + 1n;
        const bad = {
          a: [t[0], t[1]],
          b: [
            [t[2], t[3]],
            [t[4], t[5]],
          ],
          c: [t[6], t[7]],
        };
        await reverts(
          w.d.settlement
            .getFunction("submitTrades")
            .staticCall(
              bad,
              batch.oldRoot,
              batch.newRoot,
              batch.dataCommitment,
              w.round,
              await att("trades", batch.oldRoot, batch.newRoot, batch.dataCommitment, w.round),
            ),
          "InvalidProof",
        );
      }
    });

    it("refuses prices other than the ones it was proven with", async function () {
      const proven = w.round;
      await postRound(w, [MARKS[0] + 1n, MARKS[1]]);
      await reverts(submitTradesRaw(proof, batch, w.round), "InvalidProof");
      // the round it was proven at still verifies, and so does a later round at those prices
      await submitTradesRaw(proof, batch, proven);
      await postRound(w, MARKS);
      await submitTradesRaw(proof, batch, w.round);
    });

    it("refuses a proof of another batch kind", async function () {
      // a deposit waits in the queue, so the deposit verifier gets to check the proof
      await deposit(w, alice, 1n);
      const aliceAddr = await alice.signer.getAddress();
      deposited.set(aliceAddr, deposited.get(aliceAddr)! + 1n);
      await reverts(
        w.d.settlement
          .getFunction("submitDeposits")
          .staticCall(toSolidityProof(proof.proof), batch.oldRoot, batch.newRoot, 1),
        "InvalidProof",
      );
      await reverts(
        w.d.settlement
          .getFunction("submitWithdrawals")
          .staticCall(
            toSolidityProof(proof.proof),
            batch.oldRoot,
            batch.newRoot,
            w.round,
            [0n, 0n],
            await att(
              "withdrawals",
              batch.oldRoot,
              batch.newRoot,
              payoutsCommitment([0n, 0n]),
              w.round,
            ),
          ),
        "InvalidProof",
      );
    });

    it("refuses a proof made for another market configuration or another deployment", async function () {
      const a = w.d.addresses;
      const deployWith = async (markets: typeof w.markets) => {
        const c = (await factory("Settlement", deployer, a.libraries).deploy({
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
          marketsHash: marketsHash(markets, 0n),
          marketCount: 2,
          withdrawalSlots: P.withdrawals,
          maxPriceAge: 3600,
          roundGrace: 60,
          forcedDeadline: 7 * 86_400,
          forcedRequestFee: 0n,
          exitWindow: 14 * 86_400,
          genesisRoot: batch.oldRoot,
          admin: await deployer.getAddress(),
          operator: await deployer.getAddress(),
          guardian: await deployer.getAddress(),
          fundingInterval: DEPLOY_DEFAULTS.fundingInterval,
          maxFundingRatePpm: DEPLOY_DEFAULTS.maxFundingRatePpm,
        })) as Contract;
        await c.waitForDeployment();
        return c;
      };
      // the committee signs for the contract the batch is sent to: the proof is what fails
      const submit = async (c: Contract) =>
        c.getFunction("submitTrades").staticCall(
          toSolidityProof(proof.proof),
          batch.oldRoot,
          batch.newRoot,
          batch.dataCommitment,
          w.round,
          await devAttestationsFor(
            {
              chainId: w.d.chainId,
              addresses: { settlement: await c.getAddress() },
              settlement: c,
            },
            "trades",
            batch.oldRoot,
            batch.newRoot,
            batch.dataCommitment,
            w.round,
          ),
        );
      // other markets: another configuration hash
      await reverts(
        submit(await deployWith([{ ...w.markets[0], takerFeeBps: 6n }, w.markets[1]])),
        "InvalidProof",
      );
      // the same markets at another address (a redeployment): another domain, so the
      // orders the proof checked were signed for another deployment
      const twin = await deployWith(w.markets);
      const domain = BigInt(await twin.getFunction("domain")());
      assert.equal(domain, deploymentDomain(w.d.chainId, await twin.getAddress()));
      assert.notEqual(domain, w.domain);
      assert.equal(
        BigInt(await twin.getFunction("configHash")()),
        configHash({ markets: w.markets, fundFloor: 0n, domain }),
      );
      await reverts(submit(twin), "InvalidProof");
      // a Settlement the oracle does not announce rounds to knows none after its deployment
      await postRound(w, MARKS);
      await reverts(
        twin
          .getFunction("submitTrades")
          .staticCall(
            toSolidityProof(proof.proof),
            batch.oldRoot,
            batch.newRoot,
            batch.dataCommitment,
            w.round,
            await att("trades", batch.oldRoot, batch.newRoot, batch.dataCommitment, w.round),
          ),
        "RoundNotAnnounced",
      );
    });

    it("accepts nothing while paused, and only the guardian pauses", async function () {
      const s = w.d.settlement;
      const [, stranger] = await signers(2);
      await reverts(
        (s.connect(stranger) as Contract).getFunction("pause").staticCall(3600),
        "AccessControlUnauthorizedAccount",
      );
      const rc = await (await (s.connect(guardian) as Contract).getFunction("pause")(3600)).wait();
      assert.ok(
        rc.logs.some(
          (l: { topics: string[]; data: string }) => s.interface.parseLog(l)?.name === "Paused",
        ),
      );
      await reverts(submitTradesRaw(proof, batch), "ContractPaused");
      await (await (s.connect(guardian) as Contract).getFunction("unpause")()).wait();
      await submitTradesRaw(proof, batch);
    });

    it("refuses a batch from anyone but the operator", async function () {
      const [, stranger] = await signers(2);
      const s = w.d.settlement.connect(stranger) as Contract;
      const sp = toSolidityProof(proof.proof);
      // a third party holding a proven batch (or the published data) cannot land it first
      await reverts(
        s
          .getFunction("submitTrades")
          .staticCall(
            sp,
            batch.oldRoot,
            batch.newRoot,
            batch.dataCommitment,
            w.round,
            await att("trades", batch.oldRoot, batch.newRoot, batch.dataCommitment, w.round),
          ),
        "AccessControlUnauthorizedAccount",
      );
      await reverts(
        s.getFunction("submitDeposits").staticCall(sp, batch.oldRoot, batch.newRoot, 1),
        "AccessControlUnauthorizedAccount",
      );
      await reverts(
        s
          .getFunction("submitWithdrawals")
          .staticCall(
            sp,
            batch.oldRoot,
            batch.newRoot,
            w.round,
            [0n, 0n],
            await att(
              "withdrawals",
              batch.oldRoot,
              batch.newRoot,
              payoutsCommitment([0n, 0n]),
              w.round,
            ),
          ),
        "AccessControlUnauthorizedAccount",
      );
      await reverts(
        s
          .getFunction("submitLiquidations")
          .staticCall(
            sp,
            batch.oldRoot,
            batch.newRoot,
            batch.dataCommitment,
            w.round,
            await att("liquidations", batch.oldRoot, batch.newRoot, batch.dataCommitment, w.round),
          ),
        "AccessControlUnauthorizedAccount",
      );
    });

    it("settles the batch, announces it, and refuses it replayed", async function () {
      const before = await w.d.settlement.getFunction("batchCount")();
      const tx = await w.d.settlement.getFunction("submitTrades")(
        toSolidityProof(proof.proof),
        batch.oldRoot,
        batch.newRoot,
        batch.dataCommitment,
        w.round,
        await att("trades", batch.oldRoot, batch.newRoot, batch.dataCommitment, w.round),
      );
      const rc = await tx.wait();
      const ev = rc.logs
        .map((l: { topics: string[]; data: string }) => w.d.settlement.interface.parseLog(l))
        .find((e: { name: string } | null) => e?.name === "BatchSettled");
      assert.deepEqual(
        [
          ev.args.batch,
          ev.args.kind,
          ev.args.oldRoot,
          ev.args.newRoot,
          ev.args.dataCommitment,
          ev.args.roundId,
        ],
        [before, 1n, batch.oldRoot, batch.newRoot, batch.dataCommitment, w.round],
      );
      assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
      await reverts(submitTradesRaw(proof, batch), "StaleRoot");
    });

    it("refuses a batch that changes nothing (it would take a batch number)", async function () {
      // an empty trade batch has a valid proof from the current root
      const empty = await proveTradeBatch(w, []);
      assert.equal(empty.data.newRoot, empty.data.oldRoot);
      await reverts(
        w.d.settlement
          .getFunction("submitTrades")
          .staticCall(
            toSolidityProof(empty.proof.proof),
            empty.data.oldRoot,
            empty.data.newRoot,
            empty.data.dataCommitment,
            w.round,
            await att(
              "trades",
              empty.data.oldRoot,
              empty.data.newRoot,
              empty.data.dataCommitment,
              w.round,
            ),
          ),
        "NoOpBatch",
      );
    });
  });

  describe("withdrawals and later batches", function () {
    it("pays a proven withdrawal exactly once; balances and roots match the engine", async function () {
      const aliceAddr = await alice.signer.getAddress();
      const amount = 1_000_000_00n;
      const sw = signWithdrawal(
        { account: alice.account!, nonce: 0n, amount, recipient: BigInt(aliceAddr) },
        alice.keys.privateKey,
        w.domain,
      );
      const { data: r, proof } = await proveWithdrawals(w, [sw]);
      const sp = toSolidityProof(proof.proof);
      const submitW = w.d.settlement.getFunction("submitWithdrawals");
      // every payout, and the roots, are bound by the proof
      const mallory = BigInt(await deployer.getAddress());
      const redirected = [mallory | (amount << 160n), 0n];
      await reverts(
        submitW.staticCall(
          sp,
          r.oldRoot,
          r.newRoot,
          w.round,
          redirected,
          await att("withdrawals", r.oldRoot, r.newRoot, payoutsCommitment(redirected), w.round),
        ),
        "InvalidProof",
      );
      await reverts(
        submitW.staticCall(
          sp,
          r.oldRoot,
          r.newRoot,
          w.round,
          [r.payouts[0] + (1n << 160n), 0n],
          await att(
            "withdrawals",
            r.oldRoot,
            r.newRoot,
            payoutsCommitment([r.payouts[0] + (1n << 160n), 0n]),
            w.round,
          ),
        ),
        "InvalidProof",
      );
      await reverts(
        submitW.staticCall(
          sp,
          r.oldRoot,
          r.newRoot,
          w.round,
          [r.payouts[0], 1n],
          await att(
            "withdrawals",
            r.oldRoot,
            r.newRoot,
            payoutsCommitment([r.payouts[0], 1n]),
            w.round,
          ),
        ),
        "InvalidProof",
      );
      await reverts(
        submitW.staticCall(
          sp,
          r.oldRoot,
          r.newRoot + 1n,
          w.round,
          r.payouts,
          await att(
            "withdrawals",
            r.oldRoot,
            r.newRoot + 1n,
            payoutsCommitment(r.payouts),
            w.round,
          ),
        ),
        "InvalidProof",
      );
      await reverts(
        submitW.staticCall(
          sp,
          r.oldRoot,
          r.newRoot,
          w.round,
          [r.payouts[0]],
          await att(
            "withdrawals",
            r.oldRoot,
            r.newRoot,
            payoutsCommitment([r.payouts[0]]),
            w.round,
          ),
        ),
        "PayoutCount",
      );
      await (
        await submitW(
          sp,
          r.oldRoot,
          r.newRoot,
          w.round,
          r.payouts,
          await att("withdrawals", r.oldRoot, r.newRoot, payoutsCommitment(r.payouts), w.round),
        )
      ).wait();
      await reverts(
        submitW.staticCall(
          sp,
          r.oldRoot,
          r.newRoot,
          w.round,
          r.payouts,
          await att("withdrawals", r.oldRoot, r.newRoot, payoutsCommitment(r.payouts), w.round),
        ),
        "StaleRoot",
      );
      const vault = w.d.vault;
      assert.equal(await vault.getFunction("owed")(aliceAddr), amount);
      const tokenBefore = await w.d.token.getFunction("balanceOf")(aliceAddr);
      await (await (vault.connect(alice.signer) as Contract).getFunction("claim")()).wait();
      assert.equal(await w.d.token.getFunction("balanceOf")(aliceAddr), tokenBefore + amount);
      await reverts(
        (vault.connect(alice.signer) as Contract).getFunction("claim").staticCall(),
        "NothingOwed",
      );
      // the vault holds what was deposited minus what was paid
      const total = [...deposited.values()].reduce((a, b) => a + b, 0n);
      assert.equal(
        await w.d.token.getFunction("balanceOf")(await vault.getAddress()),
        total - amount,
      );
      assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
      assert.equal(w.state.getAccount(alice.account!).withdrawNonce, 1n);
    });

    it("refuses a batch proven against a stale oracle round", async function () {
      const trade: Trade = {
        buy: order(
          w,
          { index: bob.account!, keys: bob.keys },
          { market: 1, side: "buy", nonce: 1n, amount: 1n, limitPrice: MARKS[1] },
        ),
        sell: order(
          w,
          { index: alice.account!, keys: alice.keys },
          { market: 1, side: "sell", nonce: 1n, amount: 1n, limitPrice: MARKS[1] },
        ),
        qty: 1n,
        price: MARKS[1],
        takerIsBuyer: false,
      };
      const { r, proof } = await proveTrades([trade]);
      await increaseTime(Number(await w.d.settlement.getFunction("maxPriceAge")()) + 1);
      await reverts(submitTradesRaw(proof, r), "StalePrices");
      // a fresh round at the same prices makes it acceptable again
      await postRound(w, MARKS);
      const receipt = await settleTradeBatchFromProof(w, proof, r);
      assert.ok(receipt > 0n);
    });

    async function settleTradeBatchFromProof(
      world: World,
      proof: ProofResult,
      r: { oldRoot: bigint; newRoot: bigint; dataCommitment: bigint },
    ) {
      const tx = await world.d.settlement.getFunction("submitTrades")(
        toSolidityProof(proof.proof),
        r.oldRoot,
        r.newRoot,
        r.dataCommitment,
        world.round,
        await att("trades", r.oldRoot, r.newRoot, r.dataCommitment, world.round),
      );
      const rc = await tx.wait();
      return BigInt(rc.gasUsed);
    }

    it("keeps the settlement helpers honest: settleTradeBatch goes through end to end", async function () {
      const trade: Trade = {
        buy: order(
          w,
          { index: alice.account!, keys: alice.keys },
          { market: 0, side: "buy", nonce: 2n, amount: 1n, limitPrice: MARKS[0] },
        ),
        sell: order(
          w,
          { index: bob.account!, keys: bob.keys },
          { market: 0, side: "sell", nonce: 2n, amount: 1n, limitPrice: MARKS[0] },
        ),
        qty: 1n,
        price: MARKS[0],
        takerIsBuyer: true,
      };
      const rc = await settleTradeBatch(w, [trade]);
      assert.ok(rc.gasUsed > 0n);
      assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), w.state.root);
    });
  });
});
