import assert from "node:assert/strict";
import type { Account } from "../../prover/src/domain/account.ts";
import { mod } from "../../prover/src/domain/field.ts";
import { isLiquidatable, liquidate } from "../../prover/src/engine/liquidations.ts";
import type { LiquidationRequest } from "../../prover/src/engine/liquidators.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { scaledMarkets, oneX } from "../../prover/src/domain/volatility.ts";
import { statementLine } from "../helpers/circuit.ts";
import {
  INDICES,
  MARKS,
  OFFER_TERMS,
  P,
  markets,
  offerOf,
  taken,
  world,
} from "../helpers/liquidators.ts";
import {
  FILE,
  SlotProbe,
  slotOf,
  slotSignals,
  type Slot,
} from "../helpers/liquidation-slot-graft.ts";

// LiquidationSlot reads the liquidator's side through three `<==` that --O2 substitutes
// away:
//   termBits[j].in <== offerTerm[j]: the bits of the signed offer's term j, from which
//     maxSize_j and discountBps_j are read (the term is hashed into the signed message);
//   taker_.balance <== takerBalance and taker_.word <== takerWord: the liquidator's leaf
//     preimage, hashed into the leaf its Merkle path proves at the mid root, unpacked
//     (AccountLeafUnpack taker_) into the collateral, flag, sizes and funding indices that
//     judge its margin and write its new leaf.
// With one made `<--`, the freed wire is pinned only by the signature or the leaf hash, so
// neither the determinism stage nor a test that feeds inputs tells it from the link.
//
// Each test forges the slot of a liquidation of account 3 (long 1 BTC, under-margined at
// MARKS, test/helpers/liquidators.ts) whose liquidator takes its BTC lot: an --O0 probe of
// LiquidationSlot whose link line reads another signal of the slot computes it, and its
// witness, copied by name onto the --O2 probe of the sources under test, must be refused.
// The harness: in a world where that other signal holds the link's own value, the
// rewritten probe reproduces the engine's honest liquidation wire for wire. The R1CS
// without the link accepts the forgery by construction
// (npm run mutate:circuits -- --tests <this file> --id liquidate-batch.circom:<line>:unconstrain).

const ACCOUNT = 3n;
const BTC_ONLY = [true, false];

/** world() with `changes` to liquidator `i`. */
function withTaker(i: bigint, changes: (a: Account) => Partial<Account>): ExchangeState {
  const s = world();
  const a = s.getAccount(i);
  s.setAccount(i, { ...a, ...changes(a) });
  return s;
}

/** Liquidator `i` takes account 3's BTC lot under `terms` (its own signature). */
const takeBtc = (i: bigint, terms = OFFER_TERMS): LiquidationRequest =>
  taken(ACCOUNT, offerOf(i, terms), BTC_ONLY);

/** The engine's checked liquidation refuses `r` on `s`, for `why`. */
const engineRefuses = (s: ExchangeState, r: LiquidationRequest, why: RegExp) =>
  assert.throws(() => liquidate(s, [r], MARKS, P.liquidations, {}, INDICES), why);

/** The root of world() with accounts 3 and `taker` as `after` has them (the slot's rootOut). */
function slotRoot(after: ExchangeState, taker: bigint): bigint {
  const s = world();
  for (const i of [ACCOUNT, taker]) s.setAccount(i, after.getAccount(i), false);
  return s.root;
}

describe("LiquidationSlot: the liquidator's offer and leaf are the ones signed and proven (witnesses grafted from --O0 probes at the R1CS level)", function () {
  let probe: SlotProbe;
  before(async function () {
    probe = await SlotProbe.compile("liquidation_slot_taker_links");
  });

  /** The probe agrees with the engine on the honest slot's outputs. */
  const agrees = (w: readonly bigint[], slot: Slot, after: ExchangeState, taker: bigint) => {
    assert.deepEqual(probe.charges(w), slot.charges.map(mod), "the engine's charges");
    assert.equal(probe.value(w, "rootOut"), slotRoot(after, taker), "the engine's leaves");
  };

  {
    const statement = "termBits[j].in <== offerTerm[j];";
    const line = statementLine(FILE, statement);
    it(`refuses forcing a BTC lot on a liquidator that offered none: the slot reads its BTC term (maxSize, discountBps) from its signed ETH term, so liquidator 5's offer of 0 BTC and 10 ETH covers account 3's BTC lot (termBits[j].in <== offerTerm[j]), line ${line}`, async function () {
      // the probe reads term j from term M - 1 - j: the same term when both terms are equal
      const link = { statement, to: "termBits[j].in<==offerTerm[M-1-j];" };
      const after = world();
      const honestSlot = slotOf(after, takeBtc(5n));
      // liquidator 5 signs up to 0 BTC and up to 10 ETH, at 50 bps: no take of BTC
      const refusal: [bigint, bigint][] = [
        [0n, 50n],
        [10n, 50n],
      ];
      engineRefuses(world(), takeBtc(5n, refusal), /does not cover/);
      const forgedSlot = slotOf(world(), takeBtc(5n, refusal), true);
      assert.notDeepEqual(forgedSlot.fields.offerTerm, honestSlot.fields.offerTerm);
      const { honest, forged } = await probe.graft(
        link,
        slotSignals(honestSlot),
        slotSignals(forgedSlot),
      );
      agrees(honest, honestSlot, after, 5n);
      // the slot writes and commits exactly what 5's honest take under an offer of 10 BTC
      // does (the offer itself is not committed): 5 now holds a BTC lot it did not offer for
      assert.deepEqual(probe.outputs(forged), probe.outputs(honest));
      assert.ok(
        probe.broken(forged).length > 0,
        `${statement} (line ${line}) must break a constraint`,
      );
    });
  }

  {
    const statement = "taker_.balance <== takerBalance;";
    const line = statementLine(FILE, statement);
    it(`refuses a liquidator without the margin that is credited a collateral its leaf does not hold: liquidator 7 (100,000) is read as holding account 3's 1,250,000, takes the BTC lot (490,000 of margin) and leaves with 1,274,500 (taker_.balance <== takerBalance), line ${line}`, async function () {
      // the probe unpacks the liquidator's balance from the liquidated account's: the same
      // value when liquidator 7 holds 1,250,000 as account 3 does
      const link = { statement, to: "taker_.balance<==balance;" };
      const rich = withTaker(7n, () => ({ collateral: 1_250_000n }));
      const honestSlot = slotOf(rich, takeBtc(7n));
      assert.equal(honestSlot.fields.takerBalance, honestSlot.fields.leafBalance, "the harness");
      // in world(), 7 holds 100,000: it cannot take 1 BTC at 10% initial margin
      engineRefuses(world(), takeBtc(7n), /initial margin/);
      const forgedSlot = slotOf(world(), takeBtc(7n), true);
      const { honest, forged } = await probe.graft(
        link,
        slotSignals(honestSlot),
        slotSignals(forgedSlot),
      );
      agrees(honest, honestSlot, rich, 7n);
      assert.equal(rich.getAccount(7n).collateral, 1_274_500n, "1,250,000 and its 24,500 share");
      // from 7's real leaf (100,000), the slot writes the leaf the 1,250,000 liquidator
      // gets: 1,174,500 of collateral out of nothing
      assert.equal(probe.value(forged, "rootIn"), world().root);
      assert.equal(probe.value(forged, "rootOut"), slotRoot(rich, 7n), "7's forged new leaf");
      assert.deepEqual(probe.outputs(forged).slice(1), probe.outputs(honest).slice(1));
      assert.ok(
        probe.broken(forged).length > 0,
        `${statement} (line ${line}) must break a constraint`,
      );
    });
  }

  {
    const statement = "taker_.word <== takerWord;";
    const line = statementLine(FILE, statement);
    it(`refuses a liquidator without the margin that is judged on a position its leaf does not hold: liquidator 7 (100,000, flat) is read as long 1 BTC at notional 0, passes its margin check with the taken lot, and is left below maintenance (taker_.word <== takerWord), line ${line}`, async function () {
      // the probe unpacks the liquidator's words from the liquidated account's: the same
      // words when liquidator 7 holds account 3's BTC lot (bought at the mark here)
      const link = { statement, to: "taker_.word<==word;" };
      const long = withTaker(7n, () => ({
        collateral: 1_000_000n,
        positions: world()
          .getAccount(ACCOUNT)
          .positions.map((p, j) => (j === 0 ? { ...p, notional: 4_900_000n } : p)),
      }));
      const honestSlot = slotOf(long, takeBtc(7n));
      assert.deepEqual(honestSlot.fields.takerWord, honestSlot.fields.leafWord, "the harness");
      engineRefuses(world(), takeBtc(7n), /initial margin/);
      const after = world();
      const forgedSlot = slotOf(after, takeBtc(7n), true);
      const { honest, forged } = await probe.graft(
        link,
        slotSignals(honestSlot),
        slotSignals(forgedSlot),
      );
      agrees(honest, honestSlot, long, 7n);
      // the slot writes what the engine writes when told to skip the margin check: 7 with
      // 124,500 and 1 BTC at 4,900,000, under its 245,000 maintenance requirement at once
      assert.equal(probe.value(forged, "rootOut"), slotRoot(after, 7n), "7's new leaf");
      const liquidator = after.getAccount(7n);
      assert.equal(liquidator.collateral, 124_500n);
      assert.equal(liquidator.positions[0].size, 1n);
      assert.ok(
        isLiquidatable(liquidator, MARKS, scaledMarkets(markets, oneX(P.markets), "liquidation")),
        "liquidatable as soon as it is written",
      );
      assert.deepEqual(probe.outputs(forged).slice(1), probe.outputs(honest).slice(1));
      assert.ok(
        probe.broken(forged).length > 0,
        `${statement} (line ${line}) must break a constraint`,
      );
    });
  }
});
