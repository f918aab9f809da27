import assert from "node:assert/strict";
import {
  Contract,
  Signature,
  Wallet,
  ZeroHash,
  type HDNodeWallet,
  type JsonRpcSigner,
} from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { toSolidityProof } from "../../prover/src/chain/calldata.ts";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { DEPLOY_DEFAULTS, deployContracts } from "../../prover/src/chain/deploy.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import {
  devCommitteeWallets,
  readCommittee,
  signAttestation,
} from "../../prover/src/chain/committee.ts";
import { attestationDigest, packAttestations } from "../../prover/src/domain/committee.ts";
import {
  deposit,
  devAttestationsFor,
  postRound,
  proveTrades,
  settleDeposits,
  setupWorld,
  WORLD_TIMELOCK_DELAY,
  type Participant,
  type ProvenBatch,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

/**
 * The data committee on-chain (Committee.sol, DataAvailability.sol): Settlement takes a
 * trade batch only with k distinct members' signatures over exactly that batch, and only the
 * governance timelock changes the committee. Every refusal is checked by name.
 */
const P = PARAM_SETS.test;
const MARKS = [60_000_00n, 3_000_00n];

describe("data committee: k of n attestations on Settlement", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let deployer: JsonRpcSigner;
  let committee: Contract;
  let batch: ProvenBatch<"trades">;
  const members = devCommitteeWallets(2);

  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    deployer = s[0];
    w = await setupWorld(P, deployer, [s[1], s[2]]);
    [alice, bob] = w.participants;
    committee = new Contract(
      w.d.addresses.committee,
      factory("Committee", deployer).interface,
      deployer,
    );
    await deposit(w, alice, 1_000_000_00n);
    await deposit(w, bob, 1_000_000_00n);
    await settleDeposits(w);
    await postRound(w, MARKS);
    batch = await proveTrades(w, [
      {
        buy: order(
          w,
          { index: alice.account!, keys: alice.keys },
          { market: 0, side: "buy", nonce: 1n, amount: 2n, limitPrice: MARKS[0] },
        ),
        sell: order(
          w,
          { index: bob.account!, keys: bob.keys },
          { market: 0, side: "sell", nonce: 1n, amount: 2n, limitPrice: MARKS[0] },
        ),
        qty: 2n,
        price: MARKS[0],
        takerIsBuyer: true,
      },
    ]);
  });

  const b = () => batch.data;
  /** Members' signatures of this batch, or of a variant (another number, root or round). */
  const sign = async (
    signersOf: readonly (Wallet | HDNodeWallet)[],
    o: { batch?: number; newRoot?: bigint; roundId?: bigint } = {},
  ) => {
    const a = {
      batch: o.batch ?? Number(await w.d.settlement.getFunction("batchCount")()),
      kind: "trades" as const,
      oldRoot: b().oldRoot,
      newRoot: o.newRoot ?? b().newRoot,
      dataCommitment: b().dataCommitment,
      roundId: o.roundId ?? w.round,
    };
    return Promise.all(
      signersOf.map((m) => signAttestation(m, w.d.chainId, w.d.addresses.settlement, a)),
    );
  };
  const submit = (attestations: string) =>
    w.d.settlement
      .getFunction("submitTrades")
      .staticCall(
        toSolidityProof(batch.proof.proof),
        b().oldRoot,
        b().newRoot,
        b().dataCommitment,
        w.round,
        attestations,
      );
  const refused = async (attestations: string) => refusal(committee, submit(attestations));

  it("computes the digest its TypeScript twin computes (domain/committee.ts)", async function () {
    const n = Number(await w.d.settlement.getFunction("batchCount")());
    const a = {
      batch: n,
      kind: "trades" as const,
      oldRoot: b().oldRoot,
      newRoot: b().newRoot,
      dataCommitment: b().dataCommitment,
      roundId: b().round,
    };
    assert.equal(
      await w.d.settlement.getFunction("attestationDigest")(
        n,
        1,
        a.oldRoot,
        a.newRoot,
        a.dataCommitment,
        a.roundId,
      ),
      attestationDigest(w.d.chainId, w.d.addresses.settlement, a),
    );
  });

  it("refuses a batch without k signatures", async function () {
    assert.deepEqual(await refused("0x"), { name: "NotEnoughAttestations", args: [0n, 2n] });
    const [one] = await sign(members.slice(0, 1));
    assert.deepEqual(await refused(packAttestations([one])), {
      name: "NotEnoughAttestations",
      args: [1n, 2n],
    });
  });

  it("refuses a signature by a non-member", async function () {
    const stranger = Wallet.createRandom();
    const sigs = await sign([members[0], stranger]);
    assert.deepEqual(await refused(packAttestations(sigs)), {
      name: "NotAMember",
      args: [1n, stranger.address],
    });
  });

  it("refuses a member counted twice", async function () {
    const [s0] = await sign(members.slice(0, 1));
    assert.deepEqual(await refused(packAttestations([s0, s0])), {
      name: "DuplicateMember",
      args: [1n, members[0].address],
    });
    // the same signature's high-s twin (valid ECDSA, malleable) is refused, not counted
    const sig = Signature.from(s0);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = (n - BigInt(sig.s)).toString(16).padStart(64, "0");
    const twin = sig.r + highS + (sig.v === 27 ? "1c" : "1b");
    assert.deepEqual(await refused(twin), { name: "NotEnoughAttestations", args: [1n, 2n] });
    assert.deepEqual(await refused(packAttestations([s0]) + twin.slice(2)), {
      name: "InvalidAttestation",
      args: [1n],
    });
  });

  it("refuses signatures of another batch: another number, root, oracle round or deployment", async function () {
    const n = Number(await w.d.settlement.getFunction("batchCount")());
    const later = await sign(members, { batch: n + 1 });
    assert.equal((await refused(packAttestations(later))).name, "NotAMember");
    const otherRoot = await sign(members, { newRoot: b().newRoot + 1n });
    assert.equal((await refused(packAttestations(otherRoot))).name, "NotAMember");
    // the same batch signed at another oracle round (same prices or not): another message
    const otherRound = await sign(members, { roundId: w.round - 1n });
    assert.equal((await refused(packAttestations(otherRound))).name, "NotAMember");
    // signed for a twin deployment (another Settlement address): another domain
    const twin = {
      chainId: w.d.chainId,
      addresses: { settlement: Wallet.createRandom().address },
      settlement: w.d.settlement,
    };
    const foreign = await devAttestationsFor(
      twin,
      "trades",
      b().oldRoot,
      b().newRoot,
      b().dataCommitment,
      b().round,
    );
    assert.equal((await refused(foreign)).name, "NotAMember");
  });

  it("refuses attestations that are not whole signatures", async function () {
    const sigs = await sign(members);
    assert.deepEqual(await refused(packAttestations(sigs) + "00"), {
      name: "BadAttestationsLength",
      args: [131n],
    });
  });

  it("accepts k valid signatures in any order (and a proof still has to verify)", async function () {
    const sigs = await sign(members);
    await submit(packAttestations([sigs[1], sigs[0]]));
    // valid attestations do not make a wrong proof right
    const good = toSolidityProof(batch.proof.proof);
    const sp = { ...good, a: [good.a[1], good.a[0]] };
    await assert.rejects(
      w.d.settlement
        .getFunction("submitTrades")
        .staticCall(
          sp,
          b().oldRoot,
          b().newRoot,
          b().dataCommitment,
          w.round,
          packAttestations(sigs),
        ),
    );
  });

  it("refuses a committee that could take over before users can freeze (CommitteeDelayTooShort)", async function () {
    const a = w.d.addresses;
    const fd = Number(await w.d.settlement.getFunction("forcedDeadline")());
    const quick = await factory("Committee", deployer).deploy(
      deployer.address,
      deployer.address,
      members.map((x) => x.address),
      2,
      fd,
    );
    await quick.waitForDeployment();
    const settlementF = factory("Settlement", deployer, a.libraries);
    const cfg = {
      tradeVerifier: a.verifiers.settle_trades,
      depositVerifier: a.verifiers.apply_deposits,
      withdrawalVerifier: a.verifiers.process_withdrawals,
      liquidationVerifier: a.verifiers.liquidate_batch,
      forcedVerifier: a.verifiers.answer_forced,
      exitVerifier: a.verifiers.exit_account,
      skipVerifier: a.verifiers.skipped_deleverage,
      oracle: a.oracle,
      vault: a.vault,
      committee: await quick.getAddress(),
      marketsHash: 1n,
      marketCount: 2,
      withdrawalSlots: P.withdrawals,
      maxPriceAge: 3600,
      roundGrace: 60,
      forcedDeadline: fd,
      forcedRequestFee: 0n,
      exitWindow: 14 * 86_400,
      genesisRoot: 1n,
      admin: deployer.address,
      operator: deployer.address,
      guardian: deployer.address,
      fundingInterval: DEPLOY_DEFAULTS.fundingInterval,
      maxFundingRatePpm: DEPLOY_DEFAULTS.maxFundingRatePpm,
    };
    assert.deepEqual(
      await refusal(
        settlementF,
        settlementF.getDeployTransaction(cfg).then((tx) => deployer.sendTransaction(tx)),
      ),
      {
        name: "CommitteeDelayTooShort",
        args: [BigInt(fd), BigInt(fd)],
      },
    );
    // a committee that is not a contract (an account's address) cannot check anything
    const noContract = { ...cfg, committee: deployer.address };
    assert.equal(
      (
        await refusal(
          settlementF,
          settlementF.getDeployTransaction(noContract).then((tx) => deployer.sendTransaction(tx)),
        )
      ).name,
      "NoCommittee",
    );
  });

  it("deploy refuses a threshold outside 1..n and a change delay not above the forced deadline, before deploying anything", async function () {
    const before = await deployer.provider.getBlockNumber();
    const opts = {
      params: P,
      markets: w.markets,
      verifiers: {} as Parameters<typeof deployContracts>[1]["verifiers"],
      oracle: { signers: [], quorum: 3, maxReportAge: 60, bounds: [] },
      committee: { members: members.map((m) => m.address), threshold: 2 },
    };
    for (const [bad, why] of [
      [{ committee: { members: opts.committee.members, threshold: 0 } }, /threshold 0 of 2/],
      [{ committee: { members: opts.committee.members, threshold: 3 } }, /threshold 3 of 2/],
      [{ forcedDeadline: 100, committeeDelay: 100 }, /change delay 100 s must be above/],
    ] as const)
      await assert.rejects(
        deployContracts(deployer, {
          ...opts,
          oracle: {
            ...opts.oracle,
            signers: ["0x" + "11".repeat(20), "0x" + "22".repeat(20), "0x" + "33".repeat(20)],
          },
          ...bad,
        }),
        (e: unknown) =>
          e instanceof ZkClearError && e.code === "DEPLOY_INVALID" && why.test(e.message),
      );
    assert.equal(await deployer.provider.getBlockNumber(), before, "nothing was deployed");
  });

  it("changes members and threshold only through the governance timelock, with the rules kept", async function () {
    const [, stranger] = await signers(2);
    const role = await committee.getFunction("COMMITTEE_ADMIN_ROLE")();
    assert.equal(await committee.getFunction("hasRole")(role, w.d.roles.timelock), true);
    assert.equal(await committee.getFunction("hasRole")(role, await deployer.getAddress()), false);
    // neither the deployer (the operator here) nor a stranger changes it directly
    for (const who of [deployer, stranger])
      assert.equal(
        (
          await refusal(
            committee,
            (committee.connect(who) as Contract)
              .getFunction("setMembers")
              .staticCall([who.address], 1),
          )
        ).name,
        "AccessControlUnauthorizedAccount",
      );
    const tl = w.d.timelock;
    const through = async (members_: string[], k: number, salt: string) => {
      const data = committee.interface.encodeFunctionData("setMembers", [members_, k]);
      const to = await committee.getAddress();
      await (
        await tl.getFunction("schedule")(to, 0n, data, ZeroHash, salt, WORLD_TIMELOCK_DELAY)
      ).wait();
      await increaseTime(WORLD_TIMELOCK_DELAY);
      return refusal(
        committee,
        tl.getFunction("execute").staticCall(to, 0n, data, ZeroHash, salt),
      ).catch(async () => {
        await (await tl.getFunction("execute")(to, 0n, data, ZeroHash, salt)).wait();
        return undefined;
      });
    };
    const salt = (i: number) => "0x" + i.toString(16).padStart(64, "0");
    const m = members.map((x) => x.address);
    assert.deepEqual(await through(m, 0, salt(1)), { name: "BadThreshold", args: [0n, 2n] });
    assert.deepEqual(await through(m, 3, salt(2)), { name: "BadThreshold", args: [3n, 2n] });
    assert.deepEqual(await through([m[0], m[0]], 1, salt(3)), {
      name: "MemberAlreadyAdded",
      args: [m[0]],
    });
    assert.equal(
      (await through([m[0], "0x" + "00".repeat(20)], 1, salt(4)))?.name,
      "InvalidMember",
    );
    const many = Array.from({ length: 33 }, () => Wallet.createRandom().address);
    assert.equal((await through(many, 1, salt(5)))?.name, "TooManyMembers");
    // a new committee (member 1 and a newcomer, 2 of 2) is set, but the one in force signs
    // until the change delay (longer than the forced deadline) has passed
    const third = Wallet.createRandom();
    assert.equal(await through([m[1], third.address], 2, salt(6)), undefined);
    const delay = Number(await committee.getFunction("changeDelay")());
    const forcedDeadline = Number(await w.d.settlement.getFunction("forcedDeadline")());
    assert.ok(delay > forcedDeadline, "a user can freeze before a new committee signs");
    const [pendingMembers, pendingK, activatesAt] =
      await committee.getFunction("pendingCommittee")();
    assert.deepEqual([[...pendingMembers], pendingK], [[m[1], third.address], 2n]);
    await postRound(w, MARKS); // the timelock's delay made the round stale
    assert.deepEqual(await refused(packAttestations(await sign([third, members[1]]))), {
      name: "NotAMember",
      args: [0n, third.address],
    });
    await submit(packAttestations(await sign(members)));
    const now = (await deployer.provider.getBlock("latest"))!.timestamp;
    await increaseTime(Number(activatesAt) - now);
    await postRound(w, MARKS);
    assert.deepEqual(await readCommittee(deployer.provider, w.d.addresses.settlement), {
      address: w.d.addresses.committee,
      members: [m[1], third.address],
      threshold: 2,
    });
    const old = await sign(members);
    assert.deepEqual(await refused(packAttestations(old)), {
      name: "NotAMember",
      args: [0n, m[0]],
    });
    await submit(packAttestations(await sign([third, members[1]])));
  });
});
