import assert from "node:assert/strict";
import { Contract, type JsonRpcSigner } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import {
  deposit,
  postRound,
  proveExit,
  settleDeposits,
  settleWithdrawals,
  setupWorld,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { owedTo } from "../../prover/src/chain/withdrawal-limit.ts";
import { readSettlement } from "../../prover/src/audit/chain.ts";
import { withdrawalLimitFindings } from "../../prover/src/audit/deployment-checks.ts";
import { bookEvents } from "../../prover/src/audit/events.ts";
import { fetchEvents } from "../../prover/src/audit/chain-events.ts";
import { newProgress } from "../../prover/src/audit/progress.ts";
import type { Finding } from "../../prover/src/audit/findings.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { parseDeployment, toDeploymentFile } from "../../prover/src/domain/deployment.ts";
import { checkDeployment } from "../../prover/src/service/startup.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, provider, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const WINDOW = 86_400;
const BOUND = 150_000_00n;
const DELAY = 3600;

/**
 * The rate limit on the real path: a withdrawal batch proven with the `test` set's keys and
 * settled by Settlement, whose payouts add up to more than a small bound: the first payout
 * fits and is owed at once, the second waits (CreditDelayed), and is paid after the delay.
 * Prints the batch's gas (withdrawal-limit.test.ts breaks each rule on its own). Then the
 * checks of the limit against the deployment file (service, auditor) and the auditor's books
 * of the delayed credit.
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

  it("the service and the auditor compare the Vault's limit with the deployment's (CONFIG_MISMATCH)", async function () {
    const d = w.deployment;
    await checkDeployment(d, provider, w.keys);
    for (const l of [
      { ...d.withdrawalLimit, window: WINDOW + 1 },
      { ...d.withdrawalLimit, bound: BOUND + 1n },
      { ...d.withdrawalLimit, delay: DELAY + 1 },
    ]) {
      await assert.rejects(
        checkDeployment({ ...d, withdrawalLimit: l }, provider, w.keys),
        (e: unknown) =>
          e instanceof ZkClearError &&
          e.code === "CONFIG_MISMATCH" &&
          /withdrawal limit/.test(e.message),
      );
      const found = await withdrawalLimitFindings(
        await readSettlement(provider, d.addresses.settlement),
        provider,
        l,
      );
      assert.deepEqual(
        found.map((f) => f.code),
        ["CONFIG_MISMATCH"],
      );
      assert.match(found[0].message, /the deployment states/);
    }
    const info = await readSettlement(provider, d.addresses.settlement);
    assert.deepEqual(await withdrawalLimitFindings(info, provider, d.withdrawalLimit), []);
  });

  it("the auditor books a delayed credit as owed until it is paid, and finds a payment of one it never saw", async function () {
    const info = await readSettlement(provider, w.deployment.addresses.settlement);
    const events = await fetchEvents(
      provider,
      info,
      w.deployment.block,
      await provider.getBlockNumber(),
    );
    const names = events.map((e) => e.name);
    assert.ok(names.includes("CreditDelayed") && names.includes("DelayedCreditClaimed"));
    const p = newProgress(0n, w.deployment.block, false);
    const found: Finding[] = [];
    const upTo = names.indexOf("DelayedCreditClaimed");
    bookEvents(p, events.slice(0, upTo), (f) => found.push(f));
    assert.deepEqual(
      Object.values(p.delayed ?? {}).map((d) => d.amount),
      [100_000_00n],
    );
    bookEvents(p, events.slice(upTo), (f) => found.push(f));
    assert.equal(found.length, 0, JSON.stringify(found));
    assert.deepEqual(p.delayed, {});
    // the same payment again: no unpaid credit with that id
    bookEvents(p, [events[upTo]], (f) => found.push(f));
    assert.deepEqual(
      found.map((f) => f.code),
      ["SOLVENCY"],
    );
  });

  it("the deployment file reads the limit back as written, and refuses one out of range or missing (DEPLOYMENT_INVALID)", function () {
    const text = JSON.stringify(toDeploymentFile(w.deployment));
    assert.deepEqual(parseDeployment(text).withdrawalLimit, w.deployment.withdrawalLimit);
    assert.deepEqual(toDeploymentFile(parseDeployment(text)), JSON.parse(text));
    const tampered = (f: (x: Record<string, Record<string, unknown>>) => void) => {
      const x = JSON.parse(text) as Record<string, Record<string, unknown>>;
      f(x);
      return JSON.stringify(x);
    };
    for (const [bad, what] of [
      [tampered((x) => (x.withdrawalLimit.delay = 7 * 86_400 + 1)), /withdrawal delay must be/],
      [tampered((x) => (x.withdrawalLimit.window = 0)), /withdrawal window must be/],
      [tampered((x) => (x.withdrawalLimit.bound = "0")), /withdrawal bound must be/],
      [tampered((x) => delete x.withdrawalLimit), /withdrawalLimit/],
    ] as const)
      assert.throws(
        () => parseDeployment(bad),
        (e: unknown) =>
          e instanceof ZkClearError && e.code === "DEPLOYMENT_INVALID" && what.test(e.message),
      );
  });
});

/**
 * Exits after a freeze go through the same rule (Vault.sol): a trader's exit after the exit
 * window, paid at once by Settlement, credits the Vault, and a payout beyond the bound is a
 * delayed credit like a withdrawal's. Real exit proof.
 */
describe("an exit after a freeze over the Vault's bound is delayed too (real proofs, test parameters)", function () {
  after(terminateCurve);

  it("credits the exit's payment as a delayed credit, paid after the delay however the guardian renews its pause", async function () {
    await prepareTestContracts();
    const DAY = 86_400;
    const s = await signers(3);
    const w = await setupWorld(P, s[0], [s[1], s[2]], {
      deploy: {
        forcedDeadline: 4 * DAY,
        exitWindow: 2 * DAY,
        withdrawalWindow: DAY,
        withdrawalBound: 100_000n,
        withdrawalDelay: DELAY,
      },
    });
    const [c, d] = w.participants;
    await deposit(w, c, 500_000n);
    await settleDeposits(w);
    // d's deposit is never credited: after the forced deadline anyone may freeze
    await deposit(w, d, 300_000n);
    w.pending.length = 0;
    await increaseTime(4 * DAY);
    await postRound(w, [60_000_00n, 3_000_00n]);
    const settlement = w.d.settlement;
    await (await settlement.getFunction("freeze")()).wait();
    // after the exit window a trader's exit is paid at once: 500,000 is beyond the bound
    await increaseTime(2 * DAY + 1);
    const to = `0x${"c1".repeat(20)}`;
    const e = await proveExit(w, c.account!, to, c.keys);
    const rc = await (await settlement.getFunction("exit")(...e.args)).wait();
    const v = w.d.vault;
    const delayed = rc.logs
      .map((l: { topics: string[]; data: string }) => {
        try {
          return v.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .filter((x: { name: string } | null) => x?.name === "CreditDelayed");
    assert.equal(delayed.length, 1);
    assert.deepEqual(
      [delayed[0].args.recipient.toLowerCase(), delayed[0].args.amount],
      [to, 500_000n],
    );
    assert.equal(await v.getFunction("owed")(to), 0n);
    const early = await refusal(v, v.getFunction("claimDelayed").staticCall(0n));
    assert.equal(early.name, "DelayNotOver");
    // the guardian pauses the frozen exchange and renews the pause every 3 days (found by
    // the attack review: pauses used to hold a delayed credit for good); they extend it by
    // at most MAX_PAUSE_EXTENSION, so it matures at credit + delay + 7 days, paused or not
    const [, , creditedAt] = (await v.getFunction("delayedCredit")(0n)) as bigint[];
    const latest =
      creditedAt + BigInt(DELAY) + BigInt(await v.getFunction("MAX_PAUSE_EXTENSION")());
    const guardian = settlement.connect(s[0]) as Contract;
    for (let i = 0; i < 3; i++) {
      await (await guardian.getFunction("pause")(3 * DAY)).wait();
      // renewed just before each pause ends; the third runs past the cap
      await increaseTime(i < 2 ? 3 * DAY - 10 : DAY);
    }
    assert.equal(await settlement.getFunction("paused")(), true);
    const held = await refusal(v, v.getFunction("claimDelayed").staticCall(0n));
    assert.deepEqual([held.name, ...held.args], ["DelayNotOver", 0n, latest]);
    await provider.send("evm_setNextBlockTimestamp", [Number(latest)]);
    await (await v.getFunction("claimDelayed")(0n)).wait();
    assert.equal(BigInt(await w.d.token.getFunction("balanceOf")(to)), 500_000n);
  });
});
