import assert from "node:assert/strict";
import { BPS_BITS, OFFER_TERM_BITS, SIZE_BITS } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import { sign, verify } from "../../prover/src/domain/keys.ts";
import type { MarketParams } from "../../prover/src/domain/market.ts";
import { offerMessage, offerTermWord, type Offer } from "../../prover/src/domain/offer.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { liquidate, type LiquidationRequest } from "../../prover/src/engine/liquidations.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { assertRefusedAt, witnessFor } from "../helpers/circuit.ts";
import {
  INDICES,
  MARKS,
  OFFER_TERMS,
  P,
  keyOf,
  markets,
  offerOf,
  taken,
  world,
} from "../helpers/liquidators.ts";

// The liquidator's signed offer as LiquidationSlot reads it (section D of
// circuits/src/liquidate-batch.circom): each term is 80 bits, maxSize | discountBps << 64,
// and every position the liquidator takes must fit the term's maxSize (OfferCoversSize:
// take * (maxSize - |size|) in 64 bits) with a discount within the market's penalty
// (DiscountWithinPenalty: take * (penalty - discount) in 16 bits). Each broken rule is
// refused at its own statement (assertRefusedAt), so a circuit without it accepts the batch
// or refuses it elsewhere and the test fails; each check's range is met at its top by a
// legal batch that must prove as the engine computes it, so a check one bit narrower fails.
//
// The world is test/helpers/liquidators.ts's: account 3 (long 1 BTC) and account 6 (long
// 1 BTC, short 2 ETH) are below maintenance at MARKS; liquidator 5 holds 1,000,000.

const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const FILE = "liquidate-batch.circom";
const LIQUIDATOR = 5n;
const top = (bits: number) => 1n << BigInt(bits);
const publicOf = (r: ReturnType<typeof liquidate>) => [
  r.oldRoot,
  r.newRoot,
  r.dataCommitment,
  r.priceConfigHash,
];

/** The batch of `request` on `state` (world() by default), checked or not. */
const batch = (request: LiquidationRequest, unchecked: boolean, state = world()) =>
  liquidate(state, [request], MARKS, P.liquidations, { unchecked }, INDICES);

function engineRefuses(request: LiquidationRequest, code: string) {
  assert.throws(
    () => batch(request, false),
    (e: unknown) => e instanceof ZkClearError && e.code === code,
  );
}

/** Asserts the engine's batch proves, with the engine's public inputs. */
async function proves(r: ReturnType<typeof liquidate>) {
  const w = await witnessFor(liq(r.input));
  assert.deepEqual(w.slice(1, 5), publicOf(r));
}

/** world()'s accounts under `ms` as the deployment's markets. */
function worldWithMarkets(ms: readonly MarketParams[]): ExchangeState {
  const w = world();
  const s = ExchangeState.genesis(P.depth, ms, SAMPLE_DOMAIN, devOwners());
  for (let i = 0n; i < 8n; i++) if (w.hasAccount(i)) s.setAccount(i, w.getAccount(i));
  return s;
}

describe("LiquidationSlot: the liquidator's offer terms, each rule refused at its own statement", function () {
  it("refuses a position larger than the offer's maxSize (OfferCoversSize: without it a liquidator is forced to take 2 lots it offered to take 1 of)", async function () {
    // 6 is short 2 ETH; 5 offers up to 1 ETH lot
    const request = taken(
      6n,
      offerOf(LIQUIDATOR, [
        [10n, 50n],
        [1n, 50n],
      ]),
      [false, true],
    );
    engineRefuses(request, "OFFER_NOT_COVERING");
    await assertRefusedAt(
      witnessFor(liq(batch(request, true).input)),
      FILE,
      "OfferCoversSize",
      "RangeCheck(SIZE_BITS())(slack);",
    );
  });

  it("refuses a discount above the market's penalty (DiscountWithinPenalty: without it a liquidator is paid 101 bps of a position whose penalty is 100 bps, the fund paying the difference)", async function () {
    const request = taken(
      3n,
      offerOf(LIQUIDATOR, [
        [10n, 101n],
        [10n, 50n],
      ]),
      [true, false],
    );
    assert.equal(markets[0].liquidationPenaltyBps, 100n);
    engineRefuses(request, "OFFER_DISCOUNT_ABOVE_PENALTY");
    await assertRefusedAt(
      witnessFor(liq(batch(request, true).input)),
      FILE,
      "DiscountWithinPenalty",
      "RangeCheck(BPS_BITS())(slack);",
    );
  });

  it("proves an offer of the widest maxSize, 2^64 - 1, taking 1 lot (OfferCoversSize's slack 2^64 - 2 uses the top bit: a narrower check would refuse a liquidator's legal offer)", async function () {
    const request = taken(
      3n,
      offerOf(LIQUIDATOR, [
        [top(SIZE_BITS) - 1n, 50n],
        [10n, 50n],
      ]),
      [true, false],
    );
    const r = batch(request, false);
    // maxSize - |size|: the largest slack a taken (nonzero) position leaves
    const slack = top(SIZE_BITS) - 1n - 1n;
    assert.ok(slack >= top(SIZE_BITS - 1));
    assert.equal(r.takers[0].take[0], true);
    await proves(r);
  });

  it("proves a discount of 0 in a market whose penalty is 2^16 - 1 bps (DiscountWithinPenalty's slack at its top: a narrower check would refuse a legal offer in a legal market)", async function () {
    // the widest penalty a market's parameter word holds (MarketBinding reads 16 bits)
    const penalty = top(BPS_BITS) - 1n;
    const ms = markets.map((m, j) => (j === 0 ? { ...m, liquidationPenaltyBps: penalty } : m));
    const request = taken(
      3n,
      offerOf(LIQUIDATOR, [
        [10n, 0n],
        [10n, 50n],
      ]),
      [true, false],
    );
    const r = batch(request, false, worldWithMarkets(ms));
    assert.equal(r.takers[0].take[0], true);
    assert.equal(r.takers[0].share, 0n);
    await proves(r);
  });

  it("refuses an offer term with a bit above its 80, signed by the liquidator (the term's Num2Bits: one bit wider and a signed word the offer format does not define binds the liquidator, read as the offer without that bit)", async function () {
    const honest = batch(taken(3n, offerOf(LIQUIDATOR, OFFER_TERMS), [true, false]), false);
    await proves(honest);
    // the word maxSize | discount << 64 | 1 << 80: offerTermWord of a 17-bit discount
    const wide: Offer = {
      account: LIQUIDATOR,
      nonce: 1n,
      terms: OFFER_TERMS.map(([maxSize, discountBps], j) => ({
        maxSize,
        discountBps: j === 0 ? discountBps + top(BPS_BITS) : discountBps,
      })),
    };
    const word = offerTermWord(wide.terms[0]);
    assert.equal(word, honest.input.slots[0].offerTerm[0] + top(OFFER_TERM_BITS));
    const message = offerMessage(wide, SAMPLE_DOMAIN);
    const signature = sign(keyOf(LIQUIDATOR).privateKey, message);
    // the signature is good: only the term's width is wrong
    assert.ok(verify(keyOf(LIQUIDATOR).publicKey, message, signature));
    const slots = honest.input.slots.map((s, i) =>
      i === 0
        ? {
            ...s,
            offerTerm: [word, s.offerTerm[1]],
            offerSigR8x: signature.r8x,
            offerSigR8y: signature.r8y,
            offerSigS: signature.s,
          }
        : s,
    );
    await assertRefusedAt(
      witnessFor(liq({ ...honest.input, slots })),
      FILE,
      "LiquidationSlot",
      "termBits[j].in <== offerTerm[j];",
    );
  });
});
