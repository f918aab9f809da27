import assert from "node:assert/strict";
import { Contract, ZeroHash, id } from "ethers";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { exitSignerHash } from "../../prover/src/domain/exit.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { PARAM_SETS } from "../../prover/src/domain/params.ts";
import {
  deposit,
  postRound,
  proveExit,
  settleDeposits,
  setupWorld,
  WORLD_TIMELOCK_DELAY,
  writeBatchFile,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { audit, codes, tempDir } from "../audit/helpers.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, provider, signers } from "../helpers/chain.ts";
import { refusal } from "./refusal.ts";

const P = PARAM_SETS.test;
const DAY = 86_400;
const DEADLINE = 4 * DAY;
const WINDOW = 2 * DAY;
const MARKS = [60_000_00n, 3_000_00n];
const FUND = 200_000n;
const NONE = 2n ** 64n - 1n;
const TREASURY = "0x00000000000000000000000000000000000fee01";
const THIEF = "0x0000000000000000000000000000000000bad001";
/** The genesis owners (INSECURE development keys: here, the stolen ones). */
const OLD = devOwnerKeys();
const NEW_FUND = devKeyPair("governed fund owner");

let salts = 0;

/**
 * Schedules Vault.queueOwnerKey(account, key) on the governance timelock and (unless `wait`
 * is false) waits out its delay; `run` executes it.
 */
async function rotate(w: World, account: bigint, key: { x: bigint; y: bigint }, wait = true) {
  const vault = w.d.vault;
  const tl = w.d.timelock;
  const to = await vault.getAddress();
  const data = vault.interface.encodeFunctionData("queueOwnerKey", [account, key.x, key.y]);
  const salt = id(`censor-${salts++}`);
  await (
    await tl.getFunction("schedule")(to, 0n, data, ZeroHash, salt, WORLD_TIMELOCK_DELAY)
  ).wait();
  if (wait) await increaseTime(WORLD_TIMELOCK_DELAY);
  return {
    run: async () => {
      const rc = await (await tl.getFunction("execute")(to, 0n, data, ZeroHash, salt)).wait();
      const events = rc.logs
        .map((l: { topics: string[]; data: string }) => {
          try {
            return vault.interface.parseLog(l);
          } catch {
            return null;
          }
        })
        .filter((e: unknown) => e) as { name: string; args: Record<string, bigint> }[];
      const block = await rc.getBlock();
      return { events, time: BigInt(block.timestamp) };
    },
    dryRun: () => tl.getFunction("execute").staticCall(to, 0n, data, ZeroHash, salt),
  };
}

/** A world whose fund holds FUND (credited), with a posted round. */
async function fundedWorld(): Promise<{ w: World; t: Participant[]; files: string }> {
  const s = await signers(3);
  const w = await setupWorld(P, s[0], s.slice(1), {
    deploy: { forcedDeadline: DEADLINE, exitWindow: WINDOW },
  });
  const [a] = w.participants;
  await deposit(w, { signer: a.signer, keys: a.keys, account: INSURANCE_ACCOUNT }, FUND);
  // the batch file, as the operator publishes it: the auditor replays it
  const files = tempDir("zkclear-censor-");
  writeBatchFile(w, files, 0, (await settleDeposits(w)).data);
  await postRound(w, MARKS);
  return { w, t: w.participants, files };
}

const ownerRotation = async (w: World, account: bigint) =>
  [...(await w.d.vault.getFunction("ownerRotation")(account))] as bigint[];

/**
 * The review's finding: an operator censors an owner key rotation, by closing the deposit
 * queue in front of it (a sock puppet's deposit it never credits, reclaimed) or by never
 * crediting it. Either way a freeze becomes due forcedDeadline after the rotation, and the
 * system exit is then signed by the governed key, never by the old (stolen) one.
 */
describe("a censored owner key rotation: freeze due, the governed key signs the exit", function () {
  after(terminateCurve);

  describe("the queue closed by a reclaim before the rotation (the review's scenario)", function () {
    let w: World;
    let t: Participant[];
    let files: string;
    let settlement: Contract;

    before(async function () {
      await prepareTestContracts();
      ({ w, t, files } = await fundedWorld());
      settlement = w.d.settlement;
    });

    it("records the rotation without a queue entry once a reclaim closed the queue", async function () {
      const vault = w.d.vault;
      const puppet = t[1];
      await deposit(w, puppet, 1_000_000n);
      w.pending.length = 0; // the operator never credits it
      const index = BigInt(await vault.getFunction("depositCount")()) - 1n;
      await increaseTime(Number(await vault.getFunction("depositDeadline")()));
      const pk = puppet.keys.publicKey;
      await (
        await (vault.connect(puppet.signer) as Contract).getFunction("reclaimDeposit")(
          index,
          puppet.account!,
          1_000_000n,
          pk.x,
          pk.y,
        )
      ).wait();
      assert.deepEqual([...(await vault.getFunction("depositQueue")())], [index + 1n, index]);
      // nothing is waiting: a reclaimed deposit never makes a freeze due
      assert.deepEqual(await refusal(settlement, settlement.getFunction("freeze").staticCall()), {
        name: "NothingOverdue",
        args: [0n, 0n],
      });
      const op = await rotate(w, INSURANCE_ACCOUNT, NEW_FUND.publicKey);
      const { events, time } = await op.run();
      assert.deepEqual(
        events.map((e) => e.name),
        ["OwnerKeyStranded"],
        "no queue entry (no Deposited, no OwnerKeyQueued)",
      );
      assert.equal(await vault.getFunction("depositCount")(), index + 1n);
      assert.deepEqual(await ownerRotation(w, INSURANCE_ACCOUNT), [
        NEW_FUND.publicKey.x,
        NEW_FUND.publicKey.y,
        exitSignerHash(NEW_FUND.publicKey),
        time,
        NONE,
      ]);
      // overdue forcedDeadline after it was recorded, not before
      assert.deepEqual(await refusal(settlement, settlement.getFunction("freeze").staticCall()), {
        name: "NothingOverdue",
        args: [0n, time + BigInt(DEADLINE)],
      });
      // the auditor reads it from the Vault (no queue event shows it) and reports it
      const report = await audit(w, files);
      assert.deepEqual(codes(report), []);
      assert.ok(
        report.notes.some((n) =>
          n.startsWith(`owner key rotation stranded: account 2 to ${NEW_FUND.publicKey.x},`),
        ),
        report.notes.join("\n"),
      );
    });

    it("after forcedDeadline anyone freezes; once the system exits open the governance can rotate no more", async function () {
      await increaseTime(DEADLINE);
      await (await settlement.getFunction("freeze")()).wait();
      const op = await rotate(w, FEE_ACCOUNT, devKeyPair("too late").publicKey);
      await increaseTime(2 * WINDOW);
      assert.deepEqual(await refusal(w.d.vault, op.dryRun()), { name: "ExchangeFrozen", args: [] });
      assert.equal((await ownerRotation(w, FEE_ACCOUNT))[3], 0n, "the fee account: never rotated");
    });

    it("refuses a non-zero signer for the fee account (no rotation pending) and takes its leaf-key exit", async function () {
      const stray = devKeyPair("not a governed key");
      const e = await proveExit(w, FEE_ACCOUNT, TREASURY, stray, w.marks, w.fundingIndices, true);
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("exit").staticCall(...e.args)),
        { name: "WrongExitSigner", args: [FEE_ACCOUNT, 0n] },
      );
      const ok = await proveExit(w, FEE_ACCOUNT, TREASURY, OLD.fee);
      assert.equal(ok.input.signer, 0n);
      await (await settlement.getFunction("exit")(...ok.args)).wait();
    });

    it("refuses the old (stolen) fund key's exit and pays the governed key's", async function () {
      const hash = exitSignerHash(NEW_FUND.publicKey);
      const old = await proveExit(w, INSURANCE_ACCOUNT, THIEF, OLD.fund);
      const exit = (args: readonly unknown[]) =>
        refusal(settlement, settlement.getFunction("exit").staticCall(...args));
      // the leaf's (old) key with signer 0: the pending rotation is named instead
      assert.deepEqual(await exit(old.args), {
        name: "WrongExitSigner",
        args: [INSURANCE_ACCOUNT, hash],
      });
      // the old key's proof presented with the governed key's signer: the proof fails
      const [proof, account, recipient, payout] = old.args;
      assert.deepEqual(await exit([proof, account, recipient, payout, hash]), {
        name: "InvalidExitProof",
        args: [],
      });
      const e = await proveExit(
        w,
        INSURANCE_ACCOUNT,
        TREASURY,
        NEW_FUND,
        w.marks,
        w.fundingIndices,
        true,
      );
      assert.equal(e.input.signer, hash);
      assert.equal(e.input.payout, FUND);
      await (await settlement.getFunction("exit")(...e.args)).wait();
      const [status, to, proven, paid] = [
        ...(await settlement.getFunction("exitOf")(INSURANCE_ACCOUNT)),
      ];
      assert.deepEqual(
        [status, String(to).toLowerCase(), proven, paid],
        [2n, TREASURY, FUND, FUND],
      );
    });
  });

  describe("a rotation the operator never credits (the queue open)", function () {
    let w: World;
    let files: string;
    let settlement: Contract;
    let position: bigint;

    before(async function () {
      await prepareTestContracts();
      ({ w, files } = await fundedWorld());
      settlement = w.d.settlement;
    });

    it("queues it at a position; uncredited, it makes a freeze due forcedDeadline later", async function () {
      const op = await rotate(w, INSURANCE_ACCOUNT, NEW_FUND.publicKey);
      const { events, time } = await op.run();
      const queued = events.find((e) => e.name === "OwnerKeyQueued")!;
      position = queued.args.index;
      assert.equal((await ownerRotation(w, INSURANCE_ACCOUNT))[4], position);
      const vault = w.d.vault;
      // pending until a batch credits its position; credited, it names no signer
      assert.equal(
        await vault.getFunction("exitSigner")(INSURANCE_ACCOUNT, position),
        exitSignerHash(NEW_FUND.publicKey),
      );
      assert.equal(await vault.getFunction("exitSigner")(INSURANCE_ACCOUNT, position + 1n), 0n);
      assert.equal(await vault.getFunction("exitSigner")(FEE_ACCOUNT, 0n), 0n);
      // the auditor reports the pending rotation
      const report = await audit(w, files);
      assert.ok(
        report.notes.some((n) =>
          n.startsWith(
            `owner key rotation pending: account 2 (insurance fund) to ${NEW_FUND.publicKey.x},`,
          ),
        ),
        report.notes.join("\n"),
      );
      assert.deepEqual(await refusal(settlement, settlement.getFunction("freeze").staticCall()), {
        name: "NothingOverdue",
        args: [0n, time + BigInt(DEADLINE)],
      });
      await increaseTime(DEADLINE);
      await (await settlement.getFunction("freeze")()).wait();
    });

    it("lets the fund exit without the fee account only after a third window (SystemExit before)", async function () {
      await increaseTime(2 * WINDOW);
      const old = await proveExit(w, INSURANCE_ACCOUNT, THIEF, OLD.fund);
      const e = await proveExit(
        w,
        INSURANCE_ACCOUNT,
        TREASURY,
        NEW_FUND,
        w.marks,
        w.fundingIndices,
        true,
      );
      // the fee owner never exits: in the third window the fund still waits for it
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("exit").staticCall(...e.args)),
        { name: "SystemExit", args: [INSURANCE_ACCOUNT] },
      );
      await increaseTime(WINDOW);
      // the old key with signer 0 is refused for the pending rotation at a queue position too
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("exit").staticCall(...old.args)),
        { name: "WrongExitSigner", args: [INSURANCE_ACCOUNT, exitSignerHash(NEW_FUND.publicKey)] },
      );
      await (await settlement.getFunction("exit")(...e.args)).wait();
      const [status, , , paid] = [...(await settlement.getFunction("exitOf")(INSURANCE_ACCOUNT))];
      assert.deepEqual([status, paid], [2n, FUND]);
      assert.deepEqual([...(await settlement.getFunction("exitOf")(FEE_ACCOUNT))][0], 0n);
    });
  });
  /**
   * The review's finding: the thief of the old fund key, with the operator, makes a freeze
   * come while the governance's rotation waits out the timelock's delay (here a deposit left
   * uncredited past forcedDeadline). The rotation is still recorded, and signs the exit.
   */
  describe("a freeze during the timelock's delay", function () {
    let w: World;
    let t: Participant[];
    let settlement: Contract;
    let frozenAt: bigint;

    before(async function () {
      await prepareTestContracts();
      ({ w, t } = await fundedWorld());
      settlement = w.d.settlement;
    });

    it("records the key executed after the freeze without a queue entry; exitSigner names it", async function () {
      const vault = w.d.vault;
      await deposit(w, t[1], 1_000_000n);
      w.pending.length = 0; // the operator never credits it: a freeze is due
      await increaseTime(DEADLINE);
      const op = await rotate(w, INSURANCE_ACCOUNT, NEW_FUND.publicKey, false);
      await (await settlement.getFunction("freeze")()).wait();
      [frozenAt] = [...(await settlement.getFunction("freezeInfo")())] as bigint[];
      const count = await vault.getFunction("depositCount")();
      // nobody but the governance records a key, frozen or not
      const stranger = vault.connect(t[0].signer) as Contract;
      const [x, y] = [NEW_FUND.publicKey.x, NEW_FUND.publicKey.y];
      assert.deepEqual(
        await refusal(vault, stranger.getFunction("queueOwnerKey").staticCall(2n, x, y)),
        { name: "NotGovernance", args: [await t[0].signer.getAddress()] },
      );
      await increaseTime(WORLD_TIMELOCK_DELAY);
      const { events, time } = await op.run();
      assert.deepEqual(
        events.map((e) => e.name),
        ["OwnerKeyStranded"],
      );
      assert.equal(await vault.getFunction("depositCount")(), count, "no queue entry");
      const hash = exitSignerHash(NEW_FUND.publicKey);
      assert.deepEqual(await ownerRotation(w, INSURANCE_ACCOUNT), [x, y, hash, time, NONE]);
      const processed = await settlement.getFunction("depositsProcessed")();
      assert.equal(await vault.getFunction("exitSigner")(INSURANCE_ACCOUNT, processed), hash);
    });

    it("records a key up to a second before frozenAt + 2 * exitWindow, refuses it from then on", async function () {
      const again = await rotate(w, INSURANCE_ACCOUNT, NEW_FUND.publicKey);
      const op = await rotate(w, INSURANCE_ACCOUNT, devKeyPair("too late").publicKey);
      const opens = Number(frozenAt) + 2 * WINDOW;
      await provider.send("evm_setNextBlockTimestamp", [opens - 1]);
      assert.equal((await again.run()).time, BigInt(opens - 1));
      assert.equal((await ownerRotation(w, INSURANCE_ACCOUNT))[3], BigInt(opens - 1));
      await provider.send("evm_mine", [opens]);
      assert.deepEqual(await refusal(w.d.vault, op.dryRun()), { name: "ExchangeFrozen", args: [] });
      assert.equal((await ownerRotation(w, INSURANCE_ACCOUNT))[0], NEW_FUND.publicKey.x);
    });

    it("refuses the old (stolen) fund key's exit (WrongExitSigner) and pays the governed key's", async function () {
      // the fee account first (no rotation: its leaf key, signer 0), so the fund need not wait
      await (
        await settlement.getFunction("exit")(
          ...(await proveExit(w, FEE_ACCOUNT, TREASURY, OLD.fee)).args,
        )
      ).wait();
      const hash = exitSignerHash(NEW_FUND.publicKey);
      const old = await proveExit(w, INSURANCE_ACCOUNT, THIEF, OLD.fund);
      assert.deepEqual(
        await refusal(settlement, settlement.getFunction("exit").staticCall(...old.args)),
        { name: "WrongExitSigner", args: [INSURANCE_ACCOUNT, hash] },
      );
      const e = await proveExit(
        w,
        INSURANCE_ACCOUNT,
        TREASURY,
        NEW_FUND,
        w.marks,
        w.fundingIndices,
        true,
      );
      assert.equal(e.input.signer, hash);
      await (await settlement.getFunction("exit")(...e.args)).wait();
      const [status, to, , paid] = [...(await settlement.getFunction("exitOf")(INSURANCE_ACCOUNT))];
      assert.deepEqual([status, String(to).toLowerCase(), paid], [2n, TREASURY, FUND]);
    });
  });
});
