import assert from "node:assert/strict";
import { COLLATERAL_BITS, NOTIONAL_BITS, SIZE_BITS } from "../../prover/src/domain/constants.ts";
import { encodeSigned } from "../../prover/src/domain/amounts.ts";
import { liquidationCommitment } from "../../prover/src/domain/batch.ts";
import {
  deleverageCommitment,
  deleverageEntryWord,
  deleverageHeadWord,
} from "../../prover/src/domain/deleveraging.ts";
import { mod, FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import type { LiquidateBatchInput } from "../../prover/src/domain/inputs.ts";
import type { ForgedDeleverage } from "../../prover/src/engine/deleverage.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import type { ExchangeState } from "../../prover/src/engine/state.ts";
import { assertRefusedAt, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";
import { BTC_CRASH, ETH, flat, position, world } from "../helpers/deleverage-world.ts";

const P = TEST_PARAMS;

const liq = (input: LiquidateBatchInput) => ({ kind: "liquidate_batch" as const, input });
const marks = [BTC_CRASH, ETH];
const honest = (s: ExchangeState) => liquidate(s, [3n], marks, P.liquidations);
// the honest ranking, written without the engine's range checks (what a dishonest operator
// would prove)
const unchecked = (s: ExchangeState, forge: ForgedDeleverage = { markets: [0] }) =>
  liquidate(s, [3n], marks, P.liquidations, { unchecked: true, forgeDeleverage: forge });
const lotsOf = (r: ReturnType<typeof honest>) =>
  r.deleveraged.map((d) => d.entries.map((e) => [e.account, e.lots]));
const pow2 = (n: number) => 1n << BigInt(n);

/** The checks of DeleverageEntry and Deleverage these tests name, by their statements. */
const FILE = "auto-deleverage.circom";
const COLLATERAL_CHECK = "_ <== SignedRangeCheck(COLLATERAL_BITS())(newCollateral);";
const NOTIONAL_CHECK = "_ <== SignedRangeCheck(NOTIONAL_BITS())(newNotional[j]);";
const MARKET_BIT = "AssertBit()(market[j]);";

/**
 * The fund-short world (auto-deleverage.test.ts, "deleverages a fund short ..."): account 3
 * is short 1 BTC from 2,000,000 on 1,250,000, bankrupt at 4,000,000; account 4 long 1 from
 * 2,000,000 on 10,000,000, unless `long4` replaces its BTC position.
 */
function fundShort(long4?: ReturnType<typeof position>) {
  const s = world([100_000n, 10_000_000n], [], [[10_000_000n, 1n, 2_000_000n]]);
  s.setAccount(3n, {
    ...s.getAccount(3n),
    collateral: 1_250_000n,
    positions: [position(-1n, -2_000_000n), flat],
  });
  if (long4) s.setAccount(4n, { ...s.getAccount(4n), positions: [long4, flat] });
  return s;
}

describe("auto-deleveraging at the edges of the leaf's ranges (test parameters)", function () {
  it("deleverages a position above 2^63 lots, closing all of it in one entry (sizes up to 2^64 are legal)", async function () {
    // the bankrupt is long B = 2^63 + 1 lots, account 4 short B: |size| - 1 and q - 1 are
    // both 2^63, so a 63-bit check of either (DeleverageCandidate) would refuse the batch
    // the engine proves, and the compartment would stay under water
    const B = pow2(SIZE_BITS - 1) + 1n;
    const r = honest(world([100_000n, 10_000_000n], [[pow2(90), B, 6_000_000n]], [], B));
    assert.deepEqual(lotsOf(r), [[[4n, B]]]);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(2, 4), [r.newRoot, r.dataCommitment]);
  });

  it("refuses an entry whose new collateral overflows its 128 bits (the balance word would wrap into the nonce)", async function () {
    // account 4, short 1 lot from 6,000,000 on 2^128 - 1,000,000, buys it back at 4,650,000
    // and realises 1,350,000: its collateral passes 2^128. The checked engine refuses the
    // write; unchecked, it writes what the circuit would pack: a collateral of
    // 350,000 - 2^128 and a withdrawal nonce of 1. Only the range check of the new
    // collateral stands in the way
    const w = () =>
      world([100_000n, 10_000_000n], [[pow2(COLLATERAL_BITS) - 1_000_000n, 1n, 6_000_000n]]);
    assert.throws(() => honest(w()), /collateral/);
    const s = w();
    const r = unchecked(s);
    assert.deepEqual(lotsOf(r), [[[4n, 1n]]]);
    assert.ok(s.getAccount(4n).collateral >= pow2(COLLATERAL_BITS));
    await assertRefusedAt(witnessFor(liq(r.input)), FILE, "DeleverageEntry", COLLATERAL_CHECK);
  });

  it("deleverages an entry whose new collateral is past 2^127 (the whole 128-bit range is legal)", async function () {
    // account 4, short 1 lot on 2^127, realises 1,350,000. (The batch's padding entry reads
    // an empty leaf, whose collateral is -2^128: the range's other end.)
    const r = honest(world([100_000n, 10_000_000n], [[pow2(127), 1n, 6_000_000n]]));
    assert.deepEqual(lotsOf(r), [[[4n, 1n]]]);
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(2, 4), [r.newRoot, r.dataCommitment]);
  });

  it("refuses an entry whose new notional overflows its 128 bits (a leaf no circuit could read again)", async function () {
    // account 4 is long 2 BTC with a notional of 1 - 2^128 (equity about 2^128): selling
    // one lot to the short fund at the bankruptcy price takes its notional below -2^128.
    // The checked engine refuses the write; unchecked, only the notional's range check
    // stands in the way
    const long4 = position(2n, 1n - pow2(NOTIONAL_BITS));
    assert.throws(() => honest(fundShort(long4)), /notional/);
    const s = fundShort(long4);
    const r = unchecked(s);
    assert.deepEqual(lotsOf(r), [[[4n, 1n]]]);
    assert.ok(s.getAccount(4n).positions[0].notional < -pow2(NOTIONAL_BITS));
    await assertRefusedAt(witnessFor(liq(r.input)), FILE, "DeleverageEntry", NOTIONAL_CHECK);
  });

  it("deleverages an entry whose new notional is past -2^127 (the whole 128-bit range is legal)", async function () {
    // account 4 is short 2 from a notional of -(2^127 + 10,000,000) and buys 1 lot back
    const s = world([100_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    s.setAccount(4n, {
      ...s.getAccount(4n),
      positions: [position(-2n, -pow2(127) - 10_000_000n), flat],
    });
    const r = honest(s);
    assert.deepEqual(lotsOf(r), [[[4n, 1n]]]);
    assert.ok(s.getAccount(4n).positions[0].notional < -pow2(127));
    const w = await witnessFor(liq(r.input));
    assert.deepEqual(w.slice(2, 4), [r.newRoot, r.dataCommitment]);
  });

  it("refuses a deleveraged-market flag other than a bit, even with a commitment chained through it", async function () {
    // BTC is deleveraged; the fund is flat in ETH with a rich compartment, where the flag
    // -1 passes every check of LiquidateBatch and of Deleverage but the bit check: the
    // market's head step becomes 2h - Poseidon(h, word, 0, root), which no skip proof can
    // reproduce, so every skip proof of the batch would be void. The commitment here is
    // that chain, so without the bit check the batch would be accepted
    const w = () => world([100_000n, 10_000_000n], [[10_000_000n, 1n, 6_000_000n]]);
    const r = honest(w());
    assert.deepEqual(r.input.adl.market, [1n, 0n]);
    const c0 = liquidationCommitment([3n]);
    assert.equal(deleverageCommitment(c0, r.deleveraged), r.dataCommitment);
    // the root ETH's (empty) list would start from: the one after BTC's entries
    const eth = unchecked(w(), { markets: [0, 1] }).deleveraged[1];
    assert.deepEqual([eth.market, eth.price, eth.fundSize], [1, 0n, 0n]);
    const [btc] = r.deleveraged;
    const h = poseidon([c0, deleverageHeadWord(btc), btc.price, btc.root]);
    let c = mod(2n * h - poseidon([h, deleverageHeadWord(eth), eth.price, eth.root]));
    for (const e of btc.entries)
      c = poseidon([c, deleverageEntryWord(btc.market, e), encodeSigned(e.score)]);
    const x = {
      ...r.input,
      dataCommitment: c,
      adl: { ...r.input.adl, market: [1n, FIELD_MODULUS - 1n] },
    };
    await assertRefusedAt(witnessFor(liq(x)), FILE, "Deleverage", MARKET_BIT);
  });
});
