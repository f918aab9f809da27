import assert from "node:assert/strict";
import { Contract, type JsonRpcSigner } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import {
  deposit,
  postRound,
  settleDeposits,
  settleWithdrawals,
  setupWorld,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { owedTo } from "../../prover/src/chain/withdrawal-limit.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { prepareTestContracts, provider, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const WINDOW = 86_400;
const BOUND = 150_000_00n;
const DELAY = 3600;

/**
 * The rate limit on the real path: a withdrawal batch proven with the `test` set's keys and
 * settled by Settlement, whose payouts add up to more than a small bound: the first payout
 * fits and is owed at once, the second waits (CreditDelayed), and is paid after the delay.
 * Prints the batch's gas (withdrawal-limit.test.ts breaks each rule on its own).
 */
describe("a proven withdrawal batch over the Vault's bound is delayed (real proofs, test parameters)", function () {
  let w: World;
  let stranger: JsonRpcSigner;

  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
    const s = await signers(4);
    stranger = s[3];
    w = await setupWorld(P, s[0], [s[1], s[2]], {
      deploy: { withdrawalWindow: WINDOW, withdrawalBound: BOUND, withdrawalDelay: DELAY },
    });
  });

  it("records the limit in the deployment and pays the second payout only after the delay", async function () {
    assert.deepEqual(w.deployment.withdrawalLimit, {
      window: WINDOW,
      bound: BOUND,
      delay: DELAY,
    });
    const [alice, bob] = w.participants;
    await deposit(w, alice, 500_000_00n);
    await deposit(w, bob, 500_000_00n);
    await settleDeposits(w);
    // a fresh window (so the batch cannot straddle two), then a round to prove at
    const b = (await provider.send("eth_getBlockByNumber", ["latest", false])) as {
      timestamp: string;
    };
    const start = (Math.floor(Number(BigInt(b.timestamp)) / WINDOW) + 1) * WINDOW;
    await provider.send("evm_setNextBlockTimestamp", [start + 10]);
    await provider.send("evm_mine", []);
    await postRound(w, [60_000_00n, 3_000_00n]);
    const to = [await alice.signer.getAddress(), await bob.signer.getAddress()];
    const amounts = [100_000_00n, 100_000_00n];
    const sw = [alice, bob].map((p, i) =>
      signWithdrawal(
        { account: p.account!, nonce: 0n, amount: amounts[i], recipient: BigInt(to[i]) },
        p.keys.privateKey,
        w.domain,
      ),
    );
    const r = await settleWithdrawals(w, sw);
    console.log(`      withdrawal batch, one payout at once and one delayed: ${r.gasUsed} gas`);
    const v = w.d.vault;
    // 100,000.00 fits in 150,000.00; 100,000.00 more does not: bob's waits
    assert.equal(await v.getFunction("owed")(to[0]), amounts[0]);
    assert.equal(await v.getFunction("owed")(to[1]), 0n);
    assert.equal(await v.getFunction("totalOwed")(), amounts[0] + amounts[1]);
    const { owed, delayed } = await owedTo(v, to[1], w.deployment.block);
    assert.equal(owed, 0n);
    assert.equal(delayed.length, 1);
    const d = delayed[0];
    assert.deepEqual([d.id, d.recipient, d.amount, d.paid], [0n, to[1], amounts[1], false]);
    assert.equal(d.claimableAt, d.creditedAt + BigInt(DELAY));
    const vs = v.connect(stranger) as Contract;
    const early = await refusal(v, vs.getFunction("claimDelayed").staticCall(0n));
    assert.deepEqual([early.name, ...early.args], ["DelayNotOver", 0n, d.claimableAt]);
    await provider.send("evm_setNextBlockTimestamp", [Number(d.claimableAt)]);
    const before = BigInt(await w.d.token.getFunction("balanceOf")(to[1]));
    const rc = await (await vs.getFunction("claimDelayed")(0n)).wait();
    console.log(`      claimDelayed: ${rc.gasUsed} gas`);
    assert.equal(BigInt(await w.d.token.getFunction("balanceOf")(to[1])), before + amounts[1]);
    assert.equal(await v.getFunction("totalOwed")(), amounts[0]);
  });
});
