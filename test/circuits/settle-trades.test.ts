import assert from "node:assert/strict";
import fs from "node:fs";
import fc from "fast-check";
import { FIELD_MODULUS } from "../../prover/src/domain/field.ts";
import { devKeyPair, sign } from "../../prover/src/domain/keys.ts";
import {
  orderMessage,
  signedOrderMessage,
  type SignedOrder,
} from "../../prover/src/domain/order.ts";
import { settleTrades, TradeError } from "../../prover/src/engine/trades.ts";
import { SETTLE_TRADES_PUBLIC, type SettleTradesInput } from "../../prover/src/domain/inputs.ts";
import { order, sampleExchange, simpleTrade, type Sample } from "../../prover/src/dev/sample.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import {
  assertRefusedBy,
  settleTradesCircuit,
  TEST_PARAMS,
  witnessOf,
} from "../helpers/circuit.ts";
import { type Trade } from "../../prover/src/domain/batch.ts";
import { deploymentDomain } from "../../prover/src/domain/messages.ts";

const P = TEST_PARAMS;
const BTC = 0;
const PX = 60_000_00n;

function fresh(traders = 4, collateral?: bigint): Sample {
  return sampleExchange(P, traders, collateral);
}

/** Engine-checked settlement must refuse with `code`; then the unchecked witness must
 * be refused by the circuit in `template`. */
async function refusedByBoth(
  make: (s: Sample) => Trade[],
  code: string,
  template: string,
  s = fresh(),
) {
  const trades = make(s);
  const root = s.state.root;
  assert.throws(
    () => settleTrades(s.state, trades, s.marks, P.batch),
    (e: unknown) => e instanceof TradeError && e.code === code,
  );
  assert.equal(s.state.root, root, "a refused batch leaves the state unchanged");
  const forged = settleTrades(s.state, trades, s.marks, P.batch, { unchecked: true });
  await assertRefusedBy(forged.input, template);
}

function withSignature(so: SignedOrder, sig: SignedOrder["signature"]): SignedOrder {
  return { order: so.order, signature: sig };
}

describe("SettleTrades circuit (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("accepts an engine batch: roots, commitment and binding are the witness's public inputs", async function () {
    const s = fresh();
    const [a, b] = s.traders;
    const r = settleTrades(
      s.state,
      [simpleTrade(s, a, b, BTC, 10n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    const w = await witnessOf(r.input);
    assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.tradeBinding]);
    assert.notEqual(r.oldRoot, r.newRoot);
  });

  it("orders public inputs as SETTLE_TRADES_PUBLIC says", async function () {
    const files = await settleTradesCircuit();
    const sym = readSymbols(files.sym);
    SETTLE_TRADES_PUBLIC.forEach((name, i) => assert.equal(sym.get(`main.${name}`), i + 1, name));
  });

  it("agrees with the engine on random valid batches (property)", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            buyer: fc.nat(3),
            sellerOffset: fc.integer({ min: 1, max: 3 }),
            market: fc.nat(P.markets - 1),
            qty: fc.bigInt(1n, 50n),
            extra: fc.bigInt(0n, 20n),
            priceTick: fc.bigInt(-50n, 50n),
            takerIsBuyer: fc.boolean(),
          }),
          { minLength: 0, maxLength: P.batch },
        ),
        async (specs) => {
          const s = fresh();
          const nonces = new Map<string, bigint>();
          const next = (acct: bigint, m: number) => {
            const k = `${acct}/${m}`;
            const n = (nonces.get(k) ?? 0n) + 1n;
            nonces.set(k, n);
            return n;
          };
          const trades: Trade[] = specs.map((t) => {
            const buyer = s.traders[t.buyer];
            const seller = s.traders[(t.buyer + t.sellerOffset) % 4];
            const price = s.marks[t.market] + t.priceTick * 100n;
            return {
              // orders larger than the fill: partially filled
              buy: order(s, buyer, {
                market: t.market,
                side: "buy",
                nonce: next(buyer.index, t.market),
                amount: t.qty + t.extra,
                limitPrice: price + 100n,
              }),
              sell: order(s, seller, {
                market: t.market,
                side: "sell",
                nonce: next(seller.index, t.market),
                amount: t.qty + t.extra,
                limitPrice: price - 100n,
              }),
              qty: t.qty,
              price,
              takerIsBuyer: t.takerIsBuyer,
            };
          });
          const r = settleTrades(s.state, trades, s.marks, P.batch);
          const w = await witnessOf(r.input);
          assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.tradeBinding]);
          assert.equal(r.newRoot, s.state.root);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("fills an order partially across batches and refuses to fill it beyond its size", async function () {
    const s = fresh();
    const [a, b, c] = s.traders;
    const big = order(s, a, { market: BTC, side: "buy", nonce: 7n, amount: 10n, limitPrice: PX });
    const sell = (n: bigint, qty: bigint) =>
      order(s, b, { market: BTC, side: "sell", nonce: n, amount: qty, limitPrice: PX });
    const r1 = settleTrades(
      s.state,
      [{ buy: big, sell: sell(1n, 4n), qty: 4n, price: PX, takerIsBuyer: false }],
      s.marks,
      P.batch,
    );
    await witnessOf(r1.input);
    const r2 = settleTrades(
      s.state,
      [{ buy: big, sell: sell(2n, 6n), qty: 6n, price: PX, takerIsBuyer: false }],
      s.marks,
      P.batch,
    );
    await witnessOf(r2.input);
    assert.equal(s.state.getAccount(a.index).positions[BTC].filled, 10n);
    await refusedByBoth(
      () => [
        {
          buy: big,
          sell: order(s, c, { market: BTC, side: "sell", nonce: 1n, amount: 1n, limitPrice: PX }),
          qty: 1n,
          price: PX,
          takerIsBuyer: false,
        },
      ],
      "ORDER_OVERFILLED",
      "OrderFillRule",
      s,
    );
  });

  it("fills at the edges of the order rules: a nonce 2^32 - 2 above the working order, 2^64 - 2 lots left, limits 2^64 - 2 from the price", async function () {
    // every bit of the range checks in OrderFillRule and PriceWithinLimit is needed
    // here: one bit fewer (a mutant of order.circom) refuses these honest trades
    const s = fresh();
    const [a, b] = s.traders;
    const far = order(s, a, {
      market: BTC,
      side: "buy",
      nonce: (1n << 32n) - 1n,
      amount: (1n << 64n) - 1n,
      limitPrice: (1n << 64n) - 1n,
    });
    const one = order(s, b, { market: BTC, side: "sell", nonce: 1n, amount: 1n, limitPrice: PX });
    const r = settleTrades(
      s.state,
      [{ buy: far, sell: one, qty: 1n, price: PX, takerIsBuyer: false }],
      s.marks,
      P.batch,
    );
    await witnessOf(r.input);
    assert.equal(s.state.getAccount(a.index).positions[BTC].nonce, (1n << 32n) - 1n);
    assert.equal(s.state.getAccount(a.index).positions[BTC].filled, 1n);
    // and a sell whose limit is 2^64 - 2 below the price (with collateral for such a price)
    const rich = fresh(4, 1n << 100n);
    const [c, d] = rich.traders;
    const top = (1n << 64n) - 1n;
    const buy = order(rich, c, {
      market: BTC,
      side: "buy",
      nonce: 1n,
      amount: 1n,
      limitPrice: top,
    });
    const sell = order(rich, d, {
      market: BTC,
      side: "sell",
      nonce: 1n,
      amount: 1n,
      limitPrice: 1n,
    });
    const r2 = settleTrades(
      rich.state,
      [{ buy, sell, qty: 1n, price: top, takerIsBuyer: true }],
      rich.marks,
      P.batch,
    );
    await witnessOf(r2.input);
  });

  it("refuses a replayed order (nonce below the working order)", async function () {
    const s = fresh();
    const [a, b] = s.traders;
    const old = order(s, a, { market: BTC, side: "buy", nonce: 3n, amount: 5n, limitPrice: PX });
    settleTrades(
      s.state,
      [simpleTrade(s, a, b, BTC, 1n, PX, { buy: 4n, sell: 1n })],
      s.marks,
      P.batch,
    );
    await refusedByBoth(
      () => [
        {
          buy: old,
          sell: order(s, b, { market: BTC, side: "sell", nonce: 2n, amount: 1n, limitPrice: PX }),
          qty: 1n,
          price: PX,
          takerIsBuyer: true,
        },
      ],
      "ORDER_REPLAYED",
      "OrderFillRule",
      s,
    );
  });

  it("refuses a missing signature", async function () {
    await refusedByBoth(
      (s) => {
        const t = simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n });
        return [{ ...t, buy: withSignature(t.buy, { r8x: 0n, r8y: 1n, s: 0n }) }];
      },
      "ORDER_BAD_SIGNATURE",
      "ForceEqualIfEnabled",
    );
  });

  it("refuses a signature over a different order", async function () {
    await refusedByBoth(
      (s) => {
        const t = simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n });
        const other = { ...t.sell.order, amount: 2n };
        return [
          {
            ...t,
            sell: withSignature(t.sell, sign(s.traders[1].keys.privateKey, orderMessage(other))),
          },
        ];
      },
      "ORDER_BAD_SIGNATURE",
      "ForceEqualIfEnabled",
    );
  });

  it("refuses an order signed by another account's key", async function () {
    await refusedByBoth(
      (s) => {
        const t = simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n });
        const mallory = devKeyPair("mallory");
        return [
          { ...t, buy: withSignature(t.buy, sign(mallory.privateKey, orderMessage(t.buy.order))) },
        ];
      },
      "ORDER_BAD_SIGNATURE",
      "ForceEqualIfEnabled",
    );
  });

  it("refuses an order signed for another deployment (another chain or Settlement)", async function () {
    await refusedByBoth(
      (s) => {
        const t = simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n });
        const elsewhere = deploymentDomain(1n, "0x00000000000000000000000000000000000000aa");
        const sig = sign(s.traders[0].keys.privateKey, signedOrderMessage(t.buy.order, elsewhere));
        return [{ ...t, buy: withSignature(t.buy, sig) }];
      },
      "ORDER_BAD_SIGNATURE",
      "ForceEqualIfEnabled",
    );
  });

  it("refuses an execution price outside a limit, on either side", async function () {
    await refusedByBoth(
      (s) => {
        const t = simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n });
        return [
          {
            ...t,
            price: PX + 1n,
            sell: order(s, s.traders[1], {
              market: BTC,
              side: "sell",
              nonce: 1n,
              amount: 1n,
              limitPrice: PX,
            }),
          },
        ];
      },
      "PRICE_OUTSIDE_LIMIT",
      "PriceWithinLimit",
    );
    // and a sell below its limit (a mutant without the sell side's check passed every
    // test before this one)
    await refusedByBoth(
      (s) => {
        const t = simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n });
        return [
          {
            ...t,
            price: PX - 1n,
            buy: order(s, s.traders[0], {
              market: BTC,
              side: "buy",
              nonce: 1n,
              amount: 1n,
              limitPrice: PX,
            }),
          },
        ];
      },
      "PRICE_OUTSIDE_LIMIT",
      "PriceWithinLimit",
    );
  });

  it("refuses a trade that leaves an account below initial margin", async function () {
    // 1,000 of collateral cannot carry 1 lot at 60,000 with 10% initial margin
    await refusedByBoth(
      (s) => [simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n })],
      "MARGIN_INSUFFICIENT",
      "MarginRequirement",
      fresh(4, 1_000_00n),
    );
  });

  it("lets a reducing trade pass at maintenance margin but not an increasing one", async function () {
    const s = fresh(4, 700_000n);
    const [a, b, c] = s.traders;
    // a buys 1 lot at 60,000.00: IM 6,000.00 <= 7,000.00 collateral
    settleTrades(
      s.state,
      [simpleTrade(s, a, b, BTC, 1n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    // the price falls to 54,000: equity 1,000.00 - fees, below IM (5,400) and below MM (2,700)
    // at 56,000: equity ~3,000 >= MM 2,800 but < IM 5,600
    const marks = [56_000_00n, s.marks[1]];
    const reduce: Trade = {
      buy: order(s, c, { market: BTC, side: "buy", nonce: 1n, amount: 1n, limitPrice: 56_000_00n }),
      sell: order(s, a, {
        market: BTC,
        side: "sell",
        nonce: 2n,
        amount: 1n,
        limitPrice: 56_000_00n,
      }),
      qty: 1n,
      price: 56_000_00n,
      takerIsBuyer: true,
    };
    // increasing exposure (a buys more) is refused at these marks
    const increase: Trade = {
      buy: order(s, a, { market: BTC, side: "buy", nonce: 3n, amount: 1n, limitPrice: 56_000_00n }),
      sell: order(s, c, {
        market: BTC,
        side: "sell",
        nonce: 2n,
        amount: 1n,
        limitPrice: 56_000_00n,
      }),
      qty: 1n,
      price: 56_000_00n,
      takerIsBuyer: true,
    };
    assert.throws(
      () => settleTrades(s.state, [increase], marks, P.batch),
      (e: unknown) => (e as TradeError).code === "MARGIN_INSUFFICIENT",
    );
    const r = settleTrades(s.state, [reduce], marks, P.batch);
    await witnessOf(r.input);
    // closing realises the loss into collateral
    const after = s.state.getAccount(a.index);
    assert.equal(after.positions[BTC].size, 0n);
    assert.equal(after.positions[BTC].notional, 0n);
    assert.ok(after.collateral < 700_000n - 400_000n);
  });

  it("refuses amounts at 2^64 and negative amounts aliased as r - x (a negative fill in the batch's own check)", async function () {
    const s = fresh();
    const t = simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n });
    const r = settleTrades(s.state, [t], s.marks, P.batch, { unchecked: true });
    const slot = r.input.slots[0];
    const tamper = (f: Partial<typeof slot>): SettleTradesInput => ({
      ...r.input,
      slots: [{ ...slot, ...f }, ...r.input.slots.slice(1)],
    });
    await assertRefusedBy(tamper({ qty: 1n << 64n }), "RangeCheck");
    await assertRefusedBy(tamper({ price: FIELD_MODULUS - 1n }), "RangeCheck");
    // each order's fill rule bounds the fill from above only (what is left of the order
    // covers it): a negative fill passes both, so the batch's own check must refuse it
    await assertRefusedBy(tamper({ qty: FIELD_MODULUS - 1n }), "SettleTrades");
    assert.throws(
      () => settleTrades(fresh().state, [{ ...t, qty: 1n << 64n }], s.marks, P.batch),
      (e: unknown) => (e as TradeError).code === "TRADE_BAD_QTY",
    );
  });

  it("reads a value aliased by adding the modulus as the same field element", async function () {
    const s = fresh();
    const r = settleTrades(
      s.state,
      [simpleTrade(s, s.traders[0], s.traders[1], BTC, 3n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    const slot = r.input.slots[0];
    const aliased = {
      ...r.input,
      slots: [{ ...slot, qty: slot.qty + FIELD_MODULUS }, ...r.input.slots.slice(1)],
    };
    // the circuit works modulo r: the alias is the same trade, not a bigger one
    const w1 = await witnessOf(r.input);
    const w2 = await witnessOf(aliased);
    assert.deepEqual(w2, w1);
  });

  it("does not let a padding slot change the state", async function () {
    const s = fresh();
    const [a, b] = s.traders;
    const applied = settleTrades(
      s.state,
      [simpleTrade(s, a, b, BTC, 2n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    // the same genesis, an empty batch: its root does not move
    const s2 = fresh();
    const empty = settleTrades(s2.state, [], s2.marks, P.batch);
    assert.equal(empty.oldRoot, applied.oldRoot);
    assert.equal(empty.newRoot, empty.oldRoot);
    // the trade's honest slot data, but in a disabled slot
    const disabled = { ...applied.input.slots[0], enabled: 0n };
    const noop: SettleTradesInput = {
      ...empty.input,
      slots: [disabled, ...empty.input.slots.slice(1)],
    };
    const w = await witnessOf(noop);
    assert.equal(w[2], noop.oldRoot, "the new root equals the old root");
    // claiming the trade's new root (or its commitment) with the slot disabled is refused
    await assertRefusedBy({ ...noop, newRoot: applied.newRoot }, "SettleTrades");
    await assertRefusedBy({ ...noop, dataCommitment: applied.dataCommitment }, "SettleTrades");
  });

  it("refuses self-trades and trades by system accounts", async function () {
    await refusedByBoth(
      (s) => [
        {
          ...simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n }),
          sell: order(s, s.traders[0], {
            market: BTC,
            side: "sell",
            nonce: 2n,
            amount: 1n,
            limitPrice: PX,
          }),
        },
      ],
      "TRADE_SELF",
      "SettleTrades",
    );
  });

  it("refuses a fee rate above the order's maximum", async function () {
    await refusedByBoth(
      (s) => [
        {
          ...simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n }),
          buy: order(s, s.traders[0], {
            market: BTC,
            side: "buy",
            nonce: 1n,
            amount: 1n,
            limitPrice: PX,
            maxFeeBps: 1n,
          }),
        },
      ],
      "FEE_ABOVE_MAX",
      "TradingFee",
    );
  });

  it("refuses prices or configuration other than the bound ones", async function () {
    const s = fresh();
    const r = settleTrades(
      s.state,
      [simpleTrade(s, s.traders[0], s.traders[1], BTC, 1n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    await assertRefusedBy(
      { ...r.input, mark: [r.input.mark[0] + 1n, r.input.mark[1]] },
      "SettleTrades",
    );
    await assertRefusedBy(
      { ...r.input, marketParam: [r.input.marketParam[0] + 1n, r.input.marketParam[1]] },
      "SettleTrades",
    );
  });

  it("refuses forged witnesses at the R1CS level (edited after the witness calculator ran)", async function () {
    const s = fresh(4, 700_000n);
    const [a, b] = s.traders;
    const r = settleTrades(
      s.state,
      [simpleTrade(s, a, b, BTC, 1n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    const files = await settleTradesCircuit();
    const r1cs = readR1cs(files.r1cs);
    const sym = readSymbols(files.sym);
    const honest = await witnessOf(r.input);
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    for (const signal of [
      "main.side[0][0].reducing", // claim the buy only reduced exposure (maintenance instead of initial)
      "main.side[0][1].fee", // charge a different fee
      "main.side[0][0].newNegative", // flip the sign of the new position
      "main.feeSum[0][0]", // divert a fee
    ]) {
      const wire = sym.get(signal);
      assert.ok(wire !== undefined, `${signal} is a wire`);
      const forged = [...honest];
      forged[wire] = honest[wire] === 0n ? 1n : 0n;
      const bad = unsatisfiedConstraints(r1cs, forged);
      assert.ok(bad.length > 0, `editing ${signal} must break a constraint`);
      const touches = bad.some((i) =>
        r1cs.constraints[i].some((lc) => lc.some(([w]) => w === wire)),
      );
      assert.ok(touches, `a broken constraint involves ${signal}`);
    }
  });

  it("keeps constants.circom and constants.ts in step", async function () {
    const ts = await import("../../prover/src/domain/constants.ts");
    const circom = fs.readFileSync(
      new URL("../../circuits/src/constants.circom", import.meta.url),
      "utf8",
    );
    const fns = [...circom.matchAll(/function (\w+)\(\) \{ return (\d+); \}/g)];
    assert.ok(fns.length > 20);
    for (const [, name, value] of fns) {
      const v = (ts as Record<string, unknown>)[name];
      assert.ok(v !== undefined, `${name} is exported by constants.ts`);
      assert.equal(BigInt(v as number | bigint), BigInt(value), name);
    }
  });
});
