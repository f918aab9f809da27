import assert from "node:assert/strict";
import { Contract } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import {
  deposit,
  proveDeposits,
  settleDeposits,
  setupWorld,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import {
  forceWithdrawArgs,
  forcedQueueHash,
  recipientAddress,
  signForcedRequest,
  verifyForcedRequest,
  type ForcedRequest,
} from "../../prover/src/domain/forced.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, provider, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const DAY = 86_400;
/** The escape deadline of these worlds: more than one pause (3 days). */
const DEADLINE = 4 * DAY;
const FEE = 10n ** 15n;
const FEES_TO = "0x00000000000000000000000000000000000000f0";
const BJJ_ORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041n;

async function latestTime(): Promise<bigint> {
  return BigInt((await provider.getBlock("latest"))!.timestamp);
}

/**
 * Forced requests and the freeze (EscapeHatch, inherited by Settlement) on a real Hardhat
 * chain: the rules of a request, a freeze refused before the deadline and accepted after an
 * unanswered request or an uncredited deposit, every batch refused after it (a real
 * deposit proof), a pause that blocks neither, and no way back.
 */
describe("forced requests and the freeze (real chain, test parameters)", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let settlement: Contract;
  after(terminateCurve);

  async function request(
    who: Participant,
    r: ForcedRequest,
    value: bigint = FEE,
  ): Promise<{ index: bigint; queueHash: bigint; time: bigint; gas: bigint }> {
    const s = settlement.connect(who.signer) as Contract;
    const receipt = await (
      await s.getFunction("forceWithdraw")(...forceWithdrawArgs(r), { value })
    ).wait();
    const ev = receipt.logs
      .map((l: { topics: string[]; data: string }) => settlement.interface.parseLog(l))
      .find((e: { name: string } | null) => e?.name === "ForcedRequested");
    return {
      index: BigInt(ev.args.index),
      queueHash: BigInt(ev.args.queueHash),
      time: BigInt((await provider.getBlock(receipt.blockNumber))!.timestamp),
      gas: BigInt(receipt.gasUsed),
    };
  }

  function aliceRequest(amount = 100n): ForcedRequest {
    return signForcedRequest(
      { account: alice.account!, amount, recipient: 0xa11cen },
      0n,
      alice.keys.privateKey,
      w.domain,
    );
  }

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]], { deploy: { forcedDeadline: DEADLINE } });
    [alice, bob] = w.participants;
    settlement = w.d.settlement;
    await deposit(w, alice, 1_000n);
    await deposit(w, bob, 2_000n);
    await settleDeposits(w);
  });

  it("refuses a forced request without its exact fee, for a system or unopened account, or with a malformed signature", async function () {
    const r = aliceRequest();
    const s = settlement.connect(bob.signer) as Contract;
    const call = (args: readonly (bigint | string)[], value = FEE) =>
      refusal(settlement, s.getFunction("forceWithdraw").staticCall(...args, { value }));
    const args = [...forceWithdrawArgs(r)];
    assert.deepEqual(await call(args, FEE - 1n), { name: "WrongFee", args: [FEE - 1n, FEE] });
    assert.deepEqual(await call(args, 0n), { name: "WrongFee", args: [0n, FEE] });
    const bad = async (i: number, v: bigint | string) => {
      const a = [...args];
      a[i] = v;
      return (await call(a)).name;
    };
    assert.equal(await bad(0, 2n), "BadForcedRequest"); // the insurance fund
    assert.equal(await bad(0, 1n), "BadForcedRequest"); // the fee account
    assert.equal(await bad(0, 5n), "BadForcedRequest"); // not opened in the Vault
    assert.equal(await bad(1, 0n), "BadForcedRequest");
    assert.equal(await bad(1, 1n << 92n), "BadForcedRequest");
    assert.equal(await bad(2, recipientAddress(0n)), "BadForcedRequest");
    assert.equal(await bad(3, r.signature.r8x + 1n), "BadSignatureEncoding"); // R8 off the curve
    assert.equal(await bad(5, BJJ_ORDER), "BadSignatureEncoding");
    // the largest amount the circuits carry is accepted
    assert.equal(
      BigInt(
        await s
          .getFunction("forceWithdraw")
          .staticCall(...[args[0], (1n << 92n) - 1n, ...args.slice(2)], { value: FEE }),
      ),
      0n,
    );
  });

  it("queues a request in the hash chain the TypeScript twin computes, and a freeze before the deadline is refused", async function () {
    const r = aliceRequest();
    const { index, queueHash, time, gas } = await request(alice, r);
    assert.equal(index, 0n);
    assert.equal(queueHash, forcedQueueHash(0n, r));
    console.log(`      gas of a forced request: ${gas}`);
    assert.equal(BigInt(await settlement.getFunction("forcedHashAt")(1n)), queueHash);
    assert.deepEqual([...(await settlement.getFunction("forcedQueue")())].map(BigInt), [1n, 0n]);
    // the deposits were credited: only the request can make the exchange overdue
    assert.deepEqual(await refusal(settlement, settlement.getFunction("freeze").staticCall()), {
      name: "NothingOverdue",
      args: [time + BigInt(DEADLINE), 0n],
    });
    await increaseTime(DEADLINE - 10);
    assert.equal(
      (await refusal(settlement, settlement.getFunction("freeze").staticCall())).name,
      "NothingOverdue",
    );
  });

  it("binds a request to the signature it carries: a stranger's request for alice's account does not verify with her key", async function () {
    // bob signs a request for alice's account with his own key: the chain takes it (the
    // signature is checked by the circuit that answers it), but it is not alice's
    const stranger = signForcedRequest(
      { account: alice.account!, amount: 999n, recipient: 0xb0bn },
      0n,
      bob.keys.privateKey,
      w.domain,
    );
    assert.equal(verifyForcedRequest(stranger, 0n, alice.keys.publicKey, w.domain), false);
    assert.equal(verifyForcedRequest(aliceRequest(), 0n, alice.keys.publicKey, w.domain), true);
    // and the queue commits to the signature: another signature is another entry
    assert.notEqual(forcedQueueHash(0n, stranger), forcedQueueHash(0n, aliceRequest()));
    // a signature for another deployment's domain does not verify for this one
    const elsewhere = signForcedRequest(
      { account: alice.account!, amount: 100n, recipient: 0xa11cen },
      0n,
      alice.keys.privateKey,
      w.domain + 1n,
    );
    assert.equal(verifyForcedRequest(elsewhere, 0n, alice.keys.publicKey, w.domain), false);
  });

  it("takes requests and freezes while paused: a pause blocks neither and does not extend the deadline", async function () {
    await (await settlement.getFunction("pause")(3 * DAY)).wait();
    assert.equal(await settlement.getFunction("paused")(), true);
    const second = signForcedRequest(
      { account: bob.account!, amount: 5n, recipient: 0xb0bn },
      0n,
      bob.keys.privateKey,
      w.domain,
    );
    await request(bob, second);
    await increaseTime(10);
    const at = await latestTime();
    const receipt = await (
      await (settlement.connect(bob.signer) as Contract).getFunction("freeze")()
    ).wait();
    const ev = receipt.logs
      .map((l: { topics: string[]; data: string }) => settlement.interface.parseLog(l))
      .find((e: { name: string } | null) => e?.name === "Frozen");
    console.log(`      gas of a freeze: ${receipt.gasUsed}`);
    assert.equal(BigInt(ev.args.root), BigInt(await settlement.getFunction("stateRoot")()));
    assert.equal(BigInt(await settlement.getFunction("frozenRoot")()), BigInt(ev.args.root));
    const [frozenAt, , batches] = [...(await settlement.getFunction("freezeInfo")())].map(BigInt);
    assert.ok(frozenAt > at);
    assert.equal(batches, 1n);
    assert.equal(await settlement.getFunction("frozen")(), true);
  });

  it("after the freeze: no batch, no deposit, no request, no second freeze, and no role undoes it", async function () {
    const vaultAsAlice = w.d.vault.connect(alice.signer) as Contract;
    assert.equal(
      (
        await refusal(
          w.d.vault,
          vaultAsAlice.getFunction("deposit").staticCall(alice.account!, 0n, 0n, 5n),
        )
      ).name,
      "ExchangeFrozen",
    );
    const s = settlement.connect(alice.signer) as Contract;
    assert.equal(
      (
        await refusal(
          settlement,
          s.getFunction("forceWithdraw").staticCall(...forceWithdrawArgs(aliceRequest()), {
            value: FEE,
          }),
        )
      ).name,
      "ExchangeFrozen",
    );
    assert.equal(
      (await refusal(settlement, settlement.getFunction("freeze").staticCall())).name,
      "ExchangeFrozen",
    );
    // the guardian's powers do not thaw it
    await (await settlement.getFunction("unpause")()).wait();
    await (await settlement.getFunction("pause")(60)).wait();
    await (await settlement.getFunction("unpause")()).wait();
    assert.equal(await settlement.getFunction("frozen")(), true);
    // nothing in Settlement's interface writes the freeze but freeze()
    const writers: string[] = [];
    settlement.interface.forEachFunction((f) => {
      if (!f.constant && /freez|thaw|resume/i.test(f.name)) writers.push(f.name);
    });
    assert.deepEqual(writers, ["freeze"]);
  });

  it("refunds the fee of a request never answered, to its requester, once", async function () {
    // anyone may call it (alice pays the gas); the fee goes to bob, who made request 1
    const s = settlement.connect(alice.signer) as Contract;
    const receipt = await (await s.getFunction("refundForcedFee")(1n)).wait();
    // balances at the blocks around the refund (ethers may answer "latest" from a cache)
    const bobAt = (block: number) => provider.getBalance(bob.signer.getAddress(), block);
    assert.equal(await bobAt(receipt.blockNumber), (await bobAt(receipt.blockNumber - 1)) + FEE);
    assert.deepEqual(await refusal(settlement, s.getFunction("refundForcedFee").staticCall(1n)), {
      name: "NotRefundable",
      args: [1n],
    });
    assert.deepEqual(await refusal(settlement, s.getFunction("refundForcedFee").staticCall(2n)), {
      name: "UnknownForcedPosition",
      args: [2n],
    });
  });
});

describe("a deposit its depositor reclaimed makes no freeze due (real chain)", function () {
  after(terminateCurve);

  it("counts only deposits a batch could still credit: after a reclaim, nothing is overdue", async function () {
    await prepareTestContracts();
    const s = await signers(3);
    const w = await setupWorld(P, s[0], [s[1], s[2]], {
      deploy: { forcedDeadline: DEADLINE, depositDeadline: 3600 },
    });
    const [alice, bob] = w.participants;
    await deposit(w, alice, 1_000n);
    await settleDeposits(w);
    await deposit(w, bob, 2_000n);
    const d = w.pending[0];
    await increaseTime(3600);
    const vault = w.d.vault.connect(bob.signer) as Contract;
    await (
      await vault.getFunction("reclaimDeposit")(1n, d.account, d.amount, d.pubKey.x, d.pubKey.y)
    ).wait();
    await increaseTime(DEADLINE);
    const settlement = w.d.settlement;
    assert.deepEqual(await refusal(settlement, settlement.getFunction("freeze").staticCall()), {
      name: "NothingOverdue",
      args: [0n, 0n],
    });
  });
});

describe("a deposit the operator leaves uncredited past the deadline lets anyone freeze (real chain)", function () {
  let w: World;
  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s = await signers(4);
    w = await setupWorld(P, s[0], [s[1], s[3]], {
      deploy: { forcedDeadline: DEADLINE, depositDeadline: 3600 },
    });
  });

  it("refuses the freeze while the deposit is younger than the deadline, then freezes; the deposit is reclaimed at once, once, and no batch credits it", async function () {
    const [alice, bob] = w.participants;
    await deposit(w, alice, 1_000n);
    await settleDeposits(w);
    await deposit(w, bob, 2_000n);
    const queuedAt = await latestTime();
    // the operator proves bob's deposit but does not submit it
    const proven = await proveDeposits(w);
    const settlement = w.d.settlement;
    assert.deepEqual(await refusal(settlement, settlement.getFunction("freeze").staticCall()), {
      name: "NothingOverdue",
      args: [0n, queuedAt + BigInt(DEADLINE)],
    });
    // a reclaim before the deadline is still refused while live
    const d = w.pending.length ? w.pending[0] : proven.data.deposits[0];
    const entry = [1n, d.account, d.amount, d.pubKey.x, d.pubKey.y] as const;
    const vault = w.d.vault.connect(bob.signer) as Contract;
    assert.equal(
      (await refusal(w.d.vault, vault.getFunction("reclaimDeposit").staticCall(...entry))).name,
      "DeadlineNotReached",
    );
    await increaseTime(DEADLINE);
    await (await (settlement.connect(alice.signer) as Contract).getFunction("freeze")()).wait();
    assert.equal(
      (await refusal(settlement, submitBatch(settlement, proven.data, proven.proof.proof))).name,
      "ExchangeFrozen",
    );
    const balance = () => w.d.token.getFunction("balanceOf")(bob.signer.getAddress());
    const before = BigInt(await balance());
    await (await vault.getFunction("reclaimDeposit")(...entry)).wait();
    assert.equal(BigInt(await balance()), before + 2_000n);
    assert.equal(
      (await refusal(w.d.vault, vault.getFunction("reclaimDeposit").staticCall(...entry))).name,
      "AlreadyReclaimed",
    );
    // a credited deposit is in the account: it leaves by an exit, not a reclaim
    const credited = [0n, alice.account!, 1_000n, alice.keys.publicKey.x, alice.keys.publicKey.y];
    assert.equal(
      (
        await refusal(
          w.d.vault,
          (w.d.vault.connect(alice.signer) as Contract)
            .getFunction("reclaimDeposit")
            .staticCall(...credited),
        )
      ).name,
      "DepositCredited",
    );
  });

  it("refuses a forced deadline a single pause could outlast, and an exit window under a day", async function () {
    const s = await signers(1);
    const refusedWith = (name: string) => (e: unknown) => {
      const data = (e as { data?: string }).data;
      const parsed = data ? w.d.settlement.interface.parseError(data) : null;
      assert.equal(parsed?.name, name);
      return true;
    };
    await assert.rejects(
      setupWorld(P, s[0], [], { deploy: { forcedDeadline: 3 * DAY } }),
      refusedWith("BadForcedDeadline"),
    );
    await assert.rejects(
      setupWorld(P, s[0], [], { deploy: { exitWindow: DAY - 1 } }),
      refusedWith("BadExitWindow"),
    );
  });

  it("lets only the operator collect the fees of answered requests, and refuses when there are none", async function () {
    const settlement = w.d.settlement;
    const [alice] = w.participants;
    const stranger = settlement.connect(alice.signer) as Contract;
    assert.equal(
      (await refusal(settlement, stranger.getFunction("collectForcedFees").staticCall(FEES_TO)))
        .name,
      "AccessControlUnauthorizedAccount",
    );
    // this world answered no request: nothing was earned
    assert.equal(BigInt(await settlement.getFunction("forcedFeesEarned")()), 0n);
    assert.deepEqual(
      await refusal(settlement, settlement.getFunction("collectForcedFees").staticCall(FEES_TO)),
      { name: "NoFees", args: [] },
    );
  });
});
