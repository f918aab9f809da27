import assert from "node:assert/strict";
import { Contract, ZeroHash } from "ethers";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { equity } from "../../prover/src/domain/margin.ts";
import { exitPayout, shareExitPool } from "../../prover/src/domain/exit.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  proveExit,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  writeBatchFile,
  WORLD_TIMELOCK_DELAY,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";
import { audit, codes, tempDir } from "../audit/helpers.ts";

const P = PARAM_SETS.test;
const DAY = 86_400;
const DEADLINE = 4 * DAY;
const WINDOW = 2 * DAY;
const MARKS = [60_000_00n, 3_000_00n];
const FUND = 200_000n;
const TREASURY = "0x00000000000000000000000000000000000fee01";
/** The fee and fund owners' keys in a test world's genesis leaves (INSECURE development keys). */
const OWNERS = devOwnerKeys();

/**
 * A world where trader A is long one lot (10% margin) against B, C is flat, D's deposit is
 * never credited, and the oracle's last round before the freeze crashes market 0 to
 * `crash`: A is under water. Nothing is answered, D's deposit becomes overdue, anyone
 * freezes; then every account exits with a real proof.
 */
async function frozenWorld(crash: bigint): Promise<{
  w: World;
  t: Participant[];
  olderRoot: Awaited<ReturnType<typeof proveExit>>;
  dIndex: bigint;
  files: string;
}> {
  const s = await signers(5);
  const w = await setupWorld(P, s[0], s.slice(1), {
    deploy: { forcedDeadline: DEADLINE, exitWindow: WINDOW },
  });
  const [a, b, c, d] = w.participants;
  await deposit(w, a, 1_000_000n);
  await deposit(w, b, 100_000_000n);
  await deposit(w, c, 500_000n);
  // the batch files, as the operator publishes them: the auditor replays them
  const files = tempDir("zkclear-exit-");
  writeBatchFile(w, files, 0, (await settleDeposits(w)).data);
  await deposit(w, { signer: b.signer, keys: b.keys, account: INSURANCE_ACCOUNT }, FUND);
  writeBatchFile(w, files, 1, (await settleDeposits(w)).data);
  // C's exit against the tree before the trade, at the marks the freeze will record
  const olderRoot = await proveExit(w, c.account!, `0x${"c0".repeat(20)}`, c.keys, [
    crash,
    MARKS[1],
  ]);
  await postRound(w, MARKS);
  const k = (x: Participant) => ({ index: x.account!, keys: x.keys });
  const o = (x: Participant, side: "buy" | "sell") =>
    order(w, k(x), { market: 0, side, nonce: 1n, amount: 1n, limitPrice: MARKS[0] });
  const trade = await settleTradeBatch(w, [
    { buy: o(a, "buy"), sell: o(b, "sell"), qty: 1n, price: MARKS[0], takerIsBuyer: true },
  ]);
  writeBatchFile(w, files, 2, trade.data);
  // D deposits; the operator never credits it
  await deposit(w, d, 300_000n);
  const dIndex = BigInt(await w.d.vault.getFunction("depositCount")()) - 1n;
  w.pending.length = 0;
  await increaseTime(DEADLINE);
  await postRound(w, [crash, MARKS[1]]);
  return { w, t: [a, b, c, d], olderRoot, dIndex, files };
}

let salts = 0;

/**
 * Schedules Settlement.exit(args) through the governance timelock (Settlement's admin) and
 * waits out its delay; returns the call to execute it, and its dry run. The admin has no
 * power over exits: the tests use it to show it gets no more than a stranger.
 */
async function asAdmin(w: World, args: readonly unknown[]) {
  const tl = w.d.timelock;
  const to = await w.d.settlement.getAddress();
  const data = w.d.settlement.interface.encodeFunctionData("exit", args);
  const salt = `0x${(++salts).toString(16).padStart(64, "0")}`;
  await (
    await tl.getFunction("schedule")(to, 0n, data, ZeroHash, salt, WORLD_TIMELOCK_DELAY)
  ).wait();
  await increaseTime(WORLD_TIMELOCK_DELAY);
  return {
    execute: async () => (await tl.getFunction("execute")(to, 0n, data, ZeroHash, salt)).wait(),
    dryRun: () => tl.getFunction("execute").staticCall(to, 0n, data, ZeroHash, salt),
  };
}

const big = (xs: Iterable<unknown>) => [...xs].map((x) => BigInt(x as bigint));

describe("exits after a freeze (real chain, real proofs, test parameters)", function () {
  after(terminateCurve);
  before(prepareTestContracts);

  describe("a shortfall larger than the insurance fund and the fee account: traders share pro rata", function () {
    let w: World;
    let t: Participant[];
    let settlement: Contract;
    let pool: bigint;
    let olderRoot: Awaited<ReturnType<typeof proveExit>>;
    let dIndex: bigint;
    let files: string;
    const to = (i: number) => `0x${(0xe0 + i).toString(16).padStart(40, "0")}`;

    before(async function () {
      ({ w, t, olderRoot, dIndex, files } = await frozenWorld(40_000_00n));
      settlement = w.d.settlement;
    });

    it("refuses an exit before the freeze", async function () {
      const e = await proveExit(w, t[2].account!, to(2), t[2].keys);
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("exit").staticCall(...e.args)),
        { name: "NotFrozen", args: [] },
      );
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("settleExit").staticCall(t[2].account!)),
        { name: "NotFrozen", args: [] },
      );
    });

    it("freezes on the overdue deposit, records the pool, and the depositor reclaims it once", async function () {
      const d = t[3];
      const rc = await (await settlement.getFunction("freeze")()).wait();
      console.log(`      gas of a freeze: ${rc.gasUsed}`);
      const [p, claimed, late, windowEnd] = big(await settlement.getFunction("exitInfo")());
      const block = await rc.getBlock();
      assert.equal(windowEnd, BigInt(block.timestamp + WINDOW));
      assert.deepEqual([claimed, late], [0n, 0n]);
      // the pool is what the tree holds: every account's equity at the marks, signed
      const vault = w.d.vault;
      const held = BigInt(await w.d.token.getFunction("balanceOf")(await vault.getAddress()));
      assert.equal(p, held - 300_000n, "D's uncredited deposit is not the tree's");
      let sum = 0n;
      for (const [, a] of w.state.entries()) sum += equity(a, w.marks);
      assert.equal(p, sum, "the pool is the sum of all equities");
      pool = p;
      const args = [dIndex, d.account!, 300_000n, d.keys.publicKey.x, d.keys.publicKey.y];
      const vd = vault.connect(d.signer) as Contract;
      await (await vd.getFunction("reclaimDeposit")(...args)).wait();
      assert.equal(
        (await refusal(vault, vd.getFunction("reclaimDeposit").staticCall(...args))).name,
        "AlreadyReclaimed",
      );
      assert.equal(
        BigInt(await w.d.token.getFunction("balanceOf")(await vault.getAddress())),
        pool,
      );
    });

    it("takes claims in the window: the under-water account claims 0, and nobody exits twice", async function () {
      const [a, b] = t;
      assert.ok(equity(w.state.getAccount(a.account!), w.marks) < 0n, "A is under water");
      const ea = await proveExit(w, a.account!, to(0), a.keys);
      assert.equal(ea.input.payout, 0n);
      await (await settlement.getFunction("exit")(...ea.args)).wait();
      const eb = await proveExit(w, b.account!, to(1), b.keys);
      console.log(`      exit proof (test depth): ${eb.proveMs} ms`);
      const rc = await (await settlement.getFunction("exit")(...eb.args)).wait();
      console.log(`      gas of an exit claim: ${rc.gasUsed}`);
      assert.deepEqual(
        big(
          (await settlement.getFunction("exitOf")(b.account!)).filter(
            (_: unknown, i: number) => i !== 1,
          ),
        ),
        [1n, eb.input.payout, 0n],
      );
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("exit").staticCall(...eb.args)),
        { name: "AlreadyExited", args: [b.account!] },
      );
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("settleExit").staticCall(b.account!)),
        { name: "ExitWindowOpen", args: [big(await settlement.getFunction("exitInfo")())[3]] },
      );
    });

    it("refuses another account's data, another recipient or payout, and a proof against an older root", async function () {
      const [, b, c] = t;
      const ec = await proveExit(w, c.account!, to(2), c.keys);
      const call = (args: readonly unknown[]) =>
        refusal(settlement, settlement.getFunction("exit").staticCall(...args));
      const [proof, account, recipient, payout] = ec.args;
      // C's proof presented for D's account (which has no leaf)
      assert.equal(
        (await call([proof, t[3].account!, recipient, payout, 0n])).name,
        "InvalidExitProof",
      );
      assert.equal((await call([proof, account, to(9), payout, 0n])).name, "InvalidExitProof");
      assert.equal(
        (await call([proof, account, recipient, payout + 1n, 0n])).name,
        "InvalidExitProof",
      );
      assert.deepEqual(await call([proof, b.account!, recipient, payout, 0n]), {
        name: "AlreadyExited",
        args: [b.account!],
      });
      // C's leaf against the root before the trade, at the frozen round's marks
      assert.notEqual(olderRoot.input.root, w.state.root);
      assert.equal((await call(olderRoot.args)).name, "InvalidExitProof");
      // the marks of an older round: another binding than the frozen round's
      const stale = await proveExit(w, c.account!, to(2), c.keys, MARKS);
      assert.equal((await call(stale.args)).name, "InvalidExitProof");
      // D's deposit was never credited: it has no leaf, and no proof can be made for it
      assert.throws(() => w.state.getAccount(t[3].account!));
      // C's own exit is a claim
      await (await settlement.getFunction("exit")(...ec.args)).wait();
    });

    it("refuses a system account's exit, owner-signed, before the second window, whoever sends it (SystemExit)", async function () {
      const ef = await proveExit(w, FEE_ACCOUNT, TREASURY, OWNERS.fee);
      const stranger = settlement.connect(t[3].signer) as Contract;
      const send = () => stranger.getFunction("exit").staticCall(...ef.args);
      // in the window
      assert.deepEqual(await refusal(settlement, send()), {
        name: "SystemExit",
        args: [FEE_ACCOUNT],
      });
      // the admin (the governance timelock) is refused alike: it has no say over exits
      const early = await asAdmin(w, ef.args);
      assert.deepEqual(await refusal(settlement, early.dryRun()), {
        name: "SystemExit",
        args: [FEE_ACCOUNT],
      });
      await increaseTime(WINDOW);
      // after the window, in the second one (late traders first): still refused
      assert.deepEqual(await refusal(settlement, send()), {
        name: "SystemExit",
        args: [FEE_ACCOUNT],
      });
    });

    it("after the window pays each claim pro rata; the system accounts get what is left (nothing); the Vault never pays more than the pool", async function () {
      const [a, b, c] = t;
      const [, claimed] = big(await settlement.getFunction("exitInfo")());
      const claims = [a, b, c].map((x) =>
        exitPayout(w.state.getAccount(x.account!), w.marks, w.fundingIndices),
      );
      assert.equal(claimed, claims[0] + claims[1] + claims[2]);
      assert.ok(claimed > pool, "the claims exceed the pool: a shortfall");
      for (const x of [a, b, c]) {
        const rc = await (await settlement.getFunction("settleExit")(x.account!)).wait();
        if (x === b) console.log(`      gas of settleExit: ${rc.gasUsed}`);
      }
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("settleExit").staticCall(b.account!)),
        { name: "NothingToSettle", args: [b.account!] },
      );
      const ef = await proveExit(w, FEE_ACCOUNT, TREASURY, OWNERS.fee);
      const ei = await proveExit(w, INSURANCE_ACCOUNT, TREASURY, OWNERS.fund);
      assert.ok(ef.input.payout > 0n && ei.input.payout > 0n);
      await increaseTime(WINDOW);
      // after the second window, sent by a stranger: the insurance fund not before the fees
      const stranger = settlement.connect(t[3].signer) as Contract;
      assert.deepEqual(
        await refusal(settlement, stranger.getFunction("exit").staticCall(...ei.args)),
        { name: "SystemExit", args: [INSURANCE_ACCOUNT] },
      );
      // the admin cannot name another recipient for the owner-signed proof: the proof binds it
      const [proof, account, , payout] = ef.args;
      const admin = await w.d.timelock.getAddress();
      assert.deepEqual(
        await refusal(settlement, (await asAdmin(w, [proof, account, admin, payout, 0n])).dryRun()),
        { name: "InvalidExitProof", args: [] },
      );
      const rc = await (await stranger.getFunction("exit")(...ef.args)).wait();
      console.log(`      gas of the fee account's exit after the second window: ${rc.gasUsed}`);
      await (await stranger.getFunction("exit")(...ei.args)).wait();
      for (const acc of [FEE_ACCOUNT, INSURANCE_ACCOUNT]) {
        const [status, recipient] = await settlement.getFunction("exitOf")(acc);
        assert.deepEqual([status, String(recipient).toLowerCase()], [2n, TREASURY]);
      }
      const expected = shareExitPool(pool, claims, [ef.input.payout, ei.input.payout]);
      const paid = async (acc: bigint) => big(await settlement.getFunction("exitOf")(acc))[3];
      assert.deepEqual(
        [await paid(a.account!), await paid(b.account!), await paid(c.account!)],
        expected.window,
      );
      assert.ok(
        expected.window[1] < claims[1] && expected.window[2] < claims[2],
        "B and C share the shortfall",
      );
      assert.equal(
        (expected.window[1] * claims[2]) / claims[1] - expected.window[2] <= 1n,
        true,
        "pro rata",
      );
      assert.deepEqual([await paid(FEE_ACCOUNT), await paid(INSURANCE_ACCOUNT)], [0n, 0n]);
      assert.deepEqual(expected.late, [0n, 0n]);
      const owed = BigInt(await w.d.vault.getFunction("totalOwed")());
      const held = BigInt(await w.d.token.getFunction("balanceOf")(await w.d.vault.getAddress()));
      assert.equal(
        held - owed,
        pool - expected.window[1] - expected.window[2],
        "only rounding is left",
      );
      assert.ok(held - owed < 3n);
      // the recipients are paid by the Vault
      await (await w.d.vault.getFunction("claimFor")(to(1))).wait();
      assert.equal(BigInt(await w.d.token.getFunction("balanceOf")(to(1))), expected.window[1]);
      // an auditor replays the published files and checks the freeze and every exit
      const report = await audit(w, files);
      assert.deepEqual(codes(report), []);
      assert.equal(report.ok, true);
    });
  });

  describe("a shortfall smaller than the insurance fund: traders and the fee account are paid in full", function () {
    it("the insurance fund bears the whole shortfall", async function () {
      const { w, t } = await frozenWorld(49_500_00n);
      const settlement = w.d.settlement;
      const [a, b, c] = t;
      const deficit = -equity(w.state.getAccount(a.account!), w.marks);
      assert.ok(deficit > 0n && deficit < FUND, "A is under water by less than the fund");
      await (await settlement.getFunction("freeze")()).wait();
      const pool = big(await settlement.getFunction("exitInfo")())[0];
      const claims = [];
      for (const x of [a, b]) {
        const e = await proveExit(w, x.account!, `0x${"ab".repeat(20)}`, x.keys);
        await (await settlement.getFunction("exit")(...e.args)).wait();
        claims.push(e.input.payout);
      }
      await increaseTime(WINDOW);
      for (const x of [a, b]) await (await settlement.getFunction("settleExit")(x.account!)).wait();
      // C exits late, in the second window: paid at once, before the system accounts
      const ec = await proveExit(w, c.account!, `0x${"ab".repeat(20)}`, c.keys);
      const rcLate = await (await settlement.getFunction("exit")(...ec.args)).wait();
      console.log(`      gas of a late exit (paid at once): ${rcLate.gasUsed}`);
      claims.push(ec.input.payout);
      await increaseTime(WINDOW);
      // after the second window a stranger sends the owners' signed exits, fees first: each is
      // paid to the treasury its owner signed
      const ef = await proveExit(w, FEE_ACCOUNT, TREASURY, OWNERS.fee);
      const ei = await proveExit(w, INSURANCE_ACCOUNT, TREASURY, OWNERS.fund);
      const stranger = settlement.connect(t[3].signer) as Contract;
      await (await stranger.getFunction("exit")(...ef.args)).wait();
      await (await stranger.getFunction("exit")(...ei.args)).wait();
      const owed = BigInt(await w.d.vault.getFunction("owed")(TREASURY));
      const paid = async (acc: bigint) => big(await settlement.getFunction("exitOf")(acc))[3];
      const expected = shareExitPool(pool, claims.slice(0, 2), [
        claims[2],
        ef.input.payout,
        ei.input.payout,
      ]);
      assert.deepEqual(
        [await paid(a.account!), await paid(b.account!), await paid(c.account!)],
        claims,
        "traders are paid in full",
      );
      assert.equal(await paid(FEE_ACCOUNT), ef.input.payout, "the fee account in full");
      assert.equal(await paid(INSURANCE_ACCOUNT), expected.late[2]);
      assert.equal(ei.input.payout - expected.late[2], deficit, "the fund bears the shortfall");
      assert.equal(expected.left, 0n);
      // the Vault owes the signed treasury both system payments, and pays them to it
      assert.equal(owed, ef.input.payout + expected.late[2]);
      await (await w.d.vault.getFunction("claimFor")(TREASURY)).wait();
      assert.equal(BigInt(await w.d.token.getFunction("balanceOf")(TREASURY)), owed);
    });
  });
});
