import assert from "node:assert/strict";
import { Contract } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import {
  deposit,
  proveDeposits,
  setupWorld,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const DEADLINE = 3600;

/**
 * A deposit the operator does not credit is reclaimed by its depositor after the deadline,
 * and from then on no deposit batch can credit it (or anything queued after it), so it is
 * never paid twice: a real deposit proof, made before the reclaim, is refused after it.
 */
describe("reclaiming an uncredited deposit closes the deposit queue (real proofs, test parameters)", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s = await signers(3);
    w = await setupWorld(P, s[0], [s[1], s[2]], { deploy: { depositDeadline: DEADLINE } });
    [alice, bob] = w.participants;
  });

  it("refuses a deposit batch that would credit a reclaimed deposit", async function () {
    const vault = w.d.vault;
    await deposit(w, alice, 1_000n);
    await deposit(w, bob, 2_000n);
    // bob's deposit as the Deposited event reported it (queue position 1)
    const d = w.pending[1];
    const entry = [1n, d.account, d.amount, d.pubKey.x, d.pubKey.y] as const;
    // the operator proves both deposits but does not submit them (it censors bob)
    const proven = await proveDeposits(w);
    assert.equal(proven.data.deposits.length, 2);
    const asBob = vault.connect(bob.signer) as Contract;
    assert.equal(
      (await refusal(vault, asBob.getFunction("reclaimDeposit").staticCall(...entry))).name,
      "DeadlineNotReached",
    );
    await increaseTime(DEADLINE);
    const balance = async () => w.d.token.getFunction("balanceOf")(await bob.signer.getAddress());
    const before = await balance();
    await (await asBob.getFunction("reclaimDeposit")(...entry)).wait();
    assert.equal(await balance(), before + 2_000n);
    // the proven batch would pay bob's deposit into his account as well: refused
    assert.deepEqual(
      await refusal(w.d.settlement, submitBatch(w.d.settlement, proven.data, proven.proof.proof)),
      { name: "DepositReclaimed", args: [1n] },
    );
    // the queue is closed: no more deposits, and the reclaim cannot be repeated
    assert.equal(
      (
        await refusal(
          vault,
          (vault.connect(alice.signer) as Contract)
            .getFunction("deposit")
            .staticCall(alice.account!, 0n, 0n, 5n),
        )
      ).name,
      "DepositQueueClosed",
    );
    assert.equal(
      (await refusal(vault, asBob.getFunction("reclaimDeposit").staticCall(...entry))).name,
      "AlreadyReclaimed",
    );
  });
});
