import assert from "node:assert/strict";
import { Contract } from "ethers";
import {
  forceWithdrawArgs,
  recipientAddress,
  signForcedRequest,
} from "../../prover/src/domain/forced.ts";
import { unpackOutcomes } from "../../prover/src/engine/forced.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import type { BatchDataOf } from "../../prover/src/domain/batch.ts";
import { startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];
const TO = 0xf0f0000000000000000000000000000000000001n;

/**
 * The real operator answers forced requests it reads from Settlement: in the same step it
 * first sees them, ahead of the withdrawal requests waiting at its API, with real proofs.
 */
describe("operator: forced requests are answered first (real chain, real proofs)", function () {
  let w: World;
  let alice: Participant;
  let bob: Participant;
  let rig: OperatorRig;

  before(async function () {
    rig = await startOperator(2, "zkclear-forced-");
    ({ w } = rig);
    [alice, bob] = w.participants;
    await deposit(w, alice, 1_000_000n);
    await deposit(w, bob, 1_000_000n);
    await postRound(w, MARKS);
    await rig.op.tick();
  });

  after(async function () {
    await rig.close();
  });

  it("pays a signed request and refuses a stranger's in one proven batch; a restart reads no request twice", async function () {
    const settlement = w.d.settlement;
    const fee = BigInt(await settlement.getFunction("forcedRequestFee")());
    const put = async (who: Participant, r: ReturnType<typeof signForcedRequest>) =>
      (
        await (settlement.connect(who.signer) as Contract).getFunction("forceWithdraw")(
          ...forceWithdrawArgs(r),
          { value: fee },
        )
      ).wait();
    await put(
      alice,
      signForcedRequest(
        { account: alice.account!, amount: 250n, recipient: TO },
        0n,
        alice.keys.privateKey,
        w.domain,
      ),
    );
    // bob asks for alice's collateral with his own key
    await put(
      bob,
      signForcedRequest(
        { account: alice.account!, amount: 999n, recipient: TO },
        0n,
        bob.keys.privateKey,
        w.domain,
      ),
    );
    await rig.op.tick();
    const forced = rig.store.batches().filter((b) => b.kind === "forced");
    assert.equal(forced.length, 1);
    assert.equal(forced[0].status, "settled");
    const body = forced[0].body as unknown as BatchDataOf<"forced">;
    assert.deepEqual(unpackOutcomes(BigInt(body.outcomes), 2), ["paid", "bad_signature"]);
    const queue = [...(await settlement.getFunction("forcedQueue")())].map(BigInt);
    assert.deepEqual(queue, [2n, 2n]);
    assert.equal(BigInt(await w.d.vault.getFunction("owed")(recipientAddress(TO))), 250n);
    assert.equal(rig.op.state.getAccount(alice.account!).collateral, 1_000_000n - 250n);
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
    // a restart replays the forced batch and reads no request twice
    const op = rig.restart();
    await op.tick();
    assert.equal(rig.store.batches().filter((b) => b.kind === "forced").length, 1);
  });
});
