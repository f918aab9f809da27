import assert from "node:assert/strict";
import { Contract, ZeroHash, id, type JsonRpcSigner } from "ethers";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { depositQueueHash } from "../../prover/src/domain/transfers.ts";
import {
  deposit,
  setupWorld,
  WORLD_TIMELOCK_DELAY,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";
import { SMALL_ORDER_POINTS } from "../helpers/small-order.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const NEW_KEY = devKeyPair("rotated fee owner").publicKey;

/**
 * Vault.queueOwnerKey: only the governance (Settlement's DEFAULT_ADMIN_ROLE, the timelock)
 * queues a new owner key for the fee account or the fund, after the timelock's delay, as a
 * deposit-queue entry of amount 0 that cannot be reclaimed.
 */
describe("Vault.queueOwnerKey: owner key rotation by the governance", function () {
  let w: World;
  let deployer: JsonRpcSigner;
  let operator: JsonRpcSigner;
  let guardian: JsonRpcSigner;
  let stranger: JsonRpcSigner;
  let fundOwner: JsonRpcSigner;
  let vault: Contract;
  let timelock: Contract;
  let salt = 0;

  before(async function () {
    await prepareTestContracts();
    [deployer, operator, guardian, stranger, fundOwner] = await signers(5);
    w = await setupWorld(P, deployer, [fundOwner], {
      deploy: { operator: await operator.getAddress(), guardian: await guardian.getAddress() },
    });
    vault = w.d.vault;
    timelock = w.d.timelock;
    assert.equal(await timelock.getFunction("getMinDelay")(), BigInt(WORLD_TIMELOCK_DELAY));
    // the fund owner's Ethereum address has topped the fund up: it gains no power from it
    await deposit(
      w,
      { signer: fundOwner, keys: w.participants[0].keys, account: INSURANCE_ACCOUNT },
      1000n,
    );
  });

  const queueData = (account: bigint, k: { x: bigint; y: bigint }) =>
    vault.interface.encodeFunctionData("queueOwnerKey", [account, k.x, k.y]);

  /** Schedules `data` on the Vault through the governance timelock; returns execute(). */
  async function schedule(data: string) {
    const to = await vault.getAddress();
    const s = id(`owner-key-${salt++}`);
    const rc = await (
      await timelock.getFunction("schedule")(to, 0n, data, ZeroHash, s, WORLD_TIMELOCK_DELAY)
    ).wait();
    const ev = rc.logs
      .map((l: { topics: string[]; data: string }) => timelock.interface.parseLog(l))
      .find((e: { name: string } | null) => e?.name === "CallScheduled");
    assert.ok(ev, "CallScheduled");
    return {
      execute: () => timelock.getFunction("execute")(to, 0n, data, ZeroHash, s),
      tryExecute: () => timelock.getFunction("execute").staticCall(to, 0n, data, ZeroHash, s),
    };
  }

  it("refuses every caller but the governance, naming the caller", async function () {
    for (const who of [stranger, operator, guardian, fundOwner, deployer]) {
      const v = vault.connect(who) as Contract;
      const r = await refusal(
        vault,
        v.getFunction("queueOwnerKey").staticCall(FEE_ACCOUNT, NEW_KEY.x, NEW_KEY.y),
      );
      assert.deepEqual(r, { name: "NotGovernance", args: [await who.getAddress()] });
    }
    // the oracle's timelock governs the oracle, not Settlement: refused too
    assert.equal(
      await w.d.settlement.getFunction("hasRole")(ZeroHash, w.deployment.roles.oracleTimelock),
      false,
    );
  });

  it("waits out the timelock's delay, then queues the key as an amount-0 entry with its events", async function () {
    const [countBefore] = (await vault.getFunction("depositQueue")()) as bigint[];
    const prev = (await vault.getFunction("queueHashAt")(countBefore)) as bigint;
    const op = await schedule(queueData(FEE_ACCOUNT, NEW_KEY));
    assert.equal(
      (await refusal(timelock, op.tryExecute())).name,
      "TimelockUnexpectedOperationState",
    );
    await increaseTime(WORLD_TIMELOCK_DELAY);
    const rc = await (await op.execute()).wait();
    const events = rc.logs
      .map((l: { topics: string[]; data: string }) => {
        try {
          return vault.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .filter((e: unknown) => e);
    const dep = events.find((e: { name: string }) => e.name === "Deposited")!.args;
    const queued = events.find((e: { name: string }) => e.name === "OwnerKeyQueued")!.args;
    const tl = await timelock.getAddress();
    const h = depositQueueHash(prev, { account: FEE_ACCOUNT, amount: 0n, pubKey: NEW_KEY });
    assert.deepEqual(
      [dep.index, dep.account, dep.from, dep.pkX, dep.pkY, dep.amount, dep.queueHash],
      [countBefore, FEE_ACCOUNT, tl, NEW_KEY.x, NEW_KEY.y, 0n, h],
    );
    assert.deepEqual(
      [queued.index, queued.account, queued.pkX, queued.pkY],
      [countBefore, FEE_ACCOUNT, NEW_KEY.x, NEW_KEY.y],
    );
    assert.equal(await vault.getFunction("queueHashAt")(countBefore + 1n), h);
    // it credits nothing: the exit pool and the account's deposits are unchanged
    assert.equal(await vault.getFunction("deposited")(FEE_ACCOUNT), 0n);

    // nobody can reclaim it: not a stranger (not its depositor), not the governance (nothing to pay)
    const entry = [countBefore, FEE_ACCOUNT, 0n, NEW_KEY.x, NEW_KEY.y] as const;
    assert.deepEqual(
      await refusal(
        vault,
        (vault.connect(stranger) as Contract).getFunction("reclaimDeposit").staticCall(...entry),
      ),
      { name: "NotDepositor", args: [countBefore, tl] },
    );
    const reclaim = await schedule(vault.interface.encodeFunctionData("reclaimDeposit", entry));
    await increaseTime(WORLD_TIMELOCK_DELAY);
    assert.deepEqual(await refusal(vault, reclaim.tryExecute()), {
      name: "NothingToReclaim",
      args: [countBefore],
    });
  });

  it("refuses a trader's account, an off-curve key and each small-order key (through the timelock)", async function () {
    const bad = [
      { data: queueData(3n, NEW_KEY), error: "NotOwnedAccount", args: [3n] },
      { data: queueData(0n, NEW_KEY), error: "NotOwnedAccount", args: [0n] },
      { data: queueData(INSURANCE_ACCOUNT, { x: 5n, y: 7n }), error: "BadPublicKey", args: [] },
      ...SMALL_ORDER_POINTS.map(([x, y]) => ({
        data: queueData(INSURANCE_ACCOUNT, { x, y }),
        error: "SmallOrderKey",
        args: [] as bigint[],
      })),
    ];
    const ops = [];
    for (const b of bad) ops.push({ ...b, op: await schedule(b.data) });
    await increaseTime(WORLD_TIMELOCK_DELAY);
    for (const b of ops)
      assert.deepEqual(await refusal(vault, b.op.tryExecute()), { name: b.error, args: b.args });
  });

  it("is queued while Settlement is paused (a pause does not hold a rotation back), unlike a deposit", async function () {
    const op = await schedule(queueData(INSURANCE_ACCOUNT, NEW_KEY));
    await increaseTime(WORLD_TIMELOCK_DELAY);
    const s = w.d.settlement.connect(guardian) as Contract;
    await (await s.getFunction("pause")(3600n)).wait();
    const until = (await w.d.settlement.getFunction("pausedUntil")()) as bigint;
    const k = w.participants[0].keys.publicKey;
    assert.deepEqual(
      await refusal(
        vault,
        (vault.connect(fundOwner) as Contract).getFunction("deposit").staticCall(0n, k.x, k.y, 5n),
      ),
      { name: "DepositsPaused", args: [until] },
    );
    const [count] = (await vault.getFunction("depositQueue")()) as bigint[];
    await (await op.execute()).wait();
    const [, , , , position] = (await vault.getFunction("ownerRotation")(
      INSURANCE_ACCOUNT,
    )) as bigint[];
    assert.equal(position, count);
    assert.equal((await vault.getFunction("depositQueue")())[0], count + 1n);
    await (await s.getFunction("unpause")()).wait();
  });
});
