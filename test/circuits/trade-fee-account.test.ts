import assert from "node:assert/strict";
import { FEE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { signedOrderMessage, type Order } from "../../prover/src/domain/order.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { order, sampleExchange } from "../../prover/src/dev/sample.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import {
  assertRefusedAt,
  settleTradesCircuit,
  TEST_PARAMS,
  witnessOf,
} from "../helpers/circuit.ts";

// TradeSide's NotFeeAccount (circuits/src/trade.circom, section A): the fee account (1)
// collects every trade's fees and never trades. Its leaf holds its owner's key, so that key
// signs a valid order for it; without the rule the owner (or an operator holding the key)
// stakes the collected fees on a position, and a loss takes them from whoever they are owed
// to. The domain refuses such an order when it is signed and the engine when it is settled
// (ORDER_SYSTEM_ACCOUNT); this batch is what an operator skipping both would prove.

const P = TEST_PARAMS;
const PX = 60_000_00n;

describe("TradeSide: the fee account never trades, even with its owner's signature (test parameters)", function () {
  before(async function () {
    await settleTradesCircuit();
  });

  it("refuses a buy by the fee account, signed by the fee owner's key, at NotFeeAccount", async function () {
    const s = sampleExchange(P, 4);
    const fees = s.state.getAccount(FEE_ACCOUNT);
    s.state.setAccount(FEE_ACCOUNT, { ...fees, collateral: 10_000_000_00n });
    const o: Order = {
      account: FEE_ACCOUNT,
      market: 0,
      side: "buy",
      nonce: 1n,
      amount: 1n,
      limitPrice: PX,
      maxFeeBps: 10n,
    };
    const buy = {
      order: o,
      signature: sign(devOwnerKeys().fee.privateKey, signedOrderMessage(o, s.domain)),
    };
    const sell = order(s, s.traders[0], {
      market: 0,
      side: "sell",
      nonce: 1n,
      amount: 1n,
      limitPrice: PX,
    });
    const trade = { buy, sell, qty: 1n, price: PX, takerIsBuyer: true };
    assert.throws(
      () => settleTrades(s.state, [trade], s.marks, P.batch),
      (e: unknown) => e instanceof ZkClearError && e.code === "ORDER_SYSTEM_ACCOUNT",
    );
    const r = settleTrades(s.state, [trade], s.marks, P.batch, { unchecked: true });
    assert.equal(r.input.slots[0].sides[0].account, FEE_ACCOUNT);
    await assertRefusedAt(
      witnessOf(r.input),
      "trade.circom",
      "TradeSide",
      "NotFeeAccount()(account, enabled);",
    );
  });
});
