import assert from "node:assert/strict";
import { Contract, ZeroAddress, type JsonRpcSigner } from "ethers";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { prepareTestContracts, provider, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const WINDOW = 3600n;
const BOUND = 1000n;
const DELAY = 86_400n;
const DAYS_7 = 7n * 86_400n;

/**
 * The Vault's withdrawal rate limit (WithdrawalLimit.sol) on its own: Settlement is played by
 * the test stub (its pause clock and freeze are set by hand, `credit` forwarded), so each
 * rule is broken directly. The proven path (a real withdrawal batch over the bound) is in
 * withdrawal-limit-proven.test.ts.
 */
describe("Vault: withdrawals above a bound per window wait for a delay", function () {
  let owner: JsonRpcSigner;
  let alice: JsonRpcSigner;
  let stranger: JsonRpcSigner;
  let libraries: Record<string, string>;

  async function deployed(name: string, args: unknown[] = [], libs = {}): Promise<Contract> {
    const c = (await factory(name, owner, libs).deploy(...args)) as Contract;
    await c.waitForDeployment();
    return c;
  }

  const now = async () =>
    BigInt(
      (
        (await provider.send("eth_getBlockByNumber", ["latest", false])) as {
          timestamp: string;
        }
      ).timestamp,
    );

  /** Mines the next block at `t` (unix seconds). */
  async function at(t: bigint) {
    await provider.send("evm_setNextBlockTimestamp", [Number(t)]);
    await provider.send("evm_mine", []);
  }

  /** The next transaction lands `s` seconds into a fresh window. */
  async function freshWindow(s = 10n) {
    const t = await now();
    await provider.send("evm_setNextBlockTimestamp", [Number((t / WINDOW + 1n) * WINDOW + s)]);
  }

  /** A Vault with the limit, wired to a stub, holding 10^6 tokens. */
  async function limited(limit: bigint[] = [WINDOW, BOUND, DELAY]) {
    const token = await deployed("TestToken");
    const vault = await deployed(
      "Vault",
      [await token.getAddress(), 8, 1n, 3600n, ...limit],
      libraries,
    );
    const stub = await deployed("SettlementStub");
    await (await vault.getFunction("setSettlement")(await stub.getAddress())).wait();
    await (await token.getFunction("mint")(await vault.getAddress(), 10n ** 6n)).wait();
    const credit = async (to: string, amount: bigint) =>
      (await stub.getFunction("credit")(await vault.getAddress(), to, amount)).wait();
    return { token, vault, stub, credit, v: (s: JsonRpcSigner) => vault.connect(s) as Contract };
  }

  /** The CreditDelayed events of a receipt. */
  const delayedIn = (vault: Contract, rc: { logs: { topics: string[]; data: string }[] }) =>
    rc.logs
      .map((l) => vault.interface.parseLog(l))
      .filter((e) => e?.name === "CreditDelayed")
      .map((e) => e!.args);

  before(async function () {
    await prepareTestContracts();
    [owner, alice, stranger] = await signers(3);
    const t3 = await deployed("PoseidonT3");
    const t5 = await deployed("PoseidonT5");
    libraries = { PoseidonT3: await t3.getAddress(), PoseidonT5: await t5.getAddress() };
  });

  it("refuses a window or bound of 0, a bound over 2^192 - 1, a delay of 0 or over 7 days (BadWithdrawalLimit)", async function () {
    const t = await (await deployed("TestToken")).getAddress();
    for (const limit of [
      [0n, BOUND, DELAY],
      [WINDOW, 0n, DELAY],
      [WINDOW, 1n << 192n, DELAY],
      [WINDOW, BOUND, 0n],
      [WINDOW, BOUND, DAYS_7 + 1n],
    ]) {
      const f = factory("Vault", owner, libraries);
      await assert.rejects(f.deploy(t, 8, 1n, 3600n, ...limit), (e: unknown) => {
        const data = (e as { data?: string }).data;
        const r = data ? f.interface.parseError(data) : null;
        assert.equal(r?.name, "BadWithdrawalLimit");
        assert.deepEqual([...r!.args], limit);
        return true;
      });
    }
    // the extremes are taken, and read back
    const v = await deployed("Vault", [t, 8, 1n, 3600n, 1n, (1n << 192n) - 1n, DAYS_7], libraries);
    assert.equal(await v.getFunction("withdrawalWindow")(), 1n);
    assert.equal(await v.getFunction("withdrawalBound")(), (1n << 192n) - 1n);
    assert.equal(await v.getFunction("withdrawalDelay")(), DAYS_7);
    assert.equal(await v.getFunction("MAX_WITHDRAWAL_DELAY")(), DAYS_7);
  });

  it("owes at once within the window's bound, delays a credit beyond it (still owed), and lets only Settlement credit", async function () {
    const { vault, credit, v } = await limited();
    const a = await alice.getAddress();
    assert.equal(
      (await refusal(vault, v(alice).getFunction("credit").staticCall(a, 5n))).name,
      "NotSettlement",
    );
    await freshWindow();
    await credit(a, 600n);
    // 600 + 400 = the bound: still at once
    const rc = await credit(a, 400n);
    assert.deepEqual(delayedIn(vault, rc), []);
    assert.equal(await vault.getFunction("owed")(a), 1000n);
    // one unit more is beyond it: the whole credit waits
    const t = await now();
    const rc2 = await credit(a, 1n);
    const [ev] = delayedIn(vault, rc2);
    assert.deepEqual([ev.id, ev.recipient, ev.amount, ev.claimableAt], [0n, a, 1n, t + 1n + DELAY]);
    assert.equal(await vault.getFunction("owed")(a), 1000n, "not owed at once");
    assert.equal(await vault.getFunction("totalOwed")(), 1001n, "but owed by the Vault");
    assert.equal(await vault.getFunction("delayedCreditCount")(), 1n);
    const [, used] = (await vault.getFunction("withdrawalWindowUse")()) as bigint[];
    assert.equal(used, 1000n, "a delayed credit does not count in the window");
    // a credit that fits is still paid at once after one that did not (bound 1000, used 1000: 0 fits)
    await credit(a, 0n);
    assert.equal(await vault.getFunction("delayedCreditCount")(), 1n);
  });

  it("rolls the window over: the next window has the whole bound again", async function () {
    const { vault, credit } = await limited();
    const a = await alice.getAddress();
    await freshWindow();
    await credit(a, 1000n);
    await credit(a, 1n);
    assert.equal(await vault.getFunction("delayedCreditCount")(), 1n);
    await freshWindow(0n);
    await credit(a, 1000n);
    assert.equal(await vault.getFunction("owed")(a), 2000n);
    assert.equal(await vault.getFunction("delayedCreditCount")(), 1n);
    const [start, used] = (await vault.getFunction("withdrawalWindowUse")()) as bigint[];
    assert.equal(start % WINDOW, 0n);
    assert.equal(used, 1000n);
  });

  it("refuses a claim before maturity with the time, pays the recipient after it even when a stranger calls, once; refuses an unknown id", async function () {
    const { token, vault, credit, v } = await limited();
    const a = await alice.getAddress();
    await freshWindow();
    await credit(a, 1500n);
    const [, , creditedAt, claimableAt] = (await vault.getFunction("delayedCredit")(
      0n,
    )) as bigint[];
    assert.equal(claimableAt, creditedAt + DELAY);
    const early = await refusal(vault, v(stranger).getFunction("claimDelayed").staticCall(0n));
    assert.deepEqual([early.name, ...early.args], ["DelayNotOver", 0n, claimableAt]);
    const unknown = await refusal(vault, v(stranger).getFunction("claimDelayed").staticCall(1n));
    assert.deepEqual([unknown.name, ...unknown.args], ["UnknownDelayedCredit", 1n]);
    await at(claimableAt - 1n);
    assert.equal(
      (await refusal(vault, v(stranger).getFunction("claimDelayed").staticCall(0n))).name,
      "DelayNotOver",
    );
    await provider.send("evm_setNextBlockTimestamp", [Number(claimableAt)]);
    const rc = await (await v(stranger).getFunction("claimDelayed")(0n)).wait();
    const ev = rc.logs
      .map((l: { topics: string[]; data: string }) => vault.interface.parseLog(l))
      .find((e: { name: string } | null) => e?.name === "DelayedCreditClaimed");
    assert.deepEqual([ev.args.id, ev.args.recipient, ev.args.amount], [0n, a, 1500n]);
    assert.equal(await token.getFunction("balanceOf")(a), 1500n, "paid to the recipient");
    assert.equal(await token.getFunction("balanceOf")(await stranger.getAddress()), 0n);
    assert.equal(await vault.getFunction("totalOwed")(), 0n);
    const twice = await refusal(vault, v(alice).getFunction("claimDelayed").staticCall(0n));
    assert.deepEqual([twice.name, ...twice.args], ["DelayedCreditPaid", 0n]);
    assert.equal(((await vault.getFunction("delayedCredit")(0n)) as unknown[])[4], true);
    // claim() pays what is owed at once only, never a delayed credit
    assert.equal(
      (await refusal(vault, v(alice).getFunction("claim").staticCall())).name,
      "NothingOwed",
    );
  });

  it("extends a pending delay by the time Settlement spends paused, and counts a pause in progress to its end", async function () {
    const { vault, stub, credit, v } = await limited();
    const a = await alice.getAddress();
    await freshWindow();
    await credit(a, 2000n);
    const [, , creditedAt] = (await vault.getFunction("delayedCredit")(0n)) as bigint[];
    // 1000 s of pause since the credit: the delay ends 1000 s later
    await at(creditedAt + 1000n);
    await (await stub.getFunction("setPausedTime")(1000n)).wait();
    const [, , , claimableAt] = (await vault.getFunction("delayedCredit")(0n)) as bigint[];
    assert.equal(claimableAt, creditedAt + DELAY + 1000n);
    await at(creditedAt + DELAY);
    const r = await refusal(vault, v(stranger).getFunction("claimDelayed").staticCall(0n));
    assert.deepEqual([r.name, ...r.args], ["DelayNotOver", 0n, creditedAt + DELAY + 1000n]);
    // paused now until t + 500: the clock stands still until then (the pause so far is in
    // pausedTime already, as Settlement counts it)
    const t = await now();
    await (await stub.getFunction("setPausedUntil")(t + 500n)).wait();
    const r2 = await refusal(vault, v(stranger).getFunction("claimDelayed").staticCall(0n));
    // T, the call's block time, is a second or two after t: unpaused = T - creditedAt - 1000
    const expected = (T: bigint) => t + 500n + DELAY - (T - creditedAt - 1000n);
    const got = r2.args[1] as bigint;
    assert.ok(got <= expected(t + 1n) && got >= expected(t + 5n), `${got}`);
    assert.ok(got > t + 500n, "later than the pause's end");
    // the pause ends (and counted 500 s in all): paid once the unpaused time reaches the delay
    await (await stub.getFunction("setPausedUntil")(0n)).wait();
    await (await stub.getFunction("setPausedTime")(1500n)).wait();
    await at(creditedAt + DELAY + 1500n);
    await (await v(stranger).getFunction("claimDelayed")(0n)).wait();
    assert.equal(await vault.getFunction("totalOwed")(), 0n);
  });

  it("lets pauses extend a credit by at most MAX_PAUSE_EXTENSION in all: a guardian renewing its pause never holds it for good", async function () {
    const { token, vault, stub, credit, v } = await limited();
    const a = await alice.getAddress();
    const cap = BigInt(await vault.getFunction("MAX_PAUSE_EXTENSION")());
    assert.equal(cap, 7n * 86_400n);
    await freshWindow();
    await credit(a, 2000n);
    const [, , creditedAt] = (await vault.getFunction("delayedCredit")(0n)) as bigint[];
    const latest = creditedAt + DELAY + cap;
    // 30 days of renewed pauses since the credit, and paused still, for 3 more days (the
    // Settlement stub's clock: a real guardian renews Settlement.pause every 3 days)
    await at(creditedAt + 30n * 86_400n - 10n);
    await (await stub.getFunction("setPausedTime")(30n * 86_400n - 100n)).wait();
    await (await stub.getFunction("setPausedUntil")(creditedAt + 33n * 86_400n)).wait();
    const [, , , claimableAt] = (await vault.getFunction("delayedCredit")(0n)) as bigint[];
    assert.equal(claimableAt, latest, "matured at the cap, not at the pause's end");
    await (await v(stranger).getFunction("claimDelayed")(0n)).wait();
    assert.equal(await token.getFunction("balanceOf")(a), 2000n);
  });

  it("holds a credit for the pauses, up to the cap: seconds before it, not mature", async function () {
    const { stub, credit, v, vault } = await limited();
    const a = await alice.getAddress();
    const cap = BigInt(await vault.getFunction("MAX_PAUSE_EXTENSION")());
    await freshWindow();
    await credit(a, 2000n);
    const [, , creditedAt] = (await vault.getFunction("delayedCredit")(0n)) as bigint[];
    // a few seconds before the cap (the two stub calls below mine a block each)
    await at(creditedAt + DELAY + cap - 10n);
    await (await stub.getFunction("setPausedTime")(cap + 100n)).wait();
    await (await stub.getFunction("setPausedUntil")(creditedAt + 60n * 86_400n)).wait();
    const r = await refusal(vault, v(stranger).getFunction("claimDelayed").staticCall(0n));
    assert.deepEqual([r.name, ...r.args], ["DelayNotOver", 0n, creditedAt + DELAY + cap]);
  });

  it("after a freeze (exits credit through the same rule): delayed alike, never cancelled, paid after the delay", async function () {
    const { token, vault, stub, credit, v } = await limited();
    const a = await alice.getAddress();
    await freshWindow();
    await credit(a, 1500n);
    await (await stub.getFunction("setFrozen")(true)).wait();
    // an exit's credit after the freeze: within the bound at once, beyond it delayed
    await credit(a, 800n);
    await credit(a, 300n);
    assert.equal(await vault.getFunction("owed")(a), 800n);
    assert.equal(await vault.getFunction("delayedCreditCount")(), 2n);
    // what is delayed stays out of the exits' pool: the Vault owes it
    assert.equal(await vault.getFunction("totalOwed")(), 2600n);
    assert.equal(await vault.getFunction("exitPool")(0n), 10n ** 6n - 2600n);
    const [, , , claimableAt] = (await vault.getFunction("delayedCredit")(1n)) as bigint[];
    await at(claimableAt);
    for (const id of [0n, 1n]) await (await v(stranger).getFunction("claimDelayed")(id)).wait();
    assert.equal(await token.getFunction("balanceOf")(a), 1800n);
    assert.equal(await vault.getFunction("totalOwed")(), 800n);
  });

  it("never pays a delayed credit to the zero address (ZeroRecipient)", async function () {
    const { vault, credit, v } = await limited();
    await freshWindow();
    await credit(ZeroAddress, 1001n);
    const [, , , claimableAt] = (await vault.getFunction("delayedCredit")(0n)) as bigint[];
    await at(claimableAt);
    assert.equal(
      (await refusal(vault, v(stranger).getFunction("claimDelayed").staticCall(0n))).name,
      "ZeroRecipient",
    );
  });
});
