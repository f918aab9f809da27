import assert from "node:assert/strict";
import { pow2 } from "../../prover/src/domain/amounts.ts";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { signedOrderMessage } from "../../prover/src/domain/order.ts";
import { order, sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { leafWitness, plainLeaf } from "../../prover/src/engine/leaf-witness.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import type { SettleTradesInput } from "../../prover/src/domain/inputs.ts";
import {
  assertRefusedAt,
  settleTradesCircuit,
  TEST_PARAMS,
  witnessOf,
} from "../helpers/circuit.ts";

// SettleTrades' own rules (circuits/src/settle-trades.circom), each broken alone and refused
// at its own statement. The mutation run (docs/verification.md) found each deletable with
// every test green; an outside analysis of the survivors gave the attacks.
// - The fees reach the fee account in one Merkle update after the trades, and that update
//   must start from the root the trades left: it is the only thing that ties the batch's
//   new root to them, and nothing else reads that root, so the determinism check passes
//   without the tie. Without it the prover publishes any tree it likes around a fee leaf:
//   here the trades erased.
// - A slot's flags are bits (a taker flag of -2/3 would split the fees between the sides
//   at will within their caps) and its fill is positive (a fill of 0 would commit a trade
//   that moves nothing).
// - A slot names a market of the table, trades at a positive price, and the fees leave the
//   fee account's collateral in its range (past 2^128 it would carry into the withdrawal
//   nonce); each range is proven to its top too, so a check one bit narrower fails a test.

const P = TEST_PARAMS;
const PX = 60_000_00n;
/** The batch is refused by SettleTrades' own `statement`, not by anything before or after it. */
const refusedAt = (input: SettleTradesInput, statement: string) =>
  assertRefusedAt(witnessOf(input), "settle-trades.circom", "SettleTrades", statement);

/** One trade of a lot between the sample's first two traders, settled by the engine. */
function oneTrade(qty = 1n) {
  const s = sampleExchange(P, 4);
  const [a, b] = s.traders;
  const trade = { ...simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n }), qty };
  return { s, trade };
}

describe("SettleTrades: the fee update starts from the root the trades left (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("refuses a fee leaf from the tree before the trades, whose update would publish a root without them", async function () {
    const { s, trade } = oneTrade();
    const r = settleTrades(s.state, [trade], s.marks, P.batch);
    assert.ok(r.totalFees > 0n);
    // the same exchange before the trade: its fee leaf, credited with the batch's fees
    const before = sampleExchange(P, 4);
    const w = leafWitness(before.state, FEE_ACCOUNT);
    const fee = before.state.getAccount(FEE_ACCOUNT);
    before.state.setAccount(FEE_ACCOUNT, { ...fee, collateral: fee.collateral + r.totalFees });
    const input = {
      ...r.input,
      newRoot: before.state.root,
      feeLeaf: plainLeaf(w),
    };
    await refusedAt(input, "feeUpdate.oldRoot === root[B];");
  });
});

describe("SettleTrades: a slot's flags are bits and its fill is positive (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  const tampered = (f: Partial<SettleTradesInput["slots"][number]>) => {
    const { s, trade } = oneTrade();
    const input = settleTrades(s.state, [trade], s.marks, P.batch).input;
    const [slot, ...rest] = input.slots;
    return { ...input, slots: [{ ...slot, ...f }, ...rest] };
  };

  it("refuses a slot enabled twice", async function () {
    await refusedAt(tampered({ enabled: 2n }), "AssertBit()(enabled[i]);");
  });

  it("refuses a taker flag that is not a bit: it would split the fees between the sides at will", async function () {
    await refusedAt(tampered({ takerIsBuyer: 2n }), "AssertBit()(takerIsBuyer[i]);");
  });

  it("refuses a fill of 0 lots, which would commit a trade and move nothing", async function () {
    const { s, trade } = oneTrade(0n);
    assert.throws(() => settleTrades(s.state, [trade], s.marks, P.batch), /qty|quantity/i);
    const input = settleTrades(s.state, [trade], s.marks, P.batch, { unchecked: true }).input;
    await refusedAt(input, "qtyZero[i] * enabled[i] === 0;");
  });
});

describe("SettleTrades: a slot's market and price, and the fee account, in their ranges (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("refuses a slot whose market is past the table: it would select no market, and commit a fill that changes nothing", async function () {
    const { s, trade } = oneTrade();
    const input = settleTrades(s.state, [trade], s.marks, P.batch).input;
    const [slot, ...rest] = input.slots;
    const slots = [{ ...slot, market: BigInt(P.markets) }, ...rest];
    await refusedAt({ ...input, slots }, "oneHot === 1;");
  });

  it("proves a fill of 2^64 - 1 lots, the top of the fill's range", async function () {
    const s = sampleExchange(P, 4, pow2(100));
    const [a, b] = s.traders;
    const o = { market: 0, nonce: 1n, amount: pow2(64) - 1n, limitPrice: PX };
    const trade = {
      buy: order(s, a, { ...o, side: "buy" }),
      sell: order(s, b, { ...o, side: "sell" }),
      qty: pow2(64) - 1n,
      price: PX,
      takerIsBuyer: true,
    };
    await witnessOf(settleTrades(s.state, [trade], s.marks, P.batch).input);
    assert.equal(s.state.getAccount(b.index).positions[0].size, 1n - pow2(64));
  });

  it("refuses a price of 0, even against a sell signed with a limit of 0", async function () {
    // signOrder refuses such an order; other software could sign it
    const { s, trade } = oneTrade();
    const seller = s.traders[1];
    const sellOrder = { ...trade.sell.order, limitPrice: 0n };
    const sell = {
      order: sellOrder,
      signature: sign(seller.keys.privateKey, signedOrderMessage(sellOrder, s.domain)),
    };
    const input = settleTrades(s.state, [{ ...trade, sell, price: 0n }], s.marks, P.batch, {
      unchecked: true,
    }).input;
    await refusedAt(input, "priceZero[i] * enabled[i] === 0;");
  });

  it("proves fees that take the fee account to 2^128 - 1, and refuses one unit more", async function () {
    const withFees = (collateral: bigint) => {
      const { s, trade } = oneTrade();
      const fee = s.state.getAccount(FEE_ACCOUNT);
      s.state.setAccount(FEE_ACCOUNT, { ...fee, collateral });
      return { s, trade };
    };
    const probe = oneTrade();
    const F = settleTrades(probe.s.state, [probe.trade], probe.s.marks, P.batch).totalFees;
    assert.ok(F > 0n);
    const top = withFees(pow2(128) - 1n - F);
    await witnessOf(settleTrades(top.s.state, [top.trade], top.s.marks, P.batch).input);
    assert.equal(top.s.state.getAccount(FEE_ACCOUNT).collateral, pow2(128) - 1n);
    // one more unit: the engine refuses it, and its unchecked witness is refused by the check
    const over = withFees(pow2(128) - F);
    assert.throws(
      () => settleTrades(over.s.state, [over.trade], over.s.marks, P.batch),
      /collateral = \d+ is outside \[-2\^128, 2\^128\)/,
    );
    const input = settleTrades(over.s.state, [over.trade], over.s.marks, P.batch, {
      unchecked: true,
    }).input;
    await refusedAt(input, "_ <== SignedRangeCheck(COLLATERAL_BITS())(newFeeCollateral);");
  });
});
