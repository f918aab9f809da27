import assert from "node:assert/strict";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { FIELD_MODULUS, mod } from "../../prover/src/domain/field.ts";
import { settleFunding, settleFundingByMarket } from "../../prover/src/domain/funding.ts";
import { liquidationCommitment, liquidationTakerWord } from "../../prover/src/domain/batch.ts";
import { attributeLiquidation } from "../../prover/src/domain/compartments.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import { deleverageCommitment } from "../../prover/src/domain/deleveraging.ts";
import { circuitSiblings } from "../../prover/src/domain/tree.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { leafWitness } from "../../prover/src/engine/leaf-witness.ts";
import { liquidate, liquidatorShare, takePositions } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { leafPreimage, newAccount } from "../../prover/src/domain/account.ts";
import { offerTermWord } from "../../prover/src/domain/offer.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { BTC_CRASH, ETH, flat, position, world as adlWorld } from "../helpers/deleverage-world.ts";
import { assertRefusedAt, witnessFor } from "../helpers/circuit.ts";
import {
  INDICES,
  MARKS,
  OFFER_TERMS,
  P,
  fundShortEth,
  markets,
  offerOf,
  taken,
  world,
} from "../helpers/liquidators.ts";

/**
 * LiquidateBatch's slot rules that keep a liquidation real: a liquidator only in a slot
 * that liquidates, take flags and enabled flags that are bits, no system account
 * liquidated, and the compartments' floor and forced deleveraging. Each test takes an
 * honest engine batch, makes one edit, and requires the refusal at the statement that
 * states the rule (assertRefusedAt); each forged batch is one the circuit without that
 * statement accepts (its roots and commitment are those the forged inputs compute).
 * The root anchors and the price binding: liquidate-batch-anchors.test.ts.
 */
const FILE = "liquidate-batch.circom";
const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
/** Marks at which account 3 (long 1 BTC from 6,000,000 on 1,250,000) still has equity. */
const PENALTY_MARKS = [4_900_000n, 300_000n];
/** BTC crashes to 4,000,000: account 3 is bankrupt by 750,000. */
const CRASH = [BTC_CRASH, ETH];
/** The honest takers batch: liquidator 5 takes account 3's BTC lot under its offer. */
const takerRequest = () => taken(3n, offerOf(5n, OFFER_TERMS), [true, false]);
const takersBatch = (s: ExchangeState = world()) =>
  liquidate(s, [takerRequest()], MARKS, P.liquidations, {}, INDICES);

describe("LiquidateBatch anchors: slot rules (test parameters)", function () {
  it("refuses a liquidator in a slot that liquidates nobody", async function () {
    // forged: slot 0 is disabled but keeps liquidator 5, whose leaf is read from the tree
    // at oldRoot (account 3 is not touched). The roots and the commitment are those such a
    // batch computes: liquidator 5 takes a long BTC lot at the mark, the fund the short
    // side, and 5 is paid its 24,500 share, which no compartment is charged for; the
    // commitment names no liquidation. Without `takerEnabled * (1 - enabled) === 0` this
    // proves: a share minted from nothing, off the record
    const honest = world();
    const r = takersBatch(honest);
    const base = world();
    const lots = base.getAccount(3n).positions[0].size;
    const s = world();
    s.setAccount(5n, honest.getAccount(5n));
    const fundSiblings = circuitSiblings(s.tree.proof(INSURANCE_ACCOUNT).siblings);
    const settled = settleFundingByMarket(s.getAccount(INSURANCE_ACCOUNT), INDICES).account;
    s.setAccount(INSURANCE_ACCOUNT, {
      ...settled,
      positions: settled.positions.map((p, j) =>
        j === 0 ? { ...p, size: p.size - lots, notional: p.notional - lots * MARKS[0] } : p,
      ),
    });
    const forged: LiquidateBatchInput = {
      ...r.input,
      newRoot: s.root,
      dataCommitment: deleverageCommitment(liquidationCommitment([]), []),
      slots: [
        {
          ...r.input.slots[0],
          enabled: 0n,
          takerSiblings: leafWitness(base, 5n).siblings,
        },
        ...r.input.slots.slice(1),
      ],
      fund: { ...r.input.fund, siblings: fundSiblings },
    };
    await assertRefusedAt(
      witnessFor(liq(forged)),
      FILE,
      "LiquidationSlot",
      "takerEnabled * (1 - enabled) === 0;",
    );
  });

  it("refuses a take flag that is not a bit", async function () {
    // forged: take = 2 on account 3's BTC lot, with the roots and commitment such a batch
    // computes: liquidator 5 gets 2 lots at the mark and twice its share (the whole 49,000
    // penalty), the fund is put short the extra lot, and the compartment's 24,500 of the
    // penalty goes to the liquidator. The offer's size (2 <= 10) and the discount's cap
    // (2 * (100 - 50) >= 0) both pass, and the committed word reads as a take of ETH.
    // Without `AssertBit()(take[j])` this proves (a larger take drains the compartment)
    const k = 2n;
    const r = takersBatch();
    const s = world();
    const a = settleFunding(s.getAccount(3n), INDICES).account;
    const sizes = a.positions.map((p) => p.size);
    const discounts = OFFER_TERMS.map(([, d]) => d);
    const share = liquidatorShare(
      sizes.map((x) => k * x),
      MARKS,
      [true, false],
      discounts,
    );
    const attribution = attributeLiquidation(a, MARKS, markets, [share, 0n]);
    s.setAccount(3n, {
      ...a,
      collateral: attribution.kept,
      positions: a.positions.map((p) => ({ ...p, size: 0n, notional: 0n })),
    });
    const liquidator = takePositions(
      settleFunding(s.getAccount(5n), INDICES).account,
      sizes.map((x) => k * x),
      [true, false],
      MARKS,
      share,
    );
    assert.ok(liquidator);
    s.setAccount(5n, liquidator);
    const fundSiblings = circuitSiblings(s.tree.proof(INSURANCE_ACCOUNT).siblings);
    const fund = settleFundingByMarket(s.getAccount(INSURANCE_ACCOUNT), INDICES).account;
    s.setAccount(INSURANCE_ACCOUNT, {
      ...fund,
      positions: fund.positions.map((p, j) =>
        j === 0
          ? {
              ...p,
              size: p.size + (1n - k) * sizes[0],
              notional: p.notional + (1n - k) * sizes[0] * MARKS[0] - attribution.charges[0],
            }
          : p,
      ),
    });
    // the slot's committed word is linear in the take flags
    const word = liquidationTakerWord(takerRequest().taker);
    const forged: LiquidateBatchInput = {
      ...r.input,
      newRoot: s.root,
      dataCommitment: deleverageCommitment(poseidon([0n, 3n, 5n + k * (word - 5n)]), []),
      slots: [{ ...r.input.slots[0], take: [k, 0n] }, ...r.input.slots.slice(1)],
      fund: { ...r.input.fund, siblings: fundSiblings },
    };
    await assertRefusedAt(witnessFor(liq(forged)), FILE, "TakeBits", "AssertBit()(take[j]);");
  });

  it("refuses a batch that leaves a compartment under water where a liquidator took the fund's position", async function () {
    // account 3 is bankrupt at 4,000,000 (-750,000); BTC's compartment holds 100,000 and
    // liquidator 7 (5,000,000) takes the BTC lot at 50 bps: the fund stays flat in BTC, so
    // no deleveraging can close anything there, and the engine refuses the take
    // (LIQUIDATOR_IN_DELEVERAGED_MARKET)
    const w = () => {
      const s = world([100_000n, 10_000_000n]);
      s.setAccount(7n, { ...s.getAccount(7n), collateral: 5_000_000n });
      return s;
    };
    const req = taken(3n, offerOf(7n, OFFER_TERMS), [true, false]);
    assert.throws(
      () => liquidate(w(), [req], CRASH, P.liquidations),
      (e: unknown) => e instanceof ZkClearError && e.code === "LIQUIDATOR_IN_DELEVERAGED_MARKET",
    );
    // forged: the batch the engine writes without its checks, no market deleveraged.
    // Without `RangeCheck(135)(floorSlack[j])` this proves: liquidator 7 is paid 20,000 out
    // of a BTC compartment left at -670,000, and the batch records no deleveraging
    const r = liquidate(w(), [req], CRASH, P.liquidations, { unchecked: true });
    assert.deepEqual(r.deleveraged, []);
    assert.deepEqual(r.compartmentsAfter[0], -670_000n);
    await assertRefusedAt(
      witnessFor(liq(r.input)),
      FILE,
      "LiquidateBatch",
      "RangeCheck(135)(floorSlack[j]);",
    );
  });

  it("refuses a batch that leaves undeleveraged a compartment an earlier batch left under water, once a trader opposes the fund", async function () {
    // the deleveraging world with nobody short: account 3's liquidation leaves BTC's
    // compartment at -650,000 with the fund long 1 lot, and nothing to deleverage against
    const s = adlWorld([100_000n, 10_000_000n], []);
    const first = liquidate(s, [3n], CRASH, P.liquidations);
    assert.equal(first.compartmentsAfter[0], -650_000n);
    // a short appears (account 9, sold 1 lot at 5,000,000): the next batch must deleverage
    s.setAccount(9n, {
      ...newAccount(devKeyPair("late short").publicKey, 2, 5_000_000n),
      positions: [position(-1n, -5_000_000n), flat],
    });
    // forged: a batch with no liquidation and no deleveraging (the compartment does not
    // fall further, so the floor holds). Without `mustDeleverage[j] * (1 - adlMarket[j])
    // === 0` this proves: the deficit stays, and account 9 keeps its unbacked profit
    const later = liquidate(s, [], CRASH, P.liquidations, { unchecked: true });
    assert.deepEqual(later.deleveraged, []);
    assert.equal(later.compartmentsAfter[0], -650_000n);
    await assertRefusedAt(
      witnessFor(liq(later.input)),
      FILE,
      "LiquidateBatch",
      "mustDeleverage[j] * (1 - adlMarket[j]) === 0;",
    );
  });

  it("refuses to liquidate a system account (the insurance fund)", async function () {
    // the fund: short 3 ETH (compartment 0) and a reserve of 40,000, below its 45,000
    // maintenance requirement; the engine never liquidates it
    const w = () => {
      const s = fundShortEth([0n, 0n]);
      s.setAccount(INSURANCE_ACCOUNT, { ...s.getAccount(INSURANCE_ACCOUNT), collateral: 40_000n });
      return s;
    };
    const offer = offerOf(5n, OFFER_TERMS);
    const take = [false, true];
    const request = taken(INSURANCE_ACCOUNT, offer, take);
    assert.throws(
      () => liquidate(w(), [request], MARKS, P.liquidations, { unchecked: true }),
      (e: unknown) => e instanceof ZkClearError && e.code === "LIQUIDATE_SYSTEM_ACCOUNT",
    );
    // forged: slot 0 liquidates the fund, liquidator 5 taking its ETH short, with the roots
    // and commitment such a batch computes (the fund's section reads its leaf after the
    // slot). Without `NotSystemAccount()(account, enabled)` this proves: the fund pays the
    // 9,000 penalty out of its reserve, half of it to a liquidator, and loses its position
    const s = w();
    const r = liquidate(w(), [], MARKS, P.liquidations);
    const fund = s.getAccount(INSURANCE_ACCOUNT);
    const sizes = fund.positions.map((p) => p.size);
    const share = liquidatorShare(
      sizes,
      MARKS,
      take,
      offer.offer.terms.map((x) => x.discountBps),
    );
    const attribution = attributeLiquidation(fund, MARKS, markets, [0n, share]);
    const accountFields = { enabled: 1n, account: INSURANCE_ACCOUNT, ...leafWitness(s, 2n) };
    const slotFund = {
      ...fund,
      collateral: attribution.kept,
      positions: fund.positions.map((p) => ({ ...p, size: 0n, notional: 0n })),
    };
    s.setAccount(INSURANCE_ACCOUNT, slotFund);
    const t = leafWitness(s, 5n);
    const liquidator = takePositions(s.getAccount(5n), sizes, take, MARKS, share);
    assert.ok(liquidator);
    s.setAccount(5n, liquidator);
    const pre = leafPreimage(slotFund);
    const fundSiblings = circuitSiblings(s.tree.proof(INSURANCE_ACCOUNT).siblings);
    s.setAccount(INSURANCE_ACCOUNT, {
      ...slotFund,
      positions: slotFund.positions.map((p, j) => ({
        ...p,
        notional: p.notional - attribution.charges[j],
      })),
    });
    const forged: LiquidateBatchInput = {
      ...r.input,
      newRoot: s.root,
      dataCommitment: deleverageCommitment(
        liquidationCommitment([INSURANCE_ACCOUNT], [{ offer, take }]),
        [],
      ),
      slots: [
        {
          ...accountFields,
          takerEnabled: 1n,
          taker: 5n,
          takerAx: t.leafAx,
          takerAy: t.leafAy,
          takerBalance: t.leafBalance,
          takerWord: t.leafWord,
          takerNotional: t.leafNotional,
          takerSiblings: t.siblings,
          offerNonce: offer.offer.nonce,
          offerTerm: offer.offer.terms.map(offerTermWord),
          offerSigR8x: offer.signature.r8x,
          offerSigR8y: offer.signature.r8y,
          offerSigS: offer.signature.s,
          take: take.map((x) => (x ? 1n : 0n)),
        },
        ...r.input.slots.slice(1),
      ],
      fund: {
        ax: pre[0],
        ay: pre[1],
        balance: pre[2],
        word: sizes.map((_, j) => pre[3 + 2 * j]),
        notional: sizes.map((_, j) => pre[4 + 2 * j]),
        siblings: fundSiblings,
      },
    };
    await assertRefusedAt(
      witnessFor(liq(forged)),
      FILE,
      "LiquidationSlot",
      "NotSystemAccount()(account, enabled);",
    );
  });

  it("refuses a slot's enabled flag that is not a bit", async function () {
    // forged: the padding slot names account 7 (flat, no funding owed, so its leaf comes out
    // unchanged) with enabled = -1, and the commitment such a batch computes: the step
    // c + (-1) * (Poseidon(c, 7, 0) - c). Without `AssertBit()(enabled)` this proves: the
    // batch's record says a healthy account was liquidated, in a commitment no replica
    // of the batch file reproduces
    const s = world();
    const r = liquidate(s, [3n], PENALTY_MARKS, P.liquidations);
    const afterSlot = world();
    afterSlot.setAccount(3n, s.getAccount(3n));
    const c = liquidationCommitment([3n]);
    const minus = FIELD_MODULUS - 1n;
    const slots = [
      r.input.slots[0],
      { ...r.input.slots[1], enabled: minus, account: 7n, ...leafWitness(afterSlot, 7n) },
    ];
    const dataCommitment = deleverageCommitment(mod(c + minus * (poseidon([c, 7n, 0n]) - c)), []);
    await assertRefusedAt(
      witnessFor(liq({ ...r.input, dataCommitment, slots })),
      FILE,
      "LiquidationSlot",
      "AssertBit()(enabled);",
    );
  });
});
