import assert from "node:assert/strict";
import { Contract, ZeroAddress, ZeroHash, id, type JsonRpcSigner } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { setupWorld, WORLD_TIMELOCK_DELAY, type World } from "../../prover/src/dev/onchain.ts";
import { increaseTime, prepareTestContracts, provider, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const OPERATOR = id("OPERATOR_ROLE");
const GUARDIAN = id("GUARDIAN_ROLE");
const ORACLE_ADMIN = id("ORACLE_ADMIN_ROLE");
const ADMIN = ZeroHash; // DEFAULT_ADMIN_ROLE

/** A proof that verifies nothing: role and pause checks come before the proof's. */
const NO_PROOF = {
  a: [0n, 0n],
  b: [
    [0n, 0n],
    [0n, 0n],
  ],
  c: [0n, 0n],
};

/**
 * Governance of a deployment as `deploy` makes it: one role per power, every change of roles,
 * signers, quorum, bounds or report age behind a timelock with events, a pause that expires,
 * and no way to leave the contracts without an admin.
 */
describe("governance: roles, timelocks and the pause", function () {
  let w: World;
  let deployer: JsonRpcSigner;
  let stranger: JsonRpcSigner;
  let newGuardian: JsonRpcSigner;

  before(async function () {
    await prepareTestContracts();
    [deployer, stranger, newGuardian] = await signers(3);
    w = await setupWorld(P, deployer, [stranger]);
  });

  /** The timestamp of the block that took a transaction (by number: "latest" may be cached). */
  const blockTime = async (rc: { blockNumber: number }) =>
    BigInt((await provider.getBlock(rc.blockNumber))!.timestamp);

  /** Schedules `data` on `target` through `timelock`, as its proposer; returns execute(). */
  async function schedule(timelock: Contract, target: Contract, data: string, salt = ZeroHash) {
    const to = await target.getAddress();
    const rc = await (
      await timelock.getFunction("schedule")(to, 0n, data, ZeroHash, salt, WORLD_TIMELOCK_DELAY)
    ).wait();
    const ev = rc.logs
      .map((l: { topics: string[]; data: string }) => timelock.interface.parseLog(l))
      .find((e: { name: string } | null) => e?.name === "CallScheduled");
    assert.ok(ev, "CallScheduled");
    return {
      id: ev.args.id as string,
      execute: () => timelock.getFunction("execute")(to, 0n, data, ZeroHash, salt),
      // a call, not a gas estimate: ethers answers a repeated request from a 250 ms cache
      tryExecute: () => timelock.getFunction("execute").staticCall(to, 0n, data, ZeroHash, salt),
    };
  }

  it("gives each power to its own holder: no admin power stays with the deployer", async function () {
    const s = w.d.settlement;
    const o = w.d.oracle;
    const r = w.deployment.roles;
    const me = await deployer.getAddress();
    assert.deepEqual(Object.keys(r).sort(), [
      "deployer",
      "guardian",
      "operator",
      "oracleAdmin",
      "oracleTimelock",
      "owner",
      "timelock",
    ]);
    assert.equal(await s.getFunction("hasRole")(ADMIN, r.timelock), true);
    assert.equal(await s.getFunction("hasRole")(ADMIN, me), false);
    assert.equal(await s.getFunction("hasRole")(OPERATOR, r.operator), true);
    assert.equal(await s.getFunction("hasRole")(GUARDIAN, r.guardian), true);
    assert.equal(await o.getFunction("hasRole")(ADMIN, r.timelock), true);
    assert.equal(await o.getFunction("hasRole")(ORACLE_ADMIN, r.oracleTimelock), true);
    assert.equal(await o.getFunction("hasRole")(ORACLE_ADMIN, me), false);
    assert.equal(await o.getFunction("hasRole")(ADMIN, me), false);
    const proposer = id("PROPOSER_ROLE");
    assert.equal(await w.d.timelock.getFunction("hasRole")(proposer, r.owner), true);
    assert.equal(await w.d.oracleTimelock.getFunction("hasRole")(proposer, r.oracleAdmin), true);
    assert.equal(await w.d.timelock.getFunction("getMinDelay")(), BigInt(WORLD_TIMELOCK_DELAY));
    // the Vault's Settlement and the oracle's consumer are set once, for good
    assert.equal(
      (await refusal(w.d.vault, w.d.vault.getFunction("setSettlement").staticCall(me))).name,
      "SettlementAlreadySet",
    );
    assert.equal(
      (await refusal(o, o.getFunction("setConsumer").staticCall(me))).name,
      "ConsumerAlreadySet",
    );
  });

  it("refuses role changes from the guardian, the operator or the owner directly: only through the timelock", async function () {
    const s = w.d.settlement;
    const me = await deployer.getAddress();
    // the deployer is operator, guardian and proposer in a development deployment
    for (const role of [GUARDIAN, OPERATOR, ADMIN])
      assert.deepEqual(await refusal(s, s.getFunction("grantRole").staticCall(role, me)), {
        name: "AccessControlUnauthorizedAccount",
        args: [me, ADMIN],
      });
    // nor can the oracle admin's key change the signers without its timelock
    const o = w.d.oracle;
    assert.deepEqual(await refusal(o, o.getFunction("setSigners").staticCall([me], 1)), {
      name: "AccessControlUnauthorizedAccount",
      args: [me, ORACLE_ADMIN],
    });
    // and nobody changes a timelock's delay but the timelock itself
    const tl = w.d.timelock;
    assert.equal(
      (await refusal(tl, tl.getFunction("updateDelay").staticCall(0n))).name,
      "TimelockUnauthorizedCaller",
    );
  });

  it("changes the oracle's signers and quorum only after the delay, with events; a stranger cannot schedule, the proposer can cancel", async function () {
    const o = w.d.oracle;
    const tl = w.d.oracleTimelock;
    const before = [...(await o.getFunction("signers")())];
    const next = [before[0], before[1], await stranger.getAddress()];
    const data = o.interface.encodeFunctionData("setSigners", [next, 3]);
    const asStranger = tl.connect(stranger) as Contract;
    assert.deepEqual(
      await refusal(
        tl,
        asStranger
          .getFunction("schedule")
          .staticCall(await o.getAddress(), 0n, data, ZeroHash, ZeroHash, WORLD_TIMELOCK_DELAY),
      ),
      {
        name: "AccessControlUnauthorizedAccount",
        args: [await stranger.getAddress(), id("PROPOSER_ROLE")],
      },
    );
    // a shorter delay than the minimum is refused
    assert.equal(
      (
        await refusal(
          tl,
          tl
            .getFunction("schedule")
            .staticCall(await o.getAddress(), 0n, data, ZeroHash, ZeroHash, 1n),
        )
      ).name,
      "TimelockInsufficientDelay",
    );
    const op = await schedule(tl, o, data);
    // before the delay: refused, and nothing changed
    assert.equal((await refusal(tl, op.tryExecute())).name, "TimelockUnexpectedOperationState");
    assert.deepEqual([...(await o.getFunction("signers")())], before);
    await increaseTime(WORLD_TIMELOCK_DELAY);
    const rc = await (await op.execute()).wait();
    const names = rc.logs
      .map((l: { topics: string[]; data: string }) => {
        for (const c of [o, tl]) {
          const e = c.interface.parseLog(l);
          if (e) return e.name;
        }
        return undefined;
      })
      .filter(Boolean);
    assert.deepEqual(names, [
      "SignerRemoved",
      "SignerRemoved",
      "SignerRemoved",
      "SignerAdded",
      "SignerAdded",
      "SignerAdded",
      "QuorumChanged",
      "CallExecuted",
    ]);
    assert.deepEqual([...(await o.getFunction("signers")())], next);
    // a change scheduled and cancelled never happens
    const undo = await schedule(tl, o, o.interface.encodeFunctionData("setSigners", [before, 3]));
    const cancelled = await (await tl.getFunction("cancel")(undo.id)).wait();
    assert.ok(
      cancelled.logs.some(
        (l: { topics: string[]; data: string }) => tl.interface.parseLog(l)?.name === "Cancelled",
      ),
    );
    await increaseTime(WORLD_TIMELOCK_DELAY);
    assert.equal((await refusal(tl, undo.execute())).name, "TimelockUnexpectedOperationState");
    assert.deepEqual([...(await o.getFunction("signers")())], next);
  });

  it("hands the guardian role over through the governance timelock, and refuses a zero guardian or leaving Settlement without an admin", async function () {
    const s = w.d.settlement;
    const tl = w.d.timelock;
    const g = await newGuardian.getAddress();
    const grant = await schedule(tl, s, s.interface.encodeFunctionData("grantRole", [GUARDIAN, g]));
    const zero = await schedule(
      tl,
      s,
      s.interface.encodeFunctionData("grantRole", [GUARDIAN, ZeroAddress]),
    );
    const renounce = await schedule(
      tl,
      s,
      s.interface.encodeFunctionData("renounceRole", [ADMIN, await tl.getAddress()]),
    );
    await increaseTime(WORLD_TIMELOCK_DELAY);
    await (await grant.execute()).wait();
    assert.equal(await s.getFunction("hasRole")(GUARDIAN, g), true);
    // the timelock passes on Settlement's own refusals
    assert.deepEqual(await refusal(s, zero.execute()), {
      name: "ZeroAccount",
      args: [GUARDIAN],
    });
    assert.deepEqual(await refusal(s, renounce.execute()), { name: "LastAdmin", args: [] });
    assert.equal(await s.getFunction("hasRole")(ADMIN, await tl.getAddress()), true);
  });

  it("pauses for at most MAX_PAUSE: the pause expires by itself, can be renewed and ended early, and refuses batches and deposits meanwhile", async function () {
    const s = w.d.settlement.connect(newGuardian) as Contract;
    const max = BigInt(await s.getFunction("MAX_PAUSE")());
    assert.equal(max, 3n * 86_400n);
    for (const d of [0n, max + 1n])
      assert.deepEqual(await refusal(s, s.getFunction("pause").staticCall(d)), {
        name: "BadPauseDuration",
        args: [d, max],
      });
    assert.equal(
      (await refusal(s, (s.connect(stranger) as Contract).getFunction("pause").staticCall(60n)))
        .name,
      "AccessControlUnauthorizedAccount",
    );
    // the guardian pauses for the longest it may
    const paused = await (await s.getFunction("pause")(max)).wait();
    const until = await s.getFunction("pausedUntil")();
    assert.equal(until, (await blockTime(paused)) + max);
    assert.equal(await s.getFunction("paused")(), true);
    // batches and deposits are refused meanwhile
    const op = w.d.settlement; // the operator
    assert.deepEqual(
      await refusal(op, op.getFunction("submitDeposits").staticCall(NO_PROOF, 0n, 1n, 1n)),
      { name: "ContractPaused", args: [until] },
    );
    const key = devKeyPair("paused-depositor").publicKey;
    const vault = w.d.vault.connect(stranger) as Contract;
    assert.deepEqual(
      await refusal(vault, vault.getFunction("deposit").staticCall(0n, key.x, key.y, 10n)),
      { name: "DepositsPaused", args: [until] },
    );
    // it ends by itself: a guardian that pauses and disappears stops nothing for good
    await increaseTime(Number(max));
    assert.equal(await s.getFunction("paused")(), false);
    await vault.getFunction("deposit").staticCall(0n, key.x, key.y, 10n);
    // renewed, it runs from the renewal; ended early, it is over at once
    await (await s.getFunction("pause")(100n)).wait();
    await increaseTime(50);
    const renewed = await (await s.getFunction("pause")(100n)).wait();
    assert.equal(await s.getFunction("pausedUntil")(), (await blockTime(renewed)) + 100n);
    await increaseTime(60);
    assert.equal(await s.getFunction("paused")(), true);
    const rc = await (await s.getFunction("unpause")()).wait();
    assert.ok(
      rc.logs.some(
        (l: { topics: string[]; data: string }) => s.interface.parseLog(l)?.name === "Unpaused",
      ),
    );
    assert.equal(await s.getFunction("paused")(), false);
    // the old guardian was not removed, and pausing is all a guardian can do
    assert.equal(
      await w.d.settlement.getFunction("hasRole")(GUARDIAN, await deployer.getAddress()),
      true,
    );
    assert.deepEqual(
      await refusal(
        s,
        s.getFunction("grantRole").staticCall(OPERATOR, await newGuardian.getAddress()),
      ),
      {
        name: "AccessControlUnauthorizedAccount",
        args: [await newGuardian.getAddress(), ADMIN],
      },
    );
  });
});
