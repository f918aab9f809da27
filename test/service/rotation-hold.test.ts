import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ZeroHash, id } from "ethers";
import { INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import type { AttestorPort } from "../../prover/src/domain/ports.ts";
import { order } from "../../prover/src/dev/sample.ts";
import {
  deposit,
  devAttestor,
  postRound,
  WORLD_TIMELOCK_DELAY,
  type Participant,
} from "../../prover/src/dev/onchain.ts";
import { ReplicaAttestor } from "../../prover/src/service/committee.ts";
import { OperatorError } from "../../prover/src/service/operator.ts";
import { increaseTime, provider } from "../helpers/chain.ts";
import { fundCompartments, startOperator, type OperatorRig } from "../helpers/operator.ts";

const MARKS = [60_000_00n, 3_000_00n];
/** The fund's resting bid on ETH: inside its 1 % band around the mark, below every ask. */
const FUND_BID = MARKS[1] - MARKS[1] / 200n;
const NEW_FUND = devKeyPair("rotated fund owner (hold test)");
/**
 * The committee wait: a trade batch unattested this long is dropped, and a hold of as long
 * begins (long enough for the checks made during it).
 */
const COMMITTEE_WAIT_MS = 4_000;
/** How long the rotation waits for the fund's pending match. */
const ROTATION_WAIT_MS = 30_000;

/** A replica stand-in that refuses every request, as a withholding member does. */
async function refusingReplica(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res.writeHead(409).end(JSON.stringify({ error: "ATTEST_NOT_NEXT", message: "withheld" })),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * A fund key rotation queued while the fund has a fill pending, with and without the data
 * committee withholding its signatures (real chain, real proofs, the real ReplicaAttestor
 * against replicas that refuse). During the hold the deposits ahead of the rotation are
 * credited at once; the rotation waits for the fund's matches at most the rotation wait,
 * then they are dropped with their reason (with a later match that passed only after one of
 * them) and the rotation credited. Without a hold the matches settle first, as before.
 */
describe("operator: a fund key rotation during a committee hold", function () {
  for (const hold of [true, false])
    it(
      hold
        ? "credits the deposits ahead of the rotation during the hold, then drops the held fills (and one that relied on them) after the rotation wait and credits the rotation"
        : "control, no hold: the fund's fills settle before the rotation and nothing is dropped",
      async function () {
        const replicas = hold ? [await refusingReplica(), await refusingReplica()] : [];
        const committee: { now?: AttestorPort } = {};
        const logs: string[] = [];
        const rig: OperatorRig = await startOperator(3, "zkclear-rotation-hold-", {
          attestor: { attest: (r) => committee.now!.attest(r) },
          committeeWaitMs: COMMITTEE_WAIT_MS,
          rotationWaitMs: ROTATION_WAIT_MS,
          log: (l) => logs.push(l),
        });
        const { w, store } = rig;
        const op = rig.op;
        // the setup (the fund's compartments funded) is attested; the hold starts after it
        committee.now = devAttestor(w.d);
        try {
          const [alice, bob, carol] = w.participants;
          const settlement = w.d.settlement;
          const processed = async () => Number(await settlement.getFunction("depositsProcessed")());
          const queueLength = async () =>
            Number(((await w.d.vault.getFunction("depositQueue")()) as bigint[])[0]);
          const tickUntil = async (done: () => Promise<boolean> | boolean, n = 120) => {
            for (let i = 0; i < n && !(await done()); i++) {
              await op.tick({ flushTrades: true }).catch(() => {});
              assert.equal(op.halted, undefined, `halted: ${op.halted}\n${logs.join("\n")}`);
              await new Promise((r) => setTimeout(r, 250));
            }
            return done();
          };
          await deposit(w, alice, 1_000_000_00n);
          await deposit(w, bob, 1_000_000_00n);
          // carol's collateral covers the initial margin of 1 BTC lot (600,000), not of 2
          await deposit(w, carol, 900_000n);
          await deposit(
            w,
            { signer: bob.signer, keys: bob.keys, account: INSURANCE_ACCOUNT },
            100_000_000n,
          );
          // the governance schedules the fund's rotation and waits out the delay
          const vault = w.d.vault;
          const to = await vault.getAddress();
          const k = NEW_FUND.publicKey;
          const data = vault.interface.encodeFunctionData("queueOwnerKey", [
            INSURANCE_ACCOUNT,
            k.x,
            k.y,
          ]);
          const salt = id(`hold ${hold}`);
          const tl = w.d.timelock;
          await (
            await tl.getFunction("schedule")(to, 0n, data, ZeroHash, salt, WORLD_TIMELOCK_DELAY)
          ).wait();
          await increaseTime(WORLD_TIMELOCK_DELAY);
          await postRound(w, MARKS);
          assert.ok(await tickUntil(async () => (await processed()) === (await queueLength())));
          // the fund owner trades the fund only with its markets' compartments funded
          await fundCompartments(rig, [2_000_000n, 100_000n]);
          if (hold)
            committee.now = new ReplicaAttestor(
              replicas.map((r) => r.url),
              provider,
              { chainId: w.d.chainId, settlement: w.d.addresses.settlement },
            );

          // the fund (old key) sells 1 lot to bob; it also rests a bid on the other market
          const fund = { index: INSURANCE_ACCOUNT, keys: devOwnerKeys().fund };
          const t = (x: Participant) => ({ index: x.account!, keys: x.keys });
          const btc = { market: 0, nonce: 1n, amount: 1n, limitPrice: MARKS[0] };
          const sell = op.submitOrder(order(w, fund, { ...btc, side: "sell" }));
          const buy = op.submitOrder(order(w, t(bob), { ...btc, side: "buy" }));
          assert.equal(buy.status, "filled");
          // the fund sells carol 1 lot; carol sells 2 to alice: short 1 after her long 1,
          // which she could not be without it (short 2 needs 1,200,000)
          const sell2 = op.submitOrder(order(w, fund, { ...btc, nonce: 2n, side: "sell" }));
          const carolBuy = op.submitOrder(order(w, t(carol), { ...btc, side: "buy" }));
          assert.equal(carolBuy.status, "filled");
          const carolSell = op.submitOrder(
            order(w, t(carol), { ...btc, nonce: 2n, amount: 2n, side: "sell" }),
          );
          const aliceBuy = op.submitOrder(order(w, t(alice), { ...btc, amount: 2n, side: "buy" }));
          assert.equal(aliceBuy.status, "filled");
          const eth = { market: 1, side: "buy" as const, nonce: 1n, amount: 1n };
          const resting = op.submitOrder(order(w, fund, { ...eth, limitPrice: FUND_BID }));
          assert.equal(resting.status, "open");

          // alice deposits ahead of the rotation, the rotation is queued, alice deposits again
          await deposit(w, alice, 7n);
          const rotationAt = await queueLength();
          await (await tl.getFunction("execute")(to, 0n, data, ZeroHash, salt)).wait();
          await deposit(w, alice, 5n);
          const total = await queueLength();
          const seenFrom = Date.now();
          const before = store.batchTotal();
          // (in the hold the trade batch cut first is not attested: the tick says so)
          await op.tick().catch(() => {});

          // seen on-chain: the fund's resting order (old key) is cancelled, new ones refused
          const r = store.getOrder(resting.id)!;
          assert.equal(r.status, "cancelled");
          assert.match(
            r.reason!,
            new RegExp(
              `fund owner's key of account 2 was rotated by deposit queue entry ${rotationAt} \\(not yet credited\\)`,
            ),
          );
          if (!hold) {
            // that tick already credited the rotation: the old key no longer signs
            assert.throws(
              () => op.submitOrder(order(w, fund, { ...eth, nonce: 2n, limitPrice: FUND_BID })),
              (e: unknown) => e instanceof OperatorError && e.code === "ORDER_BAD_SIGNATURE",
            );
            assert.ok(await tickUntil(async () => (await processed()) === total));
            // the fund's matches in a trade batch first (B = 2 a batch), then the deposits
            // (K = 2 a batch), then carol's sale to alice
            assert.ok(
              await tickUntil(() => {
                const p = op.pendingWork();
                return p.matches === 0 && p.batches === 0;
              }),
            );
            const cut = store.batches<{ kind: string }>(undefined, before);
            assert.deepEqual(
              cut.map((b) => [b.kind, b.status]),
              [
                ["trades", "settled"],
                ["deposits", "settled"],
                ["deposits", "settled"],
                ["trades", "settled"],
              ],
            );
            assert.equal(op.state.getAccount(carol.account!).positions[0].size, -1n);
            assert.equal(store.getOrder(buy.id)!.status, "filled");
            assert.equal(store.getOrder(sell.id)!.status, "filled");
            assert.equal(op.state.getAccount(bob.account!).positions[0].size, 1n);
            assert.deepEqual(op.state.getAccount(INSURANCE_ACCOUNT).pubKey, k);
            assert.ok(!logs.some((l) => /dropped/.test(l)));
            return;
          }

          // the hold: the deposit ahead of the rotation is credited, the rotation waits
          assert.ok(
            await tickUntil(async () => (await processed()) === rotationAt),
            `the deposit ahead of the rotation was not credited:\n${logs.join("\n")}`,
          );
          assert.ok(Date.now() - seenFrom < ROTATION_WAIT_MS, "credited before the wait ended");
          assert.deepEqual(
            op.state.getAccount(INSURANCE_ACCOUNT).pubKey,
            devOwnerKeys().fund.publicKey,
          );
          assert.equal(store.matches.pending().length, 3);
          // while it waits, the fund's new orders (old key) are refused, saying why
          assert.throws(
            () => op.submitOrder(order(w, fund, { ...eth, nonce: 2n, limitPrice: FUND_BID })),
            (e: unknown) =>
              e instanceof OperatorError &&
              e.code === "ACCOUNT_KEY_ROTATING" &&
              e.message.includes(`deposit queue entry ${rotationAt}`),
          );
          assert.ok(logs.some((l) => /not attested/.test(l) || /has not attested/.test(l)));

          // after the wait: the held fill is dropped with its reason, the rotation credited
          assert.ok(
            await tickUntil(async () => (await processed()) === total),
            `the rotation was not credited:\n${logs.join("\n")}`,
          );
          assert.ok(Date.now() - seenFrom >= ROTATION_WAIT_MS);
          assert.deepEqual(op.state.getAccount(INSURANCE_ACCOUNT).pubKey, k);
          assert.equal(store.matches.pending().length, 0);
          assert.deepEqual(store.matches.ofOrder(buy.id), []);
          for (const o of [buy, sell, carolBuy, sell2]) {
            const x = store.getOrder(o.id)!;
            assert.equal(x.status, "cancelled");
            assert.equal(x.remaining, 1n);
            assert.match(
              x.reason!,
              /fill of 1 at 6000000 \(match \d+\) was dropped: the fund owner's key of account 2 was rotated by deposit queue entry \d+, and the data committee held the trade back for longer than the rotation wait \(30 s\)/,
            );
          }
          // carol's sale to alice was checked against her dropped long: it goes with it
          for (const o of [carolSell, aliceBuy]) {
            const x = store.getOrder(o.id)!;
            assert.equal(x.status, "cancelled");
            assert.equal(x.remaining, 2n);
            assert.match(
              x.reason!,
              /fill of 2 at 6000000 \(match \d+\) was dropped: it was checked against a fill dropped when account 2's owner key was rotated \(deposit queue entry \d+\)/,
            );
          }
          // nothing of the fills reached the state; alice's deposits did
          assert.equal(op.state.getAccount(carol.account!).positions[0].size, 0n);
          assert.equal(op.state.getAccount(alice.account!).positions[0].size, 0n);
          assert.equal(op.state.getAccount(bob.account!).positions[0].size, 0n);
          assert.equal(op.state.getAccount(INSURANCE_ACCOUNT).positions[0].size, 0n);
          assert.equal(op.state.getAccount(alice.account!).collateral, 1_000_000_00n + 12n);
          assert.equal(BigInt(await settlement.getFunction("stateRoot")()), op.state.root);
        } finally {
          await rig.close();
          await Promise.all(replicas.map((x) => x.close()));
        }
      },
    );
});
