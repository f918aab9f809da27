import assert from "node:assert/strict";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
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
