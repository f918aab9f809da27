import { pow2 } from "../../prover/src/domain/amounts.ts";
import type { SignedOrder } from "../../prover/src/domain/order.ts";
import { order, sampleExchange, type Sample } from "../../prover/src/dev/sample.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import {
  assertRefusedAt,
  settleTradesCircuit,
  TEST_PARAMS,
  witnessOf,
} from "../helpers/circuit.ts";

// TradeSide (circuits/src/trade.circom) range-checks an order's nonce, fee cap and amount
// before it reads the signed message, which packs them by addition: a field one bit wider
// than its range carries into the next one, so a signed order could be presented as
// another with the same message. The mutation run (docs/verification.md) found these
// checks untested: each could be deleted or widened with every test green, and each
// carry is an attack by the operator, who builds the batch (an outside analysis of the
// survivors gave the three below). Each forged order carries the trader's own signature;
// the engine builds the rest of the batch from it unchecked, so only the check named
// refuses it, and a circuit without the check accepts it.

const P = TEST_PARAMS;
const BTC = 0;
const PX = 60_000_00n;
/** The batch with `trade`, built unchecked, is refused by TradeSide's `statement`. */
function refusedAt(s: Sample, trade: Trade, statement: string): Promise<void> {
  const input = settleTrades(s.state, [trade], s.marks, P.batch, { unchecked: true }).input;
  return assertRefusedAt(witnessOf(input), "trade.circom", "TradeSide", statement);
}

/** The signed order presented with other field values, its signature kept. */
const presented = (so: SignedOrder, fields: Partial<SignedOrder["order"]>): SignedOrder => ({
  order: { ...so.order, ...fields },
  signature: so.signature,
});

describe("TradeSide: an order's fields in range, so a signed order is never read as another (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("refuses a retired order replayed with nonce 2^32 + n, which carries into the fee cap", async function () {
    // (2^32 + 1) << 45 = 1 << 45 + 1 << 77: the message of the nonce-1 order with a cap one higher
    const s = sampleExchange(P, 4);
    const [a, b, c] = s.traders;
    const first = order(s, a, {
      market: BTC,
      side: "buy",
      nonce: 1n,
      amount: 4n,
      limitPrice: PX,
      maxFeeBps: 11n,
    });
    const sell = (t: typeof b, nonce: bigint) =>
      order(s, t, { market: BTC, side: "sell", nonce, amount: 2n, limitPrice: PX });
    settleTrades(
      s.state,
      [{ buy: first, sell: sell(b, 1n), qty: 2n, price: PX, takerIsBuyer: true }],
      s.marks,
      P.batch,
    );
    const second = order(s, a, {
      market: BTC,
      side: "buy",
      nonce: 2n,
      amount: 2n,
      limitPrice: PX,
    });
    settleTrades(
      s.state,
      [{ buy: second, sell: sell(c, 1n), qty: 2n, price: PX, takerIsBuyer: true }],
      s.marks,
      P.batch,
    );
    const replay = presented(first, { nonce: pow2(32) + 1n, maxFeeBps: 10n });
    await refusedAt(
      s,
      { buy: replay, sell: sell(b, 2n), qty: 2n, price: PX, takerIsBuyer: true },
      "RangeCheck(NONCE_BITS())(nonce);",
    );
  });

  it("refuses a fee cap of 2^16 + f, which carries into the amount: a fee above the signed cap", async function () {
    // (2^16 + 1) << 77 = 1 << 77 + 1 << 93: the message of the order capped at 1 bp, amount one higher
    const s = sampleExchange(P, 4);
    const [a, b] = s.traders;
    const capped = order(s, a, {
      market: BTC,
      side: "buy",
      nonce: 1n,
      amount: 3n,
      limitPrice: PX,
      maxFeeBps: 1n,
    });
    const sell = order(s, b, { market: BTC, side: "sell", nonce: 1n, amount: 2n, limitPrice: PX });
    // the taker's rate (5 bps) charged to an order capped at 1
    await refusedAt(
      s,
      {
        buy: presented(capped, { maxFeeBps: pow2(16) + 1n, amount: 2n }),
        sell,
        qty: 2n,
        price: PX,
        takerIsBuyer: true,
      },
      "RangeCheck(BPS_BITS())(maxFeeBps);",
    );
  });

  it("refuses an amount of 2^64 + a, which carries into the limit: an order filled beyond its size", async function () {
    // (2^64 + 1) << 93 = 1 << 93 + 1 << 157: the message of the 1-lot order with a limit one higher
    const s = sampleExchange(P, 4);
    const [a, b] = s.traders;
    const one = order(s, a, {
      market: BTC,
      side: "buy",
      nonce: 1n,
      amount: 1n,
      limitPrice: PX + 1n,
    });
    const sell = order(s, b, { market: BTC, side: "sell", nonce: 1n, amount: 5n, limitPrice: PX });
    await refusedAt(
      s,
      {
        buy: presented(one, { amount: pow2(64) + 1n, limitPrice: PX }),
        sell,
        qty: 5n,
        price: PX,
        takerIsBuyer: true,
      },
      "RangeCheck(AMOUNT_BITS())(amount);",
    );
  });
});
