import assert from "node:assert/strict";
import type { Contract, JsonRpcSigner } from "ethers";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { claimOwed } from "../../prover/src/cli/claim.ts";
import type { EscapeChain } from "../../prover/src/cli/escape-common.ts";
import { prepareTestContracts, provider, signers } from "../helpers/chain.ts";

/**
 * `zkclear claim` (claimOwed) racing another payer: anyone may pay a recipient (claimFor,
 * claimDelayed), so a stranger's (or a bot's, or the recipient's second terminal's) payment
 * may land first. claimOwed skips what someone else paid and still pays the rest (found by
 * the attack review: it used to stop with the Vault's raw revert before the matured delayed
 * credit). The automine is off so both land in one block, the stranger's first.
 */
describe("zkclear claim racing another payer", function () {
  let owner: JsonRpcSigner;
  let victim: JsonRpcSigner;
  let stranger: JsonRpcSigner;

  async function deployed(name: string, args: unknown[] = [], libs = {}): Promise<Contract> {
    const c = (await factory(name, owner, libs).deploy(...args)) as Contract;
    await c.waitForDeployment();
    return c;
  }

  before(async function () {
    await prepareTestContracts();
    [owner, victim, stranger] = await signers(3);
  });

  it("skips what someone else paid first and pays the matured delayed credit", async function () {
    const t3 = await deployed("PoseidonT3");
    const t5 = await deployed("PoseidonT5");
    const libs = { PoseidonT3: await t3.getAddress(), PoseidonT5: await t5.getAddress() };
    const token = await deployed("TestToken");
    const vault = await deployed(
      "Vault",
      [await token.getAddress(), 8, 1n, 3600n, 3600n, 1000n, 60n],
      libs,
    );
    const stub = await deployed("SettlementStub");
    await (await vault.getFunction("setSettlement")(await stub.getAddress())).wait();
    await (await token.getFunction("mint")(await vault.getAddress(), 10n ** 6n)).wait();
    const v = await victim.getAddress();
    const credit = async (amount: bigint) =>
      (await stub.getFunction("credit")(await vault.getAddress(), v, amount)).wait();
    await credit(500n);
    await credit(1500n);
    await provider.send("evm_increaseTime", [3600]);
    await provider.send("evm_mine", []);
    const c = {
      vault: vault.connect(victim),
      provider,
      deployment: { block: 0 },
    } as unknown as EscapeChain;
    await provider.send("evm_setAutomine", [false]);
    let outcome: { error?: unknown; paid?: Awaited<ReturnType<typeof claimOwed>> } = {};
    try {
      const vs = vault.connect(stranger) as Contract;
      await vs.getFunction("claimFor")(v);
      const p = claimOwed(c, v).then(
        (paid) => ({ paid }),
        (error: unknown) => ({ error }),
      );
      // the stranger's payment and claimOwed's claimFor land in the next block
      await new Promise((r) => setTimeout(r, 1500));
      let settled = false;
      void p.then(() => (settled = true));
      for (let i = 0; i < 20 && !settled; i++) {
        await provider.send("evm_mine", []);
        await new Promise((r) => setTimeout(r, 200));
      }
      outcome = await p;
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
    assert.equal(outcome.error, undefined, String(outcome.error));
    // the stranger paid the 500 owed at once; claimOwed paid the matured 1,500
    assert.equal(outcome.paid?.owed, 0n);
    assert.deepEqual(
      outcome.paid?.delayed.map((d) => [d.id, d.amount]),
      [[0n, 1500n]],
    );
    assert.equal(outcome.paid?.total, 1500n);
    assert.equal(await token.getFunction("balanceOf")(v), 2000n);
    assert.equal(((await vault.getFunction("delayedCredit")(0n)) as unknown[])[4], true);
  });
});
