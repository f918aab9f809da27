import assert from "node:assert/strict";
import {
  BPS_DENOMINATOR,
  FEE_ACCOUNT,
  FIRST_USER_ACCOUNT,
  INSURANCE_ACCOUNT,
} from "../../prover/src/domain/constants.ts";
import { devKeyPair, sign, type KeyPair } from "../../prover/src/domain/keys.ts";
import { marginSurplus } from "../../prover/src/domain/margin.ts";
import { genesisRoot } from "../../prover/src/domain/genesis.ts";
import { devOwnerKeys, devOwners } from "../../prover/src/domain/owners.ts";
import {
  depositQueueHash,
  signWithdrawal,
  type Deposit,
  type SignedWithdrawal,
} from "../../prover/src/domain/transfers.ts";
import { OrderError, signedOrderMessage } from "../../prover/src/domain/order.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import type {
  ApplyDepositsInput,
  ProcessWithdrawalsInput,
} from "../../prover/src/domain/inputs.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { settleTrades, TradeError } from "../../prover/src/engine/trades.ts";
import {
  applyDeposits,
  processWithdrawals,
  TransferBatchError,
} from "../../prover/src/engine/transfers.ts";
import {
  order,
  sampleExchange,
  simpleTrade,
  type Sample,
  type Trader,
} from "../../prover/src/dev/sample.ts";
import {
  assertRefused,
  assertRefusedAt,
  assertRefusedBy,
  TEST_PARAMS,
  witnessFor,
  witnessOf,
} from "../helpers/circuit.ts";

/**
 * Issue 18: the fee account (1) and the insurance fund (2) have owners whose keys are in
 * their leaves. Each rule is broken once and refused for its reason, by the engine and by
 * the circuit (a witness the unchecked engine, or a rewritten slot, builds).
 */
const P = TEST_PARAMS;
const BTC = 0;
const PX = 60_000_00n;
const TREASURY = 0x7e5f4552091a69125d5dfcb7b8c2659029395bdfn;
const OWNERS = devOwnerKeys();
const FEE: Trader = { index: FEE_ACCOUNT, keys: OWNERS.fee };
const FUND: Trader = { index: INSURANCE_ACCOUNT, keys: OWNERS.fund };

const withdrawalsOf = (input: ProcessWithdrawalsInput) => ({
  kind: "process_withdrawals" as const,
  input,
});
const depositsOf = (input: ApplyDepositsInput) => ({ kind: "apply_deposits" as const, input });

function codeOf(f: () => unknown): string {
  try {
    f();
    return "accepted";
  } catch (e) {
    return (e as TransferBatchError).code;
  }
}

function withdrawal(s: Sample, who: Trader, amount: bigint, signer: KeyPair = who.keys) {
  const nonce = s.state.getAccount(who.index).withdrawNonce;
  return signWithdrawal(
    { account: who.index, nonce, amount, recipient: TREASURY },
    signer.privateKey,
    s.domain,
  );
}

/** A sample whose fee account holds the fees of one 1-lot BTC trade (1,200 + 3,000). */
function withFees(): Sample {
  const s = sampleExchange(P, 2);
  const [a, b] = s.traders;
  settleTrades(
    s.state,
    [simpleTrade(s, a, b, BTC, 1n, PX, { buy: 1n, sell: 1n })],
    s.marks,
    P.batch,
  );
  assert.equal(s.state.getAccount(FEE_ACCOUNT).collateral, 4_200n);
  return s;
}

/** A sample with the fund topped up by `amount` through a deposit (no key: a top-up). */
function withFund(fundFloor: bigint, amount: bigint): Sample {
  const s = sampleExchange(P, 2, undefined, fundFloor);
  applyDeposits(
    s.state,
    [{ account: INSURANCE_ACCOUNT, amount, pubKey: { x: 0n, y: 0n } }],
    0n,
    P.deposits,
  );
  return s;
}

/** What BTC's compartment holds beside the fund's position (its notional lowered by it). */
const COMPARTMENT = 1_000_000n;

/**
 * The fund long 2 BTC lots bought at PX, with `collateral` in its reserve and COMPARTMENT in
 * BTC's compartment (which keeps the position's maintenance requirement when it sells one);
 * its floor `fundFloor`.
 */
function fundLong(collateral: bigint, fundFloor: bigint, compartment = COMPARTMENT): Sample {
  const s = sampleExchange(P, 2, undefined, fundFloor);
  const fund = s.state.getAccount(INSURANCE_ACCOUNT);
  s.state.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    collateral,
    positions: fund.positions.map((p, j) =>
      j === BTC ? { ...p, size: 2n, notional: 2n * PX - compartment } : p,
    ),
  });
  return s;
}

/**
 * The highest floor with which the fund may sell 1 of its 2 lots at PX (fundSells): its
 * equity at the marks after the trade, less its maintenance margin (the other rules aside).
 */
function boundaryFloor(collateral = 1_300_000n, compartment = COMPARTMENT): bigint {
  const s = fundLong(collateral, 0n, compartment);
  settleTrades(s.state, [fundSells(s)], s.marks, P.batch, { unchecked: true });
  const fund = s.state.getAccount(INSURANCE_ACCOUNT);
  return marginSurplus(fund, s.marks, s.state.markets, "maintenance") / BPS_DENOMINATOR;
}

/** The fund sells 1 of its 2 lots to trader 3 at PX (the fund is the maker: 2 bps, 1,200). */
function fundSells(s: Sample): Trade {
  return {
    buy: order(s, s.traders[0], {
      market: BTC,
      side: "buy",
      nonce: 1n,
      amount: 1n,
      limitPrice: PX,
    }),
    sell: order(s, FUND, { market: BTC, side: "sell", nonce: 1n, amount: 1n, limitPrice: PX }),
    qty: 1n,
    price: PX,
    takerIsBuyer: true,
  };
}

describe("fee and fund owners (engine and circuits, test parameters)", function () {
  it("puts the owners' keys in the system accounts' genesis leaves, and the root depends on them", function () {
    const s = sampleExchange(P, 0);
    assert.deepEqual(s.state.getAccount(FEE_ACCOUNT).pubKey, OWNERS.fee.publicKey);
    assert.deepEqual(s.state.getAccount(INSURANCE_ACCOUNT).pubKey, OWNERS.fund.publicKey);
    assert.equal(genesisRoot(P.depth, P.markets, devOwners()), s.state.root);
    const other = { ...devOwners(), fund: devKeyPair("someone else").publicKey };
    assert.notEqual(genesisRoot(P.depth, P.markets, other), s.state.root);
    // a key nobody can sign with is no owner
    assert.throws(
      () =>
        ExchangeState.genesis(P.depth, s.markets, s.domain, { ...other, fee: { x: 0n, y: 0n } }),
      (e: unknown) => (e as TransferBatchError).code === "OWNER_BAD_KEY",
    );
  });

  describe("withdrawals", function () {
    it("pays the fee owner's withdrawal of the fees to the treasury it names", async function () {
      const s = withFees();
      const r = processWithdrawals(s.state, [withdrawal(s, FEE, 4_200n)], s.marks, P.withdrawals);
      const w = await witnessFor(withdrawalsOf(r.input));
      assert.deepEqual(w.slice(1, 4 + P.withdrawals), [
        r.oldRoot,
        r.newRoot,
        r.priceConfigHash,
        ...r.payouts,
      ]);
      assert.equal(r.payouts[0], TREASURY + (4_200n << 160n));
      assert.equal(s.state.getAccount(FEE_ACCOUNT).collateral, 0n);
      assert.equal(s.state.getAccount(FEE_ACCOUNT).withdrawNonce, 1n);
    });

    it("refuses a fee withdrawal signed by anyone but the fee owner (engine; circuit: the signature)", async function () {
      for (const signer of [OWNERS.fund, withFees().traders[0].keys, devKeyPair("mallory")]) {
        const s = withFees();
        const sw = withdrawal(s, FEE, 4_200n, signer);
        assert.equal(
          codeOf(() => processWithdrawals(s.state, [sw], s.marks, P.withdrawals)),
          "WITHDRAW_BAD_SIGNATURE",
        );
        const forged = processWithdrawals(s.state, [sw], s.marks, P.withdrawals, {
          trustSignatures: true,
        });
        await assertRefused(withdrawalsOf(forged.input), "ForceEqualIfEnabled");
      }
    });

    it("refuses account 0, the empty leaf", function () {
      const s = withFees();
      const sw: SignedWithdrawal = {
        withdrawal: { account: 0n, nonce: 0n, amount: 1n, recipient: TREASURY },
        signature: withdrawal(s, FEE, 1n).signature,
      };
      assert.equal(
        codeOf(() => processWithdrawals(s.state, [sw], s.marks, P.withdrawals)),
        "WITHDRAW_EMPTY_ACCOUNT",
      );
    });

    it("lets the fund owner withdraw down to the floor, not below (engine and circuit)", async function () {
      // topped up by 5,000 with a floor of 1,000: 4,000 may leave, 4,001 may not
      const s = withFund(1_000n, 5_000n);
      assert.deepEqual(s.state.getAccount(INSURANCE_ACCOUNT).pubKey, OWNERS.fund.publicKey);
      assert.equal(
        codeOf(() =>
          processWithdrawals(s.state, [withdrawal(s, FUND, 4_001n)], s.marks, P.withdrawals),
        ),
        "FUND_BELOW_FLOOR",
      );
      const ok = processWithdrawals(s.state, [withdrawal(s, FUND, 4_000n)], s.marks, P.withdrawals);
      await witnessFor(withdrawalsOf(ok.input));
      assert.equal(s.state.getAccount(INSURANCE_ACCOUNT).collateral, 1_000n);
      // the same slot for 4,001, signed by the fund owner: not an overdraft (5,000 were
      // there), only the floor refuses it
      const t = withFund(1_000n, 5_000n);
      const r = processWithdrawals(t.state, [withdrawal(t, FUND, 4_000n)], t.marks, P.withdrawals);
      const big = withdrawal(withFund(1_000n, 5_000n), FUND, 4_001n);
      const [slot, pad] = r.input.slots;
      const over = {
        ...slot,
        amount: 4_001n,
        sigR8x: big.signature.r8x,
        sigR8y: big.signature.r8y,
        sigS: big.signature.s,
      };
      await assertRefused(
        withdrawalsOf({
          ...r.input,
          payout: [TREASURY + (4_001n << 160n), 0n],
          slots: [over, pad],
        }),
        "WithdrawalSlot",
      );
      // with no floor the same 4,001 is paid
      const free = withFund(0n, 5_000n);
      const paid = processWithdrawals(
        free.state,
        [withdrawal(free, FUND, 4_001n)],
        free.marks,
        P.withdrawals,
      );
      await witnessFor(withdrawalsOf(paid.input));
    });

    it("binds the floor: another floor than the configuration's, or one of 2^127, is refused", async function () {
      const s = withFund(1_000n, 5_000n);
      const r = processWithdrawals(s.state, [withdrawal(s, FUND, 4_000n)], s.marks, P.withdrawals);
      // a lower floor would let more out: the binding (priceConfigHash) refuses it
      await assertRefused(withdrawalsOf({ ...r.input, fundFloor: 0n }), "ProcessWithdrawals");
      await assertRefused(withdrawalsOf({ ...r.input, fundFloor: 1n << 127n }), "MarketBinding");
      assert.throws(
        () => sampleExchange(P, 0, undefined, 1n << 127n),
        (e: unknown) => (e as TransferBatchError).code === "VALUE_OUT_OF_RANGE",
      );
    });
  });

  describe("trades", function () {
    it("trades the fund's position out with its owner's order: the position shrinks", async function () {
      const floor = boundaryFloor();
      const s = fundLong(1_300_000n, floor);
      const r = settleTrades(s.state, [fundSells(s)], s.marks, P.batch);
      await assertRefusedBy({ ...r.input, fundFloor: 0n }, "SettleTrades");
      const w = await witnessFor({ kind: "settle_trades", input: r.input });
      assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.tradeBinding]);
      const fund = s.state.getAccount(INSURANCE_ACCOUNT);
      assert.equal(fund.positions[BTC].size, 1n);
      assert.equal(fund.positions[BTC].notional, PX - COMPARTMENT);
      // the maker's fee is paid, and the fund's equity at the marks is exactly its floor
      // plus its maintenance margin (the trade reduces its position)
      assert.equal(fund.collateral, 1_298_800n);
      assert.equal(
        marginSurplus(fund, s.marks, s.state.markets, "maintenance") / BPS_DENOMINATOR,
        floor,
      );
      assert.equal(s.state.getAccount(s.traders[0].index).positions[BTC].size, 1n);
    });

    it("refuses a fund trade that leaves its equity below the floor plus its margin (engine; circuit: MarginRequirement)", async function () {
      const s = fundLong(1_300_000n, boundaryFloor() + 1n);
      const root = s.state.root;
      assert.throws(
        () => settleTrades(s.state, [fundSells(s)], s.marks, P.batch),
        (e: unknown) => e instanceof TradeError && e.code === "FUND_BELOW_FLOOR",
      );
      assert.equal(s.state.root, root);
      const forged = settleTrades(s.state, [fundSells(s)], s.marks, P.batch, { unchecked: true });
      await assertRefusedBy(forged.input, "MarginRequirement");
    });

    it("refuses an off-market fund trade that passes the fund's value to the buyer although its collateral stays (engine and circuit)", async function () {
      // the floor the trade at the mark meets exactly; the same lot sold at price 1 leaves
      // the fund's collateral where it was (nothing realised: the position only shrinks) but
      // hands the buyer the lot's value: the fund's equity falls below the floor
      // (a fund with 10,000,000: after the cheap sale it still meets its maintenance margin;
      // nothing in BTC's compartment, whose own rule, like the price band, would refuse the
      // sale too: test/circuits/fund-trades.test.ts breaks those)
      const s = fundLong(10_000_000n, boundaryFloor(10_000_000n, 0n), 0n);
      const cheap: Trade = {
        ...fundSells(s),
        sell: order(s, FUND, { market: BTC, side: "sell", nonce: 1n, amount: 1n, limitPrice: 1n }),
        price: 1n,
      };
      assert.throws(
        () => settleTrades(s.state, [cheap], s.marks, P.batch),
        (e: unknown) => e instanceof TradeError && e.code === "FUND_BELOW_FLOOR",
      );
      const forged = settleTrades(s.state, [cheap], s.marks, P.batch, { unchecked: true });
      // what a collateral floor alone would have let through
      assert.ok(s.state.getAccount(INSURANCE_ACCOUNT).collateral >= boundaryFloor(10_000_000n, 0n));
      await assertRefusedBy(forged.input, "MarginRequirement");
    });

    it("refuses the fund's order signed by another key than the fund owner's", async function () {
      const s = fundLong(1_300_000n, 0n);
      const stranger: Trader = { index: INSURANCE_ACCOUNT, keys: devKeyPair("stranger") };
      const t = { ...fundSells(s), sell: order(s, stranger, fundSells(s).sell.order) };
      assert.throws(
        () => settleTrades(s.state, [t], s.marks, P.batch),
        (e: unknown) => e instanceof TradeError && e.code === "ORDER_BAD_SIGNATURE",
      );
      const forged = settleTrades(s.state, [t], s.marks, P.batch, { unchecked: true });
      await assertRefusedBy(forged.input, "OrderSignature");
    });

    it("refuses an order of the fee account, even signed by its owner (engine; circuit: NotFeeAccount, at its statement)", async function () {
      // Without the rule the fee owner's key trades the collected fees. No liquidation can
      // close such a position (LiquidationSlot refuses system accounts), so a loss past the
      // fees is a debt nobody covers: the counterparty's profit has nothing behind it.
      const s = withFees();
      const fee = s.state.getAccount(FEE_ACCOUNT);
      s.state.setAccount(FEE_ACCOUNT, { ...fee, collateral: 10_000_000n });
      // signed by the fee owner's key, as it is: only the account number is wrong
      const feeOrder = { ...fundSells(s).sell.order, account: FEE_ACCOUNT };
      const t: Trade = {
        buy: order(s, s.traders[0], {
          market: BTC,
          side: "buy",
          nonce: 2n,
          amount: 1n,
          limitPrice: PX,
        }),
        sell: {
          order: feeOrder,
          signature: sign(OWNERS.fee.privateKey, signedOrderMessage(feeOrder, s.domain)),
        },
        qty: 1n,
        price: PX,
        takerIsBuyer: true,
      };
      assert.throws(
        () => order(s, FEE, { market: BTC, side: "sell", nonce: 1n, amount: 1n, limitPrice: PX }),
        (e: unknown) => e instanceof OrderError && e.code === "ORDER_SYSTEM_ACCOUNT",
      );
      assert.throws(
        () => settleTrades(s.state, [t], s.marks, P.batch),
        (e: unknown) => e instanceof OrderError && e.code === "ORDER_SYSTEM_ACCOUNT",
      );
      const forged = settleTrades(s.state, [t], s.marks, P.batch, { unchecked: true });
      await assertRefusedAt(
        witnessOf(forged.input),
        "trade.circom",
        "TradeSide",
        "NotFeeAccount()(account, enabled);",
      );
    });
  });

  describe("top-ups", function () {
    it("credits a top-up of the fund and keeps its owner's key", async function () {
      const s = sampleExchange(P, 0);
      const root = s.state.root;
      const r = applyDeposits(
        s.state,
        [{ account: INSURANCE_ACCOUNT, amount: 7n, pubKey: { x: 0n, y: 0n } }],
        0n,
        P.deposits,
      );
      await witnessFor(depositsOf(r.input));
      assert.notEqual(r.newRoot, root);
      const fund = s.state.getAccount(INSURANCE_ACCOUNT);
      assert.equal(fund.collateral, 7n);
      assert.deepEqual(fund.pubKey, OWNERS.fund.publicKey);
    });

    it("refuses a slot that would recreate the fund to bind another key (circuit: DepositSlot); a key named for it is a rotation only the governance queues", async function () {
      const thief = devKeyPair("thief").publicKey;
      const d: Deposit = { account: INSURANCE_ACCOUNT, amount: 7n, pubKey: thief };
      // the entry itself is an owner key rotation (test/circuits/owner-rotation.test.ts):
      // only Vault.queueOwnerKey, behind the governance timelock, queues one; a deposit
      // to an existing account is queued without a key (test/contracts/owner-key.test.ts)
      const rotated = sampleExchange(P, 0);
      applyDeposits(rotated.state, [d], 0n, P.deposits);
      assert.deepEqual(rotated.state.getAccount(INSURANCE_ACCOUNT).pubKey, thief);
      const top = applyDeposits(
        sampleExchange(P, 0).state,
        [{ ...d, pubKey: { x: 0n, y: 0n } }],
        0n,
        P.deposits,
      );
      const [slot, pad] = top.input.slots;
      // the slot claiming the fund's leaf is empty, to bind the thief's key: refused
      await assertRefused(
        depositsOf({
          ...top.input,
          queueTo: depositQueueHash(0n, d),
          slots: [{ ...slot, pkX: thief.x, pkY: thief.y, isNew: 1n }, pad],
        }),
        "DepositSlot",
      );
      assert.ok(FIRST_USER_ACCOUNT > INSURANCE_ACCOUNT);
    });
  });
});
