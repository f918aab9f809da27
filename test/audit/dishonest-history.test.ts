import assert from "node:assert/strict";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { Contract, ContractFactory } from "ethers";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  postRound,
  proveTrades,
  proverWithKey,
  settleDeposits,
  setupWorld,
  writeBatchFile,
  type Participant,
  type World,
  devAttestations,
} from "../../prover/src/dev/onchain.ts";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import { circuitFiles } from "../../prover/src/proving/paths.ts";
import { generateDevZkey } from "../../prover/src/proving/dev-zkey.ts";
import { AuditError } from "../../prover/src/audit/auditor.ts";
import type { DeployOptions } from "../../prover/src/chain/deploy.ts";

type WorldDeploy = Partial<Omit<DeployOptions, "params" | "markets" | "verifiers">>;
import { prepareTestContracts, provider, signers } from "../helpers/chain.ts";
import { audit, codes, P, tempDir } from "./helpers.ts";
import { type Trade } from "../../prover/src/domain/batch.ts";
import { compileVerifier } from "../../prover/src/proving/verifier-contract.ts";

const MARKS = [60_000_00n, 3_000_00n];

/**
 * Histories no honest operator could settle, made possible by test-only deployments (a
 * verifier that accepts anything, a verifier of another key, a token whose issuer seizes),
 * each with its batch files published as an operator would. The audit must name what is
 * wrong, at the batch where it happened.
 */
describe("audit: dishonest histories", function () {
  let dir: string;

  before(async function () {
    await prepareTestContracts();
  });

  beforeEach(function () {
    dir = tempDir("zkclear-dishonest-");
  });

  async function world(deploy: WorldDeploy = {}): Promise<World> {
    const s = await signers(3);
    return setupWorld(P, s[0], [s[1], s[2]], { deploy });
  }

  async function acceptAll(): Promise<WorldDeploy> {
    const [deployer] = await signers(1);
    const v = await (factory("AcceptAllVerifier", deployer).deploy() as Promise<Contract>);
    const a = await v.getAddress();
    return {
      verifierOverrides: {
        settle_trades: a,
        apply_deposits: a,
        process_withdrawals: a,
        liquidate_batch: a,
      },
    };
  }

  const batchNo = async (w: World) => Number(await w.d.settlement.getFunction("batchCount")());

  /** Deposits for both participants, credited in an honestly proven batch, published. */
  async function funded(w: World, amounts: [bigint, bigint]): Promise<[Participant, Participant]> {
    const [a, b] = w.participants;
    await deposit(w, a, amounts[0]);
    await deposit(w, b, amounts[1]);
    const n = await batchNo(w);
    writeBatchFile(w, dir, n, (await settleDeposits(w)).data);
    return [a, b];
  }

  /**
   * A trade batch as a (dishonest) operator settles it: applied in the engine at `marks`,
   * proven with `zkey`, submitted with `chainNewRoot` as its new root, and published
   * with the root the chain shows.
   */
  async function trades(
    w: World,
    ts: Trade[],
    o: { marks?: bigint[]; chainNewRoot?: bigint; zkey?: string } = {},
  ): Promise<number> {
    const n = await batchNo(w);
    const prover = o.zkey ? proverWithKey(w, "settle_trades", o.zkey) : undefined;
    const { proof, data } = await proveTrades(w, ts, o.marks, prover);
    const newRoot = o.chainNewRoot ?? data.newRoot;
    // the committee is not what this test is about: the development keys sign anything
    const forged = { ...data, newRoot };
    await submitBatch(w.d.settlement, forged, proof.proof, await devAttestations(w.d, forged));
    writeBatchFile(w, dir, n, { ...data, newRoot });
    return n;
  }

  function trade(w: World, buyer: Participant, seller: Participant, qty: bigint, price: bigint) {
    const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
    return {
      buy: order(w, t(buyer), {
        market: 0,
        side: "buy",
        nonce: 1n,
        amount: qty,
        limitPrice: price,
      }),
      sell: order(w, t(seller), {
        market: 0,
        side: "sell",
        nonce: 1n,
        amount: qty,
        limitPrice: price,
      }),
      qty,
      price,
      takerIsBuyer: true,
    };
  }

  it("finds a root that does not chain: the batch's data does not lead to the root the chain accepted", async function () {
    const w = await world(await acceptAll());
    const [alice, bob] = await funded(w, [1_000_000_00n, 1_000_000_00n]);
    await postRound(w, MARKS);
    const n = await trades(w, [trade(w, alice, bob, 1n, MARKS[0])], { chainNewRoot: 12345n });
    const r = await audit(w, dir);
    assert.deepEqual(codes(r).sort(), [
      "-:VERIFIER_MISMATCH",
      "-:VERIFIER_MISMATCH",
      "-:VERIFIER_MISMATCH",
      "-:VERIFIER_MISMATCH",
      `${n}:PROOF_INVALID`,
      `${n}:ROOT_NOT_CHAINED`,
    ]);
    const f = r.findings.find((x) => x.code === "ROOT_NOT_CHAINED")!;
    assert.match(f.message, /new root 12345 does not follow from the old root/);
    assert.equal(r.checks.find((c) => c.name.startsWith("replay"))?.status, "fail");
  });

  it("finds prices that do not match the oracle: a batch settled at other prices than its round's", async function () {
    const w = await world(await acceptAll());
    // the seller can afford a short at a tenth of the price, not at the oracle's
    const [buyer, seller] = await funded(w, [1_000_000_00n, 100_000n]);
    await postRound(w, MARKS);
    const fake = [MARKS[0] / 10n, MARKS[1]];
    const n = await trades(w, [trade(w, buyer, seller, 1n, fake[0])], { marks: fake });
    const r = await audit(w, dir);
    assert.deepEqual(
      codes(r)
        .filter((c) => !c.endsWith("VERIFIER_MISMATCH"))
        .sort(),
      [`${n}:PRICE_MISMATCH`, `${n}:PROOF_INVALID`, `${n}:REPLAY_REFUSED`],
    );
    const price = r.findings.find((x) => x.code === "PRICE_MISMATCH")!;
    assert.match(
      price.message,
      /settled at prices \[600000, 300000\], oracle round 1 published \[6000000, 300000\]/,
    );
    const replay = r.findings.find((x) => x.code === "REPLAY_REFUSED")!;
    assert.match(replay.message, /MARGIN_INSUFFICIENT/);
  });

  it("finds a verifier that does not match the local keys (a key whose toxic waste the operator knows)", async function () {
    // another INSECURE key for the same circuit: proofs made with it verify on its verifier
    const r1cs = circuitFiles("settle_trades", P).r1cs;
    const zkey = path.join(tempDir("zkclear-foreign-"), "foreign.insecure-dev.zkey");
    await generateDevZkey({ r1csPath: r1cs, zkeyPath: zkey });
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    const [deployer] = await signers(1);
    const code = compileVerifier(vkey);
    const foreign = await new ContractFactory([], `0x${code.creation}`, deployer).deploy();
    await foreign.waitForDeployment();
    const w = await world({ verifierOverrides: { settle_trades: await foreign.getAddress() } });
    const [alice, bob] = await funded(w, [1_000_000_00n, 1_000_000_00n]);
    await postRound(w, MARKS);
    const n = await trades(w, [trade(w, alice, bob, 1n, MARKS[0])], { zkey });
    const r = await audit(w, dir);
    assert.deepEqual(codes(r), ["-:VERIFIER_MISMATCH", `${n}:PROOF_INVALID`]);
    assert.match(
      r.findings[0].message,
      /the settle_trades verifier at 0x[0-9a-fA-F]{40} is not the local key's verifier: the code lacks \d+ constant\(s\) of the local key \(alpha/,
    );
    // the replay itself is fine: the data is honest, only the keys are not
    assert.equal(r.counts.replayed, r.counts.batches);
  });

  it("finds an exit or a skip-proof verifier that accepts anything: one would let anyone drain the Vault after a freeze, the other freeze the exchange at will", async function () {
    const [deployer] = await signers(1);
    const v = await (factory("AcceptAllVerifier", deployer).deploy() as Promise<Contract>);
    const a = await v.getAddress();
    const w = await world({ verifierOverrides: { exit_account: a, skipped_deleverage: a } });
    const r = await audit(w, dir);
    assert.deepEqual(codes(r), ["-:VERIFIER_MISMATCH", "-:VERIFIER_MISMATCH"]);
    const messages = r.findings.map((f) => f.message).join("\n");
    assert.match(messages, /the exit_account verifier at 0x[0-9a-fA-F]{40} is not the local key's/);
    assert.match(
      messages,
      /the skipped_deleverage verifier at 0x[0-9a-fA-F]{40} is not the local key's/,
    );
  });

  it("finds a broken solvency invariant: tokens taken from the Vault before a deposit batch leave it short of what the batch credits", async function () {
    const [deployer] = await signers(1);
    const token = await (factory("SeizableToken", deployer).deploy() as Promise<Contract>);
    const w = await world({ token: await token.getAddress() });
    const [a, b] = w.participants;
    await deposit(w, a, 1_000_000_00n);
    await deposit(w, b, 2_000_000_00n);
    await (await token.getFunction("seize")(w.d.addresses.vault, 3_000_000n)).wait();
    const n = await batchNo(w);
    writeBatchFile(w, dir, n, (await settleDeposits(w)).data);
    const r = await audit(w, dir);
    // at the deposit batch, and still at the head
    assert.deepEqual(codes(r), ["0:SOLVENCY", "-:SOLVENCY"]);
    assert.match(r.findings[0].message, /short by 3000000$/);
    assert.equal(r.checks.find((c) => c.name.startsWith("solvency"))?.status, "fail");
    // every other check passes: proofs, keys, files and replay are honest
    assert.ok(
      r.checks.filter((c) => !c.name.startsWith("solvency")).every((c) => c.status === "pass"),
    );
  });

  it("finds the books balanced with a token that skims a fee on transfer: the Vault credits what arrived", async function () {
    const [deployer] = await signers(1);
    const token = await (factory("FeeOnTransferToken", deployer).deploy() as Promise<Contract>);
    const w = await world({ token: await token.getAddress() });
    const [a, b] = await funded(w, [1_000_000_00n, 2_000_000_00n]);
    // 1% was skimmed on the way in: the accounts hold 99% of what their owners sent
    assert.equal(w.state.getAccount(a.account!).collateral, 99_000_000n);
    assert.equal(w.state.getAccount(b.account!).collateral, 198_000_000n);
    assert.deepEqual(codes(await audit(w, dir)), []);
  });

  it("finds tokens taken from the Vault after the last batch: solvency is checked at the head too", async function () {
    const [deployer] = await signers(1);
    const token = await (factory("SeizableToken", deployer).deploy() as Promise<Contract>);
    const w = await world({ token: await token.getAddress() });
    await funded(w, [1_000_000_00n, 2_000_000_00n]);
    assert.deepEqual(codes(await audit(w, dir)), []);
    await (await token.getFunction("seize")(w.d.addresses.vault, 7n)).wait();
    // ethers answers the same request from a cache for 250 ms: let "latest" move on
    await new Promise((r) => setTimeout(r, 300));
    const r = await audit(w, dir);
    assert.deepEqual(codes(r), ["-:SOLVENCY"]);
    assert.match(
      r.findings[0].message,
      /^at block \d+: the accounts are owed 300000000 .* short by 7$/,
    );
  });

  it("refuses to resume from a checkpoint whose scanned blocks the chain reorganised away", async function () {
    const w = await world();
    const [alice] = await funded(w, [1_000_000_00n, 1_000_000_00n]);
    const snapshot = await provider.send("evm_snapshot", []);
    await deposit(w, alice, 5n);
    const checkpoint = path.join(dir, "audit.checkpoint.json");
    assert.deepEqual(codes(await audit(w, dir, { checkpoint })), []);
    // the block the checkpoint ends at is replaced by another one
    await provider.send("evm_revert", [snapshot]);
    w.pending.length = 0;
    await deposit(w, alice, 6n);
    await new Promise((r) => setTimeout(r, 300)); // past ethers' 250 ms request cache
    await assert.rejects(
      () => audit(w, dir, { checkpoint }),
      (e: unknown) =>
        e instanceof AuditError &&
        e.code === "CHECKPOINT_INVALID" &&
        /no longer has block \d+ as it was scanned/.test(e.message),
    );
  });
});
