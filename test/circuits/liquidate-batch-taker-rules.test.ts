import assert from "node:assert/strict";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import { newAccount } from "../../prover/src/domain/account.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput, LiquidationSlotInput } from "../../prover/src/domain/inputs.ts";
import { offerMessage, type SignedOffer } from "../../prover/src/domain/offer.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { liquidate, type LiquidationRequest } from "../../prover/src/engine/liquidations.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { assertRefusedAt, witnessFor } from "../helpers/circuit.ts";
import {
  INDICES,
  MARKS,
  OFFER_TERMS,
  P,
  keyOf,
  offerOf,
  taken,
  world,
} from "../helpers/liquidators.ts";

// The liquidator's own rules in LiquidationSlot (section D and G of
// circuits/src/liquidate-batch.circom): who may be a liquidator, what it may take, and where
// its leaf is read. One test per rule: each builds the batch a dishonest operator would
// prove (the engine, unchecked where it refuses), breaks that one rule and nothing before
// it, and asserts the circuit refuses it at that rule's statement (assertRefusedAt: circom's
// "Error in template <T>_n line: <L>"). A circuit without the statement accepts the batch or
// refuses it somewhere else, and the test fails either way.
//
// The world is test/helpers/liquidators.ts's: account 3 (long 1 BTC) is below maintenance at
// MARKS; liquidator 5 (1,000,000 collateral) offers up to 10 lots of either market at 50 bps.

const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const FILE = "liquidate-batch.circom";
const SLOT = "LiquidationSlot";
const LIQUIDATED = 3n;
const LIQUIDATOR = 5n;

const refusedAt = (input: LiquidateBatchInput, template: string, statement: string) =>
  assertRefusedAt(witnessFor(liq(input)), FILE, template, statement);

/** The batch liquidating 3 with `request`'s liquidator, on world() changed by `edit`. */
function batch(request: LiquidationRequest, edit: (s: ExchangeState) => void = () => {}) {
  const build = (unchecked: boolean) => {
    const s = world();
    edit(s);
    return liquidate(s, [request], MARKS, P.liquidations, { unchecked }, INDICES);
  };
  return { build, input: build(true).input };
}

/** Asserts the engine refuses `request` with `code` (the rule the test breaks is its rule). */
function engineRefuses(
  request: LiquidationRequest,
  code: string,
  edit?: (s: ExchangeState) => void,
) {
  assert.throws(
    () => batch(request, edit).build(false),
    (e: unknown) => e instanceof ZkClearError && e.code === code,
  );
}

/** `input` with slot 0 changed by `f`. */
const slot0 = (
  input: LiquidateBatchInput,
  f: (s: LiquidationSlotInput) => LiquidationSlotInput,
): LiquidateBatchInput => ({ ...input, slots: input.slots.map((s, i) => (i === 0 ? f(s) : s)) });

/** The honest batch: 5 takes 3's long BTC under its standard offer. */
const honest = () =>
  liquidate(
    world(),
    [taken(LIQUIDATED, offerOf(LIQUIDATOR, OFFER_TERMS), [true, false])],
    MARKS,
    P.liquidations,
    {},
    INDICES,
  );

describe("LiquidationSlot: the liquidator's rules, each refused at its own statement", function () {
  it("the honest batch these tests break proves as the engine computes it", async function () {
    const r = honest();
    assert.equal(r.input.slots[0].takerEnabled, 1n);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.priceConfigHash]);
  });

  it("refuses a take flag of 2 or -1 (TakeBits' AssertBit: without it a liquidator is handed twice the account's position and twice its share, the fund -1 BTC it never held)", async function () {
    // With take = 2 the other rules still hold: 2 * (maxSize - |size|) = 18 covers, 2 *
    // (penalty - discount) = 100 fits 16 bits; the liquidator's size grows by 2 * size
    // (takenSize), the fund's by (enabled - take) * size = -size, and the packed take bit
    // carries into the next market's. With take = -1 (p - 1) the liquidator would take the
    // opposite of the position and the fund twice it.
    const input = honest().input;
    for (const take of [2n, FIELD_MODULUS - 1n]) {
      await refusedAt(
        slot0(input, (s) => ({ ...s, take: [take, 0n] })),
        "TakeBits",
        "AssertBit()(take[j]);",
      );
    }
  });

  it("refuses a liquidator that takes nothing (TakeBits' takerEnabled * none: without it an offer is spent and its liquidator named in the commitment for a liquidation it took no part in)", async function () {
    const request = taken(LIQUIDATED, offerOf(LIQUIDATOR, OFFER_TERMS), [false, false]);
    engineRefuses(request, "OFFER_NOT_COVERING");
    const { input } = batch(request);
    assert.equal(input.slots[0].takerEnabled, 1n);
    assert.deepEqual(input.slots[0].take, [0n, 0n]);
    await refusedAt(input, "TakeBits", "takerEnabled * none === 0;");
  });

  it("refuses a liquidator in a slot that liquidates nothing (takerEnabled * (1 - enabled): without it positions of a leaf never read from the tree move to the liquidator, their negation to the fund, and the commitment names neither)", async function () {
    // A disabled slot anchors no leaf (its update is multiplied by enabled) and adds nothing
    // to the commitment: its account's sizes are whatever the operator writes.
    const input = slot0(honest().input, (s) => ({ ...s, enabled: 0n }));
    await refusedAt(input, SLOT, "takerEnabled * (1 - enabled) === 0;");
  });

  it("refuses the fee account as a liquidator, even with its owner's signature (NotSystemAccount(taker): without it the operator stakes the collected fees on a liquidated position)", async function () {
    // The fee account holds the fees it collected; its owner's key signs an offer for it.
    const fees = (s: ExchangeState) =>
      s.setAccount(FEE_ACCOUNT, { ...s.getAccount(FEE_ACCOUNT), collateral: 10_000_000n });
    const offer = {
      account: FEE_ACCOUNT,
      nonce: 1n,
      terms: OFFER_TERMS.map(([maxSize, discountBps]) => ({ maxSize, discountBps })),
    };
    const signed: SignedOffer = {
      offer,
      signature: sign(devOwnerKeys().fee.privateKey, offerMessage(offer, SAMPLE_DOMAIN)),
    };
    const request = taken(LIQUIDATED, signed, [true, false]);
    engineRefuses(request, "LIQUIDATOR_SYSTEM_ACCOUNT", fees);
    const { input } = batch(request, fees);
    assert.equal(input.slots[0].taker, FEE_ACCOUNT);
    await refusedAt(input, SLOT, "NotSystemAccount()(taker, takerEnabled);");
  });

  it("refuses the liquidated account as its own liquidator (TakerIsNotAccount: without it an account takes back its own position and pays itself part of its penalty)", async function () {
    const request = taken(LIQUIDATED, offerOf(LIQUIDATED, OFFER_TERMS), [true, false]);
    engineRefuses(request, "LIQUIDATOR_IS_ACCOUNT");
    await refusedAt(batch(request).input, "TakerIsNotAccount", "same * enabled === 0;");
  });

  it("refuses a sub-account isolated to ETH taking a BTC position (TradesIn: without it the isolated collateral backs a market it was set aside from)", async function () {
    const ISOLATED = 8n;
    const sub = (s: ExchangeState) =>
      s.setAccount(ISOLATED, newAccount(keyOf(ISOLATED).publicKey, 2, 1_000_000n, 1));
    const request = taken(LIQUIDATED, offerOf(ISOLATED, OFFER_TERMS), [true, false]);
    engineRefuses(request, "LIQUIDATOR_OUTSIDE_ISOLATED_MARKET", sub);
    const { input } = batch(request, sub);
    assert.equal(input.slots[0].taker, ISOLATED);
    await refusedAt(input, SLOT, "TradesIn()(taker_.flag, j, take[j]);");
  });

  it("refuses a liquidator that would not meet its initial margin (its MarginRequirement: without it 100,000 of collateral takes a 4,900,000 position the fund then answers for)", async function () {
    // liquidator 7 holds 100,000: 1 BTC at 4,900,000 needs 490,000 at 10%
    const request = taken(LIQUIDATED, offerOf(7n, OFFER_TERMS), [true, false]);
    engineRefuses(request, "LIQUIDATOR_MARGIN");
    await refusedAt(
      batch(request).input,
      SLOT,
      "MarginRequirement(M)(takerCollateral, takerSize, takerSizeNegative, newTakerNotional, mark, imBps, mmBps, 0, 0, takerEnabled);",
    );
  });

  it("refuses a liquidator's leaf that is not in the tree after the account's update (its anchor at mid: without it the liquidator is read with collateral it does not hold)", async function () {
    // 10^9 more collateral in the balance word: the leaf the operator presents is not the
    // one at the liquidator's path under mid, and nothing before the anchor reads the tree.
    const input = slot0(honest().input, (s) => ({
      ...s,
      takerBalance: s.takerBalance + 10n ** 9n,
    }));
    await refusedAt(input, SLOT, "(takerUpdate.oldRoot - mid) * takerEnabled === 0;");
  });
});
