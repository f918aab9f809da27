import assert from "node:assert/strict";
import { FIELD_MODULUS, mod, modInv } from "../../prover/src/domain/field.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import { newAccount } from "../../prover/src/domain/account.ts";
import {
  NONCE_BITS,
  OFFER_ACCOUNT_SHIFT,
  OFFER_NONCE_SHIFT,
  OFFER_TAG,
} from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import {
  offerMessage,
  offerTermWord,
  type Offer,
  type SignedOffer,
} from "../../prover/src/domain/offer.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { WitnessError } from "../../prover/src/proving/prover.ts";
import { SAMPLE_DOMAIN } from "../../prover/src/dev/sample.ts";
import { statementLine, witnessFor } from "../helpers/circuit.ts";
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

// LiquidationSlot range-checks the liquidator's offer nonce to NONCE_BITS (32) before it
// packs it into the head of the signed OfferMessage:
//   head = OFFER_TAG + taker * 2^4 + nonce * 2^36   (a field element)
// The nonce is the topmost field, so in integers nothing sits above it for a carry to
// reach; the danger is the field's wrap-around. The circuit compares the nonce with
// nothing else (no leaf holds it: the nonce only orders offers with the operator), so the
// 32-bit check is the one thing that keeps the head injective in (taker, nonce): with any
// field element as the nonce, for every other account t' of the same key
//   nonce' = nonce + (t - t') * 2^-32   (mod r)
// gives t' the head, hence the message and the signature, of the offer signed for t.
// The taker itself is pinned to D bits (Num2Bits) and must be the leaf whose key signed,
// so the replay needs a second leaf of the liquidator's key: an isolated sub-account.

const FILE = "liquidate-batch.circom";
const NONCE_CHECK = "RangeCheck(NONCE_BITS())(offerNonce);";
const TWO_32 = 1n << BigInt(NONCE_BITS);

/** Liquidator 5 (key K = keyOf(5)); 8: K's sub-account isolated to BTC, which never offered. */
const LIQUIDATOR = 5n;
const SUB_ACCOUNT = 8n;
/** The liquidated account: long 1 BTC, below maintenance at MARKS (test/helpers/liquidators.ts). */
const LIQUIDATED = 3n;

function worldWithSubAccount(): ExchangeState {
  const s = world();
  s.setAccount(SUB_ACCOUNT, newAccount(keyOf(LIQUIDATOR).publicKey, 2, 1_000_000n, 0));
  return s;
}

const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const publicOf = (r: ReturnType<typeof liquidate>) => [
  r.oldRoot,
  r.newRoot,
  r.dataCommitment,
  r.priceConfigHash,
];

/** The head OfferMessage hashes, as the circuit computes it (field arithmetic). */
const head = (taker: bigint, nonce: bigint) =>
  mod(OFFER_TAG + (taker << BigInt(OFFER_ACCOUNT_SHIFT)) + (nonce << BigInt(OFFER_NONCE_SHIFT)));
const circuitMessage = (taker: bigint, nonce: bigint, o: Offer) =>
  poseidon([head(taker, nonce), SAMPLE_DOMAIN, ...o.terms.map(offerTermWord)]);

/** Slot 0's offer fields replaced: the nonce and the signature the operator presents. */
function withOffer(input: LiquidateBatchInput, nonce: bigint, so: SignedOffer) {
  const slots = input.slots.map((s, i) =>
    i === 0
      ? {
          ...s,
          offerNonce: nonce,
          offerSigR8x: so.signature.r8x,
          offerSigR8y: so.signature.r8y,
          offerSigS: so.signature.s,
        }
      : s,
  );
  return { ...input, slots };
}

/**
 * Asserts that the batch is refused by the offer nonce's range check (LiquidationSlot's
 * statement NONCE_CHECK, through RangeCheck), not by anything else: a circuit without
 * that check, or with a wider one, must accept the batch or fail this assertion.
 */
async function assertRefusedByNonceCheck(input: LiquidateBatchInput): Promise<void> {
  const line = statementLine(FILE, NONCE_CHECK);
  await assert.rejects(witnessFor(liq(input)), (e: unknown) => {
    assert.ok(e instanceof WitnessError, `expected a refusal, got ${String(e)}`);
    assert.match(
      e.message,
      new RegExp(
        `RangeCheck_\\d+ line: \\d+\\s+Error in template LiquidationSlot_\\d+ line: ${line}\\b`,
      ),
    );
    return true;
  });
}

describe("LiquidationSlot: the offer nonce's 32-bit check (liquidate-batch.circom NONCE_CHECK)", function () {
  it("refuses an offer signed for one account replayed onto another account of the same key through a wrapped nonce (without the check: a BTC position forced on a sub-account that never offered)", async function () {
    // K signs a standing offer for its account 5, nonce 1: up to 10 lots at 50 bps.
    const signed = offerOf(LIQUIDATOR, OFFER_TERMS);
    const n = signed.offer.nonce;
    // The nonce that gives sub-account 8 the same head: n + (5 - 8) / 2^32 in the field.
    const wrapped = mod(n + (LIQUIDATOR - SUB_ACCOUNT) * modInv(TWO_32, FIELD_MODULUS));
    assert.ok(wrapped >= TWO_32, "the colliding nonce is outside 32 bits");
    assert.equal(head(SUB_ACCOUNT, wrapped), head(LIQUIDATOR, n));
    assert.equal(
      circuitMessage(SUB_ACCOUNT, wrapped, signed.offer),
      offerMessage(signed.offer, SAMPLE_DOMAIN),
      "the circuit's message for (8, wrapped) is the one K signed for (5, 1)",
    );
    // The honest engine never builds this: the signature is not 8's offer.
    const replayed: SignedOffer = {
      offer: { ...signed.offer, account: SUB_ACCOUNT },
      signature: signed.signature,
    };
    const request = taken(LIQUIDATED, replayed, [true, false]);
    assert.throws(
      () => liquidate(worldWithSubAccount(), [request], MARKS, P.liquidations, {}, INDICES),
      (e: unknown) => e instanceof ZkClearError && e.code === "LIQUIDATOR_BAD_SIGNATURE",
    );
    // The dishonest operator's batch: the engine (unchecked) moves account 3's long BTC to
    // sub-account 8 and computes every root and the commitment.
    const forged = liquidate(
      worldWithSubAccount(),
      [request],
      MARKS,
      P.liquidations,
      { unchecked: true },
      INDICES,
    );
    assert.equal(forged.input.slots[0].taker, SUB_ACCOUNT);
    assert.equal(forged.input.slots[0].take[0], 1n);
    // ... and it is the batch a genuine offer of 8 would give, but for the offer fields:
    // only the offer binds the taker, so the replay needs nothing more than the nonce.
    const genuine = offerOf(SUB_ACCOUNT, OFFER_TERMS, { signer: LIQUIDATOR });
    const honest = liquidate(
      worldWithSubAccount(),
      [taken(LIQUIDATED, genuine, [true, false])],
      MARKS,
      P.liquidations,
      {},
      INDICES,
    );
    assert.deepEqual(publicOf(forged), publicOf(honest));
    assert.deepEqual(withOffer(honest.input, n, signed), forged.input);
    assert.deepEqual((await witnessFor(liq(honest.input))).slice(1, 5), publicOf(honest));
    // With the nonce as signed, K's signature does not cover account 8: the verifier
    // refuses (the guard that the signature, not the nonce, is all that differs).
    await assert.rejects(witnessFor(liq(forged.input)), (e: unknown) => {
      assert.ok(e instanceof WitnessError && e.templates.some((t) => t.startsWith("EdDSA")));
      return true;
    });
    // With the wrapped nonce the signature verifies for 8; only the 32-bit check refuses.
    // Without it, K's offer for account 5 would put a 1 BTC long worth 4,900,000 on its
    // isolated sub-account 8, against the collateral K set aside there.
    await assertRefusedByNonceCheck(withOffer(forged.input, wrapped, signed));
  });

  it("refuses a nonce of 2^32, even signed by the liquidator's key (the engine's width: a 33-bit check would accept offers the protocol does not define)", async function () {
    // Within 33 bits the head stays below 2^69 < r and its fields never overlap, so this is
    // not a collision; it is an offer outside NONCE_BITS, which the engine refuses to use
    // and the circuit must refuse too, or the two disagree on what a valid offer is.
    const honest = liquidate(
      world(),
      [taken(LIQUIDATED, offerOf(LIQUIDATOR, OFFER_TERMS), [true, false])],
      MARKS,
      P.liquidations,
      {},
      INDICES,
    );
    const wide = offerOf(LIQUIDATOR, OFFER_TERMS, { nonce: TWO_32 });
    assert.throws(
      () =>
        liquidate(
          world(),
          [taken(LIQUIDATED, wide, [true, false])],
          MARKS,
          P.liquidations,
          { unchecked: true },
          INDICES,
        ),
      (e: unknown) => e instanceof ZkClearError && /offer nonce/.test(e.message),
    );
    // the signature is K's over the head the circuit computes for (5, 2^32)
    assert.equal(
      circuitMessage(LIQUIDATOR, TWO_32, wide.offer),
      offerMessage(wide.offer, SAMPLE_DOMAIN),
    );
    await assertRefusedByNonceCheck(withOffer(honest.input, TWO_32, wide));
  });

  it("accepts the largest legal nonce, 2^32 - 1, as the engine does", async function () {
    const top = offerOf(LIQUIDATOR, OFFER_TERMS, { nonce: TWO_32 - 1n });
    const r = liquidate(
      world(),
      [taken(LIQUIDATED, top, [true, false])],
      MARKS,
      P.liquidations,
      {},
      INDICES,
    );
    assert.equal(r.input.slots[0].offerNonce, TWO_32 - 1n);
    assert.equal(r.input.slots[0].takerEnabled, 1n);
    assert.deepEqual((await witnessFor(liq(r.input))).slice(1, 5), publicOf(r));
  });
});
