import assert from "node:assert/strict";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import {
  assertRefusedAt,
  settleTradesCircuit,
  TEST_PARAMS,
  witnessOf,
} from "../helpers/circuit.ts";

// SettleTrades credits the batch's fees to the fee account (circuits/src/settle-trades.circom,
// section C) and requires its leaf to be a cross-margin account: flag 0. Genesis writes it
// so and no circuit changes it, so no reachable tree holds another; the check is the
// circuit's own guard of that, not the writers'. Here the fee leaf is isolated to market 0
// (flag 1), as a writer that broke the rule would leave it: the fees would be credited to a
// sub-account whose collateral backs one market only, and the trades' batch must refuse it
// at the check, whatever the engine does.

const P = TEST_PARAMS;
const PX = 60_000_00n;

describe("SettleTrades: the fee account's leaf is a cross-margin account (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("refuses crediting the fees to a fee leaf isolated to market 0 (flag 1)", async function () {
    const s = sampleExchange(P, 4);
    const fee = s.state.getAccount(FEE_ACCOUNT);
    s.state.setAccount(FEE_ACCOUNT, { ...fee, isolatedMarket: 0 });
    const [a, b] = s.traders;
    const trade = simpleTrade(s, a, b, 0, 1n, PX, { buy: 1n, sell: 1n });
    const r = settleTrades(s.state, [trade], s.marks, P.batch, { unchecked: true });
    assert.ok(r.totalFees > 0n, "the batch pays fees");
    await assertRefusedAt(
      witnessOf(r.input),
      "settle-trades.circom",
      "SettleTrades",
      "feeLeaf.flag === 0;",
    );
  });
});
