import assert from "node:assert/strict";
import { oneX } from "../../prover/src/domain/volatility.ts";
import { devOwners } from "../../prover/src/domain/owners.ts";
import fc from "fast-check";
import { encodeSigned } from "../../prover/src/domain/amounts.ts";
import { newAccount, packPositionWord, type Account } from "../../prover/src/domain/account.ts";
import {
  FUNDING_SCALE,
  INSURANCE_ACCOUNT,
  RATE_DENOMINATOR,
} from "../../prover/src/domain/constants.ts";
import { indexStep } from "../../prover/src/domain/funding-rate.ts";
import { settleFunding, zeroIndices } from "../../prover/src/domain/funding.ts";
import { devKeyPair } from "../../prover/src/domain/keys.ts";
import { defaultMarkets, priceConfigHash } from "../../prover/src/domain/market.ts";
import { tradeBinding } from "../../prover/src/domain/breakers.ts";
import { SAMPLE_DOMAIN, sampleExchange, simpleTrade } from "../../prover/src/dev/sample.ts";
import { ExchangeState } from "../../prover/src/engine/state.ts";
import { settleTrades, TradeError } from "../../prover/src/engine/trades.ts";
import { liquidate, LiquidationError } from "../../prover/src/engine/liquidations.ts";
import { processWithdrawals } from "../../prover/src/engine/transfers.ts";
import { exitInput } from "../../prover/src/engine/exit.ts";
import { signWithdrawal } from "../../prover/src/domain/transfers.ts";
import { signExit } from "../../prover/src/domain/exit.ts";
import { compileProbe, type ProbeBuild } from "../../prover/src/proving/build.ts";
import { calculateWitness } from "../../prover/src/proving/prover.ts";
import { readR1cs, readSymbols, unsatisfiedConstraints } from "../../prover/src/proving/r1cs.ts";
import {
  EXIT_ACCOUNT_PUBLIC,
  exitAccountPublicSignals,
  processWithdrawalsPublicSignals,
  SETTLE_TRADES_PUBLIC,
} from "../../prover/src/domain/inputs.ts";
import { assertRefused, assertRefusedBy, TEST_PARAMS, witnessFor } from "../helpers/circuit.ts";

const P = TEST_PARAMS;
const markets = defaultMarkets(P.markets);
const BTC = 60_000_00n;
const ETH = 3_000_00n;
const MARKS = [BTC, ETH];
const ZERO = zeroIndices(P.markets);

/** A funding index after `ticks` ticks at `ratePpm` on the BTC price. */
const after = (ticks: bigint, ratePpm: bigint): bigint[] => [ticks * indexStep(ratePpm, BTC), 0n];

const pos = (size: bigint, notional: bigint, fundingIndex = 0n) => ({
  size,
  notional,
  nonce: 1n,
  filled: size < 0n ? -size : size,
  fundingIndex,
});

describe("SettleFunding: accrued funding is settled on touch (circuit twin of domain/funding.ts)", function () {
  let probe: ProbeBuild;
  before(async function () {
    probe = await compileProbe("settle_funding_2", "funding.circom", "SettleFunding(2)", {
      wasm: true,
    });
  });

  const inputs = (a: Account, indices: readonly bigint[]) => ({
    collateral: encodeSigned(a.collateral).toString(),
    size: a.positions.map((p) => encodeSigned(p.size).toString()),
    lastIndex: a.positions.map((p) => encodeSigned(p.fundingIndex).toString()),
    index: indices.map((x) => encodeSigned(x).toString()),
    word: a.positions.map((p) => packPositionWord(p).toString()),
    enabled: "1",
  });
  const account = (collateral: bigint, positions: ReturnType<typeof pos>[]): Account => ({
    ...newAccount(devKeyPair("funding").publicKey, 2, collateral),
    positions,
  });

  it("agrees with settleFunding for longs and shorts, rising and falling indices (property)", async function () {
    const size = fc.bigInt(-(1n << 40n), 1n << 40n);
    const index = fc.bigInt(-(1n << 62n), (1n << 62n) - 1n);
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt(-(1n << 100n), 1n << 100n),
        fc.tuple(size, size),
        fc.tuple(index, index),
        fc.tuple(index, index),
        async (collateral, sizes, last, now) => {
          const a = account(collateral, [pos(sizes[0], 0n, last[0]), pos(sizes[1], 0n, last[1])]);
          const twin = settleFunding(a, now);
          const w = await calculateWitness(probe.wasm!, inputs(a, now));
          assert.equal(w[1], encodeSigned(twin.account.collateral), "collateral after funding");
          assert.equal(w[2], encodeSigned(twin.payment), "payment");
          assert.deepEqual(w.slice(3, 5), twin.account.positions.map(packPositionWord));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("rounds against the account on both sides: a payer pays the fraction, a receiver loses it", async function () {
    // one lot long and one short, the index up by 1 (2^-20 quote units per lot)
    const long = account(100n, [pos(1n, 0n), pos(0n, 0n)]);
    const short = account(100n, [pos(-1n, 0n), pos(0n, 0n)]);
    assert.equal(settleFunding(long, [1n, 0n]).payment, 1n);
    assert.equal(settleFunding(short, [1n, 0n]).payment, 0n);
    // exactly 2^20: no fraction, each side one unit
    assert.equal(settleFunding(long, [FUNDING_SCALE, 0n]).payment, 1n);
    assert.equal(settleFunding(short, [FUNDING_SCALE, 0n]).payment, -1n);
    // the index falling: the long receives (rounded down), the short pays (rounded up)
    assert.equal(settleFunding(long, [-FUNDING_SCALE - 1n, 0n]).payment, -1n);
    assert.equal(settleFunding(short, [-FUNDING_SCALE - 1n, 0n]).payment, 2n);
    for (const [a, idx] of [
      [long, [1n, 0n]],
      [short, [1n, 0n]],
      [short, [-FUNDING_SCALE - 1n, 0n]],
    ] as const) {
      const w = await calculateWitness(probe.wasm!, inputs(a, idx));
      assert.equal(w[2], encodeSigned(settleFunding(a, idx).payment));
    }
  });

  it("refuses a payment other than the ceiling (forged witness, edited after the calculator ran)", async function () {
    const a = account(5_000n, [pos(3n, 0n), pos(-2n, 0n)]);
    const idx = [2_500_000n, -700_001n];
    const honest = await calculateWitness(probe.wasm!, inputs(a, idx));
    const r1cs = readR1cs(probe.r1cs);
    const sym = readSymbols(probe.sym!);
    assert.deepEqual(unsatisfiedConstraints(r1cs, honest), []);
    const payment = sym.get("main.payment");
    const collateralOut = sym.get("main.collateralOut");
    assert.ok(payment !== undefined && collateralOut !== undefined);
    for (const delta of [1n, -1n]) {
      // pay one unit less (or more), with the collateral after it to match
      const forged = [...honest];
      forged[payment] = encodeSigned(honest[payment] + delta);
      forged[collateralOut] = encodeSigned(honest[collateralOut] - delta);
      const bad = unsatisfiedConstraints(r1cs, forged);
      assert.ok(bad.length > 0, `payment ${delta} refused`);
      assert.ok(
        bad.some((i) => r1cs.constraints[i].some((lc) => lc.some(([w]) => w === payment))),
        "a broken constraint involves the payment",
      );
    }
  });
});

describe("funding in the circuits that read accounts (test parameters)", function () {
  it("settles funding before a trade, for both signs of position and rate, as the engine does", async function () {
    for (const rate of [100n, -100n]) {
      const s = sampleExchange(P, 4, 10_000_000n);
      const [a, b, c, d] = s.traders;
      // a goes long 2 lots, b short 2, at index 0
      settleTrades(
        s.state,
        [simpleTrade(s, a, b, 0, 2n, BTC, { buy: 1n, sell: 1n })],
        MARKS,
        P.batch,
      );
      // three ticks later a and b trade again (with c and d): both settle first
      const idx = after(3n, rate);
      const r = settleTrades(
        s.state,
        [
          simpleTrade(s, a, c, 1, 1n, ETH, { buy: 1n, sell: 1n }),
          simpleTrade(s, d, b, 1, 1n, ETH, { buy: 1n, sell: 1n }),
        ],
        MARKS,
        P.batch,
        {},
        idx,
      );
      // 2 lots * 3 ticks * rate * price / 10^6, exact here: what the long pays the short receives
      const longPays = (2n * idx[0]) / FUNDING_SCALE;
      assert.equal(longPays, (2n * 3n * rate * BTC) / RATE_DENOMINATOR);
      assert.equal(r.funding.get(a.index), longPays);
      assert.equal(r.funding.get(b.index), -longPays);
      // both sides moved to the current index on every market
      for (const t of [a, b])
        assert.deepEqual(
          s.state.getAccount(t.index).positions.map((p) => p.fundingIndex),
          idx,
        );
      const w = await witnessFor({ kind: "settle_trades", input: r.input });
      assert.deepEqual(
        w.slice(1, 1 + SETTLE_TRADES_PUBLIC.length),
        SETTLE_TRADES_PUBLIC.map((k) => r.input[k]),
      );
    }
  });

  it("refuses funding indices other than the bound ones", async function () {
    const idx = after(2n, 50n);
    const other = [idx[0] - 1n, idx[1]];
    // the same history, the second batch settled at the bound indices and at others
    const batch = (indices: bigint[]) => {
      const s = sampleExchange(P, 4, 10_000_000n);
      const [a, b] = s.traders;
      settleTrades(
        s.state,
        [simpleTrade(s, a, b, 0, 2n, BTC, { buy: 1n, sell: 1n })],
        MARKS,
        P.batch,
      );
      const trade = simpleTrade(s, a, b, 0, 1n, BTC, { buy: 2n, sell: 2n });
      return { s, r: settleTrades(s.state, [trade], MARKS, P.batch, {}, indices) };
    };
    const bound = batch(idx);
    const forged = batch(other);
    assert.notEqual(forged.r.newRoot, bound.r.newRoot);
    // a witness consistent in every leaf, settled at other indices than the binding's
    await assertRefusedBy(
      { ...forged.r.input, tradeBinding: bound.r.tradeBinding },
      "SettleTrades",
    );
    // and the bound binding with the other indices' leaves but the bound indices declared
    await assertRefusedBy({ ...forged.r.input, fundingIndex: idx }, "SettleTrades");
    assert.equal(
      forged.r.tradeBinding,
      tradeBinding(
        priceConfigHash(forged.s.state, MARKS, other, oneX(MARKS.length)),
        0n,
        MARKS.length,
      ),
    );
  });

  it("refuses a trade of an account funding took below initial margin (engine and circuit)", async function () {
    const s = sampleExchange(P, 4, 700_000n);
    const [a, b, c] = s.traders;
    // a long 1 BTC lot with 700,000 of collateral: 10% initial margin is 600,000
    settleTrades(
      s.state,
      [simpleTrade(s, a, b, 0, 1n, BTC, { buy: 1n, sell: 1n })],
      MARKS,
      P.batch,
    );
    // funding of 150,000 per lot (2.5% of the price) leaves 550,000: below initial margin
    const idx = [150_000n * FUNDING_SCALE, 0n];
    const trades = [simpleTrade(s, a, c, 1, 1n, ETH, { buy: 1n, sell: 1n })];
    const root = s.state.root;
    assert.throws(
      () => settleTrades(s.state, trades, MARKS, P.batch, {}, idx),
      (e: unknown) => e instanceof TradeError && e.code === "MARGIN_INSUFFICIENT",
    );
    assert.equal(s.state.root, root, "nothing applied");
    const forged = settleTrades(s.state, trades, MARKS, P.batch, { unchecked: true }, idx);
    await assertRefusedBy(forged.input, "MarginRequirement");
  });

  describe("liquidations judge accounts after funding", function () {
    /** Account 3 long 1 lot at 6,000,000 with 1,250,000: exactly at maintenance at 5,000,000. */
    function world() {
      const s = ExchangeState.genesis(P.depth, markets, SAMPLE_DOMAIN, devOwners());
      const mk = (label: string, collateral: bigint, size: bigint): Account => ({
        ...newAccount(devKeyPair(label).publicKey, 2, collateral),
        positions: [pos(size, size * 6_000_000n), pos(0n, 0n)],
      });
      s.setAccount(3n, mk("long", 1_250_000n, 1n));
      s.setAccount(4n, mk("short", 10_000_000n, -1n));
      s.setAccount(INSURANCE_ACCOUNT, {
        ...s.getAccount(INSURANCE_ACCOUNT),
        collateral: 1_000_000n,
      });
      return s;
    }
    const code = (f: () => unknown) => {
      try {
        f();
        return "accepted";
      } catch (e) {
        return (e as LiquidationError).code;
      }
    };

    it("liquidates an account that only funding took below maintenance", async function () {
      const marks = [5_000_000n, ETH];
      assert.equal(
        code(() => liquidate(world(), [3n], marks, P.liquidations)),
        "LIQUIDATE_HEALTHY",
      );
      // one unit of funding owed (a long, the index up by 1 quote unit) tips it over
      const idx = [FUNDING_SCALE, 0n];
      const r = liquidate(world(), [3n], marks, P.liquidations, {}, idx);
      assert.equal(r.funding.get(3n), 1n);
      const w = await witnessFor({ kind: "liquidate_batch", input: r.input });
      assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.priceConfigHash]);
    });

    it("refuses to liquidate an account funding kept healthy (engine and circuit)", async function () {
      // below maintenance by one unit at these marks without funding...
      const marks = [4_999_999n, ETH];
      assert.equal(
        code(() => liquidate(world(), [3n], marks, P.liquidations)),
        "accepted",
      );
      // ...but the long receives 1 quote unit of funding (the index fell): healthy again
      const idx = [-FUNDING_SCALE, 0n];
      assert.equal(
        code(() => liquidate(world(), [3n], marks, P.liquidations, {}, idx)),
        "LIQUIDATE_HEALTHY",
      );
      const forged = liquidate(world(), [3n], marks, P.liquidations, { unchecked: true }, idx);
      await assertRefused({ kind: "liquidate_batch", input: forged.input }, "LiquidationSlot");
    });

    it("settles the insurance fund's own funding before it takes positions", async function () {
      const s = world();
      // the fund holds a short from an earlier liquidation, paid up to index 0
      s.setAccount(INSURANCE_ACCOUNT, {
        ...s.getAccount(INSURANCE_ACCOUNT),
        positions: [pos(-1n, -6_000_000n), pos(0n, 0n)],
      });
      s.setAccount(5n, {
        ...newAccount(devKeyPair("other").publicKey, 2, 10_000_000n),
        positions: [pos(1n, 6_000_000n), pos(0n, 0n)],
      });
      const idx = [7n * FUNDING_SCALE, 0n];
      const fundBefore = s.getAccount(INSURANCE_ACCOUNT);
      const r = liquidate(s, [3n], [4_000_000n, ETH], P.liquidations, {}, idx);
      // the short fund receives 7 (rounded down) into BTC's compartment, which was
      // -4,000,000 + 6,000,000 at the mark; the long liquidated account pays 7
      assert.equal(r.funding.get(INSURANCE_ACCOUNT), -7n);
      assert.deepEqual(r.compartmentsBefore, [2_000_007n, 0n]);
      assert.deepEqual(r.compartmentsAfter, [2_000_007n + r.charges[0][0], 0n]);
      // its reserve pays and receives nothing
      assert.equal(s.getAccount(INSURANCE_ACCOUNT).collateral, fundBefore.collateral);
      assert.deepEqual(
        s.getAccount(INSURANCE_ACCOUNT).positions.map((p) => p.fundingIndex),
        idx,
      );
      const w = await witnessFor({ kind: "liquidate_batch", input: r.input });
      assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.priceConfigHash]);
    });
  });

  it("withdraws from collateral after funding, and exits pay equity after funding", async function () {
    const s = sampleExchange(P, 4, 10_000_000n);
    const [a, b] = s.traders;
    settleTrades(
      s.state,
      [simpleTrade(s, a, b, 0, 2n, BTC, { buy: 1n, sell: 1n })],
      MARKS,
      P.batch,
    );
    const idx = after(4n, 75n);
    const owed = settleFunding(s.state.getAccount(a.index), idx).payment;
    assert.ok(owed > 0n);
    // the exit pays equity after funding: less than before by what the long owes
    const TO = 0xabcn;
    const sig = signExit(a.index, TO, a.keys.privateKey, s.domain);
    const flat = exitInput(s.state, a.index, TO, sig, MARKS, ZERO, oneX(MARKS.length));
    const funded = exitInput(s.state, a.index, TO, sig, MARKS, idx, oneX(MARKS.length));
    assert.equal(flat.payout - funded.payout, owed);
    const we = await witnessFor({ kind: "exit_account", input: funded });
    assert.deepEqual(we.slice(1, 1 + EXIT_ACCOUNT_PUBLIC.length), exitAccountPublicSignals(funded));
    await assertRefused(
      { kind: "exit_account", input: { ...funded, payout: flat.payout } },
      "ExitAccount",
    );
    // a withdrawal settles the funding first
    const sw = signWithdrawal(
      { account: a.index, nonce: 0n, amount: 1_000n, recipient: 0xabcdefn },
      a.keys.privateKey,
      s.domain,
    );
    const collateral = s.state.getAccount(a.index).collateral;
    const r = processWithdrawals(s.state, [sw], MARKS, P.withdrawals, {}, idx);
    assert.equal(r.funding.get(a.index), owed);
    assert.equal(s.state.getAccount(a.index).collateral, collateral - owed - 1_000n);
    const ww = await witnessFor({ kind: "process_withdrawals", input: r.input });
    const pub = processWithdrawalsPublicSignals(r.input);
    assert.deepEqual(ww.slice(1, 1 + pub.length), pub);
  });
});
