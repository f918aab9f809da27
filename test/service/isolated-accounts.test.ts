import assert from "node:assert/strict";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  depositIsolated,
  postRound,
  type Participant,
} from "../../prover/src/dev/onchain.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { sign } from "../../prover/src/domain/keys.ts";
import { transferMessage, type Transfer } from "../../prover/src/domain/sub-accounts.ts";
import { buildApi } from "../../prover/src/service/api.ts";
import path from "node:path";
import { rigPublisher, startOperator, type OperatorRig } from "../helpers/operator.ts";
import { audit, codes } from "../audit/helpers.ts";

const MARKS = [60_000_00n, 3_000_00n];

function codeOf(f: () => unknown): string {
  try {
    f();
    return "accepted";
  } catch (e) {
    return e instanceof ZkClearError ? e.code : String(e);
  }
}

/**
 * An isolated sub-account end to end (real chain, real proofs): the Vault opens it for the
 * owner's key (Vault.depositIsolated), a proven deposit batch writes its flag, intake takes
 * its orders in its market only, its trade settles with the flag kept, transfers move
 * collateral in and out, a crash liquidates a thin sub-account alone, and the auditor
 * replays it all.
 */
describe("operator: isolated sub-accounts opened through the Vault", function () {
  let rig: OperatorRig;
  let alice: Participant;
  let bob: Participant;
  let iso: bigint;
  /** A second sub-account of alice's, isolated to market 0, thinly funded. */
  let thin: bigint;

  before(async function () {
    rig = await startOperator(2, "zkclear-isolated-");
    [alice, bob] = rig.w.participants as [Participant, Participant];
    for (const p of rig.w.participants) await deposit(rig.w, p, 100_000_000n);
    iso = await depositIsolated(rig.w, alice, 10_000_000n, 0);
    thin = await depositIsolated(rig.w, alice, 700_000n, 0);
    await postRound(rig.w, MARKS);
    await rig.op.tick();
  });

  after(async function () {
    await rig.close();
  });

  it("credits the sub-account with its flag, under the owner's key, beside the owner's cross account", async function () {
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
    const a = rig.op.state.getAccount(iso);
    assert.equal(a.isolatedMarket, 0);
    assert.deepEqual(a.pubKey, alice.keys.publicKey);
    assert.equal(a.collateral, 10_000_000n);
    assert.equal(rig.op.state.getAccount(alice.account!).isolatedMarket, undefined);
  });

  it("refuses its order in another market with TRADE_OUTSIDE_ISOLATED_MARKET, and settles a trade in its own", async function () {
    const trader = { index: iso, keys: alice.keys };
    const eth = order(rig.w, trader, {
      market: 1,
      side: "buy",
      nonce: 1n,
      amount: 1n,
      limitPrice: MARKS[1],
    });
    assert.equal(
      codeOf(() => rig.op.submitOrder(eth)),
      "TRADE_OUTSIDE_ISOLATED_MARKET",
    );
    assert.equal(rig.store.openOrders().length, 0, "nothing stored");
    // 1 lot of BTC: 6,000,000 of notional, 600,000 of initial margin
    const buy = order(rig.w, trader, {
      market: 0,
      side: "buy",
      nonce: 1n,
      amount: 1n,
      limitPrice: MARKS[0],
    });
    const sell = order(
      rig.w,
      { index: bob.account!, keys: bob.keys },
      {
        market: 0,
        side: "sell",
        nonce: 1n,
        amount: 1n,
        limitPrice: MARKS[0],
      },
    );
    assert.equal(rig.op.submitOrder(buy).status, "open");
    assert.equal(rig.op.submitOrder(sell).status, "filled");
    await rig.op.tick({ flushTrades: true });
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
    const a = rig.op.state.getAccount(iso);
    assert.deepEqual([a.positions[0].size, a.isolatedMarket], [1n, 0]);
    // the owner's cross account did not move
    assert.equal(rig.op.state.getAccount(alice.account!).collateral, 100_000_000n);
  });

  it("moves collateral into the sub-account and back by signed transfers over the API; nothing leaves the Vault", async function () {
    const app = buildApi(rig.op);
    try {
      const owner = alice.account!;
      const post = (t: Transfer, signer = alice.keys.privateKey) => {
        const st = { transfer: t, signature: sign(signer, transferMessage(t, rig.w.d.domain)) };
        return app.inject({
          method: "POST",
          url: "/v1/transfers",
          payload: JSON.stringify(
            {
              from: t.from,
              to: t.to,
              nonce: t.nonce,
              amount: t.amount,
              ...(t.isolatedMarket === undefined ? {} : { isolatedMarket: t.isolatedMarket }),
              signature: st.signature,
            },
            (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
          ),
          headers: { "content-type": "application/json" },
        });
      };
      const refused = async (t: Transfer, code: string, why: RegExp) => {
        const r = await post(t);
        assert.equal(r.statusCode, 400, r.body);
        const body = r.json() as { error: string; message: string };
        assert.equal(body.error, code, r.body);
        assert.match(body.message, why);
      };
      // another key's account, the wrong margin mode, itself: refused at intake
      await refused(
        { from: owner, to: bob.account!, nonce: 0n, amount: 1n },
        "TRANSFER_BAD_DESTINATION",
        /another key/,
      );
      await refused(
        { from: owner, to: iso, nonce: 0n, amount: 1n },
        "TRANSFER_BAD_DESTINATION",
        /isolated to market 0/,
      );
      await refused({ from: owner, to: owner, nonce: 0n, amount: 1n }, "TRANSFER_SELF", /itself/);
      const owed = BigInt(await rig.w.d.vault.getFunction("totalOwed")());
      const before = [rig.op.state.getAccount(owner), rig.op.state.getAccount(iso)];
      const into = await post({
        from: owner,
        to: iso,
        nonce: 0n,
        amount: 2_000_000n,
        isolatedMarket: 0,
      });
      assert.equal(into.statusCode, 201, into.body);
      // and back, from the sub-account's own nonce, in the same batch
      const back = await post({ from: iso, to: owner, nonce: 0n, amount: 500_000n });
      assert.equal(back.statusCode, 201, back.body);
      await rig.op.tick();
      assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
      const [o, i] = [rig.op.state.getAccount(owner), rig.op.state.getAccount(iso)];
      assert.equal(o.collateral, before[0].collateral - 1_500_000n);
      assert.equal(i.collateral, before[1].collateral + 1_500_000n);
      assert.deepEqual([o.withdrawNonce, i.withdrawNonce], [1n, 1n]);
      assert.equal(i.isolatedMarket, 0);
      assert.equal(BigInt(await rig.w.d.vault.getFunction("totalOwed")()), owed, "nothing owed");
      const batch = rig.store.batches().at(-1)!;
      assert.deepEqual([batch.kind, batch.status], ["withdrawals", "settled"]);
    } finally {
      await app.close();
    }
  });

  it("liquidates a sub-account alone: its owner's cross account and other sub-account are untouched", async function () {
    // thin buys 1 lot of BTC (600,000 of initial margin against 700,000)
    const buy = order(
      rig.w,
      { index: thin, keys: alice.keys },
      { market: 0, side: "buy", nonce: 1n, amount: 1n, limitPrice: MARKS[0] },
    );
    const sell = order(
      rig.w,
      { index: bob.account!, keys: bob.keys },
      { market: 0, side: "sell", nonce: 2n, amount: 1n, limitPrice: MARKS[0] },
    );
    rig.op.submitOrder(buy);
    rig.op.submitOrder(sell);
    await rig.op.tick({ flushTrades: true });
    assert.equal(rig.op.state.getAccount(thin).positions[0].size, 1n);
    const owner = rig.op.state.getAccount(alice.account!);
    const other = rig.op.state.getAccount(iso);
    // BTC falls 10 %: thin loses 600,000 and is below maintenance; iso (long 1 with
    // 11,500,000) is not
    await postRound(rig.w, [(MARKS[0] * 90n) / 100n, MARKS[1]]);
    await rig.op.tick();
    assert.equal(await rig.chain.stateRoot(), rig.op.state.root);
    const last = rig.store.batches().at(-1)!;
    assert.deepEqual([last.kind, last.status], ["liquidations", "settled"]);
    const t = rig.op.state.getAccount(thin);
    assert.deepEqual([t.positions[0].size, t.isolatedMarket], [0n, 0]);
    assert.ok(t.collateral < 700_000n, "thin paid its loss and penalty from its own collateral");
    assert.deepEqual(rig.op.state.getAccount(alice.account!), owner, "the cross account");
    assert.deepEqual(rig.op.state.getAccount(iso), other, "the other sub-account");
  });

  it("is replayed by the auditor from the chain's deposit entries and the published files", async function () {
    const dir = path.join(rig.dir, "published");
    rigPublisher(rig, dir).sync();
    const r = await audit(rig.w, dir);
    assert.deepEqual(codes(r), []);
    assert.equal(r.head.root, String(rig.op.state.root));
    assert.equal(r.counts.replayed, r.counts.batches);
  });
});
