import assert from "node:assert/strict";
import {
  FUNDING_SCALE,
  FIRST_USER_ACCOUNT,
  INSURANCE_ACCOUNT,
} from "../../prover/src/domain/constants.ts";
import type { Account } from "../../prover/src/domain/account.ts";
import { compartmentValues } from "../../prover/src/domain/compartments.ts";
import { fundingPayment } from "../../prover/src/domain/funding.ts";
import { devOwnerKeys } from "../../prover/src/domain/owners.ts";
import type { Trade } from "../../prover/src/domain/batch.ts";
import { settleTrades, TradeError } from "../../prover/src/engine/trades.ts";
import { order, sampleExchange, type Sample, type Trader } from "../../prover/src/dev/sample.ts";
import { assertRefusedBy, TEST_PARAMS, witnessOf } from "../helpers/circuit.ts";

/**
 * The insurance fund's trades under its compartments' rules (docs/isolation.md, section 1;
 * TradeSide's fund path, FundTradeBand and FundCompartmentRequirement in SettleTrades): the
 * fund settles the traded market's funding alone, into that market's notional; a position it
 * closes realises nothing; it trades within its market's penalty rate of the mark and
 * leaves the market's compartment at least its position's maintenance requirement. Each
 * rule is broken once and refused for its reason, by the engine and by the circuit.
 */
const P = TEST_PARAMS;
const BTC = 0;
const ETH = 1;
const FUND: Trader = { index: INSURANCE_ACCOUNT, keys: devOwnerKeys().fund };
const RESERVE = 2_000_000n;
/** BTC's penalty rate is 100 bps: the band around the mark is 1 %. */
const PX = 60_000_00n;
const BAND = PX / 100n;
/**
 * BTC's index moved about 7.3 units per lot, ETH's about 4.3, since everyone last paid:
 * fractions, so the fund's rounding is up when it pays (BTC's 2 lots long: 14.6 -> 15) and
 * towards 0 when it is owed (ETH's 3 lots short: 12.9 -> 12).
 */
const INDICES = [(73n * FUNDING_SCALE) / 10n, (43n * FUNDING_SCALE) / 10n];
/** No funding owed: the requirement's edges exact. */
const ZERO = [0n, 0n];

/**
 * The fund long 2 BTC bought at PX with `btc` in BTC's compartment, short 3 ETH sold at the
 * mark with 200,000 in ETH's, and RESERVE in its reserve; two traders (3 and 4).
 */
function fundWorld(btc = 1_000_000n, reserve = RESERVE): Sample {
  const s = sampleExchange(P, 2);
  const fund = s.state.getAccount(INSURANCE_ACCOUNT);
  const eth = s.marks[ETH];
  s.state.setAccount(INSURANCE_ACCOUNT, {
    ...fund,
    collateral: reserve,
    positions: fund.positions.map((p, j) =>
      j === BTC
        ? { ...p, size: 2n, notional: 2n * PX - btc }
        : { ...p, size: -3n, notional: -3n * eth - 200_000n },
    ),
  });
  return s;
}

const fundOf = (s: Sample): Account => s.state.getAccount(INSURANCE_ACCOUNT);

/** The fund sells `qty` of `market` to trader 3 at `price` (the fund is the maker). */
function fundSells(s: Sample, qty: bigint, price: bigint, market = BTC): Trade {
  const o = { market, nonce: 1n, amount: qty, limitPrice: price };
  return {
    buy: order(s, s.traders[0], { ...o, side: "buy" }),
    sell: order(s, FUND, { ...o, side: "sell" }),
    qty,
    price,
    takerIsBuyer: true,
  };
}

/** The fund buys `qty` of `market` from trader 3 at `price` (the fund is the maker). */
function fundBuys(s: Sample, qty: bigint, price: bigint, market = BTC): Trade {
  const o = { market, nonce: 1n, amount: qty, limitPrice: price };
  return {
    buy: order(s, FUND, { ...o, side: "buy" }),
    sell: order(s, s.traders[0], { ...o, side: "sell" }),
    qty,
    price,
    takerIsBuyer: false,
  };
}

const refusal = (f: () => unknown): string => {
  try {
    f();
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof TradeError, String(e));
    return e.code;
  }
};

/**
 * `trade` on a fresh `world()` at `indices`: refused by the engine with `code`, the state
 * as it was, and the unchecked engine's witness refused by the circuit in `template`.
 */
async function refusedBoth(
  world: () => Sample,
  trade: (s: Sample) => Trade,
  code: string,
  template: string,
  indices: readonly bigint[] = INDICES,
): Promise<void> {
  const s = world();
  const root = s.state.root;
  assert.equal(
    refusal(() => settleTrades(s.state, [trade(s)], s.marks, P.batch, {}, indices)),
    code,
  );
  assert.equal(s.state.root, root);
  const forged = settleTrades(s.state, [trade(s)], s.marks, P.batch, { unchecked: true }, indices);
  await assertRefusedBy(forged.input, template);
}

/** `trade` on a fresh `world()` at `indices`, accepted by the engine and by the circuit. */
async function acceptedBoth(
  world: () => Sample,
  trade: (s: Sample) => Trade,
  indices: readonly bigint[] = INDICES,
): Promise<Sample> {
  const s = world();
  await witnessOf(settleTrades(s.state, [trade(s)], s.marks, P.batch, {}, indices).input);
  return s;
}

describe("the insurance fund's trades under its compartments (engine and circuit)", function () {
  it("settles only the traded market's funding, into its notional: ETH's compartment and index stay, the reserve pays only the fee", async function () {
    const s = fundWorld();
    const before = fundOf(s);
    const ethBefore = compartmentValues(before, s.marks)[ETH];
    const r = settleTrades(s.state, [fundSells(s, 1n, PX)], s.marks, P.batch, {}, INDICES);
    const w = await witnessOf(r.input);
    assert.deepEqual(w.slice(1, 5), [r.oldRoot, r.newRoot, r.dataCommitment, r.tradeBinding]);
    const fund = fundOf(s);
    // 2 lots long owe 15 units of BTC funding: into BTC's notional, not the reserve
    const paid = fundingPayment(2n * INDICES[BTC]);
    assert.equal(paid, 15n);
    assert.equal(r.funding.get(INSURANCE_ACCOUNT), paid);
    const fee = (PX * 2n) / 10_000n;
    assert.equal(fund.collateral, RESERVE - fee);
    assert.deepEqual(
      [fund.positions[BTC].size, fund.positions[BTC].notional, fund.positions[BTC].fundingIndex],
      [1n, 2n * PX - 1_000_000n + paid - PX, INDICES[BTC]],
    );
    // ETH keeps what it owes (3 lots short are owed 12.9) for its next settlement
    assert.deepEqual(fund.positions[ETH], before.positions[ETH]);
    assert.equal(compartmentValues(fund, s.marks)[ETH], ethBefore);
    // a trader settles every market into its collateral, as before
    assert.equal(s.state.getAccount(FIRST_USER_ACCOUNT).positions[ETH].fundingIndex, INDICES[ETH]);
  });

  it("rounds what the fund is owed towards 0, and settles a market once when it trades it twice in a batch", async function () {
    const ethMark = 3_000_00n;
    // owed 12.9 in ETH (3 lots short): credited 12 to ETH's notional, as it buys 1 back
    const s = fundWorld();
    const before = fundOf(s).positions[ETH];
    const r = settleTrades(s.state, [fundBuys(s, 1n, ethMark, ETH)], s.marks, P.batch, {}, INDICES);
    await witnessOf(r.input);
    assert.equal(r.funding.get(INSURANCE_ACCOUNT), -12n);
    assert.equal(fundOf(s).positions[ETH].notional, before.notional - 12n + ethMark);
    // two sales of 1 BTC in one batch: the first pays BTC's 15, the second nothing more
    const t = fundWorld();
    const second = (x: Sample): Trade => {
      const o = { market: BTC, nonce: 2n, amount: 1n, limitPrice: PX };
      return {
        buy: order(x, x.traders[1], { ...o, side: "buy" }),
        sell: order(x, FUND, { ...o, side: "sell" }),
        qty: 1n,
        price: PX,
        takerIsBuyer: true,
      };
    };
    const twice = settleTrades(
      t.state,
      [fundSells(t, 1n, PX), second(t)],
      t.marks,
      P.batch,
      {},
      INDICES,
    );
    await witnessOf(twice.input);
    assert.equal(twice.funding.get(INSURANCE_ACCOUNT), 15n);
    assert.equal(fundOf(t).positions[BTC].notional, 2n * PX - 1_000_000n + 15n - 2n * PX);
  });

  it("closes the fund's position without realising it: the result stays in BTC's compartment", async function () {
    const s = fundWorld();
    const price = PX - 40_000n;
    const r = settleTrades(s.state, [fundSells(s, 2n, price)], s.marks, P.batch, {}, INDICES);
    await witnessOf(r.input);
    const fund = fundOf(s);
    const fee = (2n * price * 2n) / 10_000n;
    // flat, and its notional holds the compartment: 1,000,000 less the funding and the
    // 2 * 40,000 sold below the mark
    assert.equal(fund.positions[BTC].size, 0n);
    assert.equal(compartmentValues(fund, s.marks)[BTC], 1_000_000n - 15n - 80_000n);
    assert.equal(fund.collateral, RESERVE - fee);
    // the buyer's position opens; a trader who closes realises (its notional goes to 0)
    assert.equal(s.state.getAccount(FIRST_USER_ACCOUNT).positions[BTC].size, 2n);
    // a proof that claims the realised leaf (the compartment moved into the reserve) is refused
    const realised = {
      ...fund,
      collateral: fund.collateral - fund.positions[BTC].notional,
      positions: fund.positions.map((p, j) => (j === BTC ? { ...p, notional: 0n } : p)),
    };
    s.state.setAccount(INSURANCE_ACCOUNT, realised);
    await assertRefusedBy({ ...r.input, newRoot: s.state.root }, "SettleTrades");
  });

  it("pays at most the market's penalty rate worse than the mark, a better price unlimited (FundTradeBand)", async function () {
    const ethMark = 3_000_00n;
    const ethBand = ethMark / 100n;
    const world = () => fundWorld();
    // at the edges: selling BTC 1 % below its mark, buying back 1 ETH of its short 1 % above
    // ETH's; and beyond the band on the fund's good side: selling 2 % above, buying 2 % below
    await acceptedBoth(world, (s) => fundSells(s, 1n, PX - BAND));
    await acceptedBoth(world, (s) => fundBuys(s, 1n, ethMark + ethBand, ETH));
    await acceptedBoth(world, (s) => fundSells(s, 1n, PX + 2n * BAND));
    await acceptedBoth(world, (s) => fundBuys(s, 1n, ethMark - 2n * ethBand, ETH));
    for (const t of [
      (s: Sample) => fundSells(s, 1n, PX - BAND - 1n),
      (s: Sample) => fundBuys(s, 1n, ethMark + ethBand + 1n, ETH),
    ])
      await refusedBoth(world, t, "FUND_TRADE_OUTSIDE_BAND", "FundTradeBand");
  });

  it("leaves BTC's compartment at least its position's maintenance requirement after a sale (FundCompartmentRequirement)", async function () {
    // selling 1 of 2 at the mark leaves 1 lot, whose requirement is 5 % of 6,000,000:
    // a compartment of 300,000 (no funding owed) meets it exactly, 299,999 does not; the
    // fund as a whole meets its margin with its reserve and ETH's compartment, so only the
    // market's own rule refuses
    const sale = (s: Sample) => fundSells(s, 1n, PX);
    const at = await acceptedBoth(() => fundWorld(300_000n), sale, ZERO);
    assert.equal(compartmentValues(fundOf(at), at.marks)[BTC], 300_000n);
    await refusedBoth(
      () => fundWorld(299_999n),
      sale,
      "FUND_COMPARTMENT_BELOW_REQUIREMENT",
      "FundCompartmentRequirement",
      ZERO,
    );
  });

  it("holds a buy that grows the fund's position to its initial requirement", async function () {
    // buying a third lot increases the fund's exposure: 3 lots need the initial rate, 10 %
    // of 18,000,000 in BTC's compartment (a sale that reduces needs the 5 % above)
    const buy = (s: Sample) => fundBuys(s, 1n, PX);
    await refusedBoth(
      () => fundWorld(1_799_999n),
      buy,
      "FUND_COMPARTMENT_BELOW_REQUIREMENT",
      "FundCompartmentRequirement",
      ZERO,
    );
    await acceptedBoth(() => fundWorld(1_800_000n), buy, ZERO);
  });

  it("pays a trade's fee from the reserve, never below 0 (FundReserve)", async function () {
    // the fund's maker fee on 1 lot at PX is 1,200: a reserve of 1,200 pays it, 1,199 does not
    // (its compartments, 1,200,000, would cover the fund's margin: only the reserve's rule
    // refuses)
    const sale = (s: Sample) => fundSells(s, 1n, PX);
    const at = await acceptedBoth(() => fundWorld(1_000_000n, 1_200n), sale, ZERO);
    assert.equal(fundOf(at).collateral, 0n);
    await refusedBoth(
      () => fundWorld(1_000_000n, 1_199n),
      sale,
      "FUND_RESERVE_NEGATIVE",
      "FundReserve",
      ZERO,
    );
  });
});
