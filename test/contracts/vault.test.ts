import assert from "node:assert/strict";
import { Contract, type JsonRpcSigner } from "ethers";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { depositQueueHash } from "../../prover/src/domain/transfers.ts";
import { prepareTestContracts, revertName, signers } from "../helpers/chain.ts";

/**
 * The Vault on its own: the Settlement role is played by a plain account here, so the
 * payment rules can be broken directly (the proven path is in settlement.test.ts).
 */
describe("Vault", function () {
  let owner: JsonRpcSigner;
  let settlement: JsonRpcSigner;
  let user: JsonRpcSigner;
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

  async function vaultWith(tokenName: string) {
    const token = await deployed(tokenName);
    const vault = await deployed("Vault", [await token.getAddress(), 8], libraries);
    await (await vault.getFunction("setSettlement")(await settlement.getAddress())).wait();
    return { token, vault };
  }

  before(async function () {
    await prepareTestContracts();
    [owner, settlement, user] = await signers(3);
    const t5 = await deployed("PoseidonT5");
    libraries = { PoseidonT5: await t5.getAddress() };
  });

  it("queues deposits as the Poseidon hash chain the circuit recomputes", async function () {
    const { token, vault } = await vaultWith("TestToken");
    await (await token.getFunction("mint")(await user.getAddress(), 1000n)).wait();
    const v = vault.connect(user) as Contract;
    await (
      await (token.connect(user) as Contract).getFunction("approve")(
        await vault.getAddress(),
        1000n,
      )
    ).wait();
    await (await v.getFunction("deposit")(0n, key.x, key.y, 300n)).wait();
    await (await v.getFunction("deposit")(3n, 0n, 0n, 200n)).wait();
    const h1 = depositQueueHash(0n, { account: 3n, amount: 300n, pubKey: key });
    const h2 = depositQueueHash(h1, { account: 3n, amount: 200n, pubKey: { x: 0n, y: 0n } });
    assert.equal(await vault.getFunction("queueHashAt")(1n), h1);
    assert.equal(await vault.getFunction("queueHashAt")(2n), h2);
    assert.equal(await vault.getFunction("depositCount")(), 2n);
    assert.equal(await token.getFunction("balanceOf")(await vault.getAddress()), 500n);
  });

  it("refuses bad deposits with their reasons", async function () {
    const { token, vault } = await vaultWith("TestToken");
    await (await token.getFunction("mint")(await user.getAddress(), 10n ** 30n)).wait();
    await (
      await (token.connect(user) as Contract).getFunction("approve")(
        await vault.getAddress(),
        10n ** 30n,
      )
    ).wait();
    const v = vault.connect(user) as Contract;
    await reverts(v.getFunction("deposit").staticCall(0n, key.x, key.y, 0n), "BadAmount");
    await reverts(v.getFunction("deposit").staticCall(0n, key.x, key.y, 1n << 92n), "BadAmount");
    await reverts(v.getFunction("deposit").staticCall(0n, 5n, 7n, 1n), "BadPublicKey");
    await reverts(v.getFunction("deposit").staticCall(0n, 0n, 1n, 1n), "BadPublicKey");
    await reverts(v.getFunction("deposit").staticCall(7n, 0n, 0n, 1n), "UnknownAccount");
    await reverts(v.getFunction("queueHashAt").staticCall(1n), "UnknownQueuePosition");
  });

  it("lets only the Settlement contract credit, pays once, and sets the settlement once", async function () {
    const { token, vault } = await vaultWith("TestToken");
    await (await token.getFunction("mint")(await vault.getAddress(), 1000n)).wait();
    const u = await user.getAddress();
    await reverts(
      (vault.connect(user) as Contract).getFunction("credit").staticCall(u, 5n),
      "NotSettlement",
    );
    await reverts(vault.getFunction("setSettlement").staticCall(u), "SettlementAlreadySet");
    await (await (vault.connect(settlement) as Contract).getFunction("credit")(u, 400n)).wait();
    assert.equal(await vault.getFunction("totalOwed")(), 400n);
    await (await (vault.connect(user) as Contract).getFunction("claim")()).wait();
    assert.equal(await token.getFunction("balanceOf")(u), 400n);
    await reverts(
      (vault.connect(user) as Contract).getFunction("claim").staticCall(),
      "NothingOwed",
    );
    assert.equal(await vault.getFunction("totalOwed")(), 0n);
  });

  it("is not paid twice by a token that re-enters during the payment", async function () {
    const { token, vault } = await vaultWith("ReentrantToken");
    await (await token.getFunction("mint")(await vault.getAddress(), 1000n)).wait();
    const attacker = await deployed("ClaimAttacker", [await vault.getAddress()]);
    const a = await attacker.getAddress();
    await (await (vault.connect(settlement) as Contract).getFunction("credit")(a, 300n)).wait();
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
