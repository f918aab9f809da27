import assert from "node:assert/strict";
import { leafPreimage, unpackBalance, type Account } from "../../prover/src/domain/account.ts";
import { FEE_ACCOUNT, INSURANCE_ACCOUNT } from "../../prover/src/domain/constants.ts";
import { ZkClearError } from "../../prover/src/domain/errors.ts";
import { signForcedRequest } from "../../prover/src/domain/forced.ts";
import { zeroIndices } from "../../prover/src/domain/funding.ts";
import { depositQueueHash, signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { signExit } from "../../prover/src/domain/exit.ts";
import { sampleExchange, simpleTrade, type Sample } from "../../prover/src/dev/sample.ts";
import { signTransfer } from "../../prover/src/domain/sub-accounts.ts";
import { answerForced } from "../../prover/src/engine/forced.ts";
import { exitInput } from "../../prover/src/engine/exit.ts";
import { liquidate } from "../../prover/src/engine/liquidations.ts";
import { settleTrades } from "../../prover/src/engine/trades.ts";
import { applyDeposits, processWithdrawals } from "../../prover/src/engine/transfers.ts";
import { assertRefused, TEST_PARAMS as P, witnessFor } from "../helpers/circuit.ts";
import {
  INDICES,
  MARKS,
  OFFER_TERMS,
  P as LP,
  offerOf,
  taken,
  world,
} from "../helpers/liquidators.ts";

/**
 * Isolated sub-accounts in the circuits (docs/isolation.md, section 4): the leaf's balance
 * word carries a flag, 1 + market, that every circuit writing the leaf passes through
 * (otherwise the first write would turn the sub-account into a cross one), and an isolated
 * account trades, and takes liquidated positions, in its market only (TradesIn).
 * Each witness below is computed against the engine's new root, so a circuit that dropped
 * or changed the flag would fail it.
 */
const ISO = 6n;
const RECIPIENT = 0x70997970c51812dc3a010c7d01b50e20e4f6ad88n;
const PX = 60_000_00n;

/** Traders 3..5 (cross), 6, trader 3's sub-account isolated to market 0, and a fund of 1M. */
function exchange(): Sample & { iso: Sample["traders"][number] } {
  const s = sampleExchange(P, 3, 10_000_000n);
  s.state.openAccount(ISO, s.traders[0].keys.publicKey, 1_000_000n, 0);
  const fund = s.state.getAccount(INSURANCE_ACCOUNT);
  s.state.setAccount(INSURANCE_ACCOUNT, { ...fund, collateral: 1_000_000n });
  return { ...s, iso: { index: ISO, keys: s.traders[0].keys } };
}

const flagOf = (a: Account) => unpackBalance(leafPreimage(a)[2]).flag;

function assertIsolated(s: Sample, what: string): void {
  const a = s.state.getAccount(ISO);
  assert.equal(a.isolatedMarket, 0, `${what}: still isolated to market 0`);
  assert.equal(flagOf(a), 1n, `${what}: the leaf's flag is 1 + market`);
}

const tradesInput = (input: ReturnType<typeof settleTrades>["input"]) => ({
  kind: "settle_trades" as const,
  input,
});

describe("isolated sub-accounts in the circuits (test parameters)", function () {
  it("keeps the flag through trades, withdrawals, deposits, forced answers and liquidations, as the engine does", async function () {
    const s = exchange();
    const [, b] = s.traders;
    const indices = zeroIndices(P.markets);
    // a trade in its own market: 1 lot long at 60,000.00 (6,000,000 of notional, 10 %)
    const t = settleTrades(
      s.state,
      [simpleTrade(s, s.iso, b, 0, 1n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    await witnessFor(tradesInput(t.input));
    assertIsolated(s, "after a trade");

    const w = processWithdrawals(
      s.state,
      [
        signWithdrawal(
          { account: ISO, nonce: 0n, amount: 1_000n, recipient: RECIPIENT },
          s.iso.keys.privateKey,
          s.domain,
        ),
      ],
      s.marks,
      P.withdrawals,
    );
    await witnessFor({ kind: "process_withdrawals", input: w.input });
    assertIsolated(s, "after a withdrawal");

    const d = applyDeposits(
      s.state,
      [{ account: ISO, amount: 5_000n, pubKey: { x: 0n, y: 0n } }],
      0n,
      P.deposits,
    );
    await witnessFor({ kind: "apply_deposits", input: d.input });
    assertIsolated(s, "after a top-up");

    const nonce = s.state.getAccount(ISO).withdrawNonce;
    const f = answerForced(
      s.state,
      [
        signForcedRequest(
          { account: ISO, amount: 2_000n, recipient: RECIPIENT },
          nonce,
          s.iso.keys.privateKey,
          s.domain,
        ),
      ],
      0n,
      s.marks,
      P.withdrawals,
      indices,
    );
    await witnessFor({ kind: "answer_forced", input: f.input });
    assert.equal(f.payouts.filter((x) => x !== 0n).length, 1, "the forced withdrawal is paid");
    assertIsolated(s, "after a forced answer");

    // the exit circuit reads a flagged leaf and pays its equity
    const x = exitInput(
      s.state,
      ISO,
      RECIPIENT,
      signExit(ISO, RECIPIENT, s.iso.keys.privateKey, s.domain),
      s.marks,
      indices,
      oneX(P.markets),
    );
    assert.ok(x.payout > 0n);
    await witnessFor({ kind: "exit_account", input: x });

    // BTC falls 15 %: the sub-account (1 lot long, about 1M of collateral, 900,000 lost) is
    // below maintenance and liquidated alone; its owner's cross account 3 is not touched
    const owner = s.state.getAccount(s.traders[0].index);
    const low = [(PX * 85n) / 100n, s.marks[1]];
    const l = liquidate(s.state, [ISO], low, P.liquidations);
    await witnessFor({ kind: "liquidate_batch", input: l.input });
    assertIsolated(s, "after its liquidation");
    assert.equal(s.state.getAccount(ISO).positions[0].size, 0n);
    assert.deepEqual(s.state.getAccount(s.traders[0].index), owner, "the owner's cross account");
  });

  it("opens a sub-account isolated to its deposit entry's market; refuses a flag on a top-up or above M", async function () {
    const s = exchange();
    const key = s.traders[1].keys.publicKey;
    const opened = applyDeposits(
      s.state,
      [{ account: 7n, amount: 50_000n, pubKey: key, isolatedMarket: 1 }],
      0n,
      P.deposits,
    );
    await witnessFor({ kind: "apply_deposits", input: opened.input });
    assert.equal(s.state.getAccount(7n).isolatedMarket, 1);
    assert.equal(flagOf(s.state.getAccount(7n)), 2n);
    // the engine credits only what the Vault queues: a flag on an existing account, or a
    // market the exchange does not have, is refused
    for (const [d, why] of [
      [
        { account: 7n, amount: 1n, pubKey: { x: 0n, y: 0n }, isolatedMarket: 1 },
        /only a new account/,
      ],
      [{ account: 8n, amount: 1n, pubKey: key, isolatedMarket: 2 }, /market 2 does not exist/],
    ] as const)
      assert.throws(
        () => applyDeposits(s.state, [d], opened.queueTo, P.deposits),
        (e: unknown) =>
          e instanceof ZkClearError && e.code === "DEPOSIT_BAD_ISOLATION" && why.test(e.message),
      );
    // the circuit, given the same entries (queue hashes as the Vault would chain them)
    const forged = (flag: bigint, input: ReturnType<typeof applyDeposits>["input"]) => {
      const slot = { ...input.slots[0], flag };
      const d = {
        account: slot.account,
        amount: slot.amount,
        pubKey: { x: slot.pkX, y: slot.pkY },
      };
      const queueTo = depositQueueHash(input.queueFrom, {
        ...d,
        ...(flag === 0n ? {} : { isolatedMarket: Number(flag - 1n) }),
      });
      return {
        kind: "apply_deposits" as const,
        input: { ...input, queueTo, slots: [slot, ...input.slots.slice(1)] },
      };
    };
    const topUp = applyDeposits(
      s.state,
      [{ account: 7n, amount: 1n, pubKey: { x: 0n, y: 0n } }],
      opened.queueTo,
      P.deposits,
    );
    await witnessFor(forged(0n, topUp.input));
    await assertRefused(forged(2n, topUp.input), "DepositSlot");
    const fresh = applyDeposits(
      s.state,
      [{ account: 8n, amount: 1n, pubKey: key }],
      topUp.queueTo,
      P.deposits,
    );
    await witnessFor(forged(0n, fresh.input));
    // flag M + 1 = 3 names market 2, which does not exist
    await assertRefused(forged(3n, fresh.input), "DepositSlot");
  });

  it("moves collateral between a key's accounts by a signed transfer, paying nothing out, and back", async function () {
    const s = exchange();
    const owner = s.traders[0];
    const w = (input: ReturnType<typeof processWithdrawals>["input"]) => ({
      kind: "process_withdrawals" as const,
      input,
    });
    const before = [s.state.getAccount(owner.index), s.state.getAccount(ISO)];
    const to = processWithdrawals(
      s.state,
      [
        signTransfer(
          { from: owner.index, to: ISO, nonce: 0n, amount: 250_000n, isolatedMarket: 0 },
          P.markets,
          owner.keys.privateKey,
          s.domain,
        ),
      ],
      s.marks,
      P.withdrawals,
    );
    await witnessFor(w(to.input));
    assert.deepEqual(to.payouts, Array<bigint>(P.withdrawals).fill(0n), "nothing leaves the Vault");
    const after = [s.state.getAccount(owner.index), s.state.getAccount(ISO)];
    assert.equal(after[0].collateral, before[0].collateral - 250_000n);
    assert.equal(after[1].collateral, before[1].collateral + 250_000n);
    assert.equal(after[0].withdrawNonce, 1n, "the source's nonce moved on");
    assert.equal(after[1].withdrawNonce, 0n);
    assertIsolated(s, "after a transfer in");
    // and back, from the sub-account (its own nonce) to the cross account
    const back = processWithdrawals(
      s.state,
      [
        signTransfer(
          { from: ISO, to: owner.index, nonce: 0n, amount: 50_000n },
          P.markets,
          owner.keys.privateKey,
          s.domain,
        ),
      ],
      s.marks,
      P.withdrawals,
    );
    await witnessFor(w(back.input));
    assert.equal(s.state.getAccount(ISO).collateral, before[1].collateral + 200_000n);
  });

  it("refuses a transfer to an index no account holds, in the engine (the empty leaf has no preimage, so no witness can name it)", async function () {
    // the transfer rules the circuit checks (another key, another flag, itself, a system
    // account) are broken one at a time, each refused at its statement, in
    // transfer-rules.test.ts
    const s = exchange();
    assert.throws(
      () =>
        processWithdrawals(
          s.state,
          [
            signTransfer(
              { from: 3n, to: 9n, nonce: 0n, amount: 1n },
              P.markets,
              s.traders[0].keys.privateKey,
              s.domain,
            ),
          ],
          s.marks,
          P.withdrawals,
        ),
      (e: unknown) =>
        e instanceof ZkClearError &&
        e.code === "TRANSFER_BAD_DESTINATION" &&
        /does not exist/.test(e.message),
    );
  });

  it("refuses an isolated sub-account's trade in another market, in TradesIn", async function () {
    const s = exchange();
    const [, b] = s.traders;
    const trade = simpleTrade(s, s.iso, b, 1, 1n, 300_000n, { buy: 1n, sell: 1n });
    assert.throws(
      () => settleTrades(s.state, [trade], s.marks, P.batch),
      (e: unknown) => e instanceof ZkClearError && e.code === "TRADE_OUTSIDE_ISOLATED_MARKET",
    );
    // the same trade forced past the engine's rules: the circuit refuses it for that reason
    const forged = settleTrades(s.state, [trade], s.marks, P.batch, { unchecked: true });
    await assertRefused(tradesInput(forged.input), "TradesIn");
    // as the sell side too
    const s2 = exchange();
    const sell = simpleTrade(s2, s2.traders[1], s2.iso, 1, 1n, 300_000n, { buy: 1n, sell: 1n });
    const forged2 = settleTrades(s2.state, [sell], s2.marks, P.batch, { unchecked: true });
    await assertRefused(tradesInput(forged2.input), "TradesIn");
  });

  it("binds the flag into the leaf: a witness that reads the sub-account as a cross one is refused", async function () {
    const s = exchange();
    const t = settleTrades(
      s.state,
      [simpleTrade(s, s.iso, s.traders[1], 0, 1n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    const [buy, sell] = t.input.slots[0].sides;
    const cleared = buy.balance - (1n << 161n);
    assert.equal(unpackBalance(cleared).flag, 0n);
    const slots = [
      { ...t.input.slots[0], sides: [{ ...buy, balance: cleared }, sell] as const },
      ...t.input.slots.slice(1),
    ];
    // the old leaf no longer hashes to the one in the tree
    await assertRefused(tradesInput({ ...t.input, slots }), "TradeSide");
  });

  it("refuses a fee account or an insurance fund leaf that is not cross-margin", async function () {
    // no circuit writes such a leaf (genesis makes both cross, every writer keeps the flag):
    // the guard is forced here by writing the engine's state directly
    const s = exchange();
    const fee = s.state.getAccount(FEE_ACCOUNT);
    s.state.setAccount(FEE_ACCOUNT, { ...fee, isolatedMarket: 0 });
    const t = settleTrades(
      s.state,
      [simpleTrade(s, s.traders[1], s.traders[2], 0, 1n, PX, { buy: 1n, sell: 1n })],
      s.marks,
      P.batch,
    );
    await assertRefused(tradesInput(t.input), "SettleTrades");
    const w = world();
    w.setAccount(INSURANCE_ACCOUNT, { ...w.getAccount(INSURANCE_ACCOUNT), isolatedMarket: 0 });
    const l = liquidate(w, [3n], MARKS, LP.liquidations, {}, INDICES);
    await assertRefused({ kind: "liquidate_batch", input: l.input }, "LiquidateBatch");
  });

  it("lets an isolated liquidator take positions in its market only, in TradesIn", async function () {
    const isolate = () => {
      const s = world();
      // liquidator 5 (flat in BTC, short ETH) as a sub-account isolated to market 1 (ETH)
      s.setAccount(5n, { ...s.getAccount(5n), isolatedMarket: 1 });
      return s;
    };
    const offer = offerOf(5n, OFFER_TERMS);
    // account 6's ETH short: its market
    const ok = liquidate(
      isolate(),
      [taken(6n, offer, [false, true])],
      MARKS,
      LP.liquidations,
      {},
      INDICES,
    );
    await witnessFor({ kind: "liquidate_batch", input: ok.input });
    // account 3's BTC long: not its market
    const btc = [taken(3n, offer, [true, false])];
    assert.throws(
      () => liquidate(isolate(), btc, MARKS, LP.liquidations, {}, INDICES),
      (e: unknown) => e instanceof ZkClearError && e.code === "LIQUIDATOR_OUTSIDE_ISOLATED_MARKET",
    );
    const forged = liquidate(isolate(), btc, MARKS, LP.liquidations, { unchecked: true }, INDICES);
    await assertRefused({ kind: "liquidate_batch", input: forged.input }, "TradesIn");
  });
});
