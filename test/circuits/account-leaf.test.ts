import assert from "node:assert/strict";
import { WitnessError } from "../../prover/src/proving/prover.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import type { Account, Position } from "../../prover/src/domain/account.ts";
import {
  assertRefusedAt,
  settleTradesCircuit,
  TEST_PARAMS,
  witnessOf,
} from "../helpers/circuit.ts";

const P = TEST_PARAMS;
const PX = 60_000_00n;

/**
 * A trade by an account whose market-1 position has `fields` (and whose leaf has `account`'s
 * fields), put in the tree directly (no circuit writes an out-of-range one): the engine's
 * unchecked witness for the circuit.
 */
function tradeWith(fields: Partial<Position>, account: Partial<Account> = {}) {
  const s = sampleExchange(P, 4);
  const [a, b] = s.traders;
  const leaf = s.state.getAccount(a.index);
  const positions = leaf.positions.map((p, j) => (j === 1 ? { ...p, ...fields } : p));
  s.state.setAccount(a.index, { ...leaf, ...account, positions }, false);
  const trade = simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n });
  return settleTrades(s.state, [trade], s.marks, P.batch, { unchecked: true }).input;
}

/**
 * AccountLeafUnpack (circuits/src/account-leaf.circom) reads every leaf field with its range,
 * so a leaf no writer can produce is refused where it is read, not only where it was
 * written: the circuits' writers keep the tree well formed, and this check keeps a reader
 * safe if a writer ever did not. Found by the mutation run: with the notional's check
 * deleted every other test passed (docs/verification.md).
 */
describe("AccountLeafUnpack: a leaf no writer produces is refused where it is read", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("refuses a trade by an account whose leaf holds a notional of 2^128, one above its range", async function () {
    await assert.rejects(witnessOf(tradeWith({ notional: 1n << 128n })), (e: unknown) => {
      assert.ok(e instanceof WitnessError, String(e));
      const chain = e.templates.join(" < ");
      assert.match(
        chain,
        /^Num2Bits_\d+ < SignedRangeCheck_\d+ < AccountLeafUnpack_\d+ < TradeSide/,
        chain,
      );
      return true;
    });
    // at -2^128, the bottom of the range (a gain: the account meets its margin), it is proven
    await witnessOf(tradeWith({ notional: -(1n << 128n) }));
  });

  it("refuses a balance word of 165 bits: a flag of 8, whose top bit a 3-bit reader would drop", async function () {
    // the flag is 1 + the isolated market in bits 161..163: market 7 gives 8, bit 164. Read
    // with one bit more, the leaf would unpack as a cross-margin account (flag 0) and trade
    // anywhere, though it is written isolated
    await assertRefusedAt(
      witnessOf(tradeWith({}, { isolatedMarket: 7 })),
      "account-leaf.circom",
      "AccountLeafUnpack",
      "balanceBits.in <== balance;",
    );
  });

  it("refuses a position word of 226 bits: a funding index of 2^63, one above its range", async function () {
    // the word's funding field holds index + 2^63 in 64 bits (bits 161..224): 2^63 sets bit 225
    await assert.rejects(witnessOf(tradeWith({ fundingIndex: 1n << 63n })), (e: unknown) => {
      assert.ok(e instanceof WitnessError, String(e));
      const chain = e.templates.join(" < ");
      assert.match(chain, /^Num2Bits_\d+ < AccountLeafUnpack_\d+ < TradeSide/, chain);
      return true;
    });
  });
});
