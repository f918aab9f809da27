import assert from "node:assert/strict";
import { Contract, ZeroAddress, type JsonRpcSigner } from "ethers";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { depositQueueHash } from "../../prover/src/domain/transfers.ts";
import {
  increaseTime,
  prepareTestContracts,
  provider,
  revertName,
  signers,
} from "../helpers/chain.ts";
import { SMALL_ORDER_POINTS } from "../helpers/small-order.ts";

const DEADLINE = 3600n;
const MIN = 10n;
/** The rate limit: a day's window, no bound in practice, a day's delay (see withdrawal-limit.test.ts). */
const LIMIT = [86_400n, (1n << 192n) - 1n, 86_400n];

/**
 * The Vault on its own: the Settlement contract is played by a test stub (a settable pause
 * and credited-deposit count, and `credit` forwarded), so the Vault's rules can be broken
 * directly (the proven path is in settlement.test.ts and reclaim.test.ts).
 */
describe("Vault", function () {
  let owner: JsonRpcSigner;
  let user: JsonRpcSigner;
  let other: JsonRpcSigner;
  let libraries: Record<string, string>;
  const key = devKeyPair("vault-user").publicKey;

  async function deployed(
    name: string,
    args: unknown[] = [],
    libs: Record<string, string> = {},
  ): Promise<Contract> {
    const c = (await factory(name, owner, libs).deploy(...args)) as Contract;
    await c.waitForDeployment();
    return c;
  }

  async function reverts(p: Promise<unknown>, name: string) {
    await assert.rejects(p, (e: unknown) => {
      assert.equal(revertName(e), name);
      return true;
    });
  }

  /** A Vault of `tokenName` wired to a Settlement stub; `user` holds and approved tokens. */
  async function vaultWith(tokenName: string, opts: { depth?: number; fund?: bigint } = {}) {
    const token = await deployed(tokenName);
    const vault = await deployed(
      "Vault",
      [await token.getAddress(), opts.depth ?? 8, MIN, DEADLINE, ...LIMIT],
      libraries,
    );
    const stub = await deployed("SettlementStub");
    await (await vault.getFunction("setSettlement")(await stub.getAddress())).wait();
    for (const who of [user, other]) {
      await (
        await token.getFunction("mint")(await who.getAddress(), opts.fund ?? 10n ** 30n)
      ).wait();
      await (
        await (token.connect(who) as Contract).getFunction("approve")(
          await vault.getAddress(),
          2n ** 255n,
        )
      ).wait();
    }
    return { token, vault, stub, v: vault.connect(user) as Contract };
  }

  /** The Deposited event of a deposit transaction. */
  async function depositOf(vault: Contract, tx: Promise<{ wait(): Promise<unknown> }>) {
    const rc = (await (await tx).wait()) as { logs: { topics: string[]; data: string }[] };
    return rc.logs.map((l) => vault.interface.parseLog(l)).find((e) => e?.name === "Deposited")!
      .args;
  }

  before(async function () {
    await prepareTestContracts();
    [owner, user, other] = await signers(3);
    const t5 = await deployed("PoseidonT5");
    // T3 hashes a governed owner key (queueOwnerKey), T5 the deposit queue
    const t3 = await deployed("PoseidonT3");
    libraries = { PoseidonT3: await t3.getAddress(), PoseidonT5: await t5.getAddress() };
  });

  it("queues deposits as the Poseidon hash chain the circuit recomputes", async function () {
    const { token, vault, v } = await vaultWith("TestToken");
    await (await v.getFunction("deposit")(0n, key.x, key.y, 300n)).wait();
    await (await v.getFunction("deposit")(3n, 0n, 0n, 200n)).wait();
    const h1 = depositQueueHash(0n, { account: 3n, amount: 300n, pubKey: key });
    const h2 = depositQueueHash(h1, { account: 3n, amount: 200n, pubKey: { x: 0n, y: 0n } });
    assert.equal(await vault.getFunction("queueHashAt")(1n), h1);
    assert.equal(await vault.getFunction("queueHashAt")(2n), h2);
    assert.equal(await vault.getFunction("depositCount")(), 2n);
    assert.deepEqual([...(await vault.getFunction("depositQueue")())], [2n, 2n ** 64n - 1n]);
    assert.equal(await vault.getFunction("deposited")(3n), 500n);
    assert.equal(await token.getFunction("balanceOf")(await vault.getAddress()), 500n);
  });

  it("opens a sub-account isolated to one market, with its flag in the queue entry and the event; tops it up as any account", async function () {
    const { vault, v } = await vaultWith("TestToken");
    const opened = await depositOf(vault, v.getFunction("depositIsolated")(key.x, key.y, 300n, 1));
    assert.deepEqual([opened.account, opened.flag], [3n, 2n]);
    const h1 = depositQueueHash(0n, { account: 3n, amount: 300n, pubKey: key, isolatedMarket: 1 });
    assert.equal(await vault.getFunction("queueHashAt")(1n), h1);
    assert.notEqual(h1, depositQueueHash(0n, { account: 3n, amount: 300n, pubKey: key }));
    // a top-up carries no flag: the leaf keeps its own
    const top = await depositOf(vault, v.getFunction("deposit")(3n, 0n, 0n, 200n));
    assert.equal(top.flag, 0n);
    const h2 = depositQueueHash(h1, { account: 3n, amount: 200n, pubKey: { x: 0n, y: 0n } });
    assert.equal(await vault.getFunction("queueHashAt")(2n), h2);
    // Settlement (the stub) has 2 markets: market 2 does not exist, nor 255
    await reverts(v.getFunction("depositIsolated").staticCall(key.x, key.y, 300n, 2), "BadMarket");
    await reverts(
      v.getFunction("depositIsolated").staticCall(key.x, key.y, 300n, 255),
      "BadMarket",
    );
    // the new account's rules hold as for deposit
    await reverts(v.getFunction("depositIsolated").staticCall(1n, 2n, 300n, 0), "BadPublicKey");
    await reverts(v.getFunction("depositIsolated").staticCall(key.x, key.y, 0n, 0), "BadAmount");
  });

  it("refuses bad deposits with their reasons", async function () {
    const { v } = await vaultWith("TestToken");
    await reverts(v.getFunction("deposit").staticCall(0n, key.x, key.y, 0n), "BadAmount");
    // dust: below the minimum (which exists so that dust cannot delay everyone's deposits)
    await reverts(v.getFunction("deposit").staticCall(0n, key.x, key.y, MIN - 1n), "BadAmount");
    await v.getFunction("deposit").staticCall(0n, key.x, key.y, MIN);
    // one deposit moves less than 2^92 (the circuits' width)
    await reverts(v.getFunction("deposit").staticCall(0n, key.x, key.y, 1n << 92n), "BadAmount");
    await v.getFunction("deposit").staticCall(0n, key.x, key.y, (1n << 92n) - 1n);
    await reverts(v.getFunction("deposit").staticCall(0n, 5n, 7n, MIN), "BadPublicKey");
    await reverts(v.getFunction("deposit").staticCall(7n, 0n, 0n, MIN), "UnknownAccount");
    await reverts(v.getFunction("queueHashAt").staticCall(1n), "UnknownQueuePosition");
  });

  it("refuses every key of small order (8 * A = O), and takes a good key", async function () {
    const { v } = await vaultWith("TestToken");
    assert.equal(SMALL_ORDER_POINTS.length, 8);
    for (const [x, y] of SMALL_ORDER_POINTS)
      await reverts(v.getFunction("deposit").staticCall(0n, x, y, MIN), "SmallOrderKey");
    // a point of large order, and one off the curve next to a small-order point
    await v.getFunction("deposit").staticCall(0n, key.x, key.y, MIN);
    const [x4] = SMALL_ORDER_POINTS[2];
    await reverts(v.getFunction("deposit").staticCall(0n, x4, 1n, MIN), "BadPublicKey");
  });

  it("caps what all deposits to one account add up to, so no sequence of deposits overflows it", async function () {
    // 2^126 / 2^32 = 2^94 at depth 32; at depth 8 the cap is 2^100
    const deep = await vaultWith("TestToken", { depth: 32 });
    assert.equal(await deep.vault.getFunction("accountDepositCap")(), 1n << 94n);
    const shallow = await vaultWith("TestToken");
    assert.equal(await shallow.vault.getFunction("accountDepositCap")(), 1n << 100n);
    const { v, vault } = deep;
    const max = (1n << 92n) - 1n;
    await (await v.getFunction("deposit")(0n, key.x, key.y, max - 6n)).wait();
    for (let i = 0; i < 3; i++) await (await v.getFunction("deposit")(3n, 0n, 0n, max)).wait();
    assert.equal(await vault.getFunction("deposited")(3n), (1n << 94n) - MIN);
    // anyone may top up any account, but never past the cap
    await reverts(
      (vault.connect(other) as Contract).getFunction("deposit").staticCall(3n, 0n, 0n, 5n * MIN),
      "AccountCapExceeded",
    );
    await (await v.getFunction("deposit")(3n, 0n, 0n, MIN)).wait();
    assert.equal(await vault.getFunction("deposited")(3n), 1n << 94n);
    await reverts(v.getFunction("deposit").staticCall(3n, 0n, 0n, MIN), "AccountCapExceeded");
  });

  it("credits what arrived from a token that skims a fee on transfer", async function () {
    const { token, vault, v } = await vaultWith("FeeOnTransferToken");
    const ev = await depositOf(vault, v.getFunction("deposit")(0n, key.x, key.y, 1000n));
    // 1% burnt on the way: 990 arrived, and 990 is what the queue credits
    assert.equal(ev.amount, 990n);
    assert.equal(await token.getFunction("balanceOf")(await vault.getAddress()), 990n);
    assert.equal(
      await vault.getFunction("queueHashAt")(1n),
      depositQueueHash(0n, { account: 3n, amount: 990n, pubKey: key }),
    );
    assert.equal(await vault.getFunction("deposited")(3n), 990n);
  });

  it("refuses deposits while Settlement is paused, and before it is wired", async function () {
    const { stub, v } = await vaultWith("TestToken");
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    await (await stub.getFunction("setPausedUntil")(now + 100n)).wait();
    await reverts(v.getFunction("deposit").staticCall(0n, key.x, key.y, MIN), "DepositsPaused");
    await increaseTime(101);
    await v.getFunction("deposit").staticCall(0n, key.x, key.y, MIN);
    const token = await deployed("TestToken");
    const unwired = await deployed(
      "Vault",
      [await token.getAddress(), 8, MIN, DEADLINE, ...LIMIT],
      libraries,
    );
    await reverts(
      (unwired.connect(user) as Contract).getFunction("deposit").staticCall(0n, key.x, key.y, MIN),
      "SettlementNotSet",
    );
  });

  it("refuses constructor arguments out of range", async function () {
    const t = await (await deployed("TestToken")).getAddress();
    for (const args of [
      [t, 0, MIN, DEADLINE, ...LIMIT],
      [t, 33, MIN, DEADLINE, ...LIMIT],
      [t, 8, 0n, DEADLINE, ...LIMIT],
      [t, 8, 1n << 92n, DEADLINE, ...LIMIT],
      [t, 8, MIN, 0n, ...LIMIT],
    ]) {
      const f = factory("Vault", owner, libraries);
      await assert.rejects(f.deploy(...args), (e: unknown) => {
        const data = (e as { data?: string }).data;
        assert.equal(data && f.interface.parseError(data)?.name, "BadSetup");
        return true;
      });
    }
  });

  describe("reclaiming a deposit the operator did not credit", function () {
    async function queued() {
      const w = await vaultWith("TestToken");
      const a = await depositOf(w.vault, w.v.getFunction("deposit")(0n, key.x, key.y, 700n));
      const b = await depositOf(
        w.vault,
        (w.vault.connect(other) as Contract).getFunction("deposit")(3n, 0n, 0n, 300n),
      );
      const entry = (e: typeof a) => [e.index, e.account, e.amount, e.pkX, e.pkY] as const;
      return { ...w, a: entry(a), b: entry(b) };
    }

    it("refuses before the deadline, by anyone but the depositor, and for a wrong entry; pays once after it", async function () {
      const { token, vault, v, a } = await queued();
      const u = await user.getAddress();
      await reverts(v.getFunction("reclaimDeposit").staticCall(...a), "DeadlineNotReached");
      await increaseTime(Number(DEADLINE));
      await reverts(
        (vault.connect(other) as Contract).getFunction("reclaimDeposit").staticCall(...a),
        "NotDepositor",
      );
      // the amount must be the one queued (no more can be taken out than went in)
      await reverts(
        v.getFunction("reclaimDeposit").staticCall(a[0], a[1], a[2] + 1n, a[3], a[4]),
        "WrongQueueEntry",
      );
      await reverts(
        v.getFunction("reclaimDeposit").staticCall(5n, a[1], a[2], a[3], a[4]),
        "UnknownQueuePosition",
      );
      const before = await token.getFunction("balanceOf")(u);
      const rc = await (await v.getFunction("reclaimDeposit")(...a)).wait();
      assert.ok(
        rc.logs.some(
          (l: { topics: string[]; data: string }) =>
            vault.interface.parseLog(l)?.name === "DepositReclaimed",
        ),
      );
      assert.equal(await token.getFunction("balanceOf")(u), before + 700n);
      await reverts(v.getFunction("reclaimDeposit").staticCall(...a), "AlreadyReclaimed");
      assert.deepEqual([...(await vault.getFunction("depositEntry")(0n))].slice(2), [true]);
      assert.equal(await vault.getFunction("deposited")(3n), 300n);
      // the queue is closed from there on: Settlement credits nothing at or after position 0
      assert.deepEqual([...(await vault.getFunction("depositQueue")())], [2n, 0n]);
      await reverts(v.getFunction("deposit").staticCall(3n, 0n, 0n, MIN), "DepositQueueClosed");
    });

    it("pays back an isolated sub-account's deposit, rebuilding its entry with the flag", async function () {
      const w = await vaultWith("TestToken");
      const e = await depositOf(w.vault, w.v.getFunction("depositIsolated")(key.x, key.y, 700n, 0));
      const args = [e.index, e.account, e.amount, e.pkX, e.pkY] as const;
      await increaseTime(Number(DEADLINE));
      const u = await user.getAddress();
      const before = await w.token.getFunction("balanceOf")(u);
      await (await w.v.getFunction("reclaimDeposit")(...args)).wait();
      assert.equal(await w.token.getFunction("balanceOf")(u), before + 700n);
    });

    it("refuses a deposit already credited, and pays back the next one after its deadline", async function () {
      const { vault, stub, v, a, b } = await queued();
      await (await stub.getFunction("setDepositsProcessed")(1n)).wait();
      await increaseTime(Number(DEADLINE));
      await reverts(v.getFunction("reclaimDeposit").staticCall(...a), "DepositCredited");
      // position 1 is reclaimed after its deadline ...
      const o = vault.connect(other) as Contract;
      await (await o.getFunction("reclaimDeposit")(...b)).wait();
      assert.equal(await vault.getFunction("firstReclaimed")(), 1n);
    });

    it("extends the deadline by the time Settlement spent paused since the deposit, and pays the later deposits of a closed queue at once", async function () {
      const { vault, stub, v, a, b } = await queued();
      // 1000 s of pause since the deposits: the operator could not credit anything meanwhile
      await (await stub.getFunction("setPausedTime")(1000n)).wait();
      await increaseTime(Number(DEADLINE) + 500);
      await reverts(v.getFunction("reclaimDeposit").staticCall(...a), "DeadlineNotReached");
      await increaseTime(500);
      await (await v.getFunction("reclaimDeposit")(...a)).wait();
      // position 1 can never be credited now (the queue ends at 0): no need to wait
      const o = vault.connect(other) as Contract;
      await (await o.getFunction("reclaimDeposit")(...b)).wait();
      assert.equal(await vault.getFunction("firstReclaimed")(), 0n);
    });
  });

  describe("payments", function () {
    it("lets only the Settlement contract credit, pays once, and sets the settlement once", async function () {
      const { token, vault, stub } = await vaultWith("TestToken", { fund: 0n });
      await (await token.getFunction("mint")(await vault.getAddress(), 1000n)).wait();
      const u = await user.getAddress();
      await reverts(
        (vault.connect(user) as Contract).getFunction("credit").staticCall(u, 5n),
        "NotSettlement",
      );
      await reverts(vault.getFunction("setSettlement").staticCall(u), "SettlementAlreadySet");
      await (await stub.getFunction("credit")(await vault.getAddress(), u, 400n)).wait();
      assert.equal(await vault.getFunction("totalOwed")(), 400n);
      await (await (vault.connect(user) as Contract).getFunction("claim")()).wait();
      assert.equal(await token.getFunction("balanceOf")(u), 400n);
      await reverts(
        (vault.connect(user) as Contract).getFunction("claim").staticCall(),
        "NothingOwed",
      );
      assert.equal(await vault.getFunction("totalOwed")(), 0n);
    });

    it("pays a recipient that cannot call claim (a contract) through claimFor, by anyone; never the zero address", async function () {
      const { token, vault, stub } = await vaultWith("TestToken", { fund: 0n });
      await (await token.getFunction("mint")(await vault.getAddress(), 1000n)).wait();
      const recipient = await deployed("NoClaimRecipient");
      const r = await recipient.getAddress();
      await (await stub.getFunction("credit")(await vault.getAddress(), r, 250n)).wait();
      // a stranger pays the recipient: the tokens go to the recipient, not the caller
      const o = vault.connect(other) as Contract;
      await (await o.getFunction("claimFor")(r)).wait();
      assert.equal(await token.getFunction("balanceOf")(r), 250n);
      assert.equal(await token.getFunction("balanceOf")(await other.getAddress()), 0n);
      assert.equal(await vault.getFunction("owed")(r), 0n);
      await reverts(o.getFunction("claimFor").staticCall(r), "NothingOwed");
      await (await stub.getFunction("credit")(await vault.getAddress(), ZeroAddress, 5n)).wait();
      await reverts(o.getFunction("claimFor").staticCall(ZeroAddress), "ZeroRecipient");
    });

    it("is not paid twice by a token that re-enters during the payment", async function () {
      const { token, vault, stub } = await vaultWith("ReentrantToken", { fund: 0n });
      await (await token.getFunction("mint")(await vault.getAddress(), 1000n)).wait();
      const attacker = await deployed("ClaimAttacker", [await vault.getAddress()]);
      const a = await attacker.getAddress();
      await (await stub.getFunction("credit")(await vault.getAddress(), a, 300n)).wait();
      await (await attacker.getFunction("attack")()).wait();
      assert.equal(
        await attacker.getFunction("reentryFailed")(),
        true,
        "the nested claim was refused",
      );
      assert.equal(await token.getFunction("balanceOf")(a), 300n, "paid exactly once");
      assert.equal(await vault.getFunction("owed")(a), 0n);
    });
  });
});
