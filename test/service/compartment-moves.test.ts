import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import { devKeyPair, sign } from "../../prover/src/domain/keys.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import {
  compartmentMoveMessage,
  signCompartmentMove,
  type CompartmentMove,
} from "../../prover/src/domain/compartment-moves.ts";
import type { BatchDataOf } from "../../prover/src/domain/batch.ts";
import { order } from "../../prover/src/dev/sample.ts";
import { deposit, postRound, type Participant, type World } from "../../prover/src/dev/onchain.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import type { Operator } from "../../prover/src/service/operator.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { fundCompartment, startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];
const CRASH = [40_000_00n, 2_000_00n];

describe("operator: the fund owner's compartment moves (real chain, real proofs)", function () {
  let w: World;
  let thin: Participant;
  let rich: Participant;
  let eth: Participant;
  let rig: OperatorRig;
  let op: Operator;
  let app: FastifyInstance;

  const move = (m: Partial<CompartmentMove>, key = devOwnerKeys().fund.privateKey) =>
    signCompartmentMove(
      { market: 0, nonce: 1n, amount: 3_000_000n, toReserve: false, ...m },
      2,
      key,
      op.state.domain,
    );
  const post = (m: ReturnType<typeof move>) =>
    app.inject({
      method: "POST",
      url: "/v1/fund/moves",
      payload: JSON.parse(
        JSON.stringify({ ...m.move, signature: m.signature }, (_k, v: unknown) =>
          typeof v === "bigint" ? v.toString() : v,
        ),
      ) as object,
    });
  const refusal = (code: string) => (e: unknown) => e instanceof ZkClearError && e.code === code;
  const liquidationBatches = () =>
    op.batches().filter((b) => b.kind === "liquidations") as unknown as {
      status: string;
      body: BatchDataOf<"liquidations">;
    }[];

  /**
   * thin: long 1 BTC at 60,000.00 on 10,000.00; eth: long 10 ETH at 3,000.00 on 4,000.00;
   * rich the other side of both. The fund holds 50,000.00, 10,000.00 of it moved into
   * ETH's compartment; BTC's is empty.
   */
  before(async function () {
    rig = await startOperator(3, "zkclear-moves-");
    ({ w, op } = rig);
    app = buildApi(op);
    [thin, rich, eth] = w.participants;
    await deposit(w, thin, 1_000_000n);
    await deposit(w, rich, 100_000_000n);
    await deposit(w, eth, 400_000n);
    await deposit(
      w,
      { signer: rich.signer, keys: rich.keys, account: INSURANCE_ACCOUNT },
      5_000_000n,
    );
    await postRound(w, MARKS);
    await op.tick();
    const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
    const cross = (market: number, buyer: Participant, amount: bigint) => {
      const limitPrice = MARKS[market];
      const nonce = BigInt(market + 1);
      op.submitOrder(order(w, t(rich), { market, side: "sell", nonce, amount, limitPrice }));
      op.submitOrder(order(w, t(buyer), { market, side: "buy", nonce, amount, limitPrice }));
    };
    cross(0, thin, 1n);
    cross(1, eth, 10n);
    await op.tick({ flushTrades: true });
    assert.equal(op.state.getAccount(thin.account!).positions[0].size, 1n);
    assert.equal(op.state.getAccount(eth.account!).positions[1].size, 10n);
    // a move alone: the next tick carries it in a liquidation batch of no account
    fundCompartment(rig, 1, 1_000_000n);
    await op.tick();
    assert.deepEqual(compartmentValues(op.state.getAccount(INSURANCE_ACCOUNT), MARKS), [
      0n,
      1_000_000n,
    ]);
  });

  after(async function () {
    await app.close();
    await rig.close();
  });

  it("liquidates into an empty compartment by deleveraging the rest against the opposing short, and leaves the other compartment and the reserve alone", async function () {
    // at the crash thin's equity is 10,000.00 less its fee less 20,000.00: BTC's loss,
    // which BTC's empty compartment cannot pay, so the fund's lot is closed against rich's
    // short at the bankruptcy price; eth's, 4,000.00 less its fee less 10,000.00, ETH's
    // compartment pays
    const before = liquidationBatches().length;
    const eth0 = compartmentValues(op.state.getAccount(INSURANCE_ACCOUNT), CRASH)[1];
    await postRound(w, CRASH);
    await op.tick();
    const liq = liquidationBatches().slice(before);
    assert.equal(liq.length, 1);
    assert.deepEqual(liq[0].body.accounts, [thin.account, eth.account]);
    assert.equal(liq[0].status, "settled");
    const [d] = liq[0].body.deleveraged!;
    assert.equal(d.market, 0);
    assert.deepEqual(
      d.entries.map((e) => [e.account, e.lots]),
      [[rich.account, 1n]],
    );
    assert.ok(d.price > CRASH[0]);
    assert.equal(op.state.getAccount(thin.account!).positions[0].size, 0n);
    assert.equal(op.state.getAccount(rich.account!).positions[0].size, 0n);
    const fund = op.state.getAccount(INSURANCE_ACCOUNT);
    // BTC's compartment is back at 0 (one lot: the price's rounding is exact); ETH's paid eth's loss alone; the reserve paid nothing: 50,000.00 less the 10,000.00 moved
    const [btc, ethAfter] = compartmentValues(fund, CRASH);
    assert.equal(btc, 0n);
    assert.ok(ethAfter < eth0);
    assert.equal(fund.collateral, 4_000_000n);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);
  });

  it("refuses a move not signed by the fund's key, out of turn, or beyond the reserve, for its reason", async function () {
    const bad = await post(move({}, devKeyPair("not the fund").privateKey));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error, "COMPARTMENT_BAD_SIGNATURE");
    const late = await post(move({ nonce: 2n }));
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().error, "COMPARTMENT_MOVE_NONCE");
    assert.throws(
      () => op.requestCompartmentMove(move({ amount: 4_000_001n })),
      refusal("COMPARTMENT_RESERVE_SHORT"),
    );
    assert.throws(
      () => op.requestCompartmentMove(move({ amount: 1n, toReserve: true })),
      refusal("COMPARTMENT_BELOW_REQUIREMENT"),
    );
    // a market the deployment does not have (signed by hand: signCompartmentMove refuses it)
    const nowhere = { market: 2, nonce: 1n, amount: 1n, toReserve: false };
    const signature = sign(
      devOwnerKeys().fund.privateKey,
      compartmentMoveMessage(nowhere, op.state.domain),
    );
    assert.equal((await post({ move: nowhere, signature })).json().error, "COMPARTMENT_BAD_MARKET");
  });

  it("carries a move in the next liquidation batch, into the compartment deleveraging emptied", async function () {
    const m = move({});
    const r = await post(m);
    assert.equal(r.statusCode, 201);
    const id = (r.json() as { id: string }).id;
    // the fund's nonce 1 is spent by the queued move: the same move again is out of turn
    assert.equal((await post(m)).json().error, "COMPARTMENT_MOVE_NONCE");
    const btc0 = compartmentValues(op.state.getAccount(INSURANCE_ACCOUNT), CRASH)[0];
    const before = liquidationBatches().length;
    await op.tick();
    const liq = liquidationBatches().slice(before);
    assert.equal(liq.length, 1);
    const body = liq[0].body;
    assert.deepEqual(body.accounts, []);
    assert.deepEqual(body.compartmentMove, m);
    assert.equal(liq[0].status, "settled");
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);
    // the reserve paid the move into BTC's compartment
    const fund = op.state.getAccount(INSURANCE_ACCOUNT);
    assert.equal(fund.collateral, 1_000_000n);
    assert.equal(fund.withdrawNonce, 2n);
    const compartments = compartmentValues(fund, CRASH);
    assert.equal(compartments[0], btc0 + 3_000_000n);
    assert.equal(op.withdrawal(id)?.status, "batched");
    // /metrics shows the reserve and the compartments
    const text = (await app.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(text, /zkclear_insurance_reserve 1000000\n/);
    compartments.forEach((c, j) =>
      assert.match(text, new RegExp(`zkclear_insurance_compartment\\{market="${j}"\\} ${c}\n`)),
    );
  });

  it("keeps an acknowledged move through a restart, and carries it alone in a liquidation batch", async function () {
    const c1 = compartmentValues(op.state.getAccount(INSURANCE_ACCOUNT), CRASH)[1];
    const id = fundCompartment(rig, 1, 500_000n);
    op = rig.restart();
    assert.equal(op.withdrawal(id)?.status, "pending");
    await op.tick();
    const last = op.batches().at(-1)!;
    assert.equal(last.kind, "liquidations");
    assert.equal(last.status, "settled");
    assert.deepEqual((last.body as BatchDataOf<"liquidations">).accounts, []);
    const fund = op.state.getAccount(INSURANCE_ACCOUNT);
    assert.deepEqual([fund.collateral, fund.withdrawNonce], [500_000n, 3n]);
    assert.equal(compartmentValues(fund, CRASH)[1], c1 + 500_000n);
    assert.equal(BigInt(await w.d.settlement.getFunction("stateRoot")()), op.state.root);
  });
});
