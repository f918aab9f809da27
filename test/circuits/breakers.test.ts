import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import fc from "fast-check";
import { settleTrades, TradeError } from "../../prover/src/engine/trades.ts";
import { tradeBinding } from "../../prover/src/domain/breakers.ts";
import { priceConfigHash } from "../../prover/src/domain/market.ts";
import { poseidon } from "../../prover/src/domain/hash.ts";
import { sampleExchange, simpleTrade, type Sample } from "../../prover/src/dev/sample.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import {
  assertRefusedBy,
  settleTradesCircuit,
  TEST_PARAMS,
  witnessOf,
} from "../helpers/circuit.ts";

const P = TEST_PARAMS;
const ZERO = zeroIndices(P.markets);

/**
 * Sample exchange where trader 0 is long 2 lots and trader 1 short 2 lots of market 0, and
 * trader 2 long 1 lot of market 1.
 */
function positioned(): Sample {
  const s = sampleExchange(P, 4);
  const [a, b, c, d] = s.traders;
  settleTrades(
    s.state,
    [
      simpleTrade(s, a, b, 0, 2n, s.marks[0], { buy: 1n, sell: 1n }),
      simpleTrade(s, c, d, 1, 1n, s.marks[1], { buy: 1n, sell: 1n }),
    ],
    s.marks,
    P.batch,
  );
  return s;
}

/**
 * SettleTrades' circuit breaker rule: in a market whose bit is set in the round's reduce-only
 * mask, every trade must reduce both sides' exposure (towards zero, never across it); the mask
 * is bound through tradeBinding. Engine (engine/trades.ts) and circuit agree, and every forged
 * witness is refused by the circuit.
 */
describe("SettleTrades under circuit breakers (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("agrees with the engine on random trades and masks: reducing trades pass, others are refused by TradeSide (property)", async function () {
    this.timeout(600_000);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: P.markets - 1 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        async (mask, market, aBuys, qty) => {
          const s = positioned();
          const [a, b] = s.traders;
          const [buyer, seller] = aBuys ? [a, b] : [b, a];
          const t = simpleTrade(s, buyer, seller, market, BigInt(qty), s.marks[market], {
            buy: 5n,
            sell: 5n,
          });
          // a (long 2 in market 0) and b (short 2) reduce only when a sells and b buys, at
          // most 2 lots; in market 1 neither has a position, so nothing reduces
          const reduces = market === 0 && !aBuys && qty <= 2;
          const blocked = ((mask >> market) & 1) === 1 && !reduces;
          const m = BigInt(mask);
          if (blocked) {
            const root = s.state.root;
            assert.throws(
              () => settleTrades(s.state, [t], s.marks, P.batch, {}, ZERO, m),
              (e: unknown) => e instanceof TradeError && e.code === "MARKET_REDUCE_ONLY",
            );
            assert.equal(s.state.root, root);
            const forged = settleTrades(
              s.state,
              [t],
              s.marks,
              P.batch,
              { unchecked: true },
              ZERO,
              m,
            );
            await assertRefusedBy(forged.input, "TradeSide");
          } else {
            const r = settleTrades(s.state, [t], s.marks, P.batch, {}, ZERO, m);
            const w = await witnessOf(r.input);
            assert.deepEqual(w.slice(1, 5), [
              r.oldRoot,
              r.newRoot,
              r.dataCommitment,
              r.tradeBinding,
            ]);
          }
        },
      ),
      { numRuns: 16 },
    );
  });

  it("refuses a trade that crosses zero (long 2 sells 3) or opens from flat, and passes one that closes exactly", async function () {
    // the unchecked (forged) settlement moves the state: each case starts afresh
    const cases: ((s: Sample) => Trade)[] = [
      (s) => simpleTrade(s, s.traders[1], s.traders[0], 0, 3n, s.marks[0], { buy: 5n, sell: 5n }),
      (s) => simpleTrade(s, s.traders[2], s.traders[3], 0, 1n, s.marks[0], { buy: 5n, sell: 5n }),
    ];
    for (const make of cases) {
      const s = positioned();
      assert.throws(
        () => settleTrades(s.state, [make(s)], s.marks, P.batch, {}, ZERO, 1n),
        (e: unknown) => e instanceof TradeError && e.code === "MARKET_REDUCE_ONLY",
      );
      const forged = settleTrades(
        s.state,
        [make(s)],
        s.marks,
        P.batch,
        { unchecked: true },
        ZERO,
        1n,
      );
      await assertRefusedBy(forged.input, "TradeSide");
    }
    const s = positioned();
    const [a, b] = s.traders;
    const close = simpleTrade(s, b, a, 0, 2n, s.marks[0], { buy: 6n, sell: 6n });
    const r = settleTrades(s.state, [close], s.marks, P.batch, {}, ZERO, 1n);
    await witnessOf(r.input);
    assert.equal(s.state.getAccount(a.index).positions[0].size, 0n);
    assert.equal(s.state.getAccount(b.index).positions[0].size, 0n);
  });

  it("binds the mask: a witness with another mask than its binding's, or bits beyond the markets, is refused", async function () {
    const s = positioned();
    const [a, b] = s.traders;
    const t = simpleTrade(s, a, b, 1, 1n, s.marks[1], { buy: 5n, sell: 5n });
    // an increasing trade in market 1 proven with the mask cleared, against a binding of mask 2
    const forged = settleTrades(s.state, [t], s.marks, P.batch, { unchecked: true }, ZERO, 0n);
    const bound = tradeBinding(
      priceConfigHash(s.state, s.marks, ZERO, oneX(s.marks.length)),
      2n,
      P.markets,
    );
    await assertRefusedBy({ ...forged.input, tradeBinding: bound }, "SettleTrades");
    // a mask with a bit beyond the M markets, hashed into its own binding
    const wide = 1n << BigInt(P.markets);
    await assertRefusedBy(
      {
        ...forged.input,
        reduceOnly: wide,
        // Poseidon over the wide mask itself: only the mask's range check can refuse it
        tradeBinding: poseidon([
          priceConfigHash(s.state, s.marks, ZERO, oneX(s.marks.length)),
          wide,
        ]),
      },
      "Num2Bits",
    );
    assert.throws(
      () => settleTrades(s.state, [t], s.marks, P.batch, {}, ZERO, wide),
      (e: unknown) => e instanceof ZkClearError && e.code === "REDUCE_ONLY_MASK",
    );
  });
});
