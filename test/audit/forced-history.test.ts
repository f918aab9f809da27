import assert from "node:assert/strict";
import { Contract } from "ethers";
import {
  deposit,
  postRound,
  proveBatch,
  settleBatch,
  settleDeposits,
  setupWorld,
  writeBatchFile,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import { forceWithdrawArgs, signForcedRequest } from "../../prover/src/domain/forced.ts";
import { packOutcomes } from "../../prover/src/engine/forced.ts";
import { terminateCurve } from "../../prover/src/proving/prover.ts";
import { increaseTime, prepareTestContracts, signers } from "../helpers/chain.ts";
import { audit, codes, P, tempDir } from "./helpers.ts";

const MARKS = [60_000_00n, 3_000_00n];
const DEADLINE = 4 * 86_400;
const TO = 0xf0f0000000000000000000000000000000000001n;

/**
 * The auditor on the escape hatch (real chain, real proofs, test parameters): each forced
 * request answered in time, late, overdue at the head, or left to the freeze; the freeze
 * against the audited history; and a forced batch whose announced outcome is not the
 * replay's (a verifier that accepts anything lets the operator claim "cannot pay" while
 * the root debits the account).
 */
describe("audit: forced requests and the freeze", function () {
  let dir: string;
  after(terminateCurve);

  before(async function () {
    await prepareTestContracts();
  });

  beforeEach(function () {
    dir = tempDir("zkclear-forced-audit-");
  });

  async function world(overrides: Record<string, string> = {}): Promise<World> {
    const s = await signers(3);
    const w = await setupWorld(P, s[0], [s[1], s[2]], {
      deploy: { forcedDeadline: DEADLINE, verifierOverrides: overrides },
    });
    const [a, b] = w.participants;
    await deposit(w, a, 1_000_000n);
    await deposit(w, b, 1_000_000n);
    writeBatchFile(w, dir, 0, (await settleDeposits(w)).data);
    await postRound(w, MARKS);
    return w;
  }

  const batchNo = async (w: World) => Number(await w.d.settlement.getFunction("batchCount")());
  let forcedHash = 0n;

  async function request(w: World, who: Participant, amount: bigint): Promise<void> {
    const r = signForcedRequest(
      { account: who.account!, amount, recipient: TO },
      w.state.getAccount(who.account!).withdrawNonce,
      who.keys.privateKey,
      w.domain,
    );
    const fee = BigInt(await w.d.settlement.getFunction("forcedRequestFee")());
    const s = w.d.settlement.connect(who.signer) as Contract;
    await (await s.getFunction("forceWithdraw")(...forceWithdrawArgs(r), { value: fee })).wait();
  }

  /** Answers the requests in [from, from + count) honestly, and publishes the batch. */
  async function answer(w: World, from: number, count: number): Promise<number> {
    const s = w.d.settlement;
    const events = await s.queryFilter(s.filters.ForcedRequested());
    const requests = events
      .map((e) => ("args" in e ? e.args : undefined)!)
      .filter((a) => Number(a.index) >= from && Number(a.index) < from + count)
      .map((a) => ({
        account: BigInt(a.account),
        amount: BigInt(a.amount),
        recipient: BigInt(a.recipient),
        signature: { r8x: BigInt(a.sigR8x), r8y: BigInt(a.sigR8y), s: BigInt(a.sigS) },
      }));
    const n = await batchNo(w);
    const { data } = await settleBatch<"forced">(w, {
      kind: "forced",
      requests,
      queueFrom: forcedHash,
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
    });
    forcedHash = data.queueTo;
    writeBatchFile(w, dir, n, data);
    return n;
  }

  it("reports each request answered in time, late, overdue at the head, or unanswered at the freeze, and the freeze at the last batch's root", async function () {
    forcedHash = 0n;
    const w = await world();
    const [alice, bob] = w.participants;
    await request(w, alice, 250n);
    const first = await answer(w, 0, 1);
    let r = await audit(w, dir);
    assert.deepEqual(codes(r), []);
    assert.equal(r.escape.forcedDeadline, String(DEADLINE));
    const row = r.escape.forced[0];
    assert.deepEqual(
      [row.index, row.account, row.amount, row.batch, row.outcome, row.status],
      [0, String(alice.account), "250", first, "paid", "answered"],
    );
    assert.equal(row.dueAt, row.requestedAt + DEADLINE);

    // bob's request waits past its deadline: the head is overdue (the freeze is due)
    await request(w, bob, 999_999_999n);
    await increaseTime(DEADLINE + 5);
    r = await audit(w, dir);
    assert.deepEqual(codes(r), ["-:FORCED_OVERDUE"]);
    assert.match(r.findings[0].message, /forced request 1 .* anyone may freeze the exchange/);
    assert.equal(r.escape.forced[1].status, "overdue");

    // answered at last (bob cannot pay that much): late
    await postRound(w, MARKS);
    const late = await answer(w, 1, 1);
    r = await audit(w, dir);
    assert.deepEqual(codes(r), [`${late}:FORCED_LATE`]);
    assert.deepEqual(
      [r.escape.forced[1].outcome, r.escape.forced[1].status],
      ["cannot_pay", "answered late"],
    );

    // a third request is never answered: anyone freezes
    await request(w, alice, 1n);
    await increaseTime(DEADLINE + 5);
    await (await w.d.settlement.getFunction("freeze")()).wait();
    r = await audit(w, dir);
    assert.deepEqual(codes(r), [`${late}:FORCED_LATE`]);
    assert.equal(r.escape.forced[2].status, "unanswered at the freeze");
    const f = r.escape.freeze!;
    assert.deepEqual([f.root, f.batches], [r.head.root, r.head.batches]);
    assert.equal(f.roundId, String(w.round));
    assert.ok(r.notes.some((n) => n.startsWith(`frozen at block ${f.block}`)));
  });

  it("finds a forced batch whose announced outcome and payouts are not the replay's", async function () {
    forcedHash = 0n;
    const [deployer] = await signers(1);
    const v = await (factory("AcceptAllVerifier", deployer).deploy() as Promise<Contract>);
    const w = await world({ answer_forced: await v.getAddress() });
    const [alice] = w.participants;
    await request(w, alice, 250n);
    const s = w.d.settlement;
    const [ev] = await s.queryFilter(s.filters.ForcedRequested());
    const a = "args" in ev ? ev.args : undefined;
    const n = await batchNo(w);
    const { data, proof } = await proveBatch<"forced">(w, {
      kind: "forced",
      requests: [
        {
          account: BigInt(a!.account),
          amount: BigInt(a!.amount),
          recipient: BigInt(a!.recipient),
          signature: { r8x: BigInt(a!.sigR8x), r8y: BigInt(a!.sigR8y), s: BigInt(a!.sigS) },
        },
      ],
      queueFrom: 0n,
      marks: w.marks,
      round: w.round,
      fundingIndices: w.fundingIndices,
      margins: w.margins,
    });
    // the account is debited (the proven root) but the operator says it cannot pay, and
    // keeps the money: nothing is credited to the recipient
    const forged = {
      ...data,
      outcomes: packOutcomes(["cannot_pay"]),
      payouts: data.payouts.map(() => 0n),
    };
    await submitBatch(s, forged, proof.proof);
    writeBatchFile(w, dir, n, forged);
    const r = await audit(w, dir);
    assert.deepEqual(
      codes(r)
        .filter((c) => !c.endsWith("VERIFIER_MISMATCH"))
        .sort(),
      [`${n}:FORCED_ANSWER_MISMATCH`, `${n}:FORCED_ANSWER_MISMATCH`, `${n}:PROOF_INVALID`],
    );
    const [outcomes, payouts] = r.findings.filter((x) => x.code === "FORCED_ANSWER_MISMATCH");
    assert.match(
      outcomes.message,
      /announced outcomes \[cannot_pay\]; the replay answers \[paid\]/,
    );
    assert.match(payouts.message, /the call pays \[0, 0\]; the replay pays \[250→0xf0f0/);
    assert.deepEqual([r.escape.forced[0].outcome, r.escape.forced[0].batch], ["cannot_pay", n]);
  });
});
