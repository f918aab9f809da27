import assert from "node:assert/strict";
import { pow2 } from "../../prover/src/domain/amounts.ts";
import type { Position } from "../../prover/src/domain/account.ts";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import type { Side } from "../../prover/src/domain/order.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { order, sampleExchange, type Sample, type Trader } from "../../prover/src/dev/sample.ts";
import {
  assertRefusedAt,
  settleTradesCircuit,
  TEST_PARAMS,
  witnessOf,
} from "../helpers/circuit.ts";

// TradeSide (circuits/src/trade.circom) range-checks the size, notional and collateral it
// writes, and SettleTrades the fund's reserve and compartment after its trades. Each range
// is the field a leaf holds or a later comparison reads: a value past it wraps into the
// next field of the packed word (a size into the nonce, a collateral into the withdrawal
// nonce and the flag) or leaves a leaf no circuit can read again. The mutation run
// (docs/verification.md) found the tops of these ranges untested: a check one bit narrower
// refused nothing the tests proved, and one deleted or one bit wider accepted nothing they
// refused. So each range is reached here from both sides: the largest value it admits is
// proven, and one past it, in a leaf put in the tree directly (no circuit writes one) and
// a batch the engine builds unchecked, is refused by the check itself.

const P = TEST_PARAMS;
const BTC = 0;
const PX = 60_000_00n;
const FUND: Trader = { index: INSURANCE_ACCOUNT, keys: devOwnerKeys().fund };

/** Trader 3 with `collateral` and BTC position `pos` (in the tree directly); trader 4 rich. */
function holding(pos: Partial<Position>, collateral = pow2(100)): Sample {
  const s = sampleExchange(P, 2, pow2(100));
  const a = s.traders[0].index;
  const leaf = s.state.getAccount(a);
  const positions = leaf.positions.map((p, j) => (j === BTC ? { ...p, ...pos } : p));
  s.state.setAccount(a, { ...leaf, collateral, positions }, false);
  return s;
}

/** `who` trades `qty` BTC at `price` on `side` with trader 4, fresh orders; `who` the maker. */
function trades(s: Sample, who: Trader, side: Side, qty: bigint, price: bigint): Trade {
  const o = { market: BTC, nonce: 1n, amount: qty, limitPrice: price };
  const mine = order(s, who, { ...o, side });
  const theirs = order(s, s.traders[1], { ...o, side: side === "buy" ? "sell" : "buy" });
  return side === "buy"
    ? { buy: mine, sell: theirs, qty, price, takerIsBuyer: false }
    : { buy: theirs, sell: mine, qty, price, takerIsBuyer: true };
}

/** The batch of `trade` is proven (the engine checks it too). */
async function proven(s: Sample, trade: Trade): Promise<void> {
  await witnessOf(settleTrades(s.state, [trade], s.marks, P.batch).input);
}

/** The batch of `trade`, built unchecked, is refused by TradeSide's `statement`. */
function refusedAt(s: Sample, trade: Trade, statement: string): Promise<void> {
  const input = settleTrades(s.state, [trade], s.marks, P.batch, { unchecked: true }).input;
  return assertRefusedAt(witnessOf(input), "trade.circom", "TradeSide", statement);
}

describe("TradeSide and the fund's rules: what a trade writes stays in its range, to the top (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("proves a long of 2^64 - 1 lots and refuses one more lot at the size's range check", async function () {
    // a size of 2^64 would carry into the position word's nonce: a wider check (or none)
    // lets the next order of the account's read as a replay, or a short as a long
    const s = holding({ size: pow2(64) - 2n, notional: (pow2(64) - 2n) * PX });
    await proven(s, trades(s, s.traders[0], "buy", 1n, PX));
    assert.equal(s.state.getAccount(s.traders[0].index).positions[BTC].size, pow2(64) - 1n);
    const full = holding({ size: pow2(64) - 1n, notional: (pow2(64) - 1n) * PX });
    await refusedAt(
      full,
      trades(full, full.traders[0], "buy", 1n, PX),
      "signal newNegative <== SignedRangeCheck(SIZE_BITS())(newSize);",
    );
  });

  it("proves a short's notional of -2^127 - PX and refuses one past -2^128", async function () {
    // a notional below -2^128 is a leaf AccountLeafUnpack refuses: the account frozen
    const s = holding({ size: -1n, notional: -pow2(127) });
    await proven(s, trades(s, s.traders[0], "sell", 1n, PX));
    assert.equal(s.state.getAccount(s.traders[0].index).positions[BTC].notional, -pow2(127) - PX);
    const deep = holding({ size: -1n, notional: 1n - pow2(128) });
    await refusedAt(
      deep,
      trades(deep, deep.traders[0], "sell", 1n, PX),
      "_ <== SignedRangeCheck(NOTIONAL_BITS())(newNotional);",
    );
  });

  it("proves a trade by an account holding 2^127 + 2^100 and refuses a gain that takes it to 2^128", async function () {
    // a collateral of 2^128 or more would carry into the balance word's withdrawal nonce
    // and flag: old withdrawal signatures good again, a cross account made isolated
    const rich = holding({}, pow2(127) + pow2(100));
    await proven(rich, trades(rich, rich.traders[0], "buy", 1n, PX));
    // a short of 1 lot sold 100,000 above PX, closed at PX: 100,000 realised, less the fee
    const top = holding({ size: -1n, notional: -(PX + 100_000n) }, pow2(128) - 1n);
    await refusedAt(
      top,
      trades(top, top.traders[0], "buy", 1n, PX),
      "_ <== SignedRangeCheck(COLLATERAL_BITS())(newCollateral);",
    );
  });

  it("proves a sale by the fund with a reserve of 2^127 + 10,000 (FundReserve's range, to the top)", async function () {
    // the fund long 2 BTC with 1,000,000 in BTC's compartment sells 1 lot at the mark
    const s = sampleExchange(P, 2, pow2(100));
    const fund = s.state.getAccount(INSURANCE_ACCOUNT);
    const reserve = pow2(127) + 10_000n;
    s.state.setAccount(INSURANCE_ACCOUNT, {
      ...fund,
      collateral: reserve,
      positions: fund.positions.map((p, j) =>
        j === BTC ? { ...p, size: 2n, notional: 2n * PX - 1_000_000n } : p,
      ),
    });
    await proven(s, trades(s, FUND, "sell", 1n, PX));
    // the maker's fee on 1 lot at PX: 1,200
    assert.equal(s.state.getAccount(INSURANCE_ACCOUNT).collateral, reserve - 1_200n);
  });

  it("proves a sale by the fund whose BTC compartment holds 1.75 * 2^128 (FundCompartmentRequirement's range, to the top)", async function () {
    // long 2^64 - 2 lots at a mark of 2^64 - 1 with a notional of -3 * 2^126: the
    // compartment size * mark - notional is about 1.75 * 2^128, so its slack at the
    // initial rate, 10^4 times that less the requirement, lies above 2^142
    const top = pow2(64) - 1n;
    const s = sampleExchange(P, 2, pow2(100));
    s.marks[BTC] = top;
    const fund = s.state.getAccount(INSURANCE_ACCOUNT);
    s.state.setAccount(INSURANCE_ACCOUNT, {
      ...fund,
      collateral: pow2(60),
      positions: fund.positions.map((p, j) =>
        j === BTC ? { ...p, size: top - 1n, notional: -3n * pow2(126) } : p,
      ),
    });
    await proven(s, trades(s, FUND, "sell", 1n, top));
    assert.equal(s.state.getAccount(INSURANCE_ACCOUNT).positions[BTC].size, top - 2n);
  });
});
