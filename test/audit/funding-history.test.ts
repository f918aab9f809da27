import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Contract } from "ethers";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  devAttestations,
  postRound,
  proveTrades,
  settleDeposits,
  settleTradeBatch,
  setupWorld,
  writeBatchFile,
  type Participant,
  type World,
} from "../../prover/src/dev/onchain.ts";
import { factory } from "../../prover/src/chain/artifacts.ts";
import { FundingClient } from "../../prover/src/chain/funding.ts";
import { submitBatch } from "../../prover/src/chain/settlement.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import { fundingRates, marketFlows } from "../../prover/src/domain/funding-rate.ts";
import { batchFileName, parseBatchFile, toBatchFile } from "../../prover/src/engine/batch-file.ts";
import { renderTerminalReport } from "../../prover/src/audit/terminal.ts";
import { renderHtmlReport } from "../../prover/src/audit/report-html.ts";
import { prepareTestContracts, signers } from "../helpers/chain.ts";
import { mineAt } from "../contracts/funding-helpers.ts";
import { audit, codes, P, tempDir } from "./helpers.ts";

/**
 * The auditor's funding checks on a real chain with real proofs and published files: an
 * honest history with two ticks at the rule's premium rates and trades settling funding
 * (no finding; the report's ledger is the files' records summed), then a tick at another
 * rate than the rule's (FUNDING_RATE_RULE), a file stating other indices
 * (FUNDING_INDEX_MISMATCH), and a batch that debits the long more than it owes
 * (FUNDING_NOT_CONSERVED), settled through a test-only accept-all verifier.
 */

// an oracle price that makes every index step inexact: the rounding the system keeps shows
const MARKS = [6_000_007n, 300_000n];
const FUNDING_CHECK = "funding:";

describe("audit: funding ticks, payments and the rate rule", function () {
  before(async function () {
    await prepareTestContracts();
  });

  async function world(verifier?: string): Promise<World> {
    const s = await signers(3);
    const deploy = verifier
      ? {
          verifierOverrides: {
            settle_trades: verifier,
            apply_deposits: verifier,
            process_withdrawals: verifier,
            liquidate_batch: verifier,
          },
        }
      : {};
    return setupWorld(P, s[0], [s[1], s[2]], { deploy });
  }

  const batchNo = async (w: World) => Number(await w.d.settlement.getFunction("batchCount")());

  async function funded(w: World, dir: string): Promise<[Participant, Participant]> {
    const [a, b] = w.participants;
    await deposit(w, a, 1_000_000_00n);
    await deposit(w, b, 1_000_000_00n);
    const n = await batchNo(w);
    writeBatchFile(w, dir, n, (await settleDeposits(w)).data);
    return [a, b];
  }

  function trade(
    w: World,
    buyer: Participant,
    seller: Participant,
    qty: bigint,
    price: bigint,
    nonce: bigint,
  ): Trade {
    const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
    const o = { market: 0, nonce, amount: qty, limitPrice: price };
    return {
      buy: order(w, t(buyer), { ...o, side: "buy" }),
      sell: order(w, t(seller), { ...o, side: "sell" }),
      qty,
      price,
      takerIsBuyer: true,
    };
  }

  /** An honest trade batch, settled and published. */
  async function settled(w: World, dir: string, ts: Trade[]): Promise<number> {
    const n = await batchNo(w);
    writeBatchFile(w, dir, n, (await settleTradeBatch(w, ts)).data);
    return n;
  }

  /**
   * The next funding period, a fresh round, a tick at `rates` (default: the rule's over
   * `window`, the trades settled since the previous tick), then the round it takes effect at.
   */
  async function tick(w: World, window: Trade[], rates?: bigint[]): Promise<bigint[]> {
    const [operator] = await signers(1);
    const funding = new FundingClient(w.d.addresses.funding, operator);
    await mineAt(await funding.nextTickTime());
    await postRound(w, MARKS);
    const { maxRatePpm } = await funding.params();
    const ruled = fundingRates(marketFlows(window, MARKS, maxRatePpm));
    await funding.tick(rates ?? ruled);
    await postRound(w, MARKS);
    return ruled;
  }

  /** The funding records of the published files: what the payers paid, the receivers got. */
  function filesLedger(dir: string, batches: number) {
    let paid = 0n;
    let received = 0n;
    let settlements = 0;
    for (let n = 0; n < batches; n++) {
      const d = parseBatchFile(fs.readFileSync(path.join(dir, batchFileName(n)), "utf8")).data;
      if (!("funding" in d)) continue;
      for (const f of d.funding) {
        if (f.payment > 0n) paid += f.payment;
        else received -= f.payment;
        settlements++;
      }
    }
    return { paid, received, settlements };
  }

  describe("an honest history with two ticks at the rule's rates", function () {
    let w: World;
    let dir: string;
    let alice: Participant;
    let bob: Participant;
    let checkpoint: string;
    const ruled: bigint[][] = [];

    before(async function () {
      dir = tempDir("zkclear-funding-audit-");
      w = await world();
      [alice, bob] = await funded(w, dir);
      await postRound(w, MARKS);
      // the exchange trades 2 lots above the oracle: longs will pay
      const w1 = [trade(w, alice, bob, 2n, 6_003_000n, 1n)];
      await settled(w, dir, w1);
      // an audit checkpointed in the middle of the first tick's window
      checkpoint = path.join(dir, "..", `${path.basename(dir)}.checkpoint.json`);
      assert.deepEqual(codes(await audit(w, dir, { checkpoint })), []);
      ruled.push(await tick(w, w1));
      // alice (long 2) pays, bob (short 2) receives; 1 lot trades below the oracle
      const w2 = [trade(w, bob, alice, 1n, 5_997_000n, 2n)];
      await settled(w, dir, w2);
      ruled.push(await tick(w, w2));
      // shorts pay now: bob (short 1) pays, alice (long 1) receives
      await settled(w, dir, [trade(w, alice, bob, 1n, MARKS[0], 3n)]);
    });

    it("ticks at the rule's rates: the premium over the oracle price, truncated toward zero", function () {
      // (6,003,000 - 6,000,007) * 10^6 / 6,000,007 = 498.8..., (5,997,000 - 6,000,007) * 10^6 / 6,000,007 = -501.1...
      assert.deepEqual(ruled, [
        [498n, 0n],
        [-501n, 0n],
      ]);
    });

    it("finds nothing, and its ledger is what the files' records add up to", async function () {
      const r = await audit(w, dir);
      assert.deepEqual(codes(r), []);
      const check = r.checks.find((c) => c.name.startsWith(FUNDING_CHECK))!;
      assert.equal(check.status, "pass");
      const files = filesLedger(dir, r.counts.batches);
      // batch 2: alice pays ceil(2 x 2,988.0034...) = 5,977, bob gets 5,976; batch 3: bob pays
      // ceil(3,006.0035...) = 3,007, alice gets 3,006
      assert.deepEqual(files, { paid: 5_977n + 3_007n, received: 5_976n + 3_006n, settlements: 4 });
      // every settlement here pairs a payer and a receiver of one fractional amount x: the
      // system keeps ceil(x) - x + x - floor(x) = 1 per pair, and nothing is left unsettled
      assert.deepEqual(r.funding.ledger, {
        paid: String(files.paid),
        received: String(files.received),
        unsettled: "0",
        kept: "2",
        settlements: files.settlements,
      });
      assert.deepEqual(
        r.funding.ticks.map((t) => [t.tick, t.ratesPpm, t.rulePpm]),
        [
          [1, ["498", "0"], ["498", "0"]],
          [2, ["-501", "0"], ["-501", "0"]],
        ],
      );
      const text = renderTerminalReport(r);
      assert.match(
        text,
        /funding: paid 8984, received 8982, still owed by positions 0, rounding kept 2 over 4 settlement\(s\)/,
      );
      assert.match(text, /tick 2 block \d+ at round \d+: BTC[^ ]* -501, ETH[^ ]* 0/);
      const html = renderHtmlReport(r);
      assert.equal(html.match(/badge pass">follows</g)?.length, 2);

      // resumed from the checkpoint: the first window's trades came through it
      const resumed = await audit(w, dir, { checkpoint });
      assert.equal(resumed.timing.resumedFrom, 2);
      assert.deepEqual(codes(resumed), []);
      assert.deepEqual(resumed.funding, r.funding);
    });

    it("finds a tick whose rate departs from the rule (FUNDING_RATE_RULE), naming the market and both rates", async function () {
      // the window: one lot traded at the oracle price, so the rule says 0; the operator ticks 700
      const ruledNow = await tick(w, [trade(w, alice, bob, 1n, MARKS[0], 3n)], [700n, 0n]);
      assert.deepEqual(ruledNow, [0n, 0n]);
      const r = await audit(w, dir);
      assert.deepEqual(codes(r), ["-:FUNDING_RATE_RULE"]);
      assert.match(
        r.findings[0].message,
        /^funding tick 3 \(block \d+\) set BTC\S* rate to 700 ppm; the rule gives 0 ppm: 1 lots traded since the previous tick at a volume-weighted premium of 0 ppm over their batches' marks \(each trade clamped to the cap\), oracle price 6000007 at round \d+, cap 1000 ppm$/,
      );
      assert.equal(r.checks.find((c) => c.name.startsWith(FUNDING_CHECK))!.status, "fail");
      assert.match(renderTerminalReport(r), /tick 3 .*: BTC\S* 700 \(rule 0\), ETH\S* 0/);
      assert.equal(renderHtmlReport(r).match(/badge fail">departs</g)?.length, 1);
    });

    it("finds a batch file that states other funding indices than the Funding contract's (FUNDING_INDEX_MISMATCH)", async function () {
      const other = tempDir("zkclear-funding-indices-");
      for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(other, f));
      // batch 2 settled funding at tick 1's indices: its file claims 1 more on BTC
      const file = path.join(other, batchFileName(2));
      const parsed = parseBatchFile(fs.readFileSync(file, "utf8"));
      assert.equal(parsed.data.kind, "trades");
      const d = parsed.data as Extract<typeof parsed.data, { kind: "trades" }>;
      const stated = [d.fundingIndices[0] + 1n, d.fundingIndices[1]];
      fs.writeFileSync(
        file,
        JSON.stringify(toBatchFile({ ...d, fundingIndices: stated }, parsed.meta)),
      );
      const r = await audit(w, other);
      assert.deepEqual(
        codes(r).filter((c) => c !== "-:FUNDING_RATE_RULE"),
        ["2:FUNDING_INDEX_MISMATCH"],
      );
      const f = r.findings.find((x) => x.code === "FUNDING_INDEX_MISMATCH")!;
      assert.equal(
        f.message,
        `${batchFileName(2)} settled funding at indices [${stated.join(", ")}]; the Funding contract's for round ${d.round} are [${d.fundingIndices.join(", ")}]`,
      );
    });

    it("finds a batch file that states other margin multipliers than the oracle's record (BINDING_MISMATCH)", async function () {
      const other = tempDir("zkclear-funding-margins-");
      for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(other, f));
      // batch 2 was margined at the round's 1x: its file claims BTC at 1.5x
      const file = path.join(other, batchFileName(2));
      const parsed = parseBatchFile(fs.readFileSync(file, "utf8"));
      const d = parsed.data as Extract<typeof parsed.data, { kind: "trades" }>;
      assert.deepEqual(d.margins.mult, [10_000n, 10_000n]);
      const stated = { mult: [15_000n, 10_000n], liqMult: d.margins.liqMult };
      fs.writeFileSync(file, JSON.stringify(toBatchFile({ ...d, margins: stated }, parsed.meta)));
      const r = await audit(w, other);
      assert.deepEqual(
        codes(r).filter((c) => c !== "-:FUNDING_RATE_RULE"),
        ["2:BINDING_MISMATCH"],
      );
      assert.equal(
        r.findings.find((x) => x.code === "BINDING_MISMATCH")!.message,
        `${batchFileName(2)} states margin multipliers 1.50x/1.00x, 1.00x/1.00x; oracle round ${d.round} has 1.00x/1.00x, 1.00x/1.00x`,
      );
    });
  });

  it("finds a trade batch whose funding debits the long more than it owes (FUNDING_NOT_CONSERVED), naming what each side paid", async function () {
    const [deployer] = await signers(1);
    const v = await (factory("AcceptAllVerifier", deployer).deploy() as Promise<Contract>);
    const w = await world(await v.getAddress());
    const dir = tempDir("zkclear-funding-dishonest-");
    const [alice, bob] = await funded(w, dir);
    await postRound(w, MARKS);
    const w1 = [trade(w, alice, bob, 2n, 6_003_000n, 1n)];
    await settled(w, dir, w1);
    await tick(w, w1);
    // the operator's engine state: alice is debited 5 more than ceil(owed) = 5,977
    const n = await batchNo(w);
    const { data, proof } = await proveTrades(w, [trade(w, bob, alice, 1n, MARKS[0], 2n)]);
    assert.deepEqual(
      data.funding.map((f) => [f.account, f.payment]),
      [
        [alice.account!, 5_977n],
        [bob.account!, -5_976n],
      ],
    );
    const a = w.state.getAccount(alice.account!);
    w.state.setAccount(alice.account!, { ...a, collateral: a.collateral - 5n });
    const forged = {
      ...data,
      newRoot: w.state.root,
      funding: data.funding.map((f) =>
        f.account === alice.account ? { ...f, payment: f.payment + 5n } : f,
      ),
    };
    await submitBatch(w.d.settlement, forged, proof.proof, await devAttestations(w.d, forged));
    writeBatchFile(w, dir, n, forged);

    const r = await audit(w, dir);
    assert.deepEqual(
      codes(r)
        .filter((c) => !c.endsWith("VERIFIER_MISMATCH"))
        .sort(),
      [`${n}:FUNDING_NOT_CONSERVED`, `${n}:PROOF_INVALID`, `${n}:ROOT_NOT_CHAINED`],
    );
    const f = r.findings.find((x) => x.code === "FUNDING_NOT_CONSERVED")!;
    assert.equal(
      f.message,
      `the batch file's funding pays 5982 from the payers and 5976 to the receivers ` +
        `(${alice.account}: 5982, ${bob.account}: -5976); the positions owed 5977 and were owed 5976 ` +
        `(${alice.account}: 5977, ${bob.account}: -5976)`,
    );
    assert.equal(r.checks.find((c) => c.name.startsWith(FUNDING_CHECK))!.status, "fail");
  });
});
