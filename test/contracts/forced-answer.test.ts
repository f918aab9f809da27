import assert from "node:assert/strict";
import { Contract } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { DEFAULT_MARKS } from "../../prover/src/domain/market.ts";
import {
  deposit,
  postRound,
  proveBatch,
  settleDeposits,
  setupWorld,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import { submitProven } from "../../prover/src/service/pipeline.ts";
import {
  forceWithdrawArgs,
  recipientAddress,
  signForcedRequest,
  type ForcedRequest,
} from "../../prover/src/domain/forced.ts";
import { unpackOutcomes } from "../../prover/src/engine/forced.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const DEADLINE = 4 * 86_400;
const FEE = 10n ** 15n;
const ALICE_TO = 0xa11ce0000000000000000000000000000000000an;
const BOB_TO = 0xb0b0000000000000000000000000000000000000n;

/**
 * The operator answers forced requests in proven batches (AnswerForced, real Groth16
 * proofs on a real chain): a request signed by the account key is paid through the Vault,
 * a stranger's request for that account and a request beyond the free collateral are
 * refused with their proven reasons, the queue advances only with such a proof, and once
 * every request is answered nobody can freeze.
 */
describe("answering forced requests in proven batches (real proofs, test parameters)", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let settlement: Contract;
  after(terminateCurve);

  async function put(who: Participant, r: ForcedRequest): Promise<void> {
    await (
      await (settlement.connect(who.signer) as Contract).getFunction("forceWithdraw")(
        ...forceWithdrawArgs(r),
        { value: FEE },
      )
    ).wait();
  }

  const queue = async () =>
    [...(await settlement.getFunction("forcedQueue")())].map((v) => BigInt(v));

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]], { deploy: { forcedDeadline: DEADLINE } });
    [alice, bob] = w.participants;
    settlement = w.d.settlement;
    await deposit(w, alice, 10_000n);
    await deposit(w, bob, 20_000n);
    await settleDeposits(w);
    await postRound(w, DEFAULT_MARKS.slice(0, P.markets));
  });

  it("pays alice's signed request and refuses a stranger's request for bob's account (bad signature); the Vault pays once", async function () {
    const mine = signForcedRequest(
      { account: alice.account!, amount: 1_234n, recipient: ALICE_TO },
      0n,
      alice.keys.privateKey,
      w.domain,
    );
    // alice signs a request for bob's account, to her own address
    const theft = signForcedRequest(
      { account: bob.account!, amount: 5_000n, recipient: ALICE_TO },
      0n,
      alice.keys.privateKey,
      w.domain,
    );
    await put(alice, mine);
    await put(alice, theft);
    const proven = await proveBatch<"forced">(w, {
      kind: "forced",
      requests: [mine, theft],
      queueFrom: 0n,
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
    });
    assert.deepEqual(unpackOutcomes(proven.data.outcomes, 2), ["paid", "bad_signature"]);
    // a proof of other outcomes does not verify: claiming the theft was paid
    const forged = {
      ...proven.data,
      outcomes: proven.data.outcomes + 8n * (1n - 2n),
    };
    assert.equal(
      (await refusal(settlement, submitBatch(settlement, forged, proven.proof.proof))).name,
      "InvalidProof",
    );
    const r = await submitProven(w.chain, proven.data, proven.proof);
    console.log(`      gas of a forced batch (F = ${P.withdrawals}): ${r.gasUsed}`);
    assert.deepEqual(await queue(), [2n, 2n]);
    const vault = w.d.vault;
    assert.equal(BigInt(await vault.getFunction("owed")(recipientAddress(ALICE_TO))), 1_234n);
    assert.equal(w.state.getAccount(bob.account!).collateral, 20_000n);
    await (await vault.getFunction("claimFor")(recipientAddress(ALICE_TO))).wait();
    assert.equal(
      BigInt(await w.d.token.getFunction("balanceOf")(recipientAddress(ALICE_TO))),
      1_234n,
    );
    assert.equal(
      (await refusal(vault, vault.getFunction("claimFor").staticCall(recipientAddress(ALICE_TO))))
        .name,
      "NothingOwed",
    );
    assert.equal(BigInt(await settlement.getFunction("forcedFeesEarned")()), 2n * FEE);
    // the same proof again: the queue moved on
    assert.equal(
      (await refusal(settlement, submitBatch(settlement, proven.data, proven.proof.proof))).name,
      "ForcedCount",
    );
  });

  it("refuses a request beyond the free collateral with a proof that keeps the root, and then nobody can freeze", async function () {
    const greedy = signForcedRequest(
      { account: bob.account!, amount: 20_001n, recipient: BOB_TO },
      0n,
      bob.keys.privateKey,
      w.domain,
    );
    await put(bob, greedy);
    const root = BigInt(await settlement.getFunction("stateRoot")());
    const proven = await proveBatch<"forced">(w, {
      kind: "forced",
      requests: [greedy],
      queueFrom: BigInt(await settlement.getFunction("forcedHashAt")(2n)),
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
    });
    assert.deepEqual(unpackOutcomes(proven.data.outcomes, 1), ["cannot_pay"]);
    assert.equal(proven.data.newRoot, root);
    // the operator waits past the deadline: anyone could freeze now
    await increaseTime(DEADLINE);
    await settlement.getFunction("freeze").staticCall();
    // its proof at the old round is refused now (price rule 3)
    assert.equal(
      (await refusal(settlement, submitBatch(settlement, proven.data, proven.proof.proof))).name,
      "StalePrices",
    );
    // re-proven at a fresh round before anyone froze, it is accepted although the root stays
    await postRound(w, w.marks);
    const fresh = await proveBatch<"forced">(w, {
      kind: "forced",
      requests: [greedy],
      queueFrom: BigInt(await settlement.getFunction("forcedHashAt")(2n)),
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
    });
    const receipt = await submitBatch(settlement, fresh.data, fresh.proof.proof);
    const ev = receipt.logs
      .map((l) => settlement.interface.parseLog(l))
      .find((e) => e?.name === "ForcedAnswered");
    assert.equal(BigInt(ev!.args.outcomes), 3n);
    assert.equal(BigInt(await settlement.getFunction("stateRoot")()), root);
    assert.deepEqual(await refusal(settlement, settlement.getFunction("freeze").staticCall()), {
      name: "NothingOverdue",
      args: [0n, 0n],
    });
  });
});
